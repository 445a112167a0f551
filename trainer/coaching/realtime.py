"""A recorded file played through the real recording pipeline at real speed, scored at Stop.

``run_realtime`` feeds a WAV file to the recorder as if it were a microphone
(``FileSoundDevice`` → ``Recorder`` → ``LiveTake``), live-transcribes it and builds the
scorecard when the file ends, timing Stop → scorecard. It serves ``trainer score --realtime``
and the latency benchmark, so both measure the code a seller's take runs through.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.audio.filesource import FileSoundDevice
from trainer.audio.recorder import Recorder
from trainer.audio.wavio import read_audio
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import build_scorecard, default_embedder
from trainer.rubric.delivery import check_heard
from trainer.rubric.scoring import default_judge, warm_judge, warm_rubric
from trainer.speech.transcriber import SAMPLE_RATE, Transcript


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
    warm_rubric(drill, scenario)  # as the app does at Record
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
