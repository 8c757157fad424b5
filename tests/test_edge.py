"""Device profiles, calibration on this machine (and on one of its cores), and the service install."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from importlib import resources

import pytest

from parley.configs.files import ConfigError
from parley.edge import install
from parley.edge.calibrate import Measurements, profile
from parley.voice.app.settings import load_config


def test_every_packaged_profile_is_a_valid_config():
    folder = resources.files("parley.configs") / "edge"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".toml"))
    assert {"raspberry-pi-4.toml", "raspberry-pi-5.toml", "x86-2-core.toml"} <= set(names)
    for name in names:
        config = load_config(folder / name)
        assert config.stt.cpu_threads >= 1


def test_calibration_on_one_core_writes_a_one_core_profile(tmp_path):
    out = tmp_path / "device.toml"
    command = [sys.executable, "-m", "parley.voice.app.cli", "edge", "calibrate", "--out", str(out)]
    result = subprocess.run(["taskset", "-c", "0", *command], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "Measured: 1 core(s)" in text and "real-time factor" in text
    written = tomllib.loads(text)
    assert written["stt"]["cpu_threads"] == 1 and written["tts"]["threads"] == 1 and written["talk"]["block_ms"] == 30
    load_config(out)  # usable as it is, with --config


def test_a_fast_four_core_device_gets_four_transcription_threads_and_early_speculation():
    fast = tomllib.loads(profile(Measurements(4, 8.0, 300.0, 0.08, 60.0, 3.9)))
    slow = tomllib.loads(profile(Measurements(4, 4.0, 1500.0, 0.4, 300.0, 3.9)))
    assert fast["stt"]["cpu_threads"] == 4 and fast["tts"]["threads"] == 2 and fast["vad"]["pause_ms"] == 30
    assert slow["vad"]["pause_ms"] == 60 and slow["vad"]["finished_wait_ms"] == 250


def test_install_writes_a_unit_systemd_accepts_and_a_private_environment_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_TOKEN", "s3cret")
    install.main("satellite", "ws://10.0.0.2:8780/ws", None, dry_run=True)
    shown = capsys.readouterr().out
    assert "ExecStart=" in shown and "Restart=always" in shown and "s3cret" not in shown
    install.main("satellite", "ws://10.0.0.2:8780/ws", None, dry_run=False, unit_dir=tmp_path, env_dir=tmp_path)
    unit, env = tmp_path / "parley-satellite.service", tmp_path / "satellite.env"
    assert "PARLEY_SERVER=ws://10.0.0.2:8780/ws" in env.read_text() and "PARLEY_TOKEN=s3cret" in env.read_text()
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    assert f"EnvironmentFile={env}" in unit.read_text()
    if shutil.which("systemd-analyze"):
        verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
        assert verified.returncode == 0, verified.stderr
    with pytest.raises(ConfigError, match="--server"):
        install.main("satellite", None, None, dry_run=True)


def test_edge_bench_answers_every_turn_on_the_device_and_through_the_server():
    result = subprocess.run([sys.executable, "-m", "parley.voice.app.cli", "edge", "bench", "--turns", "2", "--json"],
                            capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["on_device"]["turns"] == report["satellite"]["turns"] == 2
    assert report["satellite"]["dialogue_ms"]["p50"] > 0
