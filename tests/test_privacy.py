"""Private by construction: owner-only files, and "delete my data" that really deletes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from trainer.audio.recorder import Recorder
from trainer.coaching.practice import attempt_audio_path
from trainer.common.errors import UnknownSeller
from trainer.common.settings import Settings, load_settings, save_settings, settings_path
from trainer.store.database import _MIGRATIONS, Store, open_store
from trainer.store.privacy import forget_seller, privacy_note

ROOT = Path(__file__).parent.parent
SECRET = "our churn in Ohio doubled after the Zephyr merger"  # words only Ana said


def _take(store: Store, data_dir: Path, name: str, transcript: str | None = None) -> Path:
    seller = store.seller(name)
    wav = attempt_audio_path(data_dir, seller, "agenda")
    wav = wav.with_name(f"{wav.stem}-{len(store.attempts(seller))}.wav")
    wav.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SPEECH / "agenda_weak.wav", wav)
    attempt_id = store.begin_attempt(seller, "agenda", None, {"note": f"{name}'s scenario"}, wav)
    if transcript is None:
        store.mark_recorded(attempt_id, 13.6)
    else:
        card = {"drill": "agenda", "score": 40.0, "passed": False, "criteria": [],
                "transcript": transcript}
        store.save_result(attempt_id, transcript, [], card, "tiny.en", 13.6)
    return wav


def test_forget_deletes_one_sellers_rows_and_recordings(user_dirs: Path) -> None:
    db = user_dirs / "trainer.sqlite3"
    with Store(db) as store:
        ana_wavs = [_take(store, user_dirs, "Ana Lopez", f"So {SECRET}, right?"),
                    _take(store, user_dirs, "Ana Lopez")]
        stray = ana_wavs[0].parent / "abandoned.wav"  # a take whose row was never written
        stray.write_bytes(b"RIFF")
        bo_wav = _take(store, user_dirs, "Bo Chen", "Thanks for making time today.")

        report = forget_seller(store, user_dirs, "  ana   LOPEZ ")
        assert (report.seller, report.attempts, report.files_deleted, report.kept) == (
            "Ana Lopez", 2, 3, [])
        assert report.summary() == (
            "Deleted 2 takes and 3 recordings of Ana Lopez from this computer.")
        assert store.find_seller("Ana Lopez") is None
        assert [s.name for s in store.sellers()] == ["Bo Chen"]
        assert len(store.attempts()) == 1 and bo_wav.exists()
    assert not any(p.exists() for p in [*ana_wavs, stray, ana_wavs[0].parent])
    # Nothing left to undelete: neither the database nor its WAL holds her words or name.
    raw = b"".join(p.read_bytes() for p in user_dirs.glob("trainer.sqlite3*"))
    assert b"Zephyr" not in raw and b"Ana Lopez" not in raw
    assert b"Bo Chen" in raw  # (the check can see names that are still there)


def test_forget_clears_the_remembered_name(user_dirs: Path) -> None:
    save_settings(Settings(seller="Ana Lopez", drill="agenda"), settings_path(user_dirs))
    with Store(user_dirs / "trainer.sqlite3") as store:
        _take(store, user_dirs, "Ana Lopez")
        forget_seller(store, user_dirs, "ana lopez")
    remembered = load_settings(settings_path(user_dirs))
    assert remembered.seller == "" and remembered.drill == "agenda"


def test_files_outside_the_data_folder_are_reported_not_deleted(user_dirs: Path,
                                                                tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.wav"
    shutil.copyfile(SPEECH / "agenda_weak.wav", elsewhere)
    with Store(user_dirs / "trainer.sqlite3") as store:
        seller = store.seller("Ana Lopez")
        store.begin_attempt(seller, "agenda", None, None, elsewhere)
        report = forget_seller(store, user_dirs, "Ana Lopez")
    assert report.kept == [elsewhere] and elsewhere.exists()
    assert "could not be deleted" in report.summary() and str(elsewhere) in report.summary()


def test_a_wrong_name_lists_nobody(store: Store, user_dirs: Path) -> None:
    """Whoever is at the keyboard learns no names from a wrong one (issue 14)."""
    for name in ("Bo Chen", "Ana Lopez", "Carla Diaz"):
        store.seller(name)
    with pytest.raises(UnknownSeller) as info:
        forget_seller(store, user_dirs, "  Zed ")
    assert str(info.value) == "Nobody called 'Zed' has practised on this computer."
    # A typo of one name on file is pointed out; nothing else is said.
    with pytest.raises(UnknownSeller) as info:
        forget_seller(store, user_dirs, "ana lopes")
    assert str(info.value) == ("Nobody called 'ana lopes' has practised on this computer; "
                               "did you mean 'Ana Lopez'?")
    assert len(store.sellers()) == 3


def test_recordings_and_history_are_owner_only(user_dirs: Path) -> None:
    """Every folder and file the app creates for a take: no group or world access."""
    old_umask = os.umask(0o022)  # a typical desktop umask, whatever the test runner's
    try:
        with Store(user_dirs / "trainer.sqlite3") as store:
            seller = store.seller("Ana Lopez")
            wav = attempt_audio_path(user_dirs, seller, "agenda")
            store.begin_attempt(seller, "agenda", None, None, wav)
            recorder = Recorder(FakeSoundDevice(SPEECH / "agenda_weak.wav", speed=20.0))
            recorder.start(wav)
            deadline = time.monotonic() + 10
            while recorder.elapsed_s < 0.5 and time.monotonic() < deadline:
                time.sleep(0.02)
            recorder.stop()
            save_settings(Settings(seller="Ana Lopez"), settings_path(user_dirs))
            created = [user_dirs, *user_dirs.rglob("*")]  # while the WAL is still there
    finally:
        os.umask(old_umask)
    assert wav in created and user_dirs / "recordings" in created
    assert any(p.name.endswith("-wal") for p in created)
    loose = {str(p.relative_to(user_dirs.parent)): oct(stat.S_IMODE(p.stat().st_mode))
             for p in created if p.exists() and p.stat().st_mode & 0o077}
    assert loose == {}


def test_privacy_note_says_where_audio_is_kept(tmp_path: Path) -> None:
    note = privacy_note(tmp_path)
    assert str(tmp_path / "recordings") in note and "Internet" in note


# -- the command line ---------------------------------------------------------------------
def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainer", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_cli_forget_with_yes(user_dirs: Path) -> None:
    with Store(user_dirs / "trainer.sqlite3") as store:
        wav = _take(store, user_dirs, "Ana Lopez", "hello")
        _take(store, user_dirs, "Bo Chen")
    result = run("forget", "--seller", "ana lopez", "--yes", data_dir=user_dirs)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "Deleted 1 take and 1 recording of Ana Lopez from this computer.")
    assert not wav.exists()
    with Store(user_dirs / "trainer.sqlite3") as store:
        assert [s.name for s in store.sellers()] == ["Bo Chen"]


def test_cli_forget_never_deletes_without_a_yes(user_dirs: Path) -> None:
    with Store(user_dirs / "trainer.sqlite3") as store:
        wav = _take(store, user_dirs, "Ana Lopez")
    result = run("forget", "--seller", "Ana Lopez", data_dir=user_dirs)  # stdin: no terminal
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "trainer: Nothing was deleted: add --yes to delete without being asked.")
    assert wav.exists()


def test_cli_forget_unknown_seller(user_dirs: Path) -> None:
    with Store(user_dirs / "trainer.sqlite3") as store:
        store.seller("Bo Chen")
    result = run("forget", "--seller", "Nobody", "--yes", data_dir=user_dirs)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr == ("trainer: Nobody called 'Nobody' has practised on this "
                             "computer.\n")  # and Bo Chen's name is not in it


# -- issue 14: nothing of another seller deleted, nothing of this one left ------------------
def test_a_new_seller_after_a_set_aside_never_shares_a_folder(user_dirs: Path) -> None:
    """Ids restart at 1 in a fresh history; the recordings folder must not (it is named by a
    random uid), so forgetting the new seller leaves the old seller's recordings alone."""
    db = user_dirs / "trainer.sqlite3"
    with Store(db) as store:
        old_wav = _take(store, user_dirs, "Old Timer", "hello")
    db.write_bytes(b"this is not a database" * 100)  # damaged: set aside on the next start
    store, note = open_store(db)
    with store:
        assert note is not None and f"still in {user_dirs / 'recordings'}" in note
        new_wav = _take(store, user_dirs, "New Hire", "hi")
        new = store.find_seller("New Hire")
        assert new is not None and new.id == 1  # the same id as Old Timer had...
        assert new_wav.parent != old_wav.parent  # ...but not the same folder
        report = forget_seller(store, user_dirs, "New Hire")
    assert (report.files_deleted, report.kept) == (1, [])
    assert not new_wav.exists() and not new_wav.parent.exists()
    assert old_wav.exists()


