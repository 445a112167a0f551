"""Record the microphone to a WAV file as the seller speaks.

The PortAudio callback runs on a real-time thread: it copies the block into a queue and
returns, nothing else. A writer thread drains the queue, mixes to mono, resamples to 16 kHz
when the device cannot record at that rate, appends to the WAV on disk (header kept valid,
so a crash leaves a playable file) and updates the level that the UI polls.

Problems during a take (device unplugged, disk full) never discard audio: the recorder
stops, keeps what it has, and reports a ``TrainerError`` through ``error``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.audio.sound import NO_MIC_MESSAGE, as_device_error, input_devices, is_portaudio_error
from trainer.audio.wavio import FloatArray, WavWriter, lowpass_kernel
from trainer.common.errors import AudioDeviceError, NoInputDevice, StorageError, TrainerError
from trainer.common.paths import ensure_private_dir

TARGET_RATE = 16000
_SILENCE_DB = -120.0


class StreamResampler:
    """Block-by-block resampling with state carried across blocks (no clicks at edges)."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.ratio = from_rate / to_rate
        self._kernel = lowpass_kernel(0.45 / self.ratio) if from_rate > to_rate else None
        taps = 0 if self._kernel is None else self._kernel.size
        self._history = np.zeros(max(taps - 1, 0), dtype=np.float64)
        self._carry = np.zeros(0, dtype=np.float64)
        self._pos = 0.0

    def process(self, block: FloatArray) -> FloatArray:
        x = block.astype(np.float64)
        if self._kernel is not None:
            padded = np.concatenate([self._history, x])
            x = np.convolve(padded, self._kernel, mode="valid")
            self._history = padded[len(padded) - self._history.size:]
        buf = np.concatenate([self._carry, x])
        if buf.size < 2:
            self._carry = buf
            return np.zeros(0, dtype=np.float32)
        count = int(np.floor((buf.size - 1 - self._pos) / self.ratio)) + 1
        positions = self._pos + np.arange(max(count, 0)) * self.ratio
        out: npt.NDArray[np.float64] = np.interp(positions, np.arange(buf.size), buf)
        next_pos = self._pos + count * self.ratio
        keep_from = int(np.floor(next_pos))
        self._carry = buf[keep_from:]
        self._pos = next_pos - keep_from
        return out.astype(np.float32)


@dataclass(frozen=True)
class Recording:
    """A finished take: where it is, how long, and whether it ended early."""

    path: Path
    duration_s: float
    samplerate: int
    device_rate: int
    peak: float
    error: TrainerError | None = None


def level_db(block: npt.NDArray[np.floating]) -> float:
    if block.size == 0:
        return _SILENCE_DB
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 1e-6 else _SILENCE_DB


