"""The files around the practice history: one copy of the app per data folder, a check of the
write-ahead log before SQLite replays it, and damaged copies set aside beside the store.

- ``DataFolderLock``: an advisory lock (``flock``) on ``trainer.lock`` in the data folder. The
  app and ``trainer forget`` hold it while the store is open, so a second copy cannot
  "recover" a take the first is still recording. The operating system drops it when the
  process ends, however it ends, so a crash never locks anyone out.
- ``wal_damage``: SQLite replays a WAL only up to its first frame with a bad checksum and
  deletes the rest when the last connection closes, silently. We read the frames ourselves
  first, so committed changes behind a damaged frame are copied aside and the user told.
- ``set_aside`` / ``keep_copy`` / ``damaged_copies`` / ``delete_copy``: the
  ``<name>.damaged-<time>.sqlite3`` files. Set-aside copies are never deleted by the app on
  its own; "Delete my data" offers to, since they may hold the seller's transcripts.
"""

from __future__ import annotations

import errno
import os
import shutil
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

from trainer.common.errors import DataFolderInUse, NoPermission, StorageError

SIDECARS = ("", "-wal", "-shm", "-journal")
LOCK_SUFFIX = ".lock"
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def denied(exc: OSError) -> bool:
    """Whether an ``OSError`` is a permission problem (or a read-only disk), not damage."""
    return isinstance(exc, PermissionError) or exc.errno in _DENIED


# -- one app per data folder -----------------------------------------------------------------
class DataFolderLock:
    """Held by the one process that may use (and recover takes in) a data folder.

    Use ``DataFolderLock.acquire(store_path)``; ``release()`` (or the end of the process)
    frees it. The lock file itself stays: deleting it would let two processes lock two
    different files.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, store_path: Path) -> DataFolderLock:
        """Lock the folder of ``store_path``.

        Raises:
            DataFolderInUse: another process (or another store in this one) holds it.
            NoPermission: the folder is read-only for this user.
            StorageError: the lock file cannot be created for another reason.
        """
        folder = store_path.parent
        path = store_path.with_suffix(LOCK_SUFFIX)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if denied(exc):
                raise NoPermission(
                    f"The data folder {folder} is read-only for you ({exc.strerror}); make it "
                    "writable or choose another data folder (nothing was changed).") from exc
            raise StorageError(f"Cannot use the data folder {folder} ({exc.strerror}); choose "
                               "another data folder.") from exc
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            raise DataFolderInUse(
                f"The trainer is already open with the data folder {folder} (in another "
                "window, or a command still running); close it first, or choose another "
                "data folder.") from exc
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


# -- the write-ahead log ---------------------------------------------------------------------
# https://sqlite.org/fileformat.html#the_write_ahead_log
_WAL_MAGIC = (0x377F0682, 0x377F0683)  # the low bit says the checksums read words big-endian
_WAL_HEADER = 32
_FRAME_HEADER = 24


def _checksum(data: bytes, s0: int, s1: int, order: str) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    pairs = iter(words)
    for x, y in zip(pairs, pairs, strict=True):
        s0 = (s0 + x + s1) & 0xFFFFFFFF
        s1 = (s1 + y + s0) & 0xFFFFFFFF
    return s0, s1


def wal_damage(wal: Path) -> str | None:
    """Why SQLite would drop committed changes from ``wal``, or None when it would not.

    SQLite accepts frames while their cumulative checksums hold and stops at the first that
    fails. A bad frame loses data only when a *commit* frame of the same log (same salts) lies
    at or after it; a torn frame of a transaction that never committed, or frames left over
    from before the log restarted (other salts), are normal after a crash and lose nothing.
    Each frame after a bad one is checked against the stored checksum of the frame before it,
    so one damaged frame does not hide the commits behind it.
    """
    try:
        with open(wal, "rb") as f:
            head = f.read(_WAL_HEADER)
            if len(head) < _WAL_HEADER:
                return None  # no frames: nothing to lose
            magic, _version, page_size, _seq, salt1, salt2, sum1, sum2 = struct.unpack(
                ">8I", head)
            order = ">" if magic & 1 else "<"
            if (magic not in _WAL_MAGIC or page_size < 512 or page_size > 65536
                    or page_size & (page_size - 1)
                    or _checksum(head[:24], 0, 0, order) != (sum1, sum2)):
                # SQLite ignores the whole log: that loses something if it holds any frame.
                rest = f.read(_FRAME_HEADER + 512)
                return "its header is damaged" if len(rest) == _FRAME_HEADER + 512 else None
            chain = (sum1, sum2)
            bad: int | None = None
            number = 0
            while True:
                frame = f.read(_FRAME_HEADER + page_size)
                if len(frame) < _FRAME_HEADER + page_size:
                    return None
                number += 1
                page, commit, fsalt1, fsalt2, fsum1, fsum2 = struct.unpack_from(">6I", frame)
                if (fsalt1, fsalt2) != (salt1, salt2):
                    return None  # left over from before the log last restarted
                if page == 0 or _checksum(frame[:8] + frame[_FRAME_HEADER:], *chain,
                                          order) != (fsum1, fsum2):
                    bad = bad or number
                if bad and commit:
                    return f"frame {bad} of its write-ahead log is damaged"
                chain = (fsum1, fsum2)
    except OSError:
        return None  # missing, or unreadable: SQLite reports that itself


# -- damaged copies beside the store ---------------------------------------------------------
def _aside_target(path: Path, clock: Callable[[], float]) -> Path:
    """``trainer.damaged-20250102-093000.sqlite3``, ``-2`` for a second one that second."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    for n in range(1, 1000):
        suffix = stamp if n == 1 else f"{stamp}-{n}"
        target = path.with_name(f"{path.stem}.damaged-{suffix}{path.suffix}")
        if not any(Path(f"{target}{side}").exists() for side in SIDECARS):
            return target
    raise StorageError(f"Too many damaged copies beside {path}; move some of them away.")