def test_an_old_shared_folder_loses_only_the_files_the_rows_refer_to(user_dirs: Path) -> None:
    """A history from before uids (v2) whose seller 1 shares ``recordings/seller-1`` with the
    seller 1 of a history set aside earlier: forget deletes this seller's takes only."""
    shared = user_dirs / "recordings" / "seller-1"
    shared.mkdir(parents=True)
    theirs, mine = shared / "20250101-090000-agenda.wav", shared / "20250301-090000-agenda.wav"
    for wav in (theirs, mine):
        shutil.copyfile(SPEECH / "agenda_weak.wav", wav)
    db = sqlite3.connect(user_dirs / "trainer.sqlite3")
    db.executescript(_MIGRATIONS[1] + _MIGRATIONS[2])
    db.execute("INSERT INTO sellers (name, created_at) VALUES ('New Hire', 1.0)")
    db.execute("INSERT INTO attempts (seller_id, drill_id, started_at, status, audio_path) "
               "VALUES (1, 'agenda', 2.0, 'recorded', ?)", (str(mine),))
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Store(user_dirs / "trainer.sqlite3") as store:
        new = store.find_seller("New Hire")
        assert new is not None and new.uid is not None  # migrated: a uid for the next takes
        assert attempt_audio_path(user_dirs, new, "agenda").parent.name == f"seller-{new.uid}"
        report = forget_seller(store, user_dirs, "new hire")
    assert not mine.exists() and theirs.exists()
    assert (report.files_deleted, report.kept, report.shared_folders) == (1, [], [shared])
    assert report.summary() == (
        "Deleted 1 take and 1 recording of New Hire from this computer. "
        f"{shared} still hold(s) recordings none of their takes refers to (they may be "
        "another seller's, from a history set aside earlier), so it was left; look through "
        "it by hand.")


