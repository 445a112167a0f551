"""The SQLite store: round trips, schema version, and clear errors for a broken file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trainer.errors import StorageError
from trainer.store import SCHEMA_VERSION, Store


def test_attempt_round_trip(store: Store, tmp_path: Path) -> None:
    seller = store.seller("  Jordan   Lee ")
    assert seller.name == "Jordan Lee"
    assert store.seller("jordan lee").id == seller.id  # names are case-insensitive
    scenario = {"prospect": {"company": "Northwind"}}
    attempt_id = store.begin_attempt(seller, "agenda", "northwind", scenario, tmp_path / "a.wav")
    card = {"drill": "agenda", "score": 85.0, "passed": True, "criteria": []}
    words = [{"word": "Hello", "start": 0.0, "end": 0.4, "probability": 0.9}]
    store.save_result(attempt_id, "Hello", words, card, "base", duration_s=12.5)
    attempt = store.attempt(attempt_id)
    assert (attempt.status, attempt.score, attempt.passed, attempt.model) == (
        "scored", 85.0, True, "base")
    assert attempt.scorecard == card and attempt.words == words
    assert attempt.scenario == scenario and attempt.duration_s == 12.5
    assert attempt.audio_path == tmp_path / "a.wav"


def test_history_is_per_seller_and_newest_first(tmp_path: Path) -> None:
    ticks = iter(range(100, 200))
    with Store(tmp_path / "s.sqlite3", clock=lambda: float(next(ticks))) as store:
        ana, ben = store.seller("Ana"), store.seller("Ben")
        first = store.begin_attempt(ana, "agenda", None, None, None)
        store.begin_attempt(ben, "agenda", None, None, None)
        second = store.begin_attempt(ana, "agenda", None, None, None)
        assert [a.id for a in store.attempts(ana)] == [second, first]
        assert [s.name for s in store.sellers()] == ["Ana", "Ben"]


def test_failed_attempt_keeps_its_message(store: Store) -> None:
    seller = store.seller("Ana")
    attempt_id = store.begin_attempt(seller, "agenda", None, None, None)
    store.mark_failed(attempt_id, "We didn't hear you.")
    attempt = store.attempt(attempt_id)
    assert attempt.status == "failed" and attempt.message == "We didn't hear you."
    assert store.unfinished_attempts() == []


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="newer version"):
        Store(path)


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot be opened") as info:
        Store(path)
    assert "\n" not in str(info.value)
    assert path.read_bytes().startswith(b"this is not")  # never silently overwritten


def test_data_folder_is_owner_only(tmp_path: Path) -> None:
    with Store(tmp_path / "new" / "s.sqlite3"):
        pass
    assert (tmp_path / "new").stat().st_mode & 0o077 == 0
