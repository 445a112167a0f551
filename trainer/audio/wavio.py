"""WAV files that survive a crash: a streaming writer, a tolerant reader, and a header repair.

The recorder appends 16-bit PCM to the file as audio arrives and rewrites the two RIFF size
fields after every block, so a process killed mid-take leaves a file whose header already
describes (almost) everything on disk. ``repair_wav`` fixes the rest: it recomputes the sizes
from the file length, dropping any half-written final frame.

Other formats (mp3, m4a, ogg...) are decoded through PyAV, which faster-whisper already ships.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from trainer.common.errors import AudioFileError

FloatArray = npt.NDArray[np.float32]

_HEADER_SIZE = 44
_PCM = 1
_IEEE_FLOAT = 3
_EXTENSIBLE = 0xFFFE


def _header(samplerate: int, channels: int, data_bytes: int) -> bytes:
    block_align = channels * 2
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", 36 + data_bytes),
            b"WAVE",
            b"fmt ",
            struct.pack("<IHHIIHH", 16, _PCM, channels, samplerate, samplerate * block_align,
                        block_align, 16),
            b"data",
            struct.pack("<I", data_bytes),
        ]
    )


class WavWriter:
    """Append float audio in [-1, 1] to a 16-bit PCM WAV, keeping the header valid as it grows.

    Args:
        path: the file to create (its folder must exist).
        samplerate: frames per second.
        channels: interleaved channel count.
        fsync_every_s: how much audio may sit in OS buffers before an ``fsync`` (power loss).
    """

    def __init__(self, path: Path, samplerate: int, channels: int = 1,
                 fsync_every_s: float = 1.0) -> None:
        self.path = path
        self.samplerate = samplerate
        self.channels = channels
        self._data_bytes = 0
        self._unsynced_frames = 0
        self._fsync_frames = int(fsync_every_s * samplerate)
        # Owner-only from the first byte: a take is the seller's voice.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                     0o600)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")  # closed in close()
        self._file.write(_header(samplerate, channels, 0))
        self._file.flush()

    @property
    def frames_written(self) -> int:
        return self._data_bytes // (2 * self.channels)

    @property
    def duration_s(self) -> float:
        return self.frames_written / self.samplerate

    def write(self, samples: npt.NDArray[np.floating]) -> None:
        """Append a block; raises ``OSError`` (e.g. disk full) with the file still valid."""
        if self._file is None:
            raise ValueError("write() after close()")
        pcm = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
        payload = (pcm * 32767.0).round().astype("<i2").tobytes()
        self._file.seek(0, os.SEEK_END)
        self._file.write(payload)
        self._data_bytes += len(payload)
        self._rewrite_sizes()
        self._file.flush()
        self._unsynced_frames += len(payload) // (2 * self.channels)
        if self._unsynced_frames >= self._fsync_frames:
            os.fsync(self._file.fileno())
            self._unsynced_frames = 0

    def _rewrite_sizes(self) -> None:
        assert self._file is not None
        self._file.seek(4)
        self._file.write(struct.pack("<I", 36 + self._data_bytes))
        self._file.seek(40)
        self._file.write(struct.pack("<I", self._data_bytes))

    def close(self) -> None:
        if self._file is None:
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says, and whether its sizes had to be corrected."""

    samplerate: int
    channels: int
    sample_format: int
    bits: int
    data_offset: int
    data_bytes: int
    needs_repair: bool


