"""One take analysed while it is recorded: live transcript and delivery, scorecard at Stop.

``LiveTake.feed`` is the recorder's ``on_audio`` hook (called on its writer thread with each
16 kHz block): it hands the block to the streaming transcriber and the prosody tracker and
returns. At Stop, ``finish`` waits only for the transcription tail; the pitch and loudness
analysis is already done, and so is most of the rubric's work: with ``prefetch`` (the app and
``trainer.coaching.realtime`` give ``trainer.rubric.scoring.warm_judge``), the committed transcript
is handed to the
judge twice a second, so its windows are embedded while the seller is still talking.
``trainer.coaching.realtime`` plays a file through the same pipeline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from trainer.audio.prosody import ProsodyTracker, Track
from trainer.audio.wavio import FloatArray
from trainer.speech.streaming import EXIT_JOIN_S, LiveText, StreamingTranscriber
from trainer.speech.transcriber import SAMPLE_RATE, Transcript

log = logging.getLogger(__name__)
WARM_EVERY_S = 0.5


class LiveTake:
    """Live transcription and delivery analysis of one take.

    Args:
        transcriber: the loaded model (``WhisperTranscriber``); reused across takes.
        prefetch: called (off the recorder's thread) with the committed transcript as it
            grows, to start the judge's work early; optional.
        streaming: keyword options for ``StreamingTranscriber`` (window length, prompt...).
    """

    def __init__(self, transcriber: Any, prefetch: Callable[[str], None] | None = None,
                 **streaming: Any) -> None:
        # A model that answers two calls at once lets Stop skip waiting for a running pass.
        streaming.setdefault("parallel_tail",
                             int(getattr(transcriber, "concurrent_calls", 1)) >= 2)
        # Greedy decoding for the passes Stop may wait for: a 12 s tail took 2.6 s instead
        # of 3.4 s with base, with the same word error rate on the latency clips.
        streaming.setdefault("quick_beam", 1)
        # A smaller model for the tail and the partials, when the transcriber carries one.
        streaming.setdefault("quick_transcriber", getattr(transcriber, "quick_transcriber", None))
        self.stream = StreamingTranscriber(transcriber, samplerate=SAMPLE_RATE, **streaming)
        self.prosody = ProsodyTracker(SAMPLE_RATE)
        self._started = False
        self._prefetch = prefetch
        self._warm_stop = threading.Event()
        self._warm_thread: threading.Thread | None = None

    def start(self) -> None:
        self.stream.start()
        self._started = True
        if self._prefetch is not None:
            self._warm_thread = threading.Thread(target=self._warm, name="judge-warm",
                                                 daemon=True)
            self._warm_thread.start()

    def _warm(self) -> None:
        seen = ""
        while not self._warm_stop.wait(WARM_EVERY_S):
            committed = self.stream.live_text().committed
            if committed and committed != seen and self._prefetch is not None:
                seen = committed
                try:
                    self._prefetch(committed)
                except Exception as exc:  # noqa: BLE001 - a warm-up must never end a take
                    log.warning("The judge could not start early: %s", exc)
                    return

    def _stop_warming(self) -> None:
        self._warm_stop.set()
        thread = self._warm_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def feed(self, block: FloatArray) -> None:
        """The recorder's ``on_audio``: copy the block to both analysers and return."""
        self.stream.feed(block)
        self.prosody.feed(block)

    def live_text(self) -> LiveText:
        return self.stream.live_text()

    @property
    def version(self) -> int:
        return self.stream.version

    def finish(self, timeout: float | None = None) -> tuple[Transcript, Track]:
        """The full transcript (only the tail is transcribed now) and the prosody track."""
        self._stop_warming()
        transcript = self.stream.finish(timeout)
        self.prosody.flush()
        return transcript, self.prosody.track()

    def close(self) -> None:
        self._stop_warming()
        self.stream.close()

    def join(self, timeout: float | None = EXIT_JOIN_S) -> bool:
        """Close and wait until no model pass of this take is running (before exiting)."""
        self._stop_warming()
        return self.stream.join(timeout)
