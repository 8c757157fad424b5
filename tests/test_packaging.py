"""The wheel holds exactly the source tree, under the one import name `parley`, found rather than listed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FOLDERS = ("voice", "dialogue", "memory", "edge", "configs")


def tracked(*paths: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", *paths], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def tracked_files() -> set[str]:
    """Every file git tracks in the package folders, as the wheel should name it."""
    return {f"parley/{path}" for path in tracked(*FOLDERS)}


def clean_copy(to: Path) -> Path:
    """The checkout as a fresh clone has it: a stale *.egg-info here would hand setuptools its old file list."""
    for path in tracked():
        (to / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, to / path)
    return to


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel as a user gets it: built from the sdist (python -m build makes the one from the other)."""
    source, out = clean_copy(tmp_path_factory.mktemp("source")), tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True)
    [built] = out.glob("parley-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_every_module_and_data_file_of_the_source_tree_and_nothing_else(wheel):
    installed = {name for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert installed == tracked_files()


def test_only_parley_lands_in_site_packages(wheel):
    assert {name.split("/")[0] for name in wheel.namelist()} == {"parley", f"{dist_info(wheel)}"}


def test_the_commands_point_into_the_one_import_name(wheel):
    entry_points = wheel.read(f"{dist_info(wheel)}/entry_points.txt").decode()
    assert "parley = parley.voice.app.cli:main" in entry_points and "edge = parley.edge.cli" in entry_points


def dist_info(wheel: zipfile.ZipFile) -> str:
    return next(name.split("/")[0] for name in wheel.namelist() if name.split("/")[0].endswith(".dist-info"))
