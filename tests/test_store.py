"""The SQLite store: round trips, schema version, and a damaged file set aside, never lost."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainer.common.errors import CorruptStore, StorageError
from trainer.store.database import SCHEMA_VERSION, Store, open_store


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


def test_failed_attempt_keeps_its_message(tmp_path: Path) -> None:
    store, _ = open_store(tmp_path / "trainer.sqlite3", exclusive=True)
    with store:
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


def test_a_version_1_history_migrates_and_keeps_its_attempts(tmp_path: Path) -> None:
    from trainer.store.database import _MIGRATIONS

    path = tmp_path / "s.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1])
    db.execute("INSERT INTO sellers (name, created_at) VALUES ('Ana', 1.0)")
    db.execute("INSERT INTO attempts (seller_id, drill_id, started_at, status, score) "
               "VALUES (1, 'agenda', 2.0, 'scored', 80.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        (attempt,) = store.attempts()
        assert (attempt.drill_id, attempt.score, attempt.context) == ("agenda", 80.0, None)
        seller = store.seller("Ana")
        assert seller.id == 1 and seller.uid is not None  # v3: an old seller gets a uid too
        assert seller.folder == f"seller-{seller.uid}" and len(seller.uid) == 32
        new_id = store.begin_attempt(seller, "value_prop", None, None, None,
                                     context="certification:1")
        assert store.attempt(new_id).context == "certification:1"
        with store.transaction() as tx:
            tx.execute("INSERT INTO written_agendas VALUES (?, 'discovery', 'Purpose...', 3.0)",
                       (seller.id,))
        assert store.query("SELECT text FROM written_agendas")[0]["text"] == "Purpose..."
        # Forgetting the seller takes the journey rows with it.
        store.delete_seller(seller)
        assert store.query("SELECT COUNT(*) FROM written_agendas")[0][0] == 0


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


# -- a damaged or unreadable history is set aside, never overwritten -------------------------
def _history_with_takes(path: Path, takes: int = 200) -> None:
    with Store(path) as store:
        seller = store.seller("Ana")
        for _ in range(takes):
            store.begin_attempt(seller, "agenda", None, {"notes": "x" * 400}, None)


def _scribble(path: Path, offset: int, size: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(bytes(range(256)) * (size // 256))


def _damaged(kind: str, path: Path) -> None:
    if kind == "not a database":
        path.write_bytes(b"this is not a database" * 100)
    elif kind == "garbled pages":
        _history_with_takes(path)
        _scribble(path, 3 * 4096, 5 * 4096)
    elif kind == "cut in half":
        _history_with_takes(path)
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size // 2)
    elif kind == "header only":
        _history_with_takes(path)
        with open(path, "r+b") as f:
            f.truncate(60)
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["not a database", "garbled pages", "cut in half",
                                  "header only"])
def test_damaged_history_is_set_aside_and_a_fresh_one_started(tmp_path: Path,
                                                              kind: str) -> None:
    path = tmp_path / "trainer.sqlite3"
    _damaged(kind, path)
    original = path.read_bytes()
    with pytest.raises(CorruptStore):
        Store(path)  # the store itself never moves or changes the file
    assert path.read_bytes() == original

    store, message = open_store(path, clock=lambda: 1_767_000_000.0)
    with store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.attempts() == []
        store.begin_attempt(store.seller("Ana"), "agenda", None, None, None)  # and it works
    moved = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert [p.name for p in moved] == [
        "trainer.damaged-" + time.strftime("%Y%m%d-%H%M%S",
                                           time.localtime(1_767_000_000)) + ".sqlite3"]
    assert moved[0].read_bytes() == original  # byte for byte, never overwritten
    assert message is not None and "\n" not in message
    assert f"moved to {moved[0]}" in message and message.startswith(
        "Your practice history could not be read")


def test_setting_aside_twice_in_one_second_keeps_both(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    clock = lambda: 1_767_000_000.0  # noqa: E731 - a frozen clock
    contents = []
    for n in range(3):
        path.write_bytes(f"damaged file number {n}".encode() * 50)
        contents.append(path.read_bytes())
        open_store(path, clock)[0].close()
        path.unlink()
    moved = sorted(tmp_path.glob("*.damaged-*"), key=lambda p: p.stat().st_mtime_ns)
    assert len(moved) == 3
    assert sorted(p.read_bytes() for p in moved) == sorted(contents)
    assert {p.name.endswith(("-2.sqlite3", "-3.sqlite3")) for p in moved} == {False, True}


def test_the_wal_moves_with_its_database(tmp_path: Path) -> None:
    """A WAL left beside a fresh database would be replayed into it; it must move too."""
    path = tmp_path / "trainer.sqlite3"
    _history_with_takes(path, takes=5)
    wal = Path(f"{path}-wal")
    wal.write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 2000)  # a WAL header, then nothing useful
    _scribble(path, 0, 512)  # and a database header that is no longer SQLite's
    store, message = open_store(path)
    store.close()
    assert message is not None
    moved = next(tmp_path.glob("*.damaged-*.sqlite3"))
    assert Path(f"{moved}-wal").read_bytes().startswith(b"\x37\x7f\x06\x82")


def test_a_newer_history_is_not_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="newer version") as info:
        open_store(path)
    assert not isinstance(info.value, CorruptStore)
    assert [p.name for p in tmp_path.iterdir()] == ["trainer.sqlite3"]


def test_a_locked_history_is_not_set_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """Another copy of the app holding the file is not damage: leave the file alone."""
    path = tmp_path / "trainer.sqlite3"
    _history_with_takes(path, takes=3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(sqlite3, "connect",
                        lambda *a, **k: sqlite3.Connection(*a, **{**k, "timeout": 0.2}))
    try:
        with pytest.raises(StorageError) as info:
            open_store(path)
        assert not isinstance(info.value, CorruptStore)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*.damaged-*"))
    with Store(path) as store:
        assert len(store.attempts()) == 3


def _without_root_read_override() -> list[str]:
    """A command prefix under which file permissions apply (root normally bypasses them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: every file is readable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_an_unreadable_history_is_not_set_aside(tmp_path: Path) -> None:
    """Permission denied is not damage: one sentence, and the file stays where it is."""
    path = tmp_path / "trainer.sqlite3"
    _history_with_takes(path, takes=3)
    original = path.read_bytes()
    path.chmod(0)
    child = ("import sys; from pathlib import Path; from trainer.store.database import open_store\n"
             "from trainer.common.errors import NoPermission\n"
             "try:\n"
             "    open_store(Path(sys.argv[1]))\n"
             "except NoPermission as exc:\n"
             "    print(exc)\n")
    result = subprocess.run([*_without_root_read_override(), sys.executable, "-c", child,
                             str(path)], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"You may not read the practice history at {path} (permission denied); give your "
        "user read and write access to it or choose another data folder (nothing was "
        "changed).")
    assert [p.name for p in tmp_path.iterdir()] == ["trainer.sqlite3"]
    path.chmod(0o600)
    assert path.read_bytes() == original


def test_an_empty_version_0_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    sqlite3.connect(path).close()  # an empty SQLite file: version 0, no tables
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.begin_attempt(store.seller("Ana"), "agenda", None, None, None)
    with Store(path) as again:  # and reopening does not migrate twice
        assert len(again.attempts()) == 1


def test_damage_found_mid_session_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    _history_with_takes(path)
    with Store(path) as store:
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _scribble(path, 3 * 4096, 20 * 4096)
        store._db.execute("PRAGMA cache_size=0")  # make the next read go to the disk
        with pytest.raises(StorageError) as info:
            store.attempts(limit=1000)
    assert "restart the app" in str(info.value) and "\n" not in str(info.value)
