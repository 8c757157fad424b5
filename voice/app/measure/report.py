"""The `parley eval` report: report.json, and report.html with inline SVG charts (no network needed)."""

from __future__ import annotations

import base64
import html
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from parley.voice.audio import AudioChunk, AudioFormat
from parley.voice.wav import write_wav

STAGES = (("endpoint_wait_ms", "endpoint wait", "#4e79a7"), ("stt_ms", "speech-to-text", "#f28e2b"),
          ("dialogue_ms", "dialogue", "#59a14f"), ("tts_ms", "TTS to first audio", "#b07aa1"))
WORST_TURNS = 5
RATE = 16000


def write_report(runs: dict, out: Path) -> Path:
    (out / "report.json").write_text(json.dumps(_without_audio(runs), indent=2), encoding="utf-8")
    page = out / "report.html"
    page.write_text(render(runs), encoding="utf-8")
    return page


def _without_audio(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_audio(v) for k, v in value.items() if k != "audio"}
    if isinstance(value, list):
        return [_without_audio(v) for v in value]
    return value


def render(runs: dict) -> str:
    sections = [_summary(runs)]
    for label, run in runs.items():
        turns = [t for r in run["results"] for call in r["calls"] for t in call["turns"]]
        totals = [t["trace"]["total_ms"] for t in turns if t["trace"]]
        sections += [f"<h2>{label}: success by scenario</h2>", _success_chart(run["results"]),
                     f"<h2>{label}: latency per stage, turn by turn</h2>", _waterfall(turns),
                     f"<h2>{label}: turn latency distribution</h2>", _histogram(totals),
                     f"<h2>{label}: the worst turns</h2>", _worst(turns)]
    return PAGE.format(body="\n".join(sections))


def _summary(runs: dict) -> str:
    rows = ["<tr><th></th>" + "".join(f"<th>{html.escape(label)}</th>" for label in runs) + "</tr>"]
    figures: list[tuple[str, Callable[[dict], object]]] = [("scenarios", lambda r: r["scenarios"]), ("task success", lambda r: f"{r['success_rate']:.0%}"),
               ("detail accuracy", lambda r: r["detail_accuracy"]), ("memory recall", lambda r: r["memory_recall"]),
               ("word error rate", lambda r: r["wer"]), ("barge-ins", lambda r: r["barge_ins"]),
               ("repair turns (caller's)", lambda r: r.get("repair_turns", 0)),
               *[(f"detail accuracy: {kind}", _detail_of(kind)) for kind in _detail_kinds(runs)],
               ("turn latency p50 / p95 (ms)", lambda r: "{p50} / {p95}".format(**r["latency_ms"]["total"]))]
    for name, figure in figures:
        rows.append(f"<tr><td>{name}</td>" + "".join(f"<td>{figure(run)}</td>" for run in runs.values()) + "</tr>")
    return "<h1>Parley evaluation</h1><table class=summary>" + "".join(rows) + "</table>"


def _detail_kinds(runs: dict) -> list[str]:
    return sorted({kind for run in runs.values() for kind in run.get("detail_accuracy_by_type", {})})


def _detail_of(kind: str) -> Callable[[dict], object]:
    return lambda run: run.get("detail_accuracy_by_type", {}).get(kind, "")


def _success_chart(results: list[dict]) -> str:
    width, row = 640, 26
    bars = []
    for i, r in enumerate(results):
        share = r["turns_passed"] / max(r["turns"], 1)
        colour = "#59a14f" if r["success"] else "#e15759"
        y = i * row
        bars.append(f'<text x="0" y="{y + 17}">{html.escape(r["name"])}</text>'
                    f'<rect class="bar" x="300" y="{y + 4}" width="{share * 300:.1f}" height="18" fill="{colour}"/>'
                    f'<text x="{305 + share * 300:.1f}" y="{y + 17}">{r["turns_passed"]}/{r["turns"]} turns'
                    f'{_repairs(r)}{"" if r["success"] else " - failed"}</text>')
    return f'<svg width="{width + 80}" height="{len(results) * row + 4}">{"".join(bars)}</svg>'