class Recorder:
    """Capture one take at a time from a ``sounddevice``-shaped module.

    Args:
        sound: the ``sounddevice`` module, or a fake with the same shape.
        samplerate: the rate written to disk (Whisper wants 16 kHz).
        block_s: seconds per PortAudio block (latency of the level meter).
        clock: monotonic time source, injectable for tests.
        on_audio: called on the writer thread with each 16 kHz mono block (live transcription).
        stall_timeout_s: with no audio for this long the device is declared lost.
    """

    def __init__(self, sound: Any, samplerate: int = TARGET_RATE, block_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic,
                 on_audio: Callable[[FloatArray], None] | None = None,
                 stall_timeout_s: float = 3.0) -> None:
        self.sound = sound
        self.samplerate = samplerate
        self.block_s = block_s
        self.clock = clock
        self.on_audio = on_audio
        self.stall_timeout_s = stall_timeout_s
        self._queue: queue.Queue[npt.NDArray[np.float32] | None] = queue.Queue()
        self._stream: Any = None
        self._writer: WavWriter | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._level = _SILENCE_DB
        self._peak = 0.0
        self._clipped_blocks = 0
        self._started_at = 0.0
        self._device_rate = samplerate
        self._error: TrainerError | None = None
        self._path: Path | None = None
        self._overflows = 0

    # -- state the UI polls -------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self._running.is_set()

    @property
    def level_db(self) -> float:
        return self._level

    @property
    def peak(self) -> float:
        return self._peak

    @property
    def clipping(self) -> bool:
        return self._clipped_blocks > 0

    @property
    def elapsed_s(self) -> float:
        writer = self._writer
        return writer.duration_s if writer is not None else 0.0

    @property
    def error(self) -> TrainerError | None:
        return self._error

    # -- lifecycle ----------------------------------------------------------------------
    def choose_rate(self, device: int | str | None) -> int:
        """16 kHz if the device accepts it, else the device's own default rate."""
        try:
            self.sound.check_input_settings(device=device, channels=1, dtype="float32",
                                            samplerate=self.samplerate)
            return self.samplerate
        except Exception as exc:
            if not (is_portaudio_error(self.sound, exc) or isinstance(exc, ValueError)):
                raise
            if not input_devices(self.sound):
                raise NoInputDevice(NO_MIC_MESSAGE) from exc
            try:
                info = self.sound.query_devices(device, "input")
            except Exception as inner:
                raise as_device_error(self.sound, inner) from inner
            return int(info["default_samplerate"])

    def start(self, wav_path: Path, device: int | str | None = None) -> None:
        """Open the device and start writing ``wav_path``.

        Raises:
            NoInputDevice: no microphone (or no PortAudio).
            AudioDeviceError: the device refused to open.
            StorageError: the WAV file cannot be created.
        """
        if self.recording:
            raise RuntimeError("already recording")
        if not input_devices(self.sound):
            raise NoInputDevice(NO_MIC_MESSAGE)
        self._device_rate = self.choose_rate(device)
        resampler = (StreamResampler(self._device_rate, self.samplerate)
                     if self._device_rate != self.samplerate else None)
        try:
            ensure_private_dir(wav_path.parent)
            self._writer = WavWriter(wav_path, self.samplerate)
        except OSError as exc:
            raise StorageError(
                f"Cannot save the recording in {wav_path.parent} ({exc.strerror}); "
                "free some disk space or choose another data folder."
            ) from exc
        self._path = wav_path
        self._error = None
        self._peak = 0.0
        self._clipped_blocks = 0
        self._overflows = 0
        self._queue = queue.Queue()
        try:
            self._stream = self.sound.InputStream(
                device=device, channels=1, samplerate=self._device_rate, dtype="float32",
                blocksize=int(self._device_rate * self.block_s), callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:
            self._writer.close()
            self._writer = None
            self._stream = None
            if is_portaudio_error(self.sound, exc) or isinstance(exc, (OSError, ValueError)):
                raise as_device_error(self.sound, exc) from exc
            raise
        self._started_at = self.clock()
        self._running.set()
        self._thread = threading.Thread(target=self._drain, args=(resampler,),
                                        name="recorder-writer", daemon=True)
        self._thread.start()

    def _callback(self, indata: npt.NDArray[np.float32], frames: int, time_info: Any,
                  status: Any) -> None:
        # Real-time thread: copy and return. No locks held for long, no I/O, no Qt.
        if status and getattr(status, "input_overflow", False):
            self._overflows += 1
        self._queue.put_nowait(indata.copy())

    def _drain(self, resampler: StreamResampler | None) -> None:
        last_audio = self.clock()
        while self._running.is_set() or not self._queue.empty():
            try:
                block = self._queue.get(timeout=0.1)
            except queue.Empty:
                block = None
            if block is None:  # a timeout, or stop() waking us at once
                if self._running.is_set() and self.clock() - last_audio > self.stall_timeout_s:
                    self._fail(AudioDeviceError(
                        "The microphone stopped sending sound (was it unplugged?); "
                        "what you recorded so far is kept."))
                continue
            last_audio = self.clock()
            self._write_block(block, resampler)

    def _write_block(self, block: npt.NDArray[np.float32],
                     resampler: StreamResampler | None) -> None:
        mono = block.mean(axis=1) if block.ndim == 2 else block
        peak = float(np.max(np.abs(mono))) if mono.size else 0.0
        if peak >= 0.99:
            self._clipped_blocks += 1
        out = resampler.process(mono) if resampler else mono.astype(np.float32)
        self._peak = max(self._peak, peak)
        self._level = level_db(mono)
        writer = self._writer
        if writer is None or self._error is not None:
            return
        try:
            writer.write(out)
        except OSError as exc:
            self._fail(StorageError(
                f"Recording stopped: the disk refused to save more audio ({exc.strerror}); "
                "what you recorded so far is kept."))
            return
        if self.on_audio is not None and out.size:
            self.on_audio(out)

    def _fail(self, error: TrainerError) -> None:
        with self._lock:
            if self._error is None:
                self._error = error
        self._running.clear()

    def stop(self) -> Recording:
        """Stop capturing, flush everything to disk, and describe the take."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:
                if not is_portaudio_error(self.sound, exc):
                    raise
        self._running.clear()
        if self._thread is not None:
            # Wake the writer now rather than at its next 0.1 s poll: Stop -> scorecard
            # waits for this.
            self._queue.put_nowait(None)
            self._thread.join(timeout=10)
            self._thread = None
        writer, self._writer = self._writer, None
        duration = 0.0
        if writer is not None:
            duration = writer.duration_s
            writer.close()
        if self._path is None:
            raise RuntimeError("stop() without start()")
        return Recording(self._path, duration, self.samplerate, self._device_rate, self._peak,
                         self._error)
