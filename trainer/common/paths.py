"""Where the trainer keeps its files: user data, model cache, and bundled resources.

Nothing here creates folders at import time; callers ask for a folder and create it when they
are about to write. Every location can be redirected (tests and portable installs rely on it):

- ``TRAINER_DATA_DIR`` or ``--data-dir``: recordings and the SQLite store.
- ``TRAINER_CACHE_DIR``: assembled model files (the ``base`` model is shipped in two halves).
- Bundled ``drills/`` and ``assets/`` sit beside the ``trainer`` package in a source checkout
  and under ``sys._MEIPASS`` in a PyInstaller bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "sales-trainer"
DATA_DIR_ENV = "TRAINER_DATA_DIR"
CACHE_DIR_ENV = "TRAINER_CACHE_DIR"
DRILLS_DIR_ENV = "TRAINER_DRILLS_DIR"


def resource_root() -> Path:
    """The folder holding ``drills/`` and ``assets/`` (the bundle root when frozen)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parents[2]


def drills_dir() -> Path:
    """The folder of drill and scenario files (overridable with ``TRAINER_DRILLS_DIR``)."""
    override = os.environ.get(DRILLS_DIR_ENV)
    return Path(override) if override else resource_root() / "drills"


def assets_dir() -> Path:
    return resource_root() / "assets"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: an explicit override, then ``TRAINER_DATA_DIR``, then the OS default."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Where derived files (the assembled ``base`` model) live; safe to delete."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents readable by the owner only, and return it.

    ``mkdir(parents=True, mode=...)`` applies the mode to the last folder only; every folder
    created here gets 0o700, so ``recordings/`` is as private as ``recordings/seller-<uid>/``.
    Folders that already exist keep their permissions.
    """
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    path.mkdir(exist_ok=True, mode=0o700)
    return path