def _repairs(result: dict) -> str:
    count = result.get("repair_turns", 0)
    return f", {count} repair{'s' if count != 1 else ''}" if count else ""


def _waterfall(turns: list[dict]) -> str:
    timed = [t for t in turns if t["trace"]]
    scale = 600 / max([t["trace"]["total_ms"] for t in timed] + [1])
    row, parts = 16, []
    for i, turn in enumerate(timed):
        x = 0.0
        for key, name, colour in STAGES:
            width = max(turn["trace"][key], 0) * scale
            parts.append(f'<rect class="stage" x="{200 + x:.1f}" y="{i * row + 2}" width="{width:.1f}" height="12" '
                         f'fill="{colour}"><title>{name}: {turn["trace"][key]:.0f} ms</title></rect>')
            x += width
        total = turn["trace"]["total_ms"]
        parts.append(f'<text x="0" y="{i * row + 12}" class="small">{html.escape(turn["said"][:30])}</text>'
                     f'<text x="{205 + x:.1f}" y="{i * row + 12}" class="small">{total:.0f} ms</text>')
    legend = "".join(f'<span style="color:{c}">&#9632; {n}</span> ' for _, n, c in STAGES)
    return f'<p>{legend}</p><svg width="900" height="{len(timed) * row + 4}">{"".join(parts)}</svg>'


def _histogram(totals: list[float]) -> str:
    if not totals:
        return "<p>no timed turns</p>"
    counts, edges = np.histogram(totals, bins=min(12, max(3, len(totals) // 2)))
    peak, bars = max(counts.max(), 1), []
    for i, count in enumerate(counts):
        height = 150 * count / peak
        bars.append(f'<rect class="bin" x="{i * 50}" y="{160 - height:.1f}" width="46" height="{height:.1f}" '
                    f'fill="#4e79a7"/><text x="{i * 50}" y="178" class="small">{edges[i]:.0f}</text>')
    caption = "<p class=small>ms, from the last speech sample to the first reply audio</p>"
    return f'<svg width="{len(counts) * 50 + 40}" height="190">{"".join(bars)}</svg>{caption}'


def wav_data_uri(audio: np.ndarray, rate: int, scratch: Path) -> str:
    path = write_wav(scratch, AudioChunk(audio.astype(np.int16).tobytes(), AudioFormat(rate)))
    return "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()


def _worst(turns: list[dict]) -> str:
    ranked = sorted(turns, key=lambda t: (t["passed"], -(t["trace"] or {}).get("total_ms", 1e9)))[:WORST_TURNS]
    heads = ("caller said", "Parley heard", "Parley replied", "wanted", "ms", "audio")
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>"]
    with tempfile.TemporaryDirectory() as scratch:
        for turn in ranked:
            total = f"{turn['trace']['total_ms']:.0f}" if turn["trace"] else "no reply"
            audio = wav_data_uri(turn["audio"], RATE, Path(scratch) / "turn.wav") if "audio" in turn else ""
            player = f'<audio controls src="{audio}"></audio>' if audio else ""
            rows.append(f"<tr class={'ok' if turn['passed'] else 'bad'}><td>{html.escape(turn['said'])}</td>"
                        f"<td>{html.escape(turn['heard'])}</td><td>{html.escape(turn['reply'])}</td>"
                        f"<td><code>{html.escape(turn['expected'])}</code></td><td>{total}</td>"
                        f"<td>{player}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Parley evaluation</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1em; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; font-size: 14px; vertical-align: top; }}
tr.bad td {{ background: #fde8e8; }}
svg text {{ font-size: 12px; }}
.small {{ font-size: 11px; }}
</style></head>
<body>
{body}
</body></html>
"""
