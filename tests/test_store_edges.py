"""The store at its edges (issue 14): a damaged WAL, two copies of the app, permissions,
two processes opening a new history at once, and errors that name their real cause."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SPEECH
from tests.test_store import _without_root_read_override
from trainer.coaching.practice import recover_unfinished
from trainer.common.errors import DataFolderInUse, NoPermission, StorageError
from trainer.store.database import SCHEMA_VERSION, Store, open_store
from trainer.store.datafolder import wal_damage

ROOT = Path(__file__).parent.parent
FROZEN = 1_767_000_000.0
STAMP = time.strftime("%Y%m%d-%H%M%S", time.localtime(FROZEN))


# -- a damaged WAL frame ---------------------------------------------------------------------
def _crash_snapshot(tmp_path: Path, takes: int = 5) -> Path:
    """A history as a crash leaves it: its latest commits only in the WAL."""
    live = tmp_path / "live" / "trainer.sqlite3"
    crashed = tmp_path / "crashed" / "trainer.sqlite3"
    crashed.parent.mkdir()
    store = Store(live)
    seller = store.seller("Ana")
    for n in range(takes):
        store.begin_attempt(seller, "agenda", None, {"take": n}, None)
    for side in ("", "-wal"):
        shutil.copyfile(f"{live}{side}", f"{crashed}{side}")
    store.close()
    return crashed


def _frames(wal: Path) -> tuple[int, int]:
    """(page size, number of whole frames) of a WAL file."""
    page_size = struct.unpack(">I", wal.read_bytes()[8:12])[0]
    return page_size, (wal.stat().st_size - 32) // (24 + page_size)


def _frame_offset(wal: Path, index: int) -> int:
    page_size, count = _frames(wal)
    return 32 + (index % count) * (24 + page_size)


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_wal_frame_is_copied_aside_and_said(tmp_path: Path) -> None:
    """SQLite replays a WAL up to its first bad frame and deletes it on close: the last
    committed take would vanish without a word. A copy is kept first, and the user told."""
    path = _crash_snapshot(tmp_path)
    wal = Path(f"{path}-wal")
    last = _frames(wal)[1]
    _flip(wal, _frame_offset(wal, -1) + 24 + 100)  # the page of the last commit frame
    damaged, db_bytes = wal.read_bytes(), path.read_bytes()

    store, message = open_store(path, clock=lambda: FROZEN)
    with store:
        assert len(store.attempts()) == 4  # the history opens without the last take
    copy = path.with_name(f"trainer.damaged-{STAMP}.sqlite3")
    assert message == (
        f"The latest changes to your practice history could not be read back (frame {last} "
        f"of its write-ahead log is damaged), so a copy of the history with them was kept at "
        f"{copy}; it was opened without them.")
    assert Path(f"{copy}-wal").read_bytes() == damaged  # byte for byte, before SQLite ran
    assert copy.read_bytes() == db_bytes
    assert oct(copy.stat().st_mode & 0o777) == "0o600"


def test_a_damaged_wal_header_is_copied_aside(tmp_path: Path) -> None:
    """A WAL whose header fails its checksum is ignored whole by SQLite."""
    path = _crash_snapshot(tmp_path)
    wal = Path(f"{path}-wal")
    _flip(wal, 17)  # a salt byte
    damaged = wal.read_bytes()
    store, message = open_store(path, clock=lambda: FROZEN)
    store.close()
    assert message is not None and "(its header is damaged)" in message
    copy = path.with_name(f"trainer.damaged-{STAMP}.sqlite3")
    assert Path(f"{copy}-wal").read_bytes() == damaged


def test_a_sound_wal_after_a_crash_opens_without_a_word(tmp_path: Path) -> None:
    path = _crash_snapshot(tmp_path)
    store, message = open_store(path)
    with store:
        assert len(store.attempts()) == 5
    assert message is None
    assert not list(path.parent.glob("*.damaged-*"))


def test_a_torn_frame_of_an_uncommitted_write_is_not_damage(tmp_path: Path) -> None:
    """A frame cut short by a crash belongs to a transaction that never committed: SQLite
    loses nothing by ignoring it, so nothing is copied and nothing is said."""
    path = _crash_snapshot(tmp_path)
    wal = Path(f"{path}-wal")
    head = bytearray(wal.read_bytes()[_frame_offset(wal, -1):][:24])
    head[4:8] = b"\x00\x00\x00\x00"  # not a commit frame
    with open(wal, "ab") as f:
        f.write(bytes(head) + b"\x5a" * _frames(wal)[0])  # same salts, wrong checksum
    assert wal_damage(wal) is None
    store, message = open_store(path)
    with store:
        assert len(store.attempts()) == 5
    assert message is None and not list(path.parent.glob("*.damaged-*"))


WRITER = """
import sys
from pathlib import Path
from trainer.store.database import Store

