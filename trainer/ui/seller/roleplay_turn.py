"""A roleplay turn: the seller's answer recorded, then transcribed, scored and answered.

``TurnRecorder`` owns the roleplay's recorder and the speech model it scores with (loaded off
the UI thread). A turn is begun as an attempt in the history (``context="roleplay:<id>"``) and
recorded with a live transcription when the model allows it; the meter, the time and the words
heard so far are polled on a timer (the audio and transcription threads never touch Qt). When
the seller stops, the rest runs on the pool: the transcription's tail, the score (the drill's
rubric, or what the buyer's line asked for), the buyer's next line and its speech, and the
roleplay saved so a crash can resume it. Scoring and storing go through the core
(``trainer.coaching.practice``, ``.roleplay`` and ``.roleplay_resume``).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching import roleplay_resume
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import (
    attempt_audio_path,
    build_scorecard,
    default_embedder,
    score_audio,
)
from trainer.coaching.roleplay import BuyerLine, Conversation
from trainer.common.errors import StorageError, TrainerError
from trainer.rubric.delivery import check_heard
from trainer.rubric.drills import Drill
from trainer.rubric.scoring import default_judge, warm_judge
from trainer.speech.streaming import accepts_prompt
from trainer.speech.transcriber import SAMPLE_RATE
from trainer.speech.voice import Voice, VoiceUnavailable
from trainer.store.database import Seller, Store
from trainer.ui.tasks import Pool, run_in_background

log = logging.getLogger(__name__)

TICK_MS = 50
NO_MODEL = "No speech model is installed, so turns cannot be scored; reinstall the app."
NO_PORTAUDIO = ("Recording needs the audio library PortAudio, which is missing; install it "
                "(on Linux: sudo apt install libportaudio2).")


class Phase(enum.Enum):
    IDLE = "idle"  # no conversation, or waiting for the seller's next turn
    RECORDING = "recording"
    SCORING = "scoring"
    FINISHED = "finished"


@dataclass
class TurnTake:
    """The seller's turn being recorded: where it is saved and how it is transcribed."""

    attempt_id: int
    rubric: Drill
    wav: Path
    live: LiveTake | None
    seller: Seller | None = None


@dataclass
class TurnOutcome:
    """What the background job hands back: the scored turn and the buyer's next line."""

    card: dict[str, Any]
    transcript: str
    line: BuyerLine
    buyer_wav: Path | None
    voice_note: str | None
    seller_wav: Path
    attempt_id: int | None = None
    state_path: Path | None = None  # where the roleplay in progress is saved (None: ended)
    state_note: str | None = None  # why it could not be saved