def set_aside(path: Path, clock: Callable[[], float] = time.time) -> Path:
    """Rename a damaged database (and its WAL and shared-memory files) out of the way.

    Nothing is deleted and no existing file is replaced. The WAL moves with its database:
    left behind, SQLite would replay it into the fresh file.

    Raises:
        StorageError: the file cannot be renamed (e.g. a read-only folder).
    """
    try:
        target = _aside_target(path, clock)
        for side in SIDECARS:
            source = Path(f"{path}{side}")
            if source.exists():
                os.rename(source, f"{target}{side}")
    except OSError as exc:
        raise StorageError(
            f"The practice history at {path} is damaged and cannot be moved aside "
            f"({exc.strerror}); choose another data folder.") from exc
    return target


def keep_copy(path: Path, clock: Callable[[], float] = time.time) -> Path:
    """Copy the database and its WAL (never move or change them) to a ``.damaged-`` name.

    Raises:
        StorageError: the copy cannot be written (full disk...); partial copies are removed.
    """
    target = _aside_target(path, clock)
    written: list[Path] = []
    try:
        for side in ("", "-wal"):
            source, copy = Path(f"{path}{side}"), Path(f"{target}{side}")
            if source.exists():
                written.append(copy)
                shutil.copyfile(source, copy)
                os.chmod(copy, 0o600)
    except OSError as exc:
        for copy in written:
            copy.unlink(missing_ok=True)
        raise StorageError(
            f"The latest changes to the practice history at {path} are damaged and no copy "
            f"of them could be kept ({exc.strerror}); free some disk space and start again "
            "(nothing was changed).") from exc
    return target


def damaged_copies(path: Path) -> list[Path]:
    """The set-aside copies beside the store ``path``, oldest name first."""
    try:
        return sorted(p for p in path.parent.glob(f"{path.stem}.damaged-*{path.suffix}")
                      if p.is_file())
    except OSError:
        return []


def delete_copy(copy: Path) -> list[Path]:
    """Delete a set-aside copy with its WAL and shared-memory files; returns what stayed."""
    kept: list[Path] = []
    for side in SIDECARS:
        file = Path(f"{copy}{side}")
        try:
            file.unlink(missing_ok=True)
        except OSError:
            kept.append(file)
    return kept
