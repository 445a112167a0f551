"""One take analysed while it is recorded: live transcript and delivery, scorecard at Stop.

``LiveTake.feed`` is the recorder's ``on_audio`` hook (called on its writer thread with each
16 kHz block): it hands the block to the streaming transcriber and the prosody tracker and
returns. At Stop, ``finish`` waits only for the transcription tail; the pitch and loudness
analysis is already done, and so is most of the rubric's work: with ``prefetch`` (the app and
``run_realtime`` give ``trainer.scoring.warm_judge``), the committed transcript is handed to the
judge twice a second, so its windows are embedded while the seller is still talking.
``run_realtime`` plays a file through the real recording pipeline (``FileSoundDevice`` →
``Recorder`` → this) for ``trainer score --realtime`` and the latency benchmark, and times
Stop → scorecard.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.filesource import FileSoundDevice
from trainer.prosody import ProsodyTracker, Track
from trainer.streaming import EXIT_JOIN_S, LiveText, StreamingTranscriber
from trainer.transcriber import SAMPLE_RATE, Transcript
from trainer.wavio import FloatArray, read_audio

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


@dataclass
class RealtimeRun:
    """What ``run_realtime`` measured."""

    scorecard: dict[str, Any]
    transcript: Transcript
    stop_to_result_s: float
    batch_s: float | None = None
    batch_transcript: Transcript | None = None
    audio_s: float = 0.0
    timeline: dict[str, float] = field(default_factory=dict)


def run_realtime(drill: Any, scenario: Any, audio_path: Path, transcriber: Any,
                 embedder: Any = None, *, batch: bool = True, speed: float = 1.0,
                 work_dir: Path | None = None, **streaming: Any) -> RealtimeRun:
    """Play ``audio_path`` into the recorder at real speed, live-transcribe, score at "Stop".

    ``stop_to_result_s`` runs from the moment the file's last sample was delivered (the seller
    presses Stop) to the finished scorecard: recorder stop and flush, the transcription tail,
    the silence check, rubric and delivery scoring. With ``batch``, the same model also
    transcribes the whole file in one go first (``batch_s``), in the same process.

    Raises:
        AudioFileError: the file cannot be read.
        SilentRecording: no real speech in the file.
    """
    from trainer.delivery import check_heard
    from trainer.practice import build_scorecard, default_embedder
    from trainer.recorder import Recorder
    from trainer.scoring import default_judge, warm_judge

    samples = read_audio(audio_path, SAMPLE_RATE)
    transcriber.load()
    if embedder is None:  # loaded before the take, as the app keeps it loaded
        embedder = default_embedder()
    if embedder is not None:
        embedder.load()
    default_judge().load()  # so is the judge
    batch_s = None
    batch_transcript = None
    if batch:
        started = time.perf_counter()
        batch_transcript = transcriber.transcribe(samples)
        batch_s = time.perf_counter() - started
    sound = FileSoundDevice(samples, SAMPLE_RATE, speed=speed)
    take = LiveTake(transcriber, prefetch=warm_judge, **streaming)
    recorder = Recorder(sound, block_s=0.05, on_audio=take.feed)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="realtime-") as tmp:
        take.start()
        try:
            recorder.start(Path(tmp) / "take.wav")
            sound.finished.wait()
            stop = time.perf_counter()
            recording = recorder.stop()
            if recording.error is not None:
                raise recording.error
            stopped = time.perf_counter()
            transcript, track = take.finish()
            finished = time.perf_counter()
            check_heard(None, transcript.words, speech_s=track.heard_seconds())
            card = build_scorecard(drill, scenario, transcript, embedder, track=track)
            stop_to_result = time.perf_counter() - stop
        finally:
            # After the scorecard (not counted in stop_to_result): a pass superseded at Stop
            # must not still be in the model when the caller's process exits (issue 14).
            take.join()
    timeline = {"tail_s": float(transcript.extra.get("stream", {}).get("tail_s", 0.0)),
                "recorder_stop_s": stopped - stop, "transcript_s": finished - stopped,
                "scoring_s": stop - finished + stop_to_result}
    return RealtimeRun(card, transcript, stop_to_result, batch_s, batch_transcript,
                       samples.size / SAMPLE_RATE, timeline)