store = Store(Path(sys.argv[1]))
seller = store.seller("Ana")
for n in range(int(sys.argv[2])):
    store.begin_attempt(seller, "agenda", None, {"take": n, "notes": "x" * 3000}, None)
print("done", flush=True)
sys.stdin.read()  # killed here
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_a_killed_writer_leaves_a_wal_that_is_not_called_damaged(tmp_path: Path) -> None:
    """A real WAL after SIGKILL, restarted several times by checkpoints (frames of older
    generations left behind it): no false alarm, nothing lost."""
    path = tmp_path / "trainer.sqlite3"
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path), "1500"], cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "done"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal_damage(wal) is None
    store, message = open_store(path)
    with store:
        assert len(store.attempts(limit=5000)) == 1500
    assert message is None and not list(tmp_path.glob("*.damaged-*"))


def test_a_frame_read_mid_write_is_not_kept_as_damage(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Read before the write lock, a frame another process is still writing looks damaged;
    under the lock it is whole again, and the copy made just in case is removed."""
    import trainer.store.database

    path = _crash_snapshot(tmp_path)
    verdicts = iter(["frame 3 of its write-ahead log is damaged", None])
    monkeypatch.setattr(trainer.store.database, "wal_damage", lambda wal: next(verdicts))
    store, message = open_store(path)
    store.close()
    assert message is None
    assert not list(path.parent.glob("*.damaged-*"))


# -- one copy of the app per data folder ----------------------------------------------------
HOLDER = """
import sys, time
from pathlib import Path
from tests.fakes import FakeSoundDevice
from trainer.coaching.practice import attempt_audio_path
from trainer.audio.recorder import Recorder
from trainer.store.database import open_store

data, source = map(Path, sys.argv[1:3])
store, _ = open_store(data / "trainer.sqlite3", exclusive=True)
seller = store.seller("Ana Lopez")
wav = attempt_audio_path(data, seller, "agenda")
attempt_id = store.begin_attempt(seller, "agenda", None, None, wav)
recorder = Recorder(FakeSoundDevice(source, speed=1.0))
recorder.start(wav)
print(attempt_id, wav, flush=True)
while True:  # recording until killed
    time.sleep(1)
"""

RECOVER = """
import sys
from pathlib import Path
from trainer.common.errors import TrainerError
from trainer.coaching.practice import recover_unfinished
from trainer.store.database import Store

with Store(Path(sys.argv[1])) as store:
    try:
        print(recover_unfinished(store))
    except TrainerError as exc:
        print(exc)
"""


def _in_use(data: Path) -> str:
    return (f"trainer: The trainer is already open with the data folder {data} (in another "
            "window, or a command still running); close it first, or choose another data "
            "folder.\n")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_a_second_copy_never_recovers_a_take_still_recording(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "trainer.sqlite3"
    env = {**os.environ, "TRAINER_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen",
           "TRAINER_SCREENSHOT": str(tmp_path / "shot.png")}  # quits if it ever opens
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(data),
                           str(SPEECH / "agenda_good.wav")], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as holder:
        try:
            assert holder.stdout is not None
            attempt, wav_name = holder.stdout.readline().split(maxsplit=1)
            wav = Path(wav_name.strip())
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    wav.exists() and wav.stat().st_size > 44 + 16000 * 2):
                time.sleep(0.05)
            size_before = wav.stat().st_size

            forget = subprocess.run([sys.executable, "-m", "trainer", "forget", "--seller",
                                     "Ana Lopez", "--yes"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=120)
            assert (forget.returncode, forget.stderr) == (2, _in_use(data))
            app = subprocess.run([sys.executable, "-m", "trainer"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=180)
            assert app.returncode == 2 and app.stderr.endswith(_in_use(data)), app.stderr
            other = subprocess.run([sys.executable, "-c", RECOVER, str(path)], cwd=ROOT,
                                   capture_output=True, text=True, timeout=60)
            assert other.stdout.strip() == (
                "Interrupted takes can be recovered only by the copy of the trainer that has "
                "the data folder to itself."), other.stderr

            with Store(path) as look:
                assert look.attempt(int(attempt)).status == "recording"  # still its own
            assert wav.stat().st_size >= size_before  # still growing, never "repaired"
        finally:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
    # The lock died with the process: the next start recovers the take.
    store, _ = open_store(path, exclusive=True)
    with store:
        assert recover_unfinished(store) == [int(attempt)]


def test_one_store_per_data_folder_in_one_process_too(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    first, _ = open_store(path, exclusive=True)
    with pytest.raises(DataFolderInUse):
        open_store(path, exclusive=True)
    assert first.holds_data_folder
    first.close()
    again, _ = open_store(path, exclusive=True)  # closing released it
    again.close()
    with Store(path) as plain:
        assert not plain.holds_data_folder
        with pytest.raises(StorageError, match="only by the copy of the trainer"):
            plain.unfinished_attempts()


# -- permission problems are not damage ----------------------------------------------------
OPEN_EACH = """
import json, sys
from pathlib import Path
from trainer.common.errors import TrainerError
from trainer.store.database import open_store

out = {}
for folder in sys.argv[1:]:
    try:
        store, note = open_store(Path(folder) / "trainer.sqlite3", exclusive=True)
        store.close()
        out[Path(folder).name] = ["opened", note]
    except TrainerError as exc:
        out[Path(folder).name] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_permission_problems_are_said_and_nothing_is_touched(tmp_path: Path) -> None:
    prefix = _without_root_read_override()
    cases: dict[str, Callable[[Path], None]] = {
        "unreadable": lambda d: (d / "trainer.sqlite3").chmod(0),
        "read-only-file": lambda d: (d / "trainer.sqlite3").chmod(0o400),
        "read-only-folder": lambda d: d.chmod(0o500),
        "damaged-in-read-only-folder": lambda d: (
            (d / "trainer.sqlite3").write_bytes(b"not a database" * 100), d.chmod(0o500)),
        "closed-folder": lambda d: d.chmod(0o600),
    }
    before = {}
    for name, spoil in cases.items():
        folder = tmp_path / name
        with Store(folder / "trainer.sqlite3") as store:
            store.begin_attempt(store.seller("Ana"), "agenda", None, None, None)
        spoil(folder)
        before[name] = _snapshot(folder)  # root reads everything
    result = subprocess.run([*prefix, sys.executable, "-c", OPEN_EACH,
                             *(str(tmp_path / name) for name in cases)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout)
    db = {name: tmp_path / name / "trainer.sqlite3" for name in cases}
    unchanged = "(nothing was changed)"
    assert said == {
        "unreadable": ["NoPermission", (
            f"You may not read the practice history at {db['unreadable']} (permission "
            f"denied); give your user read and write access to it or choose another data "
            f"folder {unchanged}.")],
        "read-only-file": ["NoPermission", (
            f"The practice history at {db['read-only-file']} is read-only for you; make it "
            f"writable or choose another data folder {unchanged}.")],
        "read-only-folder": ["NoPermission", (
            f"The data folder {tmp_path / 'read-only-folder'} is read-only for you; make it "
            f"writable or choose another data folder {unchanged}.")],
        "damaged-in-read-only-folder": ["NoPermission", (
            f"The data folder {tmp_path / 'damaged-in-read-only-folder'} is read-only for "
            f"you; make it writable or choose another data folder {unchanged}.")],
        "closed-folder": ["NoPermission", (
            f"You may not open the data folder {tmp_path / 'closed-folder'} (permission "
            f"denied); give your user access to it or choose another data folder "
            f"{unchanged}.")],
    }
    for name in cases:
        assert _snapshot(tmp_path / name) == before[name], name  # not a byte, not a file


def test_cli_forget_on_a_closed_folder_is_one_sentence(tmp_path: Path) -> None:
    prefix = _without_root_read_override()
    data = tmp_path / "data"
    with Store(data / "trainer.sqlite3") as store:
        store.seller("Ana")
    data.chmod(0o600)
    result = subprocess.run([*prefix, sys.executable, "-m", "trainer", "--data-dir", str(data),
                             "forget", "--seller", "Ana", "--yes"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    data.chmod(0o700)
    assert result.returncode == 2
    assert result.stderr == (
        f"trainer: You may not open the data folder {data} (permission denied); give your "
        "user access to it or choose another data folder (nothing was changed).\n")


# -- two processes opening a new history at once ---------------------------------------------
RACER = """
import sys, time
from pathlib import Path
from trainer.common.errors import TrainerError
from trainer.store.database import Store

path, go, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
while not go.exists():
    time.sleep(0.001)
try:
    with Store(path) as store:
        store.seller(name)
    print("ok")
except TrainerError as exc:
    print(exc)
"""


def test_six_processes_opening_a_new_history_at_once(tmp_path: Path) -> None:
    """The schema version is read inside the migrating transaction: before, 3 of 6 failed
    with "table sellers already exists; check free disk space"."""
    for run in range(2):
        path, go = tmp_path / f"run{run}" / "trainer.sqlite3", tmp_path / f"go{run}"
        racers = [subprocess.Popen([sys.executable, "-c", RACER, str(path), str(go), f"S{n}"],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True) for n in range(6)]
        time.sleep(1.0)  # let them all import and wait at the line (not a Qt wait)
        go.touch()
        said = [racer.communicate(timeout=120)[0].strip() for racer in racers]
        assert said == ["ok"] * 6
        with Store(path) as store:
            assert store.schema_version == SCHEMA_VERSION
            assert sorted(s.name for s in store.sellers()) == [f"S{n}" for n in range(6)]


# -- errors name their real cause ------------------------------------------------------------
def test_a_lock_held_elsewhere_says_so(store: Store) -> None:
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store._db.execute("PRAGMA busy_timeout=100")  # do not wait the full 5 s in a test
    try:
        with pytest.raises(StorageError) as info:
            store.seller("Ana")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(info.value) == (
        f"The practice history at {store.path} stayed locked by another program (another "
        "copy of the trainer?); close it and try again.")


def test_a_write_refused_as_read_only_says_so(store: Store) -> None:
    store._db.execute("PRAGMA query_only=1")  # SQLite answers SQLITE_READONLY, as on a RO file
    with pytest.raises(NoPermission) as info:
        store.seller("Ana")
    assert str(info.value).startswith(f"The practice history at {store.path} is read-only")
    assert "disk space" not in str(info.value)


def test_a_full_history_says_the_disk_is_full(store: Store) -> None:
    seller = store.seller("Ana")
    pages = store.query("PRAGMA page_count")[0][0]
    store._db.execute(f"PRAGMA max_page_count={pages}")  # what a full disk looks like to SQLite
    with pytest.raises(StorageError) as info:
        store.begin_attempt(seller, "agenda", None, {"x": "y" * 20000}, None)
    assert str(info.value) == (
        f"The disk holding the practice history at {store.path} is full; free some space "
        "and try again.")


def test_a_row_of_someone_deleted_meanwhile_is_not_called_damage(store: Store) -> None:
    with pytest.raises(StorageError) as info, store.transaction() as tx:
        tx.execute("INSERT INTO written_agendas VALUES (999, 'discovery', 'Purpose', 1.0)")
    assert str(info.value) == (
        "That refers to a seller or take that is no longer in the practice history (it may "
        "have just been deleted); nothing was saved, refresh and try again.")


def test_a_folder_in_place_of_the_file_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "trainer.sqlite3"
    path.mkdir()
    with pytest.raises(StorageError) as info:
        open_store(path)
    assert str(info.value) == (
        f"The practice history at {path} cannot be opened (unable to open database file); "
        "check that its folder exists and that you may write to it.")
    assert [p.name for p in tmp_path.iterdir()] == ["trainer.sqlite3"]  # not set aside


def test_a_disk_error_says_so(store: Store) -> None:
    """SQLITE_IOERR cannot be made on demand; the error SQLite raises is faked, not the
    mapping."""
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorname = "SQLITE_IOERR_WRITE"  # type: ignore[attr-defined]

    def fail() -> None:
        raise error

    with pytest.raises(StorageError) as info, store.transaction():
        fail()
    assert str(info.value) == (
        f"The disk reported an error while using the practice history at {store.path} "
        "(disk I/O error); check the disk, then try again.")
