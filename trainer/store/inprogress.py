"""Work in progress that must outlive a crash: small JSON files written atomically.

A roleplay (or a story hour) in progress lives in memory; a crash would lose it. After every
completed step the caller writes its state here: to a temporary file beside the target,
flushed and ``fsync``-ed, then renamed over the target (``os.replace`` is atomic), readable by
the owner only. A crash mid-write leaves the previous state or the new one, never half of one.

Reading never loses anything either: a file that is not valid JSON (truncated, garbage) is
renamed aside (``roleplay-3.json.damaged-20250102-093000``) and reported in one sentence; a
file that cannot be read for lack of permission is left alone and reported as that.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainer.common.errors import StorageError, TrainerError
from trainer.common.paths import ensure_private_dir

# A state file is a few kilobytes; anything far bigger is not one of ours (and is not read
# into memory whole).
MAX_BYTES = 4 * 1024 * 1024


class DamagedFile(TrainerError):
    """A work-in-progress file could not be read as JSON; it has been set aside.

    Attributes:
        moved: where the file is now (``None`` if it could not be moved).
    """

    def __init__(self, message: str, moved: Path | None) -> None:
        super().__init__(message)
        self.moved = moved


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path``: all of it or nothing, owner-only (0600).

    The folder is created (owner-only) if missing; the file's folder entry is synced too, so
    the rename survives a power cut.

    Raises:
        StorageError: the folder or file cannot be written, in one sentence.
        TypeError, ValueError: ``obj`` is not JSON (a bug in the caller, not bad input).
    """
    text = json.dumps(obj, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    tmp: str | None = None
    try:
        ensure_private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)  # mkstemp's default, made explicit
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _sync_folder(path.parent)
    except OSError as exc:
        raise StorageError(f"Cannot save your work in progress in {path.parent} "
                           f"({exc.strerror or exc}); check free disk space and "
                           "permissions.") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows cannot open a folder; the rename itself has happened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_json_or_set_aside(path: Path, what: str = "Your work in progress",
                           clock: Callable[[], float] = time.time) -> Any | None:
    """The JSON in ``path``; ``None`` when there is no such file.

    Args:
        path: the state file.
        what: how the sentence names the file's content ("The roleplay you were in").
        clock: for the set-aside name.

    Raises:
        DamagedFile: the file is not JSON (truncated, garbage, too big, not a file); it has
            been renamed aside, and the message says where.
        StorageError: the file exists but cannot be read (permissions): touched nothing.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"{what} cannot be read from {path} ({exc.strerror or exc}); "
                           "check the folder's permissions.") from exc
    if not stat.S_ISREG(info.st_mode):
        raise set_aside(path, what, "it is not a regular file", clock)
    if info.st_size > MAX_BYTES:
        raise set_aside(path, what, "it is far too big to be one", clock)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"{what} cannot be read from {path} ({exc.strerror or exc}); "
                           "check the folder's permissions.") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise set_aside(path, what, "the file is damaged", clock) from None


def set_aside(path: Path, what: str, reason: str, clock: Callable[[], float] = time.time,
              problem: str = "could not be read") -> DamagedFile:
    """Rename ``path`` out of the way (nothing deleted) and return the error to raise.

    The sentence reads "<what> <problem> (<reason>), so it was set aside as <new name>.".

    The new name keeps the old one and adds the time: ``roleplay-3.json.damaged-20250102-
    093000`` (``-2``... when taken), so it is never read as a state file again.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while target.exists() or target.is_symlink():
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    try:
        os.rename(path, target)
    except OSError as exc:
        return DamagedFile(f"{what} {problem} ({reason}), and it could not be moved "
                           f"aside either ({exc.strerror or exc}); it is still at {path}.",
                           None)
    return DamagedFile(f"{what} {problem} ({reason}), so it was set aside as "
                       f"{target}.", target)


def remove(path: Path) -> None:
    """Delete a state file that is no longer needed (missing is fine).

    Raises:
        StorageError: it exists but cannot be deleted.
    """
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot remove {path} ({exc.strerror or exc}); check the "
                           "folder's permissions.") from exc
