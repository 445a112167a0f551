"""A take survives SIGKILL: the WAV on disk is playable and the attempt is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer.audio.wavio import read_audio
from trainer.coaching.practice import recover_unfinished
from trainer.store.database import open_store

SOURCE = SPEECH / "agenda_good.wav"
ROOT = Path(__file__).parent.parent

CHILD = """
import sys, time
from pathlib import Path
from tests.fakes import FakeSoundDevice
from trainer.audio.recorder import Recorder
from trainer.store.database import Store

db, wav, source = map(Path, sys.argv[1:4])
store = Store(db)
seller = store.seller("Crash Tester")
store.begin_attempt(seller, "agenda", "northwind-finance", None, wav)
recorder = Recorder(FakeSoundDevice(source, speed=1.0))
recorder.start(wav)
print("started", flush=True)
while True:  # recording until killed
    time.sleep(1)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_sigkill_mid_recording_leaves_a_recoverable_take(tmp_path: Path) -> None:
    db, wav = tmp_path / "trainer.sqlite3", tmp_path / "rec" / "take.wav"
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(wav), str(SOURCE)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "started"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # wait for ~2.5 s of audio on disk
                if wav.exists() and wav.stat().st_size > 44 + 2.5 * 16000 * 2:
                    break
                time.sleep(0.05)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == -signal.SIGKILL

    on_disk = wav.stat().st_size
    audio = read_audio(wav)  # readable before any repair
    assert audio.size >= 2.5 * 16000
    assert audio.size * 2 + 44 >= on_disk - 2 * 1600 * 2  # at most the last block unaccounted
    source = read_audio(SOURCE)[: audio.size]
    assert np.max(np.abs(audio - source)) < 2 / 32768  # the audio up to the kill, intact

    store, _ = open_store(db, exclusive=True)  # only the one app on the folder recovers
    with store:
        assert [a.status for a in store.unfinished_attempts()] == ["recording"]
        recovered = recover_unfinished(store)
        assert len(recovered) == 1
        attempt = store.attempt(recovered[0])
        assert attempt.status == "recorded"
        assert attempt.duration_s == pytest.approx(audio.size / 16000, abs=0.01)
        assert "Recovered" in (attempt.message or "")
        assert store.unfinished_attempts()[0].id == attempt.id  # still waiting to be scored
    with wave.open(str(wav)) as w:  # header repaired: standard tools read it fully
        assert w.getnframes() == audio.size


def test_recovery_marks_takes_without_audio_as_failed(tmp_path: Path) -> None:
    store, _ = open_store(tmp_path / "trainer.sqlite3", exclusive=True)
    with store:
        seller = store.seller("Ana")
        empty = tmp_path / "empty.wav"
        empty.write_bytes(b"")
        store.begin_attempt(seller, "agenda", None, None, empty)
        store.begin_attempt(seller, "agenda", None, None, tmp_path / "never-created.wav")
        assert recover_unfinished(store) == []
        assert {a.status for a in store.attempts(seller)} == {"failed"}
