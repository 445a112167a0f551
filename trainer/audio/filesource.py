"""A sound source shaped like the ``sounddevice`` module that "hears" an audio file.

``trainer score --audio FILE --realtime`` and the latency benchmark play a file through the
real recording pipeline (``Recorder`` → WAV on disk → live transcription) as if it were spoken
into a microphone: blocks arrive on a separate thread, at real speed, through the same
``InputStream(callback=...)`` interface PortAudio uses. After the file it keeps delivering
silence, like a microphone in a quiet room, until the stream is stopped; ``finished`` is set
when the last sample of the file has been delivered (the moment a seller would press Stop).
Tests reuse it as a deterministic microphone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainer.audio.wavio import FloatArray, read_audio


class PortAudioError(Exception):
    """Same name and role as ``sounddevice.PortAudioError`` (raised for a refused setting)."""


class _Default:
    def __init__(self) -> None:
        self.device = (0, -1)


class _Flags:
    input_overflow = False


class FileSoundDevice:
    """One input device whose sound is ``audio`` (a file or samples), played at ``speed``.

    Args:
        audio: a file to read (any format ``read_audio`` accepts) or 16 kHz mono samples.
        samplerate: the device's only rate (the recorder then needs no resampling).
        speed: 1.0 = real time (the default, as a person speaks); higher for quick tests.
        lead_in_s: silence before the file starts, as before a seller begins to talk.
        clock: monotonic time source.
    """

    PortAudioError = PortAudioError

    def __init__(self, audio: Path | FloatArray, samplerate: int = 16000, speed: float = 1.0,
                 lead_in_s: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        samples = read_audio(audio, samplerate) if isinstance(audio, Path) else audio
        lead = np.zeros(int(lead_in_s * samplerate), dtype=np.float32)
        self.signal = np.concatenate([lead, np.asarray(samples, dtype=np.float32)])
        self.samplerate = samplerate
        self.speed = speed
        self.clock = clock
        self.name = f"File: {audio.name}" if isinstance(audio, Path) else "File"
        self.default = _Default()
        self.finished = threading.Event()
        self.finished_at: float | None = None
        self.streams: list[FileInputStream] = []

    @property
    def duration_s(self) -> float:
        return self.signal.size / self.samplerate

    def query_devices(self, device: Any = None, kind: str | None = None) -> Any:
        info = {"name": self.name, "max_input_channels": 1, "max_output_channels": 0,
                "default_samplerate": float(self.samplerate)}
        if kind == "output":
            raise PortAudioError("Error querying device -1")
        if device is None and kind is None:
            return [info]
        return dict(info)

    def check_input_settings(self, device: Any = None, channels: int | None = None,
                             dtype: Any = None, samplerate: float | None = None,
                             **_: Any) -> None:
        if samplerate is not None and int(samplerate) != self.samplerate:
            raise PortAudioError(f"Invalid sample rate [PaErrorCode -9997] {samplerate}")

    def InputStream(self, device: Any = None, channels: int = 1,  # noqa: N802 - sounddevice's name
                    samplerate: float = 16000, dtype: str = "float32", blocksize: int = 0,
                    callback: Callable[..., None] | None = None, **_: Any) -> FileInputStream:
        if callback is None:
            raise PortAudioError("a callback is required")
        stream = FileInputStream(self, int(samplerate), channels, blocksize or 1024, callback)
        self.streams.append(stream)
        return stream


class FileInputStream:
    """Calls ``callback`` with consecutive blocks of the file on its own thread, in real time."""

    def __init__(self, owner: FileSoundDevice, samplerate: int, channels: int, blocksize: int,
                 callback: Callable[..., None]) -> None:
        self.owner = owner
        self.samplerate = samplerate
        self.channels = channels
        self.blocksize = blocksize
        self.callback = callback
        self.active = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, name="file-source", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        owner = self.owner
        signal = owner.signal
        period = self.blocksize / self.samplerate / owner.speed
        pos = 0
        due = owner.clock()
        while not self._stop.is_set():
            # Like PortAudio: the block is handed over once it has "been spoken".
            due += period
            delay = due - owner.clock()
            if delay > 0 and self._stop.wait(delay):
                break
            block = signal[pos: pos + self.blocksize]
            if block.size < self.blocksize:
                block = np.concatenate([block, np.zeros(self.blocksize - block.size,
                                                        dtype=np.float32)])
            pos += self.blocksize
            frames = np.repeat(block[:, None], self.channels, axis=1).astype(np.float32)
            self.callback(frames, self.blocksize, None, _Flags())
            if pos >= signal.size and not owner.finished.is_set():
                owner.finished_at = owner.clock()
                owner.finished.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.active = False

    def close(self) -> None:
        self.stop()
