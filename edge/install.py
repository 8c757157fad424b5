"""`parley edge install`: a systemd unit and environment file for a satellite or a server."""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
import sys
from pathlib import Path

from parley.configs.files import ConfigError
from parley.voice.app.ops.drain import FAREWELL_SECONDS
from parley.voice.app.settings import load_config

UNIT_DIR = Path("/etc/systemd/system")
ENV_DIR = Path("/etc/parley")
STORE_SECONDS = 10  # after the goodbye: the last calls written to SQLite, the sockets closed


def unit(role: str, parley: Path, env_file: Path, user: str, config: Path | None) -> str:
    config_option = f" --config {shlex.quote(str(config))}" if config else ""
    # systemd's stop waits for the drain (live calls finish), the goodbye, and storing the calls.
    stop_seconds = int(load_config(config).server.drain_seconds + FAREWELL_SECONDS + STORE_SECONDS)
    if role == "satellite":
        description, command = "Parley voice satellite", "edge satellite --server ${PARLEY_SERVER}"
        after = "network-online.target sound.target"
    else:
        description, command = "Parley voice server", "serve --host ${PARLEY_HOST} --port ${PARLEY_PORT}"
        after = "network-online.target"
    # Restart=always: a satellite's call ends when the caller says goodbye, and the next call
    # starts with a fresh process; a crash or a lost audio device restarts it too.
    return f"""[Unit]
Description={description}
After={after}
Wants=network-online.target

[Service]
Type=simple
User={user}
EnvironmentFile={env_file}
ExecStart={parley}{config_option} {command}
Restart=always
RestartSec=2
TimeoutStopSec={stop_seconds}
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
"""


def environment(role: str, server: str | None, token: str) -> str:
    lines = ["# Read by the Parley service; holds the access token: keep it readable by root only.",
             f"PARLEY_TOKEN={token}"]
    if role == "satellite":
        lines.append(f"PARLEY_SERVER={server}")
    else:
        lines += ["PARLEY_HOST=0.0.0.0", "PARLEY_PORT=8780"]
    return "\n".join(lines) + "\n"


def parley_command() -> Path:
    """The `parley` beside this Python (a virtual environment's bin/), else the one on PATH."""
    beside = Path(sys.executable).parent / "parley"  # not resolved: a venv's python is a symlink
    found = beside if beside.exists() else shutil.which("parley")
    if not found:
        raise ConfigError("cannot find the parley command to run: install Parley first")
    return Path(found).absolute()


def main(role: str, server: str | None, config: Path | None, dry_run: bool, unit_dir: Path = UNIT_DIR,
         env_dir: Path = ENV_DIR) -> int:
    if role == "satellite" and not server:
        raise ConfigError("a satellite needs --server ws://HOST:PORT/ws")
    token = os.environ.get("PARLEY_TOKEN", "")
    if not token:
        raise ConfigError("set PARLEY_TOKEN to the token satellites and the server share")
    parley = parley_command()
    name = f"parley-{role}"
    env_file = env_dir / f"{role}.env"
    user = os.environ.get("SUDO_USER") or getpass.getuser()  # under sudo: who asked, not root
    unit_text = unit(role, parley, env_file, user, config.resolve() if config else None)
    env_text = environment(role, server, token)
    if dry_run:
        print(f"# {unit_dir / (name + '.service')}\n{unit_text}\n# {env_file}\n{env_text.replace(token, '<PARLEY_TOKEN>')}")
        return 0
    env_dir.mkdir(parents=True, exist_ok=True)
    env_file.write_text(env_text, encoding="utf-8")
    env_file.chmod(0o600)
    (unit_dir / f"{name}.service").write_text(unit_text, encoding="utf-8")
    print(f"written {unit_dir / (name + '.service')} and {env_file}; now: systemctl daemon-reload && "
          f"systemctl enable --now {name}")
    return 0
