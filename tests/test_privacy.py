"""Private by construction: owner-only files, and "delete my data" that really deletes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from trainer.errors import UnknownSeller
from trainer.practice import attempt_audio_path
from trainer.privacy import forget_seller, privacy_note
from trainer.recorder import Recorder
from trainer.settings import Settings, load_settings, save_settings, settings_path
from trainer.store import Store

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


def test_unknown_seller_is_one_sentence(store: Store, user_dirs: Path) -> None:
    store.seller("Bo Chen")
    with pytest.raises(UnknownSeller, match="Nobody called 'Ana' .*names on file: Bo Chen"):
        forget_seller(store, user_dirs, "Ana")


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
    assert "Nobody called 'Nobody'" in result.stderr
