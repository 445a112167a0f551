"""A fake ``sounddevice`` module in the shape of the real one, fed from a real speech WAV.

Used where the real PortAudio path cannot be driven deterministically (pytest-qt tests of
the window, recorder logic tests). The real path is tested separately against the PulseAudio
virtual source (``tests/test_recorder_pulse.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainer.audio.wavio import read_audio


class PortAudioError(Exception):
    """Same name and role as ``sounddevice.PortAudioError`` (not an OSError)."""


class _Default:
    def __init__(self, device: tuple[int, int]) -> None:
        self.device = device


class CallbackFlags:
    input_overflow = False


class CallbackStop(Exception):
    """Same role as ``sounddevice.CallbackStop``: raised in a callback to end the stream."""


class FakeInputStream:
    def __init__(self, owner: FakeSoundDevice, device: Any, channels: int, samplerate: float,
                 dtype: str, blocksize: int, callback: Callable[..., None]) -> None:
        if owner.fail_open is not None:
            raise owner.fail_open
        self.owner = owner
        self.channels = channels
        self.samplerate = int(samplerate)
        self.blocksize = blocksize or 1024
        self.callback = callback
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.active = False

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        signal = self.owner.signal_at(self.samplerate)
        pos = 0
        period = self.blocksize / self.samplerate / self.owner.speed
        next_time = time.monotonic()
        while not self._stop.is_set():
            die_after_s = self.owner.die_after_s
            if die_after_s is not None and pos >= die_after_s * self.samplerate:
                self.active = False
                return  # like an unplugged device: callbacks simply stop arriving
            pace = self.owner.pace
            if pace is not None:
                pace()
                if self._stop.is_set():
                    break
                next_time = max(next_time, time.monotonic())  # no burst after the wait
            block = signal[pos: pos + self.blocksize]
            if block.size < self.blocksize:
                block = np.concatenate(
                    [block, np.zeros(self.blocksize - block.size, dtype=np.float32)])
            pos += self.blocksize
            frames = np.repeat(block[:, None], self.channels, axis=1).astype(np.float32)
            self.callback(frames, self.blocksize, None, CallbackFlags())
            self.owner.blocks_delivered += 1
            next_time += period
            delay = next_time - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.active = False

    def close(self) -> None:
        self.stop()


class FakeSoundDevice:
    """Looks like the ``sounddevice`` module to ``Recorder``.

    Args:
        source: WAV whose speech the "microphone" hears (silence after it ends).
        rates: sample rates the device accepts (``check_input_settings`` raises otherwise).
        devices: number of input devices (0 = no microphone).
        speed: 1.0 = real time; higher feeds blocks faster for quick tests.
    """

    PortAudioError = PortAudioError

    def __init__(self, source: Path | None = None, rates: tuple[int, ...] = (16000, 48000),
                 devices: int = 1, speed: float = 1.0, default_rate: int = 48000,
                 gain: float = 1.0, outputs: int = 1) -> None:
        self.source = source
        self.rates = rates
        self.speed = speed
        self.gain = gain
        self.default_rate = default_rate
        self._devices = [
            {"name": f"Fake Mic {i}", "max_input_channels": 2, "max_output_channels": 0,
             "default_samplerate": float(default_rate)} for i in range(devices)
        ]
        self.default = _Default((0 if devices else -1, -1))
        self.fail_open: Exception | None = None
        self.die_after_s: float | None = None
        # Called before each block (on the stream's thread): a test can make the "speaker"
        # wait for the live transcriber, so its passes are those of a machine that keeps up.
        self.pace: Callable[[], None] | None = None
        self.blocks_delivered = 0
        self._cache: dict[int, np.ndarray] = {}
        # Output side (playback). Kept out of ``query_devices()``'s list so the input-side
        # behaviour above (device indices, "no microphone") is exactly what it was.
        self._outputs = [
            {"name": f"Fake Speaker {i}", "max_input_channels": 0, "max_output_channels": 2,
             "default_samplerate": float(default_rate)} for i in range(outputs)
        ]
        self.output_rates = rates
        self.played: list[np.ndarray] = []  # every block the player wrote, in order
        self.output_streams: list[FakeOutputStream] = []

    def signal_at(self, rate: int) -> np.ndarray:
        if rate not in self._cache:
            if self.source is None:
                audio = np.zeros(rate, dtype=np.float32)
            else:
                audio = read_audio(self.source, samplerate=rate) * self.gain
            self._cache[rate] = audio.astype(np.float32)
        return self._cache[rate]

    def query_devices(self, device: Any = None, kind: str | None = None) -> Any:
        if kind == "output":
            if not self._outputs:
                raise PortAudioError("Error querying device -1")
            return dict(self._outputs[0 if device is None else int(device)])
        if device is None and kind is None:
            return list(self._devices)
        if not self._devices:
            raise PortAudioError("Error querying device -1")
        index = 0 if device is None else int(device)
        return dict(self._devices[index])

    def check_input_settings(self, device: Any = None, channels: int | None = None,
                             dtype: Any = None, samplerate: float | None = None,
                             **_: Any) -> None:
        if not self._devices:
            raise PortAudioError("Error querying device -1")
        if samplerate is not None and int(samplerate) not in self.rates:
            raise PortAudioError(f"Invalid sample rate [PaErrorCode -9997] {samplerate}")

    def InputStream(self, device: Any = None, channels: int = 1, samplerate: float = 16000,  # noqa: N802
                    dtype: str = "float32", blocksize: int = 0,
                    callback: Callable[..., None] | None = None, **_: Any) -> FakeInputStream:
        if not self._devices:
            raise PortAudioError("Error querying device -1")
        assert callback is not None
        return FakeInputStream(self, device, channels, samplerate, dtype, blocksize, callback)

    # -- playback (output) side ----------------------------------------------------------
    CallbackStop = CallbackStop

    def check_output_settings(self, device: Any = None, channels: int | None = None,
                              dtype: Any = None, samplerate: float | None = None,
                              **_: Any) -> None:
        if not self._outputs:
            raise PortAudioError("Error querying device -1")
        if samplerate is not None and int(samplerate) not in self.output_rates:
            raise PortAudioError(f"Invalid sample rate [PaErrorCode -9997] {samplerate}")

    def OutputStream(self, device: Any = None, channels: int = 1, samplerate: float = 16000,  # noqa: N802
                     dtype: str = "float32", blocksize: int = 0,
                     callback: Callable[..., None] | None = None,
                     finished_callback: Callable[[], None] | None = None,
                     **_: Any) -> FakeOutputStream:
        if not self._outputs:
            raise PortAudioError("Error querying device -1")
        assert callback is not None
        stream = FakeOutputStream(self, channels, samplerate, blocksize, callback,
                                  finished_callback)
        self.output_streams.append(stream)
        return stream

    def played_audio(self) -> np.ndarray:
        """Everything written to the fake speaker so far, first channel, as one array."""
        if not self.played:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([b[:, 0] for b in self.played])


class FakeOutputStream:
    """Pulls blocks from the player's callback on a thread, like PortAudio does."""

    def __init__(self, owner: FakeSoundDevice, channels: int, samplerate: float,
                 blocksize: int, callback: Callable[..., None],
                 finished_callback: Callable[[], None] | None) -> None:
        self.owner = owner
        self.channels = channels
        self.samplerate = int(samplerate)
        self.blocksize = blocksize or 1024
        self.callback = callback
        self.finished_callback = finished_callback
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.active = False

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.blocksize / self.samplerate / self.owner.speed
        next_time = time.monotonic()
        try:
            while not self._stop.is_set():
                out = np.zeros((self.blocksize, self.channels), dtype=np.float32)
                try:
                    self.callback(out, self.blocksize, None, CallbackFlags())
                except CallbackStop:
                    self.owner.played.append(out)  # the last block is still played
                    return
                self.owner.played.append(out)
                next_time += period
                delay = next_time - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
        finally:
            self.active = False
            if self.finished_callback is not None:
                self.finished_callback()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.active = False

    def close(self) -> None:
        self.stop()
