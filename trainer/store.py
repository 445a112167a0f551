"""The local record of practice: sellers and their attempts, in SQLite.

One file in the user's data folder, opened in WAL mode so a crash mid-write never corrupts
earlier attempts. An attempt row is created *before* recording starts (status ``recording``)
and completed after scoring, so an interrupted take can be found and recovered on the next
start. The schema carries a version (``PRAGMA user_version``) and migrates forward.

A damaged or unreadable file is never overwritten: ``Store`` refuses it (``CorruptStore``) and
``open_store`` renames it (with its WAL) to ``<name>.damaged-<time>.sqlite3`` beside the
original, then starts a fresh history and says where the old one went. Deleted rows are
overwritten with zeros (``secure_delete``), so "delete my data" leaves nothing to undelete.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer import paths
from trainer.errors import CorruptStore, StorageError

SCHEMA_VERSION = 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE sellers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at REAL NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        drill_id TEXT NOT NULL,
        scenario_id TEXT,
        scenario_json TEXT,
        started_at REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('recording', 'recorded', 'scored', 'failed')),
        audio_path TEXT,
        duration_s REAL,
        transcript TEXT,
        words_json TEXT,
        scorecard_json TEXT,
        score REAL,
        passed INTEGER,
        model TEXT,
        message TEXT
    );
    CREATE INDEX attempts_by_seller ON attempts (seller_id, started_at);
    """,
    # The three journeys. Each table belongs to one core module, which reads and writes it
    # through ``Store.transaction()`` / ``Store.query()``: company and stories
    # (``trainer.company``), scenarios (``trainer.calls``), written agendas
    # (``trainer.agendas``), 1:1s, certifications, overrides and action items
    # (``trainer.certification``), story hours (``trainer.storyhour``), card rounds
    # (``trainer.cards``). Everything a seller did goes when the seller is deleted (CASCADE);
    # a manager's approved stories have no seller and stay.
    2: """
    ALTER TABLE attempts ADD COLUMN context TEXT;
    CREATE TABLE company (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        profile_json TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        industry TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT '',
        pain TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL CHECK (source IN ('approved', 'story_hour')),
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        audio_path TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE scenarios (
        id TEXT PRIMARY KEY,
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        scenario_json TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE written_agendas (
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        interaction TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (seller_id, interaction)
    );
    CREATE TABLE one_on_ones (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        manager TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        feedback TEXT,
        notes TEXT
    );
    CREATE TABLE certifications (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        drill_id TEXT NOT NULL,
        one_on_one_id INTEGER REFERENCES one_on_ones(id) ON DELETE SET NULL,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        manager TEXT NOT NULL,
        app_score REAL,
        score REAL NOT NULL,
        passed INTEGER NOT NULL,
        comments TEXT NOT NULL DEFAULT '',
        certified_at REAL NOT NULL,
        due_at REAL
    );
    CREATE INDEX certifications_by_seller ON certifications (seller_id, drill_id, certified_at);
    CREATE TABLE overrides (
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        criterion_id TEXT NOT NULL,
        app_met INTEGER NOT NULL,
        met INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        manager TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (attempt_id, criterion_id)
    );
    CREATE TABLE action_items (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        one_on_one_id INTEGER REFERENCES one_on_ones(id) ON DELETE SET NULL,
        text TEXT NOT NULL,
        owner TEXT NOT NULL,
        due_at REAL,
        done_at REAL,
        created_at REAL NOT NULL
    );
    CREATE TABLE story_hours (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        roster_json TEXT NOT NULL
    );
    CREATE TABLE story_turns (
        id INTEGER PRIMARY KEY,
        story_hour_id INTEGER NOT NULL REFERENCES story_hours(id) ON DELETE CASCADE,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        position INTEGER NOT NULL
    );
    CREATE TABLE peer_ratings (
        turn_id INTEGER NOT NULL REFERENCES story_turns(id) ON DELETE CASCADE,
        rater TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        PRIMARY KEY (turn_id, rater, criterion_id)
    );
    CREATE TABLE card_rounds (
        id INTEGER PRIMARY KEY,
        game_id TEXT NOT NULL,
        player TEXT NOT NULL,
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        mode TEXT NOT NULL,
        card_id TEXT NOT NULL,
        answer TEXT,
        correct INTEGER NOT NULL,
        response_s REAL,
        played_at REAL NOT NULL
    );
    """,
}


