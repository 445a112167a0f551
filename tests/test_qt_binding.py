"""The Qt binding the app runs on must not corrupt Python's reference counts.

PySide6 6.12.0 drops a reference to None every time a call returns None (an unset property,
an empty combo item's data, a missing list item...). After 7-14 minutes of normal use the app
aborted with "Fatal Python error: none_dealloc" and lost the story hour in progress.
pyproject.toml keeps that release out; these tests fail on any binding, present or future,
that leaks None in the calls the app makes, and check the exclusion itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).with_name("qt_none_probe.py")
KNOWN_BAD = {"PySide6-Essentials": ["6.12.0"]}


def test_the_calls_the_app_makes_keep_none_alive(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(PROBE), str(tmp_path / "probe.ini")],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, (
        "the Qt binding probe crashed (a reference-count bug in the binding?):\n"
        + run.stderr[-2000:]
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    # A sound binding changes None's count by nothing; a leak shows as -1 per call. A little
    # slack for incidental references taken elsewhere, far below one per call.
    leaks = {name: delta for name, delta in report["deltas"].items()
             if abs(delta) > report["calls"] // 10}
    assert not leaks, f"these binding calls change None's reference count: {leaks}"


def test_the_app_reads_its_font_factor_without_asking_for_unset_properties(qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from trainer.ui.style import font_factor, set_relative_font

    label = QLabel("x")
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(100):
        assert font_factor(label) is None
    assert abs(sys.getrefcount(None) - before) < 10
    set_relative_font(label, 1.5)
    assert font_factor(label) == 1.5


@pytest.mark.parametrize(("package", "bad"), sorted(KNOWN_BAD.items()))
def test_pyproject_keeps_known_bad_binding_releases_out(package: str, bad: list[str]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [Requirement(r) for r in project["project"]["dependencies"]]
    matching = [r for r in requirements if r.name.lower() == package.lower()]
    assert matching, f"{package} is not a dependency any more: update KNOWN_BAD"
    for version in bad:
        assert not matching[0].specifier.contains(version, prereleases=True), (
            f"{package} {version} is allowed by {matching[0]}; it leaks references to None"
        )
