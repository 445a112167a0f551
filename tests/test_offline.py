"""No network, ever: the whole practice flow runs with every socket refused.

The flow is the real one end to end: a store in the data folder, a take recorded through the
real ``Recorder`` from a fake microphone that plays a speech WAV, transcribed by the real
tiny.en model (loaded inside the guard, where a hub lookup would happen), scored with the
sentence-similarity model, saved; then the CLI's ``transcribe`` and ``score --audio``.

Two ways to cut the network, because each can miss what the other catches:
- in-process, every ``socket`` entry point is patched to record the attempt and raise, and the
  test fails if anything tried, even if a library swallowed the error;
- in a child process under ``unshare -n`` (a network namespace with no interfaces), which
  also covers native code that never goes through Python's ``socket`` module.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from trainer import cli
from trainer.audio.recorder import Recorder
from trainer.audio.wavio import read_audio
from trainer.coaching.practice import attempt_audio_path, finish_attempt
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import WhisperTranscriber
from trainer.store.database import Store

pytestmark = pytest.mark.model
ROOT = Path(__file__).parent.parent
WEAK = SPEECH / "agenda_weak.wav"


def _record(store: Store, data_dir: Path, clip: Path) -> tuple[int, Path]:
    """Record ``clip`` through the real Recorder, as the app does, and mark the take."""
    library = DrillLibrary()
    scenario = library.scenario("northwind-finance")
    seller = store.seller("Ana Lopez")
    wav = attempt_audio_path(data_dir, seller, "agenda")
    attempt_id = store.begin_attempt(seller, "agenda", scenario.id, scenario.to_json(), wav)
    recorder = Recorder(FakeSoundDevice(clip, speed=40.0))
    seconds = len(read_audio(clip)) / 16000
    recorder.start(wav)
    deadline = time.monotonic() + 60
    while recorder.elapsed_s < seconds and time.monotonic() < deadline:
        time.sleep(0.02)
    take = recorder.stop()
    assert take.error is None and take.duration_s >= seconds
    store.mark_recorded(attempt_id, take.duration_s)
    return attempt_id, wav


def _cli(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(args))
    assert code == 0, out.getvalue()
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def full_flow(data_dir: Path) -> dict[str, Any]:
    """Record, transcribe, score and save one take, then use the CLI; returns what it saw."""
    library = DrillLibrary()
    with Store(data_dir / "trainer.sqlite3") as store:
        attempt_id, wav = _record(store, data_dir, WEAK)  # short: 13.6 s
        transcriber = WhisperTranscriber("tiny.en")  # loaded here, inside the guard
        result = finish_attempt(store, attempt_id, library.drill("agenda"),
                                library.scenario("northwind-finance"), wav, transcriber)
        saved = store.attempt(attempt_id)
    transcribed = _cli("transcribe", str(WEAK), "--model", "tiny.en", "--json")
    scored = _cli("score", "--drill", "agenda", "--scenario", "northwind-finance",
                  "--audio", str(wav), "--model", "tiny.en", "--json")
    return {"status": saved.status, "score": saved.score, "flow_score": result.scorecard["score"],
            "saved_transcript": saved.transcript, "cli_text": transcribed["text"],
            "cli_score": scored["score"]}


def _check(seen: dict[str, Any]) -> None:
    assert seen["status"] == "scored"
    assert seen["score"] == seen["flow_score"] is not None
    assert "tell you about our company" in seen["saved_transcript"].lower()
    assert "founded" in seen["cli_text"].lower()
    assert seen["cli_score"] == seen["score"]  # the CLI scores the saved take the same way


def test_full_flow_with_every_socket_refused(sockets_refused: list[str], user_dirs: Path
                                            ) -> None:
    _check(full_flow(user_dirs))
    assert sockets_refused == []


def test_the_guard_catches_an_attempt(sockets_refused: list[str]) -> None:
    """The guard itself works (or the test above would prove nothing)."""
    with pytest.raises(OSError, match="network refused by the test"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("192.0.2.1", 80))
    assert len(sockets_refused) == 2
    sockets_refused.clear()  # expected here; the fixture's final check stays meaningful


def _unshare() -> str:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here ({probe.stderr.strip()}); "
                    "it needs root or user namespaces")
    return unshare


CHILD = """
import json, socket, sys
from pathlib import Path
# Proof that this process has no network at all, before doing anything else.
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    print("NETWORK-AVAILABLE"); sys.exit(3)
except OSError:
    pass
from tests.test_offline import full_flow
print(json.dumps(full_flow(Path(sys.argv[1]))))
"""


def test_full_flow_in_a_process_without_network(user_dirs: Path) -> None:
    unshare = _unshare()
    user_dirs.mkdir(parents=True)
    result = subprocess.run([unshare, "-n", sys.executable, "-c", CHILD, str(user_dirs)],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    _check(json.loads(result.stdout.strip().splitlines()[-1]))
