"""`parley edge ...`: the satellite on this device's microphone and speaker."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from edge.run import default_device_id, run_satellite
from voice.config import Config, ConfigError
from voice.talk import TerminalView, in_terminal, local_audio
from voice.wiring import load_engines


def satellite(config: Config, server: str, device_id: str | None, home: Path | None) -> int:
    token = os.environ.get("PARLEY_TOKEN", "")
    if not token:
        raise ConfigError("set PARLEY_TOKEN to the token the server was started with")
    home = home or Path(user_data_dir("parley")) / "satellite"

    async def call() -> None:
        with local_audio(config) as (source, speaker):
            await run_satellite(config, load_engines(config), source, speaker, server,
                                device_id or default_device_id(), token, home, TerminalView())

    return in_terminal(call())
