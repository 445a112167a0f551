"""Recorder logic with a fake device fed from real speech: rates, errors, audio kept."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice, PortAudioError
from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE
from trainer.audio.wavio import WavWriter, read_audio
from trainer.common.errors import AudioDeviceError, NoInputDevice, StorageError

SOURCE = SPEECH / "agenda_weak.wav"


def record_for(recorder: Recorder, path: Path, seconds: float) -> None:
    recorder.start(path)
    deadline = time.monotonic() + 30
    while recorder.elapsed_s < seconds and recorder.error is None and time.monotonic() < deadline:
        time.sleep(0.02)


def envelope(audio: np.ndarray, rate: int = 16000, hop_s: float = 0.05) -> np.ndarray:
    hop = int(rate * hop_s)
    n = audio.size // hop
    return np.sqrt(np.mean(np.square(audio[: n * hop].reshape(n, hop)), axis=1))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_records_speech_at_16k_and_matches_the_source(tmp_path: Path) -> None:
    sound = FakeSoundDevice(SOURCE, rates=(16000, 48000), speed=8.0)
    recorder = Recorder(sound)
    record_for(recorder, tmp_path / "take.wav", 6.0)
    take = recorder.stop()
    assert take.device_rate == 16000 and take.error is None
    audio = read_audio(take.path)
    assert audio.size / 16000 == pytest.approx(take.duration_s, abs=0.01)
    assert take.duration_s >= 6.0
    source = read_audio(SOURCE)[: audio.size]
    assert np.max(np.abs(audio - source)) < 2 / 32768  # bit-exact up to 16-bit rounding


def test_device_without_16k_is_resampled_from_its_own_rate(tmp_path: Path) -> None:
    sound = FakeSoundDevice(SOURCE, rates=(48000,), default_rate=48000, speed=8.0)
    recorder = Recorder(sound)
    record_for(recorder, tmp_path / "take.wav", 5.0)
    take = recorder.stop()
    assert take.device_rate == 48000 and take.samplerate == 16000
    audio = read_audio(take.path)
    source = read_audio(SOURCE)
    assert correlation(envelope(audio), envelope(source)) > 0.98


def test_level_and_peak_follow_the_input(tmp_path: Path) -> None:
    sound = FakeSoundDevice(SOURCE, speed=8.0, gain=3.0)
    recorder = Recorder(sound)
    record_for(recorder, tmp_path / "take.wav", 3.0)
    assert -60 < recorder.level_db <= 0
    take = recorder.stop()
    assert take.peak > 0.5 and recorder.clipping


def test_no_microphone_is_a_clear_error(tmp_path: Path) -> None:
    recorder = Recorder(FakeSoundDevice(SOURCE, devices=0))
    with pytest.raises(NoInputDevice) as info:
        recorder.start(tmp_path / "take.wav")
    assert str(info.value) == NO_MIC_MESSAGE
    assert not (tmp_path / "take.wav").exists()


def test_device_that_refuses_to_open(tmp_path: Path) -> None:
    sound = FakeSoundDevice(SOURCE)
    sound.fail_open = PortAudioError("Device unavailable [PaErrorCode -9985]")
    with pytest.raises((AudioDeviceError, NoInputDevice)) as info:
        Recorder(sound).start(tmp_path / "take.wav")
    assert "\n" not in str(info.value) and "try again" in str(info.value)


def test_unplugged_device_keeps_the_audio_so_far(tmp_path: Path) -> None:
    sound = FakeSoundDevice(SOURCE, speed=8.0)
    sound.die_after_s = 2.0
    recorder = Recorder(sound, stall_timeout_s=0.5)
    recorder.start(tmp_path / "take.wav")
    deadline = time.monotonic() + 20
    while recorder.error is None and time.monotonic() < deadline:
        time.sleep(0.05)
    take = recorder.stop()
    assert isinstance(take.error, AudioDeviceError)
    assert "unplugged" in str(take.error) and "kept" in str(take.error)
    assert take.duration_s == pytest.approx(2.0, abs=0.15)
    assert read_audio(take.path).size == pytest.approx(32000, abs=2400)


def test_disk_full_stops_and_keeps_what_was_written(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = WavWriter.write
    calls = {"n": 0}

    def write_until_full(self: WavWriter, samples: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] > 10:
            raise OSError(28, "No space left on device")
        real_write(self, samples)

    monkeypatch.setattr(WavWriter, "write", write_until_full)
    recorder = Recorder(FakeSoundDevice(SOURCE, speed=8.0))
    recorder.start(tmp_path / "take.wav")
    deadline = time.monotonic() + 20
    while recorder.error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    take = recorder.stop()
    assert isinstance(take.error, StorageError) and "No space left" in str(take.error)
    assert read_audio(take.path).size == 10 * 1600


def test_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="Cannot save the recording"):
        Recorder(FakeSoundDevice(SOURCE)).start(blocker / "sub" / "take.wav")
