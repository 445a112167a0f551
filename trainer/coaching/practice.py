"""One practice attempt, end to end, without any UI: audio in, scorecard out, all saved.

Both the desktop app and the CLI go through here, so a take scored in one is scored the same
way in the other. Each step takes its collaborators as arguments (transcriber, store), which
keeps this module testable with real parts or fakes.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.audio.prosody import Track, analyse
from trainer.audio.wavio import read_audio, repair_wav
from trainer.coaching.agendas import coverage_block
from trainer.coaching.live import LiveTake
from trainer.common.errors import SilentRecording, TrainerError
from trainer.rubric.delivery import check_heard, delivery_metrics, delivery_verdict
from trainer.rubric.drills import Drill, Scenario
from trainer.rubric.embeddings import Embedder
from trainer.rubric.scoring import score_transcript, with_delivery
from trainer.speech.streaming import FILLER_PROMPT, accepts_prompt
from trainer.speech.transcriber import SAMPLE_RATE, Transcriber, Transcript
from trainer.store.database import Seller, Store


@functools.cache
def default_embedder() -> Embedder | None:
    """The process's sentence embedder, or None when its model files are missing (a written
    agenda is then matched on shared words only).

    One instance for every caller (the practice tab, the roleplay, the card game): its ONNX
    session is loaded once (``load`` is idempotent and locked) and its sentence cache shared.
    """
    try:
        from trainer.rubric.embeddings import locate_files

        locate_files()
    except TrainerError:
        return None
    return Embedder()


@dataclass(frozen=True)
class WrittenAgenda:
    """The seller's written agenda for the take's interaction type (agenda takes only)."""

    interaction: str
    text: str


@dataclass
class AttemptResult:
    """The outcome of scoring a take: the scorecard JSON and what it was built from."""

    scorecard: dict[str, Any]
    transcript: Transcript
    attempt_id: int | None = None


def score_audio(drill: Drill, scenario: Scenario | None, audio_path: Path,
                transcriber: Transcriber, embedder: Embedder | None = None,
                agenda: WrittenAgenda | None = None) -> AttemptResult:
    """Transcribe a recording offline and score it, with delivery metrics.

    Raises:
        AudioFileError: the file cannot be read.
        SilentRecording: no real speech in the take.
    """
    audio = read_audio(audio_path, SAMPLE_RATE)
    # The filler hint keeps "um"/"uh" in the transcript (Whisper drops soft ones without it;
    # measured by trainer.bench fillers), so fillers count the same as on the live path.
    if accepts_prompt(transcriber):
        prompted: Any = transcriber  # the Transcriber protocol has no prompt; Whisper does
        transcript = prompted.transcribe(audio, initial_prompt=FILLER_PROMPT)
    else:
        transcript = transcriber.transcribe(audio)
    check_heard(audio, transcript.words, SAMPLE_RATE)
    track = analyse(audio, SAMPLE_RATE)
    return AttemptResult(build_scorecard(drill, scenario, transcript, embedder, track=track,
                                         agenda=agenda), transcript)


def score_live(drill: Drill, scenario: Scenario | None, take: LiveTake,
               embedder: Embedder | None = None, timeout: float | None = None,
               agenda: WrittenAgenda | None = None) -> AttemptResult:
    """Score a take that was transcribed and analysed while it was recorded.

    Call after the recorder has stopped: only the transcription tail is left to do.

    Raises:
        SilentRecording: no real speech in the take.
        TrainerError: the model failed during the take.
    """
    transcript, track = take.finish(timeout)
    check_heard(None, transcript.words, SAMPLE_RATE, speech_s=track.heard_seconds())
    return AttemptResult(build_scorecard(drill, scenario, transcript, embedder, track=track,
                                         agenda=agenda), transcript)


def build_scorecard(drill: Drill, scenario: Scenario | None, transcript: Transcript,
                    embedder: Embedder | None = None, track: Track | None = None,
                    agenda: WrittenAgenda | None = None) -> dict[str, Any]:
    """Rubric plus delivery, for a recorded take.

    The transcript criteria come from ``score_transcript``; the delivery block from the word
    timings and the prosody ``track`` (pitch and loudness need it); the drill's
    ``engaging_delivery`` criterion is judged from that block and joins the score. The
    ``embedder`` (the sentence model) matches a written agenda against what was said.
    """
    card = score_transcript(drill, transcript.text, scenario)
    profile = drill.delivery.profile if drill.delivery is not None else "conversation"
    delivery = delivery_metrics(transcript.words, transcript.duration_s, drill.target_seconds,
                                track=track, text=transcript.text, profile=profile)
    if drill.delivery is not None:
        met, evidence, tip = delivery_verdict(delivery, drill.delivery)
        card = with_delivery(card, drill.delivery, met, evidence, tip)
        delivery["criterion"] = drill.delivery.id
    out = card.to_json()
    out["delivery"] = delivery
    out["model"] = transcript.model
    if agenda is not None and drill.skill == "agenda" and agenda.text.strip():
        out["agenda_coverage"] = coverage_block(
            agenda.interaction, agenda.text, transcript.words_json(),
            embedder if embedder is not None else default_embedder())
    return out


def unused_path(path: Path) -> Path:
    """``path``, or ``name-2.wav``, ``name-3.wav``... so two takes in one second never collide."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def attempt_audio_path(data_dir: Path, seller: Seller, drill_id: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return data_dir / "recordings" / seller.folder / f"{stamp}-{drill_id}.wav"


