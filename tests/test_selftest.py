"""``trainer --selftest``: one line per check, exit 0 only when every required check passed."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import FakeSoundDevice
from trainer import selftest
from trainer.common.errors import NoInputDevice

ROOT = Path(__file__).parent.parent
CHECKS = ["drills", "model", "transcribe", "score", "embeddings", "store", "audio", "network"]


def only(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Run just some checks (the others load models and are tested end to end below)."""
    monkeypatch.setattr(selftest, "_CHECKS", tuple(c for c in selftest._CHECKS if c[0] in names))


@pytest.mark.model
def test_every_check_passes_on_this_installation(user_dirs: Path) -> None:
    out = io.StringIO()
    assert selftest.main(data_dir=user_dirs, model="tiny.en", out=out) == 0
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == CHECKS
    statuses = {line.split()[1]: line.split()[0] for line in lines[:-1]}
    assert statuses.pop("audio") in ("ok", "warn")  # a machine without a microphone is fine
    assert set(statuses.values()) == {"ok"}, out.getvalue()
    assert lines[-1] == "selftest: all required checks passed"
    assert "tiny.en" in lines[1] and "WER" in lines[2]
    assert not list(user_dirs.glob(".selftest-*"))  # the throw-away store is removed


def test_a_failed_check_fails_the_run(user_dirs: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-drills"
    empty.mkdir()
    monkeypatch.setenv("TRAINER_DRILLS_DIR", str(empty))
    only(monkeypatch, "drills", "store")
    out = io.StringIO()
    assert selftest.main(data_dir=user_dirs, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("FAIL  drills") and str(empty) in lines[0]
    assert lines[1].startswith("ok    store")
    assert lines[-1] == "selftest: FAILED (drills)"


def test_an_unwritable_data_folder_fails_the_store_check(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    only(monkeypatch, "store")
    out = io.StringIO()
    assert selftest.main(data_dir=blocker / "data", out=out) == 1
    assert out.getvalue().startswith("FAIL  store")


@pytest.mark.parametrize("sound", ["no microphone", "no PortAudio"])
def test_no_input_device_is_a_plain_warning(user_dirs: Path, monkeypatch: pytest.MonkeyPatch,
                                            sound: str) -> None:
    def load() -> FakeSoundDevice:
        if sound == "no PortAudio":
            raise NoInputDevice("The audio library PortAudio is missing; install it.")
        return FakeSoundDevice(devices=0)

    monkeypatch.setattr(selftest, "load_sounddevice", load)
    only(monkeypatch, "audio")
    out = io.StringIO()
    assert selftest.main(data_dir=user_dirs, out=out) == 0  # warns, does not fail
    first = out.getvalue().splitlines()[0]
    assert first.startswith("warn  audio")
    assert ("no input device" in first) if sound == "no microphone" else ("PortAudio" in first)


def test_a_microphone_is_listed(user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "load_sounddevice", lambda: FakeSoundDevice(devices=2))
    only(monkeypatch, "audio")
    out = io.StringIO()
    assert selftest.main(data_dir=user_dirs, out=out) == 0
    assert out.getvalue().startswith('ok    audio       2 input device(s), default "Fake Mic 0"')


def test_a_connection_attempt_fails_the_run(user_dirs: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def phone_home(ctx: object) -> selftest.Check:
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: never routed
        return selftest.Check("phone", "ok", "connected")

    monkeypatch.setattr(selftest, "_CHECKS", (("phone", phone_home),))
    real = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
    out = io.StringIO()
    assert selftest.main(data_dir=user_dirs, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("FAIL  phone") and "network disabled by the self-test" in lines[0]
    assert lines[1].startswith("FAIL  network") and "192.0.2.1" in lines[1]
    # The guard is lifted afterwards.
    assert (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo) == real


@pytest.mark.model
def test_cli_selftest(user_dirs: Path) -> None:
    env = {**os.environ, "TRAINER_MODEL": "tiny.en"}
    result = subprocess.run([sys.executable, "-m", "trainer", "--data-dir", str(user_dirs),
                             "--selftest"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(CHECKS) + 1
    assert lines[-1] == "selftest: all required checks passed"