@dataclass(frozen=True)
class Seller:
    id: int
    name: str


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
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        problem = _header_problem(path)
        if problem:
            # Refused before SQLite opens it: on a file with a broken header SQLite deletes the
            # WAL beside it on close, and the WAL may hold the most recent takes.
            raise CorruptStore(self._cannot_open(problem), reason=problem)
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
            raise StorageError(
                f"Cannot create the data folder {path.parent} ({exc.strerror}); "
                "choose another data folder."
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise self._open_error(exc) from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
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

    def _open_error(self, exc: sqlite3.DatabaseError) -> StorageError:
        """``CorruptStore`` when the file itself is bad; a plain ``StorageError`` otherwise.

        Only a damaged or unreadable file may be set aside: a locked database (another copy
        of the app), a full disk or a read-only folder leave the file untouched.
        """
        message = self._cannot_open(str(exc))
        code = getattr(exc, "sqlite_errorname", "")
        if code in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or (
                not isinstance(exc, sqlite3.OperationalError) and not code):
            return CorruptStore(message, reason=str(exc))
        return StorageError(message)

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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translate_errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, self._translate_errors():
            return self._db.execute(sql, params).fetchall()

    # Public for the core modules that own the journey tables (see ``_MIGRATIONS[2]``).
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
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"Could not use the practice history ({exc}); check free disk space."
            ) from exc
        except sqlite3.DatabaseError as exc:
            # Damage found mid-session: the next start sets the file aside (open_store).
            raise StorageError(
                f"The practice history is damaged ({exc}); restart the app to set it aside "
                "and start a fresh one."
            ) from exc

    def _migrate(self) -> None:
        version = self._query("PRAGMA user_version")[0][0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"The practice history at {self.path} was written by a newer version of the "
                "app; update the app to open it."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction() as db:
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")

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
            db.execute("INSERT OR IGNORE INTO sellers (name, created_at) VALUES (?, ?)",
                       (clean, self.clock()))
            row = db.execute("SELECT id, name FROM sellers WHERE name = ?", (clean,)).fetchone()
        return Seller(row["id"], row["name"])

    def sellers(self) -> list[Seller]:
        rows = self._query("SELECT id, name FROM sellers ORDER BY name")
        return [Seller(r["id"], r["name"]) for r in rows]

    def find_seller(self, name: str) -> Seller | None:
        """The seller with this name (any case, any spacing), without creating one."""
        clean = " ".join(name.split())
        rows = self._query("SELECT id, name FROM sellers WHERE name = ?", (clean,))
        return Seller(rows[0]["id"], rows[0]["name"]) if rows else None

    def attempt_count(self, seller: Seller) -> int:
        return int(self._query("SELECT COUNT(*) FROM attempts WHERE seller_id = ?",
                               (seller.id,))[0][0])

    def delete_seller(self, seller: Seller) -> list[Path]:
        """Delete a seller and every attempt of theirs; returns the audio paths they had.

        The rows are zeroed on disk (``secure_delete``) and the WAL is checkpointed and
        truncated, so no copy of the deleted text stays in either file. The caller deletes
        the audio files.
        """
        with self._transaction() as db:
            rows = db.execute("SELECT audio_path FROM attempts WHERE seller_id = ?",
                              (seller.id,)).fetchall()
            db.execute("DELETE FROM attempts WHERE seller_id = ?", (seller.id,))
            db.execute("DELETE FROM sellers WHERE id = ?", (seller.id,))
        with self._lock, self._translate_errors():
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return [Path(r["audio_path"]) for r in rows if r["audio_path"]]

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

    def unfinished_attempts(self) -> list[Attempt]:
        """Takes interrupted by a crash: recording never stopped cleanly, or never scored."""
        rows = self._query(
            "SELECT * FROM attempts WHERE status IN ('recording', 'recorded') ORDER BY id"
        )
        return [_row_to_attempt(r) for r in rows]


_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER_BYTES = 100


def _header_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a SQLite database, judged from its first 100 bytes, or None.

    A missing or empty file is fine (SQLite starts a new database in it); a file we may not
    read counts as damaged, since the app could never use it. Other read errors are left for
    SQLite to report, so a failing disk is not mistaken for a damaged file.
    """
    try:
        if path.stat().st_size == 0:
            return None
        with open(path, "rb") as f:
            head = f.read(_SQLITE_HEADER_BYTES)
    except FileNotFoundError:
        return None
    except PermissionError:
        return "permission denied"
    except OSError:
        return None
    if len(head) < _SQLITE_HEADER_BYTES or not head.startswith(_SQLITE_MAGIC):
        return "file is not a database"
    return None


def set_aside(path: Path, clock: Callable[[], float] = time.time) -> Path:
    """Rename a damaged database (and its WAL and shared-memory files) out of the way.

    The new name carries the time, ``trainer.damaged-20250102-093000.sqlite3``; nothing is
    deleted and no existing file is replaced (a second failure in the same second gets
    ``-2``). The WAL moves with its database: left behind, SQLite would replay it into the
    fresh file.

    Raises:
        StorageError: the file cannot be renamed (e.g. a read-only folder).
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    sidecars = ("", "-wal", "-shm", "-journal")
    for n in range(1, 1000):
        suffix = f"{stamp}" if n == 1 else f"{stamp}-{n}"
        target = path.with_name(f"{path.stem}.damaged-{suffix}{path.suffix}")
        if not any(Path(f"{target}{side}").exists() for side in sidecars):
            break
    try:
        for side in sidecars:
            source = Path(f"{path}{side}")
            if source.exists():
                os.rename(source, f"{target}{side}")
    except OSError as exc:
        raise StorageError(
            f"The practice history at {path} is damaged and cannot be moved aside "
            f"({exc.strerror}); choose another data folder."
        ) from exc
    return target


def open_store(path: Path, clock: Callable[[], float] = time.time) -> tuple[Store, str | None]:
    """Open the practice history; a damaged one is set aside and a fresh one started.

    Returns:
        The open store, and the one sentence to show the user when the old file was set
        aside (``None`` otherwise).

    Raises:
        StorageError: the history cannot be opened or replaced (newer app version, locked,
            read-only folder).
    """
    try:
        return Store(path, clock), None
    except CorruptStore as exc:
        moved = set_aside(path, clock)
        store = Store(path, clock)
        reason = f" ({exc.reason})" if exc.reason else ""
        return store, (
            f"Your practice history could not be read{reason}, so it was moved to {moved} "
            f"and a new one was started; your recordings are still in "
            f"{path.parent / 'recordings'}."
        )