def inspect_wav(path: Path) -> WavInfo:
    """Parse a RIFF/WAVE header, tolerating the size fields a crash leaves wrong.

    Raises:
        AudioFileError: not a WAV file, or no ``fmt``/``data`` chunk.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise AudioFileError(f"{path.name} is not a WAV file.")
        fmt: tuple[int, int, int, int] | None = None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            body = pos + 8
            if chunk_id == b"fmt ":
                raw = f.read(min(chunk_size, 40))
                if len(raw) < 16:
                    break
                tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", raw[:16])
                if tag == _EXTENSIBLE and len(raw) >= 26:
                    tag = struct.unpack("<H", raw[24:26])[0]
                fmt = (tag, channels, rate, bits)
            elif chunk_id == b"data":
                if fmt is None:
                    break
                tag, channels, rate, bits = fmt
                available = size - body
                frame = max(1, channels * bits // 8)
                if 0 < chunk_size <= available and _chunk_follows(f, body + chunk_size, size):
                    data_bytes = chunk_size  # a well-formed file with chunks after the audio
                else:
                    # Sizes left stale by a crash: the audio runs to the end of the file.
                    data_bytes = available
                data_bytes -= data_bytes % frame
                riff_declared = struct.unpack("<I", head[4:8])[0]
                needs_repair = data_bytes != chunk_size or (
                    body + data_bytes == size and riff_declared != size - 8
                )
                return WavInfo(rate, channels, tag, bits, body, data_bytes, needs_repair)
            pos = body + chunk_size + (chunk_size & 1)
    raise AudioFileError(f"{path.name} has no readable audio data; record it again.")


def _chunk_follows(f: BinaryIO, pos: int, size: int) -> bool:
    """True when ``pos`` is the end of the file or the start of a plausible RIFF chunk."""
    if pos >= size:
        return True
    if pos + 8 > size:
        return False
    f.seek(pos)
    chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
    return all(32 <= c < 127 for c in chunk_id) and pos + 8 + chunk_size <= size + 1


def repair_wav(path: Path) -> bool:
    """Rewrite the size fields of a WAV cut short by a crash. Returns True if it changed."""
    info = inspect_wav(path)
    if not info.needs_repair:
        return False
    with open(path, "r+b") as f:
        f.truncate(info.data_offset + info.data_bytes)
        f.seek(4)
        f.write(struct.pack("<I", info.data_offset + info.data_bytes - 8))
        f.seek(info.data_offset - 4)
        f.write(struct.pack("<I", info.data_bytes))
    return True


def _decode_pcm(raw: bytes, info: WavInfo) -> FloatArray:
    if info.sample_format == _IEEE_FLOAT and info.bits == 32:
        data = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif info.sample_format == _PCM and info.bits == 16:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif info.sample_format == _PCM and info.bits == 32:
        data = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2**31).astype(np.float32)
    elif info.sample_format == _PCM and info.bits == 8:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif info.sample_format == _PCM and info.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    else:
        raise AudioFileError(
            f"WAV sample format {info.sample_format}/{info.bits}-bit is not supported; "
            "save it as 16-bit PCM."
        )
    if info.channels > 1:
        data = data.reshape(-1, info.channels).mean(axis=1).astype(np.float32)
    return data


def resample(samples: FloatArray, from_rate: int, to_rate: int) -> FloatArray:
    """Resample a whole signal with a windowed-sinc low-pass and linear interpolation."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    if to_rate < from_rate:
        samples = lowpass(samples, cutoff=0.45 * to_rate / from_rate)
    n_out = int(round(samples.size * to_rate / from_rate))
    positions = np.arange(n_out, dtype=np.float64) * (from_rate / to_rate)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def lowpass_kernel(cutoff: float, taps: int = 63) -> npt.NDArray[np.float64]:
    """A Hamming-windowed sinc low-pass; ``cutoff`` is a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel: npt.NDArray[np.float64] = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    normalised: npt.NDArray[np.float64] = kernel / kernel.sum()
    return normalised


def lowpass(samples: FloatArray, cutoff: float) -> FloatArray:
    return np.convolve(samples, lowpass_kernel(cutoff), mode="same").astype(np.float32)


def read_audio(path: Path, samplerate: int = 16000) -> FloatArray:
    """Read any audio file as mono float32 at ``samplerate``.

    WAVs are read directly (a crash-truncated header is tolerated); other formats go through
    PyAV. Raises ``AudioFileError`` with one plain sentence for anything unreadable.
    """
    if _is_wav(path):
        try:
            info = inspect_wav(path)
            with open(path, "rb") as f:
                f.seek(info.data_offset)
                raw = f.read(info.data_bytes)
        except OSError as exc:
            raise _unreadable(path, exc) from exc
        if info.samplerate <= 0 or info.channels <= 0:
            raise AudioFileError(f"{path.name} has a broken header; record it again.")
        if not raw:
            raise AudioFileError(f"{path.name} holds no audio; record it again.")
        return resample(_decode_pcm(raw, info), info.samplerate, samplerate)
    return _decode_with_pyav(path, samplerate)


def _unreadable(path: Path, exc: OSError) -> AudioFileError:
    return AudioFileError(f"{path.name} cannot be read ({exc.strerror or exc}); check that the "
                          "file is yours and not still being copied.")


def _is_wav(path: Path) -> bool:
    """Whether ``path`` starts like a WAV; first, one sentence for a file that is not there.

    Raises:
        AudioFileError: missing, a folder, empty, or not readable.
    """
    if not path.exists():
        raise AudioFileError(f"Audio file not found: {path}.")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file.")
    try:
        if path.stat().st_size == 0:
            raise AudioFileError(f"{path.name} is empty; record it again.")
        with open(path, "rb") as f:
            magic = f.read(12)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return magic[:4] == b"RIFF" and magic[8:12] == b"WAVE"


def audio_duration(path: Path) -> float | None:
    """Seconds of audio in ``path`` from its header alone (no decoding), or None if unknown.

    Raises ``AudioFileError`` for a missing, empty or unreadable WAV; other formats that PyAV
    cannot open give None here and a clear error when they are read.
    """
    if _is_wav(path):
        info = inspect_wav(path)
        frame_bytes = info.channels * info.bits // 8
        if info.samplerate <= 0 or frame_bytes <= 0:
            return None
        return info.data_bytes / frame_bytes / info.samplerate
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as container:
            if container.duration:  # microseconds; estimated from the bit rate when needed
                return float(container.duration) / 1_000_000
    except Exception:  # not something PyAV can open: read_audio says so in one sentence
        return None
    return None


def check_length(path: Path, max_seconds: float) -> None:
    """Refuse, before decoding, a file far longer than a practice take.

    Decoding holds the whole signal in memory (a 1-hour file peaked at 1.1 GB) and a long
    speech file takes minutes to transcribe; a file that long is almost always the wrong one.

    Raises:
        AudioFileError: the file is longer than ``max_seconds`` (or unreadable).
    """
    seconds = audio_duration(path)
    if seconds is not None and seconds > max_seconds:
        raise AudioFileError(
            f"{path.name} is {seconds / 60:.0f} minutes long; the trainer takes recordings of "
            f"up to {max_seconds / 60:.0f} minutes, so cut out the part you want to use."
        )


def _decode_with_pyav(path: Path, samplerate: int) -> FloatArray:
    try:
        from faster_whisper.audio import decode_audio

        audio = decode_audio(str(path), sampling_rate=samplerate)
    except Exception as exc:  # PyAV raises many unrelated types for undecodable input
        raise AudioFileError(
            f"{path.name} could not be read as audio ({type(exc).__name__}); "
            "use a WAV, MP3, M4A or OGG file."
        ) from exc
    result: FloatArray = np.asarray(audio, dtype=np.float32)
    if result.size == 0:
        raise AudioFileError(f"{path.name} holds no audio; record it again.")
    return result


def write_wav(path: Path, samples: FloatArray, samplerate: int) -> None:
    """Write a whole mono signal as a 16-bit WAV (test fixtures, exports)."""
    writer = WavWriter(path, samplerate)
    try:
        writer.write(samples)
    finally:
        writer.close()
