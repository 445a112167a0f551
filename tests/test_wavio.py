"""WAV writing and reading: crash-shaped files are repaired, bad files give one sentence."""

from __future__ import annotations

import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_tool
from trainer.audio.wavio import WavWriter, inspect_wav, read_audio, repair_wav, resample, write_wav
from trainer.common.errors import AudioFileError


def tone(seconds: float, rate: int = 16000, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_round_trip_is_lossless_to_16_bit(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_wav(path, tone(1.0), 16000)
    back = read_audio(path)
    assert back.size == 16000
    assert np.max(np.abs(back - tone(1.0))) < 1 / 16000
    with wave.open(str(path)) as w:  # the standard library agrees with our header
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (16000, 1, 16000)


def test_header_stays_valid_while_writing(tmp_path: Path) -> None:
    path = tmp_path / "growing.wav"
    writer = WavWriter(path, 16000)
    for _ in range(3):
        writer.write(tone(0.1))
        with wave.open(str(path)) as w:  # readable at every moment, not only after close
            assert w.getnframes() == writer.frames_written
    writer.close()


def test_stale_header_from_a_crash_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "crash.wav"
    write_wav(path, tone(1.0), 16000)
    with open(path, "r+b") as f:  # what a kill between write() and the size update leaves
        f.seek(4)
        f.write(struct.pack("<I", 36))
        f.seek(40)
        f.write(struct.pack("<I", 0))
        f.seek(0, 2)
        f.write(b"\x01")  # half a frame at the end
    assert inspect_wav(path).needs_repair
    assert read_audio(path).size == 16000  # readable even before repair
    assert repair_wav(path) is True
    assert repair_wav(path) is False
    with wave.open(str(path)) as w:
        assert w.getnframes() == 16000


def test_stereo_48k_is_mixed_and_resampled(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    left = tone(1.0, 48000, 440)
    frames = np.stack([left, left], axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((frames * 32767).astype("<i2").tobytes())
    audio = read_audio(path)
    assert audio.size == 16000
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 s of audio: bin index = Hz


def test_resample_keeps_pitch_and_length() -> None:
    out = resample(tone(2.0, 8000, 300), 8000, 16000)
    assert out.size == 32000
    assert abs(np.argmax(np.abs(np.fft.rfft(out))) / 2 - 300) <= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no readable audio"),
        (b"hello, this is not audio at all" * 10, "could not be read as audio"),
    ],
)
def test_bad_files_raise_one_sentence(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match=message) as info:
        read_audio(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="not found"):
        read_audio(tmp_path / "nope.wav")


def test_compressed_audio_goes_through_pyav(tmp_path: Path) -> None:
    sox = require_tool("sox")
    wav = tmp_path / "t.wav"
    write_wav(wav, tone(1.0), 16000)
    ogg = tmp_path / "t.ogg"
    subprocess.run([sox, str(wav), str(ogg)], check=True)
    audio = read_audio(ogg)
    assert abs(audio.size - 16000) < 400
    peak_hz = np.argmax(np.abs(np.fft.rfft(audio))) * 16000 / audio.size
    assert abs(peak_hz - 220) <= 2
