"""The core never imports Qt: every ``trainer`` module outside ``trainer.ui`` loads without it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import trainer


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(trainer.__path__, "trainer."):
        if info.name.startswith("trainer.ui") or info.name in ("trainer.__main__",):
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_qt() -> None:
    modules = core_modules()
    assert "trainer.scoring" in modules and "trainer.recorder" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_core_has_no_side_effects(tmp_path: Path) -> None:
    """No folders are created and no model is loaded just by importing the core."""
    code = (
        "import importlib, os\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(os.listdir(os.environ['TRAINER_DATA_DIR'])))\n"
    )
    data = tmp_path / "d"
    data.mkdir()
    env = {"TRAINER_DATA_DIR": str(data), "TRAINER_CACHE_DIR": str(tmp_path / "c"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert not (tmp_path / "c").exists()
