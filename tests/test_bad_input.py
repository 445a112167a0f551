"""Bad audio tried on purpose, through the CLI: each file works or gives one clear sentence.

Every case runs ``trainer transcribe`` or ``trainer score --audio`` (``cli.main`` in this
process: an exception that escaped would fail the test, and the README's table of "what we
tried" is this file). Errors exit with code 2 and one line on stderr, never a traceback; no
case may take long (a hang would show as a timeout here).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer import cli
from trainer.audio.wavio import read_audio, write_wav
from trainer.speech.wer import wer

ROOT = Path(__file__).parent.parent
WEAK = SPEECH / "agenda_weak.wav"  # 13.6 s: "Hi, great to meet you. So, let me tell you..."
WEAK_TEXT = (SPEECH / "agenda_weak.txt").read_text(encoding="utf-8")


def encode(path: Path, samples: np.ndarray, rate: int, codec: str, container: str,
           **options: str) -> Path:
    """Compress mono float audio with PyAV (ffmpeg is not installed; PyAV bundles it)."""
    with av.open(str(path), "w", format=container, options=options) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for start in range(0, samples.size, rate):
            block = np.ascontiguousarray(samples[None, start: start + rate], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _stereo_48k(path: Path) -> Path:
    speech = read_audio(WEAK, 48000)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((np.stack([speech, 0.5 * speech], axis=1) * 32767).astype("<i2").tobytes())
    return path


def _hour_mp3(path: Path) -> Path:
    """One hour of silence with a 10 s tone each minute, made cheaply: MP3 frames stand
    alone, so one encoded minute repeated 60 times is a valid one-hour file (0.3 s to make,
    where encoding an hour took 27-55 s)."""
    t = np.arange(60 * 16000) / 16000
    minute = np.where(t >= 50, 0.1 * np.sin(2 * np.pi * 440 * t), 0.0).astype(np.float32)
    one = encode(path.with_suffix(".minute.mp3"), minute, 16000, "libmp3lame", "mp3",
                 write_xing="0", id3v2_version="0")
    path.write_bytes(one.read_bytes() * 60)
    return path


def _hour_wav(path: Path) -> Path:
    """A 1-hour 16 kHz WAV as a sparse file: 115 MB by its size, almost nothing on disk."""
    data = 3600 * 16000 * 2
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
                + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
                + b"data" + struct.pack("<I", data))
        f.truncate(44 + data)
    return path


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    write_wav(path, samples.astype(np.float32), rate)
    return path


MAKERS: dict[str, Callable[[Path], Path]] = {
    "empty.wav": lambda p: _write(p, b""),
    "truncated_header.wav": lambda p: _write(p, WEAK.read_bytes()[:30]),
    "header_only.wav": lambda p: _write(p, WEAK.read_bytes()[:40] + struct.pack("<I", 0)),
    "zero_rate.wav": lambda p: _write(
        p, WEAK.read_bytes()[:24] + struct.pack("<I", 0) + WEAK.read_bytes()[28:]),
    "notes.wav": lambda p: _write(p, b"meeting notes, not audio\n" * 20),
    "random.mp3": lambda p: _write(p, np.random.default_rng(1).bytes(50_000)),
    "archive.ogg": lambda p: _write(p, b"PK\x03\x04" + bytes(500)),
    "folder.wav": lambda p: (p.mkdir(), p)[1],
    "speech_8k.wav": lambda p: _wav(p, read_audio(WEAK, 8000), 8000),
    "stereo_48k.wav": _stereo_48k,
    "speech.mp3": lambda p: encode(p, read_audio(WEAK, 22050), 22050, "libmp3lame", "mp3"),
    "speech.m4a": lambda p: encode(p, read_audio(WEAK, 44100), 44100, "aac", "ipod"),
    "speech_opus.ogg": lambda p: encode(p, read_audio(WEAK, 48000), 48000, "libopus", "ogg"),
    "speech_cut.mp3": lambda p: _write(
        p, encode(p, read_audio(WEAK, 22050), 22050, "libmp3lame", "mp3").read_bytes()[:27_000]),
    "silence.wav": lambda p: _wav(p, np.zeros(5 * 16000)),
    "noise.wav": lambda p: _wav(
        p, np.clip(np.random.default_rng(0).standard_normal(5 * 16000) * 0.3, -1, 1)),
    "hour.mp3": _hour_mp3,
    "hour.wav": _hour_wav,
}


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-input")
    return {name: make(folder / name) for name, make in MAKERS.items()}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err, time.monotonic() - started


def one_sentence(err: str, fragment: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trainer: "), err
    assert "Traceback" not in err and fragment in lines[0], err


@pytest.mark.parametrize(("name", "fragment"), [
    ("empty.wav", "empty.wav is empty; record it again."),
    ("truncated_header.wav", "truncated_header.wav has no readable audio data"),
    ("header_only.wav", "header_only.wav holds no audio"),
    ("zero_rate.wav", "zero_rate.wav has a broken header"),
    ("notes.wav", "notes.wav could not be read as audio"),
    ("random.mp3", "random.mp3 could not be read as audio"),
    ("archive.ogg", "archive.ogg could not be read as audio"),
    ("folder.wav", "is a folder, not an audio file"),
    ("hour.mp3", "hour.mp3 is 60 minutes long; the trainer takes recordings of up to 10"),
    ("hour.wav", "hour.wav is 60 minutes long"),
])
@pytest.mark.parametrize("command", ["transcribe", "score"])
def test_unusable_files_give_one_sentence(capsys: pytest.CaptureFixture[str],
                                          bad_files: dict[str, Path], name: str, fragment: str,
                                          command: str) -> None:
    args = ["transcribe", str(bad_files[name]), "--model", "tiny.en"] if command == "transcribe" \
        else ["score", "--drill", "agenda", "--audio", str(bad_files[name]), "--model", "tiny.en"]
    code, out, err, seconds = run_cli(capsys, *args)
    assert code == 2 and out == ""
    one_sentence(err, fragment)
    assert seconds < 5  # refused before any model is loaded or anything long is decoded


@pytest.mark.model
@pytest.mark.parametrize("name", ["speech_8k.wav", "stereo_48k.wav", "speech.mp3", "speech.m4a",
                                  "speech_opus.ogg"])
def test_other_formats_and_rates_are_transcribed(capsys: pytest.CaptureFixture[str],
                                                 bad_files: dict[str, Path], name: str) -> None:
    code, out, err, _ = run_cli(capsys, "transcribe", str(bad_files[name]), "--model",
                                "tiny.en", "--json")
    assert code == 0 and err == "", err
    data = json.loads(out)
    assert data["duration_s"] == pytest.approx(13.6, abs=0.3)
    assert wer(WEAK_TEXT, data["text"]) <= 0.15, data["text"]


@pytest.mark.model
def test_a_cut_off_mp3_gives_what_it_holds(capsys: pytest.CaptureFixture[str],
                                           bad_files: dict[str, Path]) -> None:
    code, out, err, _ = run_cli(capsys, "transcribe", str(bad_files["speech_cut.mp3"]),
                                "--model", "tiny.en")
    assert code == 0 and "Traceback" not in err
    assert out.startswith("Hi, great to meet you") and "founded" in out
    assert "platform" not in out  # the second half is not there


@pytest.mark.model
@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_and_noise(capsys: pytest.CaptureFixture[str], bad_files: dict[str, Path],
                           name: str) -> None:
    # Transcribing hears nothing (the VAD filter keeps Whisper from inventing words): bad
    # input, as the README's CLI section says (exit 2, no empty transcript on stdout) ...
    code, out, err, _ = run_cli(capsys, "transcribe", str(bad_files[name]), "--model", "tiny.en")
    assert code == 2 and out == ""
    one_sentence(err, f"No speech was heard in {name}; check the recording.")
    # ... and scoring says so instead of scoring nothing.
    code, out, err, _ = run_cli(capsys, "score", "--drill", "agenda", "--audio",
                                str(bad_files[name]), "--model", "tiny.en")
    assert code == 2 and out == ""
    one_sentence(err, "We didn't hear you")


@pytest.mark.model
def test_compressed_audio_is_scored(capsys: pytest.CaptureFixture[str],
                                    bad_files: dict[str, Path]) -> None:
    code, out, err, _ = run_cli(capsys, "score", "--drill", "agenda", "--scenario",
                                "northwind-finance", "--audio", str(bad_files["speech.m4a"]),
                                "--model", "tiny.en", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert 0 <= card["score"] <= 100 and not card["passed"]  # the weak opening, as a WAV
    assert card["delivery"]["duration_s"] == pytest.approx(13.6, abs=0.3)


# VmHWM, not getrusage: ru_maxrss survives exec, so a child forked from this (big) test
# process would report the parent's size.
PEAK = """
import re, sys
from pathlib import Path
from trainer.cli import main
code = main(sys.argv[1:])
status = Path("/proc/self/status").read_text()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory via /proc")
def test_an_hour_long_file_is_refused_without_decoding_it(bad_files: dict[str, Path]) -> None:
    """Measured without the length check: 11-17 s and a 1.1 GB peak for this file."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PEAK, "score", "--drill", "agenda",
                             "--audio", str(bad_files["hour.mp3"])],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    seconds = time.monotonic() - started
    message, peak_mb = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "60 minutes long" in message
    assert int(peak_mb) < 300, f"peak RSS {peak_mb} MB"
    assert seconds < 20


def test_a_file_you_may_not_read(tmp_path: Path) -> None:
    from tests.test_store import _without_root_read_override

    locked = tmp_path / "locked.wav"
    locked.write_bytes(WEAK.read_bytes())
    locked.chmod(0)
    result = subprocess.run([*_without_root_read_override(), sys.executable, "-m", "trainer",
                             "transcribe", str(locked), "--model", "tiny.en"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stderr
    one_sentence(result.stderr, "locked.wav cannot be read (Permission denied)")
