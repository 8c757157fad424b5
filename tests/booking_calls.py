"""The eval's single-call bookings, split for issue 35: even ones for development, odd ones held out.

`python -m tests.booking_calls dev > /tmp/bookings_dev.toml`, then `parley eval /tmp/bookings_dev.toml
--voice flite:slt --voice flite:awb/phone` (`held-out` for the other half): the calls of
configs/scenarios.toml that make exactly one booking in one call, where a name is heard and booked.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import resources

HEADER = "[[scenario]]"


def booking_calls() -> list[str]:
    """The scenario blocks, as written, of one call that books one table."""
    text = (resources.files("parley.configs") / "scenarios.toml").read_text(encoding="utf-8")
    blocks = [HEADER + block for block in text.split(HEADER)[1:]]
    return [block for block in blocks if _one_call_one_booking(tomllib.loads(block)["scenario"][0])]


def _one_call_one_booking(scenario: dict) -> bool:
    return len(scenario["calls"]) == 1 and len(scenario.get("bookings", [])) == 1


def main(split: str) -> None:
    blocks = booking_calls()[{"dev": 0, "held-out": 1}[split]::2]
    sys.stdout.write("\n".join(block.rstrip() + "\n" for block in blocks))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dev")