def finish_attempt(store: Store, attempt_id: int, drill: Drill, scenario: Scenario | None,
                   audio_path: Path, transcriber: Transcriber,
                   agenda: WrittenAgenda | None = None) -> AttemptResult:
    """Score a recorded take and save the result; a failure is saved too, then re-raised."""
    try:
        result = score_audio(drill, scenario, audio_path, transcriber, agenda=agenda)
    except SilentRecording as exc:
        store.mark_failed(attempt_id, str(exc))
        raise
    except TrainerError as exc:
        store.mark_failed(attempt_id, str(exc))
        raise
    store.save_result(attempt_id, result.transcript.text, result.transcript.words_json(),
                      result.scorecard, result.transcript.model, result.transcript.duration_s)
    result.attempt_id = attempt_id
    return result


def finish_live_attempt(store: Store, attempt_id: int, drill: Drill, scenario: Scenario | None,
                        take: LiveTake, embedder: Embedder | None = None,
                        agenda: WrittenAgenda | None = None) -> AttemptResult:
    """``finish_attempt`` for a take transcribed while it was recorded (the app's path)."""
    try:
        result = score_live(drill, scenario, take, embedder, agenda=agenda)
    except TrainerError as exc:
        store.mark_failed(attempt_id, str(exc))
        raise
    finally:
        take.close()
    store.save_result(attempt_id, result.transcript.text, result.transcript.words_json(),
                      result.scorecard, result.transcript.model, result.transcript.duration_s)
    result.attempt_id = attempt_id
    return result


def recover_unfinished(store: Store) -> list[int]:
    """Repair the WAVs of takes a crash interrupted and mark them ready to score.

    Returns the attempt ids that now hold a playable recording.
    """
    recovered = []
    for attempt in store.unfinished_attempts():
        path = attempt.audio_path
        if path is None or not path.exists() or path.stat().st_size <= 44:
            store.mark_failed(attempt.id, "The app closed before any audio was saved.")
            continue
        try:
            repair_wav(path)
            duration = len(read_audio(path, SAMPLE_RATE)) / SAMPLE_RATE
        except TrainerError as exc:
            store.mark_failed(attempt.id, str(exc))
            continue
        store.mark_recorded(attempt.id, duration,
                            "Recovered after the app closed unexpectedly; ready to score.")
        recovered.append(attempt.id)
    return recovered
