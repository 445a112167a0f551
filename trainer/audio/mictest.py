"""The 3-second microphone test: record a few seconds, say whether the take would be usable.

It goes through the real ``Recorder`` (same device choice, same resampling) into a throw-away
WAV that is deleted afterwards, keeps the audio in memory (3 s is 48,000 samples) and judges
it the way a take is judged: the silence gate of ``trainer.rubric.delivery``, the level, clipping.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainer.audio.prosody import speech_seconds
from trainer.audio.recorder import Recorder
from trainer.audio.wavio import FloatArray
from trainer.common.errors import SILENT_MESSAGE

TEST_SECONDS = 3.0
QUIET_DBFS = -35.0  # loudest 100 ms below this: the seller will be hard to transcribe
HEARD_S = 0.4  # at least this much speech-like sound in 3 s counts as "heard"


@dataclass(frozen=True)
class MicCheck:
    """The verdict: ``ok`` and one sentence for the seller, with the measurements."""

    ok: bool
    message: str
    peak_dbfs: float
    speech_s: float
    clipped: bool


def judge_mic(audio: FloatArray, clipped: bool, samplerate: int = 16000) -> MicCheck:
    """Turn a few seconds of microphone audio into a verdict a seller can act on."""
    speech_s = speech_seconds(audio, samplerate) if audio.size else 0.0
    hop = samplerate // 10
    frames = audio.size // hop
    if frames:
        rms = np.sqrt(np.mean(np.square(audio[: frames * hop].reshape(frames, hop),
                                        dtype=np.float64), axis=1))
        peak_db = float(20 * np.log10(max(float(rms.max()), 1e-6)))
    else:
        peak_db = -120.0
    if speech_s < HEARD_S:
        return MicCheck(False, SILENT_MESSAGE, peak_db, speech_s, clipped)
    if clipped:
        return MicCheck(False, "Too loud: the sound is clipping; move back from the microphone "
                        "or turn its input volume down.", peak_db, speech_s, clipped)
    if peak_db < QUIET_DBFS:
        return MicCheck(False, "We hear you, but faintly: move closer to the microphone or "
                        "turn its input volume up.", peak_db, speech_s, clipped)
    return MicCheck(True, "Your microphone works: we hear you clearly.", peak_db, speech_s,
                    clipped)


class MicTest:
    """A short recording with the seller's chosen device; poll ``done``, then ``finish``.

    Args:
        sound: the ``sounddevice`` module (or a fake).
        wav: where the throw-away recording goes (deleted by ``finish``).
        device: the input device, as for ``Recorder.start``.
        seconds: how long to listen.
    """

    def __init__(self, sound: Any, wav: Path, device: int | str | None = None,
                 seconds: float = TEST_SECONDS) -> None:
        self.wav = wav
        self.seconds = seconds
        self._blocks: list[FloatArray] = []
        self._lock = threading.Lock()
        self.recorder = Recorder(sound, block_s=0.05, on_audio=self._keep)
        self.device = device

    def _keep(self, block: FloatArray) -> None:
        with self._lock:
            self._blocks.append(block.copy())

    def start(self) -> None:
        """Open the device (raises ``NoInputDevice``/``AudioDeviceError`` like a take)."""
        self.recorder.start(self.wav, self.device)

    @property
    def done(self) -> bool:
        return self.recorder.elapsed_s >= self.seconds or not self.recorder.recording

    def finish(self) -> MicCheck:
        """Stop, delete the throw-away file, and judge what was heard.

        Raises:
            TrainerError: the device failed during the test (its own sentence).
        """
        try:
            recording = self.recorder.stop()
        finally:
            with contextlib.suppress(OSError):
                self.wav.unlink(missing_ok=True)
        if recording.error is not None:
            raise recording.error
        with self._lock:
            audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        return judge_mic(audio[: int(self.seconds * 16000)], self.recorder.clipping)