def _unused(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


class TurnRecorder(QObject):
    """Records the seller's answers and scores them, one turn at a time.

    Args:
        store: the practice history (each turn is one attempt).
        sound: the ``sounddevice`` module (or a fake); ``None`` when PortAudio is missing.
        transcriber: the Whisper model (loaded here if it is not yet).
        pool: where slow work runs.
        data_dir: where recordings and the roleplay in progress are saved.
        voice: speaks the buyer's next line as part of the turn.
        parent: the panel.
    """

    level = Signal(float, bool)  # the input level in dBFS, and whether it clips
    elapsed = Signal(int)  # seconds recorded
    heard = Signal(str)  # the words transcribed so far
    level_reset = Signal()  # the recording stopped: the meter falls back to silence
    ran_out = Signal()  # the recording stopped by itself (the device failed)
    scored = Signal(object)  # TurnOutcome
    failed = Signal(object)  # the exception that failed the turn's scoring
    problem = Signal(object)  # an error to say that does not end the turn

    def __init__(self, store: Store, sound: Any, transcriber: Any, pool: Pool,
                 data_dir: Path, voice: Voice, parent: QObject) -> None:
        super().__init__(parent)
        self.store = store
        self.sound = sound
        self.transcriber = transcriber
        self.pool = pool
        self.data_dir = data_dir
        self.voice = voice
        self.recorder = Recorder(sound, block_s=0.05) if sound is not None else None
        self.embedder: Any = None
        self.model_ready = False
        self.take: TurnTake | None = None
        self.recording = False
        self._live_version = -1
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)

    # == the model and the embedder =======================================================
    def load_model(self) -> None:
        if self.transcriber is None:
            self.problem.emit(TrainerError(NO_MODEL))
            return
        run_in_background(self._load_all, self._on_loaded, self.problem.emit, self.pool,
                          context=self)

    def _load_all(self) -> None:
        self.transcriber.load()
        embedder = default_embedder()
        if embedder is not None:
            embedder.load()
        default_judge().load()
        self.embedder = embedder

    def _on_loaded(self, _: object) -> None:
        self.model_ready = True

    def _can_stream(self) -> bool:
        return self.model_ready and accepts_prompt(self.transcriber)

    # == recording ========================================================================
    def device_problem(self) -> str | None:
        """Why no answer can be recorded on this machine now, or None."""
        if self.sound is None or self.recorder is None:
            return NO_PORTAUDIO
        if not input_devices(self.sound):
            return NO_MIC_MESSAGE
        return None

    def begin(self, conversation: Conversation, name: str) -> BaseException | None:
        """Begin the seller's answer as an attempt and record it; the error if it could not
        start (the attempt is then marked failed)."""
        recorder = self.recorder
        assert recorder is not None  # device_problem() said so
        scenario = conversation.scenario
        rubric = conversation.rubric()
        live = LiveTake(self.transcriber, prefetch=warm_judge) if self._can_stream() \
            else None
        attempt_id: int | None = None
        wav: Path | None = None
        try:
            seller = self.store.seller(name)
            wav = _unused(attempt_audio_path(self.data_dir, seller, f"roleplay-{rubric.id}"))
            attempt_id = self.store.begin_attempt(
                seller, rubric.id, scenario.id if scenario else None,
                scenario.to_json() if scenario else None, wav, context=conversation.context())
            recorder.on_audio = live.feed if live is not None else None
            if live is not None:
                live.start()
            recorder.start(wav)
        except Exception as exc:
            if live is not None:
                live.close()
            recorder.on_audio = None
            if attempt_id is not None:
                self._fail_attempt(attempt_id, exc)
            return exc
        self.take = TurnTake(attempt_id, rubric, wav, live, seller)
        self.recording = True
        self._live_version = -1
        self._tick.start()
        return None

    def _fail_attempt(self, attempt_id: int, exc: BaseException) -> None:
        try:
            self.store.mark_failed(attempt_id, str(exc) if isinstance(exc, TrainerError)
                                   else "The take could not start.")
        except StorageError:
            log.warning("Could not mark attempt %s as failed", attempt_id)

    def _on_tick(self) -> None:
        recorder, take = self.recorder, self.take
        if recorder is None or take is None or not self.recording:
            return
        self.level.emit(recorder.level_db, recorder.clipping)
        self.elapsed.emit(int(recorder.elapsed_s))
        if take.live is not None and take.live.version != self._live_version:
            # Polled like the meter: the transcription thread never touches Qt.
            self._live_version = take.live.version
            self.heard.emit(take.live.live_text().text)
        if recorder.error is not None or not recorder.recording:
            self.ran_out.emit()

    def stop(self) -> BaseException | None:
        """Stop recording the answer; the error if the take is lost (its attempt is then
        marked failed), None when it is ready to ``score``."""
        take, recorder = self.take, self.recorder
        assert take is not None and recorder is not None
        self._tick.stop()
        self.recording = False
        try:
            recording = recorder.stop()
        except Exception as exc:
            return self._abandon(take, exc)
        recorder.on_audio = None
        self.level_reset.emit()
        if recording.error is not None:
            return self._abandon(take, recording.error)
        try:
            self.store.mark_recorded(take.attempt_id, recording.duration_s)
        except StorageError as exc:
            self.problem.emit(exc)
        if not self.model_ready and take.live is None and self.transcriber is None:
            return self._abandon(take, TrainerError(NO_MODEL))
        return None

    def _abandon(self, take: TurnTake, exc: BaseException) -> BaseException:
        if take.live is not None:
            take.live.close()
        self._fail_attempt(take.attempt_id, exc)
        self.take = None
        return exc

    def abort(self) -> None:
        """The app is closing mid-answer: stop, and mark the attempt failed."""
        self._tick.stop()
        self.recording = False
        if self.recorder is not None:
            self.recorder.stop()
        if self.take is not None:
            if self.take.live is not None:
                self.take.live.close()
            self._fail_attempt(self.take.attempt_id,
                               TrainerError("The roleplay was closed mid-answer."))

    # == scoring ==========================================================================
    def score(self, conversation: Conversation, speak: bool,
              takes: list[tuple[int | None, Path | None]], buyer_audio: dict[str, Path],
              state_path: Path | None) -> None:
        """Off the UI thread: score the stopped answer, then ``scored`` or ``failed``.

        Args:
            conversation: the roleplay; the panel leaves it alone until the turn is done.
            speak: whether to synthesise the buyer's reaction.
            takes: every turn's (attempt id, recording) so far, this one last: the saved
                roleplay's turns.
            buyer_audio: the buyer's lines heard so far, and their audio.
            state_path: where the roleplay in progress was saved (None: not yet).
        """
        take = self.take
        assert take is not None
        job = partial(self._finish_turn, conversation, take, speak, takes, buyer_audio,
                      state_path)
        run_in_background(job, self._on_done, partial(self._on_failed, take), self.pool,
                          context=self)

    def _finish_turn(self, conversation: Conversation, take: TurnTake, speak: bool,
                     takes: list[tuple[int | None, Path | None]],
                     buyer_audio: dict[str, Path], state_path: Path | None) -> TurnOutcome:
        """Pool thread: the transcription tail, scoring, the next line, its speech.

        The conversation is only touched here while the panel is in the SCORING phase, when
        the GUI thread leaves it alone.
        """
        scenario = conversation.scenario
        try:
            if take.live is not None:
                transcript, track = take.live.finish()
                check_heard(None, transcript.words, SAMPLE_RATE, speech_s=track.heard_seconds())
                card = build_scorecard(take.rubric, scenario, transcript, self.embedder,
                                       track=track)
            else:
                result = score_audio(take.rubric, scenario, take.wav, self.transcriber,
                                     self.embedder)
                transcript, card = result.transcript, result.scorecard
        finally:
            if take.live is not None:
                take.live.close()
        line = conversation.record(transcript.text, card)
        saved = conversation.turns[-1].card
        self.store.save_result(take.attempt_id, transcript.text, transcript.words_json(),
                               saved, transcript.model, transcript.duration_s)
        state_path, state_note = self._keep_state(conversation, take.seller, takes,
                                                  buyer_audio, state_path)
        buyer_wav, note = None, None
        if speak:
            try:
                buyer_wav = self.voice.synthesize(line.text, conversation.persona)
            except VoiceUnavailable as exc:
                note = str(exc)
        return TurnOutcome(saved, transcript.text, line, buyer_wav, note, take.wav,
                           take.attempt_id, state_path, state_note)

    def _keep_state(self, conversation: Conversation, seller: Seller | None,
                    takes: list[tuple[int | None, Path | None]], buyer_audio: dict[str, Path],
                    old: Path | None) -> tuple[Path | None, str | None]:
        """Pool thread: save the roleplay after its turn (or forget it once it has ended).

        A failure to save is said but never fails the turn: it is scored and in the history.
        """
        try:
            path = None
            if not conversation.finished and seller is not None:
                path = roleplay_resume.save(self.data_dir, seller, conversation, takes,
                                            buyer_audio)
            if old is not None and old != path:
                roleplay_resume.clear(old)
            return path, None
        except StorageError as exc:
            return old, str(exc)

    def _on_done(self, outcome: TurnOutcome) -> None:
        self.take = None
        self.scored.emit(outcome)

    def _on_failed(self, take: TurnTake, exc: Exception) -> None:
        self.take = None
        self._fail_attempt(take.attempt_id, exc)
        self.failed.emit(exc)