def test_forget_takes_the_ratings_a_seller_gave_and_their_roster_place(user_dirs: Path
                                                                        ) -> None:
    """``peer_ratings.rater`` holds a bare seller id: left behind, Ben's ratings would show
    under the next seller who gets his id."""
    with Store(user_dirs / "trainer.sqlite3") as store:
        ana, ben = store.seller("Ana"), store.seller("Ben")
        with store.transaction() as tx:
            hour = tx.execute(
                "INSERT INTO story_hours (started_at, roster_json) VALUES (1.0, ?)",
                (json.dumps({"seller_ids": [ana.id, ben.id], "scenario_id": None}),)).lastrowid
            turn = tx.execute("INSERT INTO story_turns (story_hour_id, seller_id, position) "
                              "VALUES (?, ?, 0)", (hour, ana.id)).lastrowid
            tx.execute("INSERT INTO story_turns (story_hour_id, seller_id, position) "
                       "VALUES (?, ?, 1)", (hour, ben.id))
            tx.executemany("INSERT INTO peer_ratings VALUES (?, ?, ?, 5)",
                           [(turn, str(ben.id), "hook"), (turn, str(ben.id), "outcome")])
        forget_seller(store, user_dirs, "Ben")
        assert store.query("SELECT * FROM peer_ratings") == []
        roster = json.loads(store.query("SELECT roster_json FROM story_hours")[0][0])
        assert roster == {"seller_ids": [ana.id], "scenario_id": None}
        assert store.seller("Cy").id == ben.id  # the id comes back; Ben's ratings do not
        assert store.query("SELECT * FROM peer_ratings WHERE turn_id = ?", (turn,)) == []


