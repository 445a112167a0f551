"""Play a take back through the speakers (PortAudio through ``sounddevice``), without Qt.

The whole recording is read into memory first (a two-minute take at 16 kHz is ~8 MB of
float32), so the PortAudio callback only copies a slice of a NumPy array into the output
buffer and advances an integer: no locks, no I/O, no allocation beyond the slice. The UI
polls ``playing`` and ``position_s`` on a timer, like it polls the recorder's level.

A missing speaker raises ``NoOutputDevice``, any other device failure ``AudioDeviceError``,
each with one sentence the UI shows as-is.

For the replay view it also maps between time and the take's words: ``word_at`` (which word
is being heard at a position, for the highlight) and ``quote_start`` (where a scorecard's
evidence quote begins, so a click on it can ``seek`` there).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.audio.sound import NO_MIC_MESSAGE, describe_device_error, is_portaudio_error
from trainer.audio.wavio import FloatArray, inspect_wav, read_audio, resample
from trainer.common.errors import AudioDeviceError, NoOutputDevice

NO_SPEAKER_MESSAGE = (
    "No speaker or headphones were found; plug some in (or enable them in your system's sound "
    "settings) and try again."
)


class Player:
    """Play one recording at a time on the default (or a chosen) output device.

    Args:
        sound: the ``sounddevice`` module, or a fake with the same shape.
        device: output device index or name; ``None`` is the system default.
        block_s: seconds per PortAudio block (how quickly ``stop`` is heard).
    """

    def __init__(self, sound: Any, device: int | str | None = None, block_s: float = 0.05
                 ) -> None:
        self.sound = sound
        self.device = device
        self.block_s = block_s
        self._stream: Any = None
        self._audio: FloatArray = np.zeros(0, dtype=np.float32)
        self._rate = 16000
        # Written by the audio thread, read by the UI thread: a plain int (atomic under the
        # GIL) and an Event, so neither side ever waits on the other.
        self._pos = 0
        self._done = threading.Event()
        self._done.set()

    # -- state the UI polls -------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    @property
    def position_s(self) -> float:
        return self._pos / self._rate

    @property
    def duration_s(self) -> float:
        return self._audio.size / self._rate

    # -- control ------------------------------------------------------------------------
    def play(self, source: Path | FloatArray, samplerate: int | None = None,
             start_s: float = 0.0) -> None:
        """Start playing a WAV file, or a mono float array at ``samplerate``.

        Anything already playing is stopped first. ``start_s`` starts part-way in.

        Raises:
            AudioFileError: the file cannot be read.
            NoOutputDevice: there is no speaker.
            AudioDeviceError: the speaker refused to open.
        """
        self.stop()
        if isinstance(source, Path):
            native = inspect_wav(source).samplerate if _is_wav(source) else 16000
            audio, rate = read_audio(source, native), native
        else:
            if samplerate is None:
                raise ValueError("samplerate is required when playing an array")
            audio, rate = np.asarray(source, dtype=np.float32).reshape(-1), int(samplerate)
        device_rate = self._choose_rate(rate)
        if device_rate != rate:
            audio = resample(audio, rate, device_rate)
        self._audio = np.ascontiguousarray(audio, dtype=np.float32)
        self._rate = device_rate
        self._pos = self._frame(start_s)
        self._done.clear()
        try:
            self._stream = self.sound.OutputStream(
                device=self.device, channels=1, samplerate=device_rate, dtype="float32",
                blocksize=max(1, int(device_rate * self.block_s)), callback=self._callback,
                finished_callback=self._done.set,
            )
            self._stream.start()
        except Exception as exc:
            self._done.set()
            self._stream = None
            if is_portaudio_error(self.sound, exc) or isinstance(exc, (OSError, ValueError)):
                raise _output_error(exc) from exc
            raise

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` into the recording that is playing (or was played last).

        One integer store: the audio thread reads it at its next block, so no lock is needed.
        """
        self._pos = self._frame(seconds)

    def _frame(self, seconds: float) -> int:
        return max(0, min(int(round(seconds * self._rate)), self._audio.size))

    def stop(self) -> None:
        """Stop playing (if playing) and release the device. Safe to call at any time."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:
                # The device may already be gone; the stream is released either way.
                if not is_portaudio_error(self.sound, exc):
                    raise
        self._done.set()

    # -- internals ----------------------------------------------------------------------
    def _choose_rate(self, rate: int) -> int:
        """The file's own rate if the device takes it, else the device's default rate."""
        try:
            self.sound.check_output_settings(device=self.device, channels=1, dtype="float32",
                                             samplerate=rate)
            return rate
        except Exception as exc:
            if not (is_portaudio_error(self.sound, exc) or isinstance(exc, ValueError)):
                raise
            first_error: BaseException = exc
        try:
            info = self.sound.query_devices(self.device, "output")
        except Exception as exc:
            if is_portaudio_error(self.sound, exc) or isinstance(exc, ValueError):
                raise _output_error(exc) from exc
            raise
        if int(info.get("max_output_channels", 0)) <= 0:
            raise NoOutputDevice(NO_SPEAKER_MESSAGE) from first_error
        return int(info["default_samplerate"])

    def _callback(self, outdata: npt.NDArray[np.float32], frames: int, time_info: Any,
                  status: Any) -> None:
        # Real-time thread: copy a slice and return. Never Qt, never the disk.
        start = self._pos
        chunk = self._audio[start:start + frames]
        count = chunk.size
        outdata[:count] = chunk[:, None]
        outdata[count:] = 0.0
        self._pos = start + count
        if count < frames:
            stop = getattr(self.sound, "CallbackStop", None)
            if isinstance(stop, type) and issubclass(stop, BaseException):
                raise stop  # lets PortAudio drain this last block, then finish the stream
            self._done.set()


def _is_wav(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False  # read_audio reports the missing or unreadable file properly
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def _output_error(exc: BaseException) -> NoOutputDevice | AudioDeviceError:
    message = describe_device_error(exc, "play the recording")
    if message == NO_MIC_MESSAGE:  # the same PortAudio symptoms mean "no speaker" here
        return NoOutputDevice(NO_SPEAKER_MESSAGE)
    return AudioDeviceError(message)


# -- words and time ---------------------------------------------------------------------
_TOKEN = re.compile(r"[a-z0-9']+")


def _tokens(text: str) -> list[str]:
    return [t.strip("'") for t in _TOKEN.findall(text.lower()) if t.strip("'")]


def word_at(words: Sequence[Mapping[str, object]], seconds: float) -> int | None:
    """Index of the word being heard at ``seconds``: the last one that has started.

    ``words`` are the stored word dicts (``word``, ``start``, ``end``); None before the first.
    """
    found = None
    for i, w in enumerate(words):
        start = w.get("start")
        if isinstance(start, (int, float)) and start <= seconds + 1e-6:
            found = i
        elif isinstance(start, (int, float)):
            break
    return found


def quote_start(words: Sequence[Mapping[str, object]], quote: str) -> int | None:
    """Index of the word where ``quote`` (a scorecard's verbatim evidence) begins, or None.

    The quote is text from the transcript (maybe with "..." at either end); it is matched on
    lower-case word tokens, so punctuation and quote marks do not matter. When the exact run is
    not found (a word split differently), the position sharing most of the quote's first words
    wins, if it shares at least half of them.
    """
    wanted = _tokens(quote)[:6]
    if not wanted or not words:
        return None
    flat: list[tuple[str, int]] = []
    for i, w in enumerate(words):
        flat.extend((t, i) for t in _tokens(str(w.get("word", ""))))
    tokens = [t for t, _ in flat]
    n = len(wanted)
    for pos in range(len(tokens) - n + 1):
        if tokens[pos:pos + n] == wanted:
            return flat[pos][1]
    best, best_pos = 0, None
    for pos in range(len(tokens)):
        shared = sum(1 for a, b in zip(tokens[pos:pos + n], wanted, strict=False) if a == b)
        if shared > best:
            best, best_pos = shared, pos
    if best_pos is not None and best * 2 >= n:
        return flat[best_pos][1]
    return None
