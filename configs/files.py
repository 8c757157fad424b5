"""Reading Parley's TOML files: one error that names the file and the key, and a strict merge of
overrides into defaults. Every layer reads TOML, so this sits below them all."""

from __future__ import annotations

import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


def read_toml(file: Path | Traversable) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None


def merge_tables(defaults: dict, overrides: dict, source: str, prefix: str = "") -> None:
    """Put `overrides` into `defaults`, refusing keys and types that the defaults do not have."""
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if key not in defaults:
            known = ", ".join(defaults)
            raise ConfigError(f"{source}: unknown key '{name}' (known here: {known})")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{name}' must be a table")
            merge_tables(default, value, source, f"{name}.")
            continue
        if isinstance(default, float) and type(value) is int:
            value = float(value)
        if type(value) is not type(default):
            expected, got = type(default).__name__, type(value).__name__
            raise ConfigError(f"{source}: '{name}' must be {expected}, not {got}")
        defaults[key] = value
