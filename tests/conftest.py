"""Shared fixtures: every user folder redirected into a temp dir, a real store, speech files."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt must not try to open a display on CI machines (without one, Qt aborts the process).
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.pulse import LoopUnavailable, PulseLoop, find_loop  # noqa: E402
from trainer.speech.transcriber import WhisperTranscriber  # noqa: E402
from trainer.store.database import Store  # noqa: E402

DATA = Path(__file__).parent / "data"
SPEECH = DATA / "speech"
LIBRIVOX = DATA / "librivox"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder per test session, so the base model is assembled at most once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    """No test touches the real home: data and cache folders live under ``tmp_path``."""
    data = tmp_path / "data"
    monkeypatch.setenv("TRAINER_DATA_DIR", str(data))
    monkeypatch.setenv("TRAINER_CACHE_DIR", str(model_cache))
    monkeypatch.delenv("TRAINER_MODEL", raising=False)
    return data


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store" / "trainer.sqlite3") as s:
        yield s


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (the CI script installs it)")
    return path


@pytest.fixture
def pulse_loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseLoop]:
    """A sink to play a clip into and its monitor as the recorder's default input.

    The sink is ``TRAINER_TEST_SINK`` or the sound server's default sink (``tests/pulse.py``);
    without a sound server the test is skipped with what it needs.
    """
    try:
        loop = find_loop()
    except LoopUnavailable as exc:
        pytest.skip(f"plays a clip through the sound server and records it: {exc}")
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)
    # PortAudio records from ALSA's default device, which the pulse plugin connects to the
    # server's default source: on a desktop that is the microphone, not what the sink plays.
    monkeypatch.setenv("PULSE_SOURCE", loop.source)
    # A low-latency reader keeps the monitor running: without one the first callbacks come
    # 0.6-2 s late and the take misses the start of the clip (../shared/ci-audio.md).
    reader = subprocess.Popen(["parec", "--latency-msec=20", f"--device={loop.source}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield loop
    finally:
        reader.terminate()
        reader.wait(timeout=10)


@pytest.fixture(scope="session")
def tiny() -> WhisperTranscriber:
    """The real bundled tiny.en model, loaded once for the whole run and shared by every test
    that transcribes (the app keeps its model loaded between takes the same way)."""
    transcriber = WhisperTranscriber("tiny.en")
    transcriber.load()
    return transcriber


@pytest.fixture
def sockets_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every way Python opens a connection or resolves a name records the attempt and fails."""
    attempts: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(101, f"network refused by the test ({what})")
        return refused

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse(name))
    yield attempts
    assert attempts == [], f"network access attempted: {attempts}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run ``app.main`` go last, whatever files were asked for and in what order.

    After the application's event loop has run and quit once, new offscreen windows no
    longer become active, so a window test after it could not press its shortcuts.
    """
    items.sort(key=lambda item: item.get_closest_marker("app_exec") is not None)
