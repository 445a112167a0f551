"""The local record of practice: sellers and their attempts, in SQLite.

One file in the user's data folder, opened in WAL mode so a crash mid-write never corrupts
earlier attempts. An attempt row is created *before* recording starts (status ``recording``)
and completed after scoring, so an interrupted take can be found and recovered on the next
start. The schema (``trainer.store.schema``) carries a version and migrates forward.

A damaged file is never overwritten: ``Store`` refuses it (``CorruptStore``) and
``open_store`` renames it (with its WAL) to ``<name>.damaged-<time>.sqlite3`` beside the
original, then starts a fresh history and says where the old one went. A WAL that SQLite would
not fully replay is copied aside the same way before SQLite can drop it. A file or folder this
user may not read or write is not damage: it is left alone and the message says so
(``NoPermission``). The app and ``trainer forget`` open the store with ``exclusive=True``: one
process per data folder (``DataFolderLock``), and only that process may recover interrupted
takes. Deleted rows are overwritten with zeros (``secure_delete``), so "delete my data" leaves
nothing to undelete.

Each seller has a random ``uid`` (schema v3) naming their recordings folder,
``recordings/seller-<uid>``: ids restart at 1 in a fresh history, so an id-named folder could
be shared with a seller of a history set aside earlier.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import CorruptStore, NoPermission, StorageError
from trainer.store.datafolder import (
    DataFolderLock,
    denied,
    keep_copy,
    set_aside,
    wal_damage,
)
from trainer.store.schema import MIGRATIONS as _MIGRATIONS
from trainer.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Attempt", "Seller", "Store", "open_store", "set_aside"]

_NEW_UID = "lower(hex(randomblob(16)))"
_UID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Seller:
    id: int
    name: str
    # Left out of equality: a ``Seller`` built from a join (id and name only) is the same
    # seller as the one the store hands out.
    uid: str | None = field(default=None, compare=False)

    @property
    def folder(self) -> str:
        """The name of this seller's recordings folder under ``<data>/recordings``.

        ``seller-<uid>``; ``seller-<id>`` (the old scheme) only for a ``Seller`` built
        without its uid.
        """
        if self.uid is not None and _UID.fullmatch(self.uid):
            return f"seller-{self.uid}"
        return f"seller-{self.id}"


@dataclass(frozen=True)
class Attempt:
    id: int
    seller_id: int
    drill_id: str
    scenario_id: str | None
    started_at: float
    status: str
    audio_path: Path | None
    duration_s: float | None
    transcript: str | None
    words: list[dict[str, Any]]
    scorecard: dict[str, Any] | None
    score: float | None
    passed: bool | None
    model: str | None
    message: str | None
    scenario: dict[str, Any] | None
    context: str | None = None


def _row_to_attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        id=row["id"],
        seller_id=row["seller_id"],
        drill_id=row["drill_id"],
        scenario_id=row["scenario_id"],
        started_at=row["started_at"],
        status=row["status"],
        audio_path=Path(row["audio_path"]) if row["audio_path"] else None,
        duration_s=row["duration_s"],
        transcript=row["transcript"],
        words=json.loads(row["words_json"]) if row["words_json"] else [],
        scorecard=json.loads(row["scorecard_json"]) if row["scorecard_json"] else None,
        score=row["score"],
        passed=None if row["passed"] is None else bool(row["passed"]),
        model=row["model"],
        message=row["message"],
        scenario=json.loads(row["scenario_json"]) if row["scenario_json"] else None,
        context=row["context"],
    )


class Store:
    """The SQLite store. Use as a context manager, or call ``close()``.

    Args:
        path: the database file; its folder is created (owner-only) if missing.
        clock: wall-clock source for timestamps, injectable for tests.
        folder_lock: the data folder's lock when this process holds it (``open_store`` with
            ``exclusive=True``); released by ``close()``. Only then are interrupted takes
            handed out for recovery.

    Attributes:
        note: one sentence for the user when a damaged WAL was copied aside on opening.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 folder_lock: DataFolderLock | None = None) -> None:
        self.path = path
        self.clock = clock
        self.note: str | None = None
        self._folder_lock = folder_lock
        self._lock = threading.RLock()
        problem = _access_problem(path)
        if problem:
            raise NoPermission(problem)
        problem = _header_problem(path)
        if problem:
            # Refused before SQLite opens it: on a file with a broken header SQLite deletes the
            # WAL beside it on close, and the WAL may hold the most recent takes.
            raise CorruptStore(self._cannot_open(problem), reason=problem)
        # Copied before SQLite opens the file: when the last connection closes, SQLite
        # deletes a WAL it could only partly replay. Confirmed again under the write lock.
        wal = Path(f"{path}-wal")
        self._wal_copy = keep_copy(path, clock) if wal_damage(wal) else None
        try:
            paths.ensure_private_dir(path.parent)
            new_file = not path.exists()
            # check_same_thread=False: the UI hands store calls to worker threads; one lock
            # serialises every statement and transaction on this single connection.
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if new_file:
                # Owner-only; SQLite gives the -wal and -shm files the database's mode.
                os.chmod(path, 0o600)
        except OSError as exc:
            raise (NoPermission if denied(exc) else StorageError)(
                f"Cannot create the data folder {path.parent} ({exc.strerror}); "
                "choose another data folder."
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise self._open_error(exc) from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._wal_mode()
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            # Deleted rows are zeroed on disk, not just unlinked ("delete my data" means it).
            self._db.execute("PRAGMA secure_delete=ON")
            # A damaged page can hide until a query touches it; check the (small) file now,
            # while it can still be set aside, rather than fail in the middle of a take.
            problems = [row[0] for row in self._db.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(f"damaged: {problems[0]}")
            self._migrate()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._open_error(exc) from exc
            raise

    def _wal_mode(self, wait_s: float = 5.0) -> None:
        """Switch a new file to WAL mode, waiting while another process does the same.

        The switch needs the file to itself; when two processes both hold a read lock on a new
        file and ask for that, SQLite answers one of them "busy" at once, without waiting
        (it would be a deadlock), so the wait is here.
        """
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY") \
                        or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _open_error(self, exc: sqlite3.DatabaseError) -> StorageError:
        """``CorruptStore`` when the file itself is bad; another ``StorageError`` otherwise.

        Only a damaged file may be set aside: a locked database (another copy of the app), a
        full disk or a read-only file or folder leave the file untouched.
        """
        code = getattr(exc, "sqlite_errorname", "") or ""
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
                not isinstance(exc, sqlite3.OperationalError) and not code):
            return CorruptStore(self._cannot_open(str(exc)), reason=str(exc))
        return _explain(exc, self.path) or StorageError(self._cannot_open(str(exc)))

    def _cannot_open(self, reason: str) -> str:
        return (f"The practice history at {self.path} cannot be opened ({reason}); move the "
                "file aside or choose another data folder.")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._folder_lock is not None:
                self._folder_lock.release()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translate_errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                # SQLite has already rolled back after some errors (SQLITE_FULL, IOERR); a
                # second ROLLBACK would fail and hide the real cause.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT leaves it open
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, self._translate_errors():
            return self._db.execute(sql, params).fetchall()

    # Public for the core modules that own the journey tables (``trainer.store.schema``, v2).
    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``) on the one connection, under the lock;
        SQLite errors come out as ``StorageError`` with one sentence."""
        return self._transaction()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of one read statement (``StorageError`` on failure)."""
        return self._query(sql, params)

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            explained = _explain(exc, self.path)
            if explained is not None:
                raise explained from exc
            if isinstance(exc, sqlite3.OperationalError):
                raise StorageError(f"Could not use the practice history ({exc}); try again, "
                                   "and restart the app if it keeps happening.") from exc
            # Damage found mid-session: the next start sets the file aside (open_store).
            raise StorageError(
                f"The practice history is damaged ({exc}); restart the app to set it aside "
                "and start a fresh one."
            ) from exc

    def _migrate(self) -> None:
        """Bring the schema to ``SCHEMA_VERSION``.

        The version is read inside the write transaction that migrates: two processes opening
        a new file at once would otherwise both see version 0 and both create the tables.
        The same transaction confirms a damaged WAL before anyone can write over it.
        """
        with self._transaction() as db:
            self._confirm_wal_copy()
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"The practice history at {self.path} was written by a newer version of "
                    "the app; update the app to open it."
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")

    def _confirm_wal_copy(self) -> None:
        """Keep the copy of a damaged WAL only if the damage is still there now that no one
        else can write; a frame read while another process was writing it is not damage."""
        wal = Path(f"{self.path}-wal")
        reason = wal_damage(wal) if self._wal_copy is not None else None
        if self._wal_copy is not None and reason is None:
            for side in ("", "-wal"):
                Path(f"{self._wal_copy}{side}").unlink(missing_ok=True)
            self._wal_copy = None
        if self._wal_copy is not None:
            self.note = (
                f"The latest changes to your practice history could not be read back ({reason}),"
                f" so a copy of the history with them was kept at {self._wal_copy}; it was "
                "opened without them."
            )

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    # -- sellers ------------------------------------------------------------------------
    def seller(self, name: str) -> Seller:
        """The seller with this name, created on first use."""
        clean = " ".join(name.split())
        if not clean:
            raise ValueError("a seller needs a name")
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO sellers (name, created_at, uid) "
                       f"VALUES (?, ?, {_NEW_UID})", (clean, self.clock()))
            row = db.execute("SELECT id, name, uid FROM sellers WHERE name = ?",
                             (clean,)).fetchone()
        return Seller(row["id"], row["name"], row["uid"])

    def sellers(self) -> list[Seller]:
        rows = self._query("SELECT id, name, uid FROM sellers ORDER BY name")
        return [Seller(r["id"], r["name"], r["uid"]) for r in rows]

    def find_seller(self, name: str) -> Seller | None:
        """The seller with this name (any case, any spacing), without creating one."""
        clean = " ".join(name.split())
        rows = self._query("SELECT id, name, uid FROM sellers WHERE name = ?", (clean,))
        return Seller(rows[0]["id"], rows[0]["name"], rows[0]["uid"]) if rows else None

    def attempt_count(self, seller: Seller) -> int:
        return int(self._query("SELECT COUNT(*) FROM attempts WHERE seller_id = ?",
                               (seller.id,))[0][0])

    def delete_seller(self, seller: Seller) -> list[Path]:
        """Delete a seller and everything of theirs; returns the audio files only they used.

        Their own rows go by CASCADE; the ratings they *gave* (``peer_ratings.rater`` holds a
        seller id as text) and their id in story-hour rosters go too, so nothing of theirs
        would show up under a later seller who gets the same id. The rows are zeroed on disk
        (``secure_delete``) and the WAL is checkpointed and truncated, so no copy of the
        deleted text stays in either file.

        Returns:
            The audio paths their takes and stories referred to, less any a remaining row
            still refers to. The caller deletes the files.
        """
        with self._transaction() as db:
            rows = db.execute(
                "SELECT audio_path FROM attempts WHERE seller_id = ? AND audio_path IS NOT NULL "
                "UNION SELECT audio_path FROM stories WHERE seller_id = ? "
                "AND audio_path IS NOT NULL", (seller.id, seller.id)).fetchall()
            db.execute("DELETE FROM peer_ratings WHERE rater = ?", (str(seller.id),))
            for hour in db.execute("SELECT id, roster_json FROM story_hours").fetchall():
                roster = json.loads(hour["roster_json"])
                ids = roster.get("seller_ids") if isinstance(roster, dict) else None
                if isinstance(ids, list) and seller.id in ids:
                    roster["seller_ids"] = [i for i in ids if i != seller.id]
                    db.execute("UPDATE story_hours SET roster_json = ? WHERE id = ?",
                               (json.dumps(roster), hour["id"]))
            db.execute("DELETE FROM attempts WHERE seller_id = ?", (seller.id,))
            db.execute("DELETE FROM sellers WHERE id = ?", (seller.id,))
            shared = {r[0] for r in db.execute(
                "SELECT audio_path FROM attempts WHERE audio_path IS NOT NULL "
                "UNION SELECT audio_path FROM stories WHERE audio_path IS NOT NULL")}
        with self._lock, self._translate_errors():
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return [Path(r[0]) for r in rows if r[0] not in shared]

    # -- attempts -----------------------------------------------------------------------
    def begin_attempt(self, seller: Seller, drill_id: str, scenario_id: str | None,
                      scenario: dict[str, Any] | None, audio_path: Path | None,
                      context: str | None = None) -> int:
        """A new attempt, status ``recording``. ``context`` says where it was taken when not
        plain practice: ``"certification:<1:1 id>"``, ``"story_hour:<id>"``..."""
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO attempts (seller_id, drill_id, scenario_id, scenario_json, "
                "started_at, status, audio_path, context) "
                "VALUES (?, ?, ?, ?, ?, 'recording', ?, ?)",
                (seller.id, drill_id, scenario_id,
                 json.dumps(scenario) if scenario is not None else None, self.clock(),
                 str(audio_path) if audio_path else None, context),
            )
            return int(cur.lastrowid or 0)

    def mark_recorded(self, attempt_id: int, duration_s: float, message: str | None = None
                      ) -> None:
        with self._transaction() as db:
            db.execute("UPDATE attempts SET status='recorded', duration_s=?, message=? "
                       "WHERE id=?", (duration_s, message, attempt_id))

    def save_result(self, attempt_id: int, transcript: str, words: list[dict[str, Any]],
                    scorecard: dict[str, Any], model: str, duration_s: float | None = None
                    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE attempts SET status='scored', transcript=?, words_json=?, "
                "scorecard_json=?, score=?, passed=?, model=?, "
                "duration_s=COALESCE(?, duration_s), message=NULL WHERE id=?",
                (transcript, json.dumps(words), json.dumps(scorecard), scorecard["score"],
                 int(bool(scorecard["passed"])), model, duration_s, attempt_id),
            )

    def mark_failed(self, attempt_id: int, message: str, transcript: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE attempts SET status='failed', message=?, "
                       "transcript=COALESCE(?, transcript) WHERE id=?",
                       (message, transcript, attempt_id))

    def attempt(self, attempt_id: int) -> Attempt:
        rows = self._query("SELECT * FROM attempts WHERE id=?", (attempt_id,))
        if not rows:
            raise KeyError(attempt_id)
        return _row_to_attempt(rows[0])

    def attempts(self, seller: Seller | None = None, drill_id: str | None = None,
                 limit: int = 500) -> list[Attempt]:
        """Attempts, newest first, optionally for one seller and/or drill."""
        clauses: list[str] = []
        params: list[Any] = []
        if seller is not None:
            clauses.append("seller_id = ?")
            params.append(seller.id)
        if drill_id is not None:
            clauses.append("drill_id = ?")
            params.append(drill_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(
            f"SELECT * FROM attempts {where} ORDER BY started_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [_row_to_attempt(r) for r in rows]

    @property
    def holds_data_folder(self) -> bool:
        """Whether this store was opened with the data folder's lock (``exclusive=True``)."""
        return self._folder_lock is not None and self._folder_lock.held

    def unfinished_attempts(self) -> list[Attempt]:
        """Takes interrupted by a crash: recording never stopped cleanly, or never scored.

        Raises:
            StorageError: this store does not hold the data folder's lock: another process
                may be recording one of these takes right now.
        """
        if not self.holds_data_folder:
            raise StorageError("Interrupted takes can be recovered only by the copy of the "
                               "trainer that has the data folder to itself.")
        rows = self._query(
            "SELECT * FROM attempts WHERE status IN ('recording', 'recorded') ORDER BY id"
        )
        return [_row_to_attempt(r) for r in rows]


_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER_BYTES = 100
_UNCHANGED = "(nothing was changed)"


def _access_problem(path: Path) -> str | None:
    """Why this user may not use the store at ``path``, as one sentence, or None.

    Checked before SQLite opens anything: SQLite quietly opens a write-protected file
    read-only (every later write fails) and calls an unreadable one "unable to open"; neither
    is damage, so nothing may be set aside. (Root passes every check, as it should.)
    """
    folder = path.parent
    try:
        exists = path.exists()
    except PermissionError:  # the folder cannot be searched
        return (f"You may not open the data folder {folder} (permission denied); give your "
                f"user access to it or choose another data folder {_UNCHANGED}.")
    if exists and not os.access(path, os.R_OK):
        return (f"You may not read the practice history at {path} (permission denied); give "
                f"your user read and write access to it or choose another data folder "
                f"{_UNCHANGED}.")
    if exists and not os.access(path, os.W_OK):
        return (f"The practice history at {path} is read-only for you; make it writable or "
                f"choose another data folder {_UNCHANGED}.")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        # SQLite writes its -wal and -shm files beside the database.
        return (f"The data folder {folder} is read-only for you; make it writable or choose "
                f"another data folder {_UNCHANGED}.")
    return None


def _explain(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """The real cause of a SQLite error as one sentence, or None for the generic messages."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError(
            f"The practice history at {path} stayed locked by another program (another copy "
            "of the trainer?); close it and try again.")
    if code.startswith("SQLITE_READONLY"):
        return NoPermission(
            f"The practice history at {path} is read-only ({exc}); make it and its folder "
            f"writable for your user, or choose another data folder.")
    if code == "SQLITE_FULL":
        return StorageError(f"The disk holding the practice history at {path} is full; free "
                            "some space and try again.")
    if code == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return StorageError(
            "That refers to a seller or take that is no longer in the practice history (it "
            "may have just been deleted); nothing was saved, refresh and try again.")
    if code.startswith("SQLITE_CONSTRAINT"):
        return StorageError(f"The practice history refused the change ({exc}); nothing was "
                            "saved.")
    if code.startswith("SQLITE_CANTOPEN"):
        return StorageError(
            f"The practice history at {path} cannot be opened ({exc}); check that its folder "
            "exists and that you may write to it.")
    if code.startswith("SQLITE_IOERR"):
        return StorageError(
            f"The disk reported an error while using the practice history at {path} ({exc}); "
            "check the disk, then try again.")
    return None


def _header_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a SQLite database, judged from its first 100 bytes, or None.

    A missing or empty file is fine (SQLite starts a new database in it). Read errors
    (permissions, a failing disk) are left to ``_access_problem`` and SQLite to report, so
    they are never mistaken for a damaged file.
    """
    try:
        if path.stat().st_size == 0:
            return None
        with open(path, "rb") as f:
            head = f.read(_SQLITE_HEADER_BYTES)
    except OSError:
        return None
    if len(head) < _SQLITE_HEADER_BYTES or not head.startswith(_SQLITE_MAGIC):
        return "file is not a database"
    return None


def open_store(path: Path, clock: Callable[[], float] = time.time, *,
               exclusive: bool = False) -> tuple[Store, str | None]:
    """Open the practice history; a damaged one is set aside and a fresh one started.

    Args:
        exclusive: take the data folder's lock first (the app, ``trainer forget``): a second
            copy is refused before it reads, sets aside or recovers anything. The store
            holds the lock until it is closed (or the process ends).

    Returns:
        The open store, and the one sentence to show the user when the old file was set
        aside or a damaged WAL copied (``None`` otherwise).

    Raises:
        DataFolderInUse: ``exclusive`` and another process has the data folder.
        NoPermission: the file or folder may not be read or written (nothing is touched).
        StorageError: the history cannot be opened or replaced (newer app version, locked).
    """
    folder_lock: DataFolderLock | None = None
    if exclusive:
        problem = _access_problem(path)  # before the lock file is created: touch nothing
        if problem:
            raise NoPermission(problem)
        try:
            paths.ensure_private_dir(path.parent)
        except OSError as exc:
            raise (NoPermission if denied(exc) else StorageError)(
                f"Cannot create the data folder {path.parent} ({exc.strerror}); choose "
                "another data folder.") from exc
        folder_lock = DataFolderLock.acquire(path)
    try:
        try:
            store = Store(path, clock, folder_lock)
            return store, store.note
        except CorruptStore as exc:
            reason = f" ({exc.reason})" if exc.reason else ""
            moved = set_aside(path, clock)
            store = Store(path, clock, folder_lock)
    except BaseException:
        if folder_lock is not None:
            folder_lock.release()
        raise
    return store, (
        f"Your practice history could not be read{reason}, so it was moved to {moved} "
        f"and a new one was started; your recordings are still in "
        f"{path.parent / 'recordings'}."
    )