def test_forget_names_the_damaged_copies_and_deletes_them_when_asked(user_dirs: Path) -> None:
    db = user_dirs / "trainer.sqlite3"
    with Store(db) as store:
        _take(store, user_dirs, "Ana Lopez", f"So {SECRET}, right?")
    copy = user_dirs / "trainer.damaged-20250101-090000.sqlite3"
    shutil.copyfile(db, copy)  # what a set-aside history looks like: her words are in it
    Path(f"{copy}-wal").write_bytes(b"wal")
    with Store(db) as store:
        report = forget_seller(store, user_dirs, "Ana Lopez")
        assert report.damaged_copies == [copy] and report.copies_deleted == 0
        assert report.summary().endswith(
            " 1 damaged copy(ies) of the practice history, set aside earlier, may still hold "
            f"their transcripts: {copy}.")
        assert copy.exists()
        _take(store, user_dirs, "Ana Lopez")
        report = forget_seller(store, user_dirs, "Ana Lopez", include_damaged_copies=True)
    assert (report.damaged_copies, report.copies_deleted) == ([], 1)
    assert "Deleted 1 damaged copy(ies)" in report.summary()
    assert not copy.exists() and not Path(f"{copy}-wal").exists()
    assert db.exists()  # the history itself stays


def test_cli_forget_offers_the_damaged_copies(user_dirs: Path) -> None:
    db = user_dirs / "trainer.sqlite3"
    with Store(db) as store:
        _take(store, user_dirs, "Ana Lopez", "hello")
    copy = user_dirs / "trainer.damaged-20250101-090000.sqlite3"
    shutil.copyfile(db, copy)
    result = run("forget", "--seller", "Ana Lopez", "--yes", data_dir=user_dirs)
    assert result.returncode == 0, result.stderr
    assert f"may still hold their transcripts: {copy}." in result.stdout and copy.exists()
    with Store(db) as store:
        _take(store, user_dirs, "Ana Lopez", "hello")
    result = run("forget", "--seller", "Ana Lopez", "--yes", "--include-damaged-copies",
                 data_dir=user_dirs)
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 damaged copy(ies)" in result.stdout and not copy.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_forget_at_a_terminal_asks_about_the_damaged_copies(user_dirs: Path) -> None:
    import pty

    db = user_dirs / "trainer.sqlite3"
    with Store(db) as store:
        wav = _take(store, user_dirs, "Ana Lopez", "hello")
    copy = user_dirs / "trainer.damaged-20250101-090000.sqlite3"
    shutil.copyfile(db, copy)
    main, terminal = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "trainer", "--data-dir", str(user_dirs), "forget",
             "--seller", "Ana Lopez"], stdin=terminal, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=ROOT)
        os.write(main, b"y\ny\n")  # delete her data; and the damaged copy too
        out, err = child.communicate(timeout=120)
    finally:
        os.close(terminal)
        os.close(main)
    assert child.returncode == 0, err
    assert "Delete all 1 takes and recordings of Ana Lopez" in out
    assert f"may still hold Ana Lopez's transcripts: {copy}." in out
    assert "Deleted 1 damaged copy(ies)" in out
    assert not wav.exists() and not copy.exists()
