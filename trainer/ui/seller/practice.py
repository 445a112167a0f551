"""The Practice screen: pick a drill, hear the buyer, record your answer, read your scorecard.

It owns its controls (``PracticeView``: name, drill and scenario, the brief, the record bar,
the scorecard and the comparison) and the take's state: idle, recording, scoring, scored.
Recording goes through the shell's ``Recorder``; its level and the live transcript are polled
by a ``QTimer`` on the UI thread, so the audio and transcription threads never touch Qt.
Scoring runs on the shell's pool (``TakeScorer``), replay through ``TakeReplay``; "my next
call" is ``NextCallFlow``. Other screens' takes (a certification, a story-hour turn) arrive
through the shell as ``Guided`` takes, recorded here like any other.
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal

from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching.agendas import written_agenda
from trainer.coaching.compare import compare_takes
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import AttemptResult, attempt_audio_path, unused_path
from trainer.common.errors import StorageError, TrainerError
from trainer.common.formatting import clock
from trainer.rubric.drills import Drill, Scenario
from trainer.rubric.scoring import warm_judge, warm_rubric
from trainer.store.database import Seller
from trainer.store.privacy import privacy_note
from trainer.ui.guided import Guided
from trainer.ui.seller.host import PracticeHost
from trainer.ui.seller.mic_check import METER_INTERVAL_MS, MicCheckFlow
from trainer.ui.seller.next_call import NEW_CALL, NextCallFlow
from trainer.ui.seller.practice_view import (
    PAGE_BRIEF,
    PAGE_COMPARE,
    PAGE_SCORECARD,
    PAGE_SCORING,
    PracticeView,
)
from trainer.ui.seller.replay import TakeReplay
from trainer.ui.seller.scoring import Take, TakeScorer, agenda_type
from trainer.ui.shared import select_data, unexpected_message
from trainer.ui.style import RED
from trainer.ui.widgets.common import ScorecardView

log = logging.getLogger(__name__)

NEED_NAME_MESSAGE = "Type your name first, so this take is saved under it."


class State(enum.Enum):
    IDLE = "idle"
    RECORDING = "recording"
    SCORING = "scoring"
    SCORED = "scored"


class PracticeScreen(PracticeView):
    """The seller's practice: one take at a time, from the brief to the scorecard."""

    recording_started = Signal()
    recording_stopped = Signal(str)
    live_text_changed = Signal(str)
    mic_test_done = Signal(object)  # a MicCheck
    comparison_shown = Signal()
    attempt_failed = Signal(int, str, str)  # a take that could not be recorded to the end
    state_changed = Signal(object)  # a State
    seller_changed = Signal(bool)  # True while the shell restores its remembered choices
    takes_changed = Signal(object)  # the seller's takes changed; an attempt id to select, or None

    def __init__(self, host: PracticeHost, scorer: TakeScorer, takes_replay: TakeReplay) -> None:
        super().__init__(host.sellers)
        self.host = host
        self.library = host.library
        self.store = host.store
        self.sellers = host.sellers
        self.confirm = host.confirm
        self.scorer = scorer
        self.takes_replay = takes_replay
        self.next_call = NextCallFlow(self)
        self.mic_check = MicCheckFlow(self)
        self.state = State.IDLE
        self.take: Take | None = None  # the take on this screen
        self._restoring = False
        self._live_version = -1
        self._last_scored: Take | None = None  # the take "try again" compares with
        self.previous_take: Take | None = None  # set when the shown take can be compared
        self._take_words: list[dict[str, Any]] = []  # the take's timed words
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(METER_INTERVAL_MS)
        self._meter_timer.timeout.connect(self._on_tick)
        self._connect()

    def _connect(self) -> None:
        self.new_call_button.clicked.connect(self.next_call.open)
        self.delete_call_button.clicked.connect(self.next_call.delete_current)
        self.record_button.clicked.connect(self.toggle_recording)
        self.mic_test_button.clicked.connect(self.start_mic_test)
        self.mic_check.done.connect(self.mic_test_done.emit)
        self.replay_button.clicked.connect(self.replay)
        self.try_again_button.clicked.connect(self.try_again)
        self.compare_button.clicked.connect(self.show_comparison)
        self.back_to_card_button.clicked.connect(self.hide_comparison)
        self.scorecard_view.evidence_clicked.connect(
            lambda quote: self.takes_replay.play_from_quote(quote, self._source))
        self.scorecard_view.moment_clicked.connect(self.play_from)
        self.takes_replay.playing_changed.connect(self._on_playing)
        self.scorer.scored.connect(self._on_scored)
        self.scorer.failed.connect(self._on_score_failed)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.name_edit.editingFinished.connect(self.host.save_choices)
        self.name_edit.returnPressed.connect(lambda: self.record_button.setFocus())
        self.drill_combo.currentIndexChanged.connect(self.on_choice_changed)
        self.scenario_combo.currentIndexChanged.connect(self.on_choice_changed)

    # == what the other screens and the shell ask =========================================
    def message(self, text: str, kind: str = "error") -> None:
        self.host.show_message(text, kind)

    def recording(self) -> bool:
        return self.state is State.RECORDING

    def busy(self) -> bool:
        """A take is being recorded or scored here."""
        return self.state in (State.RECORDING, State.SCORING)

    def recording_attempt_id(self) -> int | None:
        return self.take.attempt_id if self.take is not None and self.recording() else None

    def can_change_choices(self) -> bool:
        return not self.recording() and self.host.guided is None

    def presenter(self) -> bool:
        return self.host.settings.presenter

    def choose_drill(self, drill_id: str) -> None:
        select_data(self.drill_combo, drill_id)

    @property
    def restoring(self) -> bool:
        """The choices are being set by the app (remembered ones, a guided take's)."""
        return self._restoring

    def update_agenda_note(self) -> None:
        self._update_agenda_note(self.current_drill())

    def forget_seller(self) -> None:
        """The seller's data was deleted: no take on screen, no name."""
        self.take = None
        self._set_state(State.IDLE)
        self.name_edit.clear()

    def shutdown(self) -> None:
        """The window closes: end a mic test, stop a take in progress (its audio is kept,
        ready to score next time)."""
        self.mic_check.finish(report=False)
        if self.recording():
            self.stop_recording(score=False)

    def start_mic_test(self) -> None:
        """"Test mic": record 3 s with the chosen microphone and say whether it hears you."""
        if not self.recording():
            self.mic_check.start()

    # == replay ===========================================================================
    def _source(self) -> tuple[Path | None, ScorecardView]:
        return (self.take.wav if self.take is not None else None), self.scorecard_view

    def replay(self) -> None:
        """Ctrl+R / Replay: play this take; again to stop."""
        if not self.recording():
            self.takes_replay.toggle(self._source)

    def play_from(self, seconds: float) -> None:
        if not self.recording():
            self.takes_replay.play_from(seconds, self._source)

    def _on_playing(self, playing: bool) -> None:
        self.replay_button.setText("\u25a0  Stop playback" if playing else "\u25b6  Replay")

    # == choices ========================================================================
    def fill_scenarios(self, select: str | None = None) -> None:
        self.next_call.fill(select)

    def current_scenario(self) -> Scenario | None:
        return self.next_call.current()

    @property
    def calls(self) -> dict[str, Scenario]:
        return self.next_call.calls

    def restore_choices(self) -> None:
        self._restoring = True
        try:
            self.name_edit.setText(self.host.settings.seller)
            for drill in self.library.drills():
                self.drill_combo.addItem(drill.title, drill.id)
            self.fill_scenarios(self.host.settings.scenario)
            select_data(self.drill_combo, self.host.settings.drill)
        finally:
            self._restoring = False

    def current_drill(self) -> Drill | None:
        drill_id = self.drill_combo.currentData()
        return self.library.drill(drill_id) if drill_id else None

    def seller_name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def find_seller(self) -> Seller | None:
        """The seller named in the name field, without creating one while they type."""
        name = self.seller_name().casefold()
        if not name:
            return None
        return next((s for s in self.store.sellers() if s.name.casefold() == name), None)

    def _on_name_changed(self) -> None:
        # Saved calls are the seller's own: the picker follows the name.
        self.fill_scenarios()
        self.seller_changed.emit(self._restoring)
        if self.state is State.IDLE and not self._restoring:
            self._update_agenda_note(self.current_drill())

    def on_choice_changed(self) -> None:
        if self.scenario_combo.currentData() == NEW_CALL:
            # "My next call…" is an action, not a scenario: go back to the last real choice
            # and ask for the call.
            self.scenario_combo.blockSignals(True)
            self.scenario_combo.setCurrentIndex(self.next_call.scenario_index)
            self.scenario_combo.blockSignals(False)
            if not self._restoring:
                QTimer.singleShot(0, self.next_call.open)  # after the popup has closed
            return
        self.next_call.scenario_index = self.scenario_combo.currentIndex()
        self.delete_call_button.setVisible(self.scenario_combo.currentData() in self.calls)
        if self._restoring:
            return
        if self.state in (State.IDLE, State.SCORED):
            self.take = None
            self.show_brief()
        self.host.save_choices()

    def toggle_recording(self) -> None:
        """Space / the Record button: start a take, or stop the one in progress."""
        if self.state is State.RECORDING:
            self.stop_recording()
        elif self.state is State.SCORING:
            self.message("Still scoring your last take; one moment.", "info")
        else:
            self.start_recording()

    def start_recording(self) -> None:
        host = self.host
        self.host.show_practice()
        if self.takes_replay.playing:
            self.takes_replay.stop()
        if not self.seller_name():
            self.message(NEED_NAME_MESSAGE, "info")
            self.name_edit.setFocus()
            return
        if host.sound is None or host.recorder is None:
            self.message(host.sound_error)
            return
        if not input_devices(host.sound):
            # Checked before anything is saved: no microphone means no attempt at all.
            self.message(NO_MIC_MESSAGE)
            return
        drill = self.current_drill()
        if drill is None:
            self.message("No drills are installed; reinstall the app.")
            return
        if not host.settings.privacy_note_seen:
            if not self.confirm("Your recordings stay on this computer",
                                privacy_note(host.data_dir), "Start recording", False):
                return
            host.settings.privacy_note_seen = True  # saved with the choices below
        if self.mic_check.running:
            self.message("Testing the microphone; record when the test has finished.", "info")
            return
        scenario = self.current_scenario()
        attempt_id: int | None = None
        wav: Path | None = None
        live = LiveTake(host.transcriber, prefetch=warm_judge) if host.can_stream() \
            else None
        recorder = host.recorder
        recorder.on_audio = live.feed if live is not None else None
        try:
            seller = self.sellers.seller(self.seller_name())
            wav = unused_path(attempt_audio_path(host.data_dir, seller, drill.id))
            attempt_id = self.store.begin_attempt(
                seller, drill.id, scenario.id if scenario else None,
                scenario.to_json() if scenario else None, wav,
                context=host.guided.context if host.guided else None)
            if live is not None:
                live.start()
            recorder.start(wav, host.input_device())
        except Exception as exc:
            if live is not None:
                live.close()
            recorder.on_audio = None
            if attempt_id is not None:
                self._abandon_attempt(attempt_id, wav, exc)
            host.report(exc)
            self.takes_changed.emit(None)
            return
        self.take = Take(attempt_id, seller, drill, scenario, wav, live,
                         host.guided.context if host.guided else "")
        if live is not None:
            try:
                warm_rubric(drill, scenario)  # this rubric's words, in the background
            except Exception as exc:  # noqa: BLE001 - a warm-up must never end a take
                log.warning("The judge could not start early: %s", exc)
        self._live_version = -1
        self.live_transcript.clear_text()
        self.live_transcript.setVisible(live is not None)
        host.clear_message()
        host.save_choices()
        self._set_state(State.RECORDING)
        self._meter_timer.start()
        self.takes_changed.emit(None)
        self.recording_started.emit()

    def _abandon_attempt(self, attempt_id: int, wav: Path | None, exc: BaseException) -> None:
        """A take that never started: record why, and drop its empty WAV header."""
        message = str(exc) if isinstance(exc, TrainerError) else unexpected_message(exc)
        try:
            self.store.mark_failed(attempt_id, message)
        except StorageError:
            log.warning("Could not mark attempt %s as failed", attempt_id)
        if wav is not None and wav.exists() and wav.stat().st_size <= 44:
            wav.unlink(missing_ok=True)

    def _on_tick(self) -> None:
        recorder = self.host.recorder
        if recorder is None or self.state is not State.RECORDING:
            return
        self.meter.set_level(recorder.level_db, recorder.clipping)
        self.elapsed_label.setText(clock(recorder.elapsed_s))
        if recorder.clipping:
            self.record_hint.setText("Too loud: move back from the microphone a little.")
        live = self.take.live if self.take is not None else None
        if live is not None and live.version != self._live_version:
            # Polled, like the meter: the transcription thread never touches Qt.
            self._live_version = live.version
            text = live.live_text()
            self.live_transcript.set_live(text.committed, text.tentative)
            self.live_text_changed.emit(text.text)
        if recorder.error is not None or not recorder.recording:
            # Device lost or disk full: the recorder already stopped writing; keep the audio.
            self.stop_recording()

    def stop_recording(self, score: bool = True) -> None:
        """Stop the take, keep its audio, and (unless asked not to) score it."""
        recorder = self.host.recorder
        if self.state is not State.RECORDING or recorder is None or self.take is None:
            return
        self._meter_timer.stop()
        take = self.take
        try:
            recording = recorder.stop()
        except Exception as exc:
            self._set_state(State.IDLE)
            self.host.report(exc)
            return
        self.meter.reset()
        recorder.on_audio = None
        self.elapsed_label.setText(clock(recording.duration_s))
        try:
            self.store.mark_recorded(take.attempt_id, recording.duration_s)
        except StorageError as exc:
            self.message(str(exc))
        self.recording_stopped.emit(str(take.wav))
        if recording.error is not None or not score:
            if take.live is not None:
                # The audio on disk is the take; History scores it from the file later.
                take.live.close()
                self.take = take = Take(take.attempt_id, take.seller, take.drill,
                                        take.scenario, take.wav, None, take.context)
            self.live_transcript.hide()
        if recording.error is not None:
            self._set_state(State.IDLE)
            self.message(str(recording.error))
            self.takes_changed.emit(None)
            self.attempt_failed.emit(take.attempt_id, take.context, str(recording.error))
            return
        if not score:
            self._set_state(State.IDLE)
            return
        self._set_state(State.SCORING)
        self._score(take)

    def _score(self, take: Take) -> None:
        """Hand the take to the scorer; say so if it has to wait for the model, or cannot."""
        outcome = self.scorer.score(take, "practice")
        if outcome == "missing":
            self._set_state(State.IDLE)
            self.message(self.host.model_error)
        elif outcome == "waiting":
            self.scoring_detail.setText("Waiting for the speech model to finish loading\u2026")
        else:
            self.scoring_detail.setText(
                "Transcribing and scoring on this computer; your recording never leaves it.")
            self.live_transcript.hide()
        self.takes_changed.emit(None)

    def model_ready(self, waiting: list[tuple[Take, str]]) -> None:
        """Takes that waited for the model are being scored now."""
        if any(origin == "practice" and take is self.take for take, origin in waiting):
            self.scoring_detail.setText(
                "Transcribing and scoring on this computer; your recording never leaves it.")
            self.live_transcript.hide()

    def model_failed(self, waiting: list[tuple[Take, str]]) -> None:
        """The model will not load: a take waiting for it stays saved, unscored."""
        if any(origin == "practice" and take is self.take for take, origin in waiting):
            self._set_state(State.IDLE)

    def _on_scored(self, take: Take, origin: str, result: AttemptResult) -> None:
        if origin == "practice" and self.take is take and self.state is State.SCORING:
            self._take_words = result.transcript.words_json()
            self.scorecard_view.show_card(result.scorecard, self._take_words)
            previous = self._last_scored
            self.previous_take = previous if (
                previous is not None and previous.attempt_id != take.attempt_id
                and previous.drill.id == take.drill.id
                and previous.seller.id == take.seller.id) else None
            self._last_scored = take
            self.compare_button.setVisible(self.previous_take is not None)
            self._set_state(State.SCORED)
            self.try_again_button.setFocus()

    def _on_score_failed(self, take: Take, origin: str, exc: Exception) -> None:
        if origin == "practice" and self.take is take and self.state is State.SCORING:
            self._set_state(State.IDLE)

    def try_again(self) -> None:
        """Ctrl+N: back to the brief with the same drill and scenario, ready to record."""
        if self.state is State.RECORDING:
            return
        if self.state is State.SCORING:
            self.message("Your last take is still being scored; it will appear in "
                         "History when it is done.", "info")
        self._set_state(State.IDLE)
        self.host.show_practice()
        self.record_button.setFocus()

    def show_comparison(self) -> None:
        """This take beside the previous one (after "Try again")."""
        if self.state is not State.SCORED or self.previous_take is None or self.take is None:
            return
        try:
            before = self.store.attempt(self.previous_take.attempt_id).scorecard
            after = self.store.attempt(self.take.attempt_id).scorecard
        except (KeyError, StorageError) as exc:
            self.message(str(exc) if isinstance(exc, StorageError) else
                         "The previous take is no longer saved.")
            return
        if before is None or after is None:
            return
        self.compare_view.show_comparison(compare_takes(before, after), before, after)
        self.practice_stack.setCurrentIndex(PAGE_COMPARE)
        self.back_to_card_button.setFocus()
        self.comparison_shown.emit()

    def hide_comparison(self) -> None:
        if self.practice_stack.currentIndex() == PAGE_COMPARE:
            self.practice_stack.setCurrentIndex(PAGE_SCORECARD)
            self.compare_button.setFocus()

    def toggle_comparison(self) -> None:
        """Ctrl+Shift+C: between the scorecard and the comparison."""
        if self.practice_stack.currentIndex() == PAGE_COMPARE:
            self.hide_comparison()
        else:
            self.host.show_practice()
            self.show_comparison()

    def start_guided_take(self, guided: Guided) -> None:
        """Set up the Practice screen for a take another screen needs, and show it.

        The seller, drill and scenario are chosen and locked until ``end_guided_take``; the
        banner says what the take is for. Recording still starts with Space, as always.
        """
        self._restoring = True  # not the seller's own choices: don't remember them
        try:
            self.name_edit.setText(guided.seller)
            select_data(self.drill_combo, guided.drill_id)
            if guided.scenario_id is not None:
                select_data(self.scenario_combo, guided.scenario_id)
        finally:
            self._restoring = False
        self.take = None
        self._set_state(State.IDLE)
        self.host.show_practice()
        self.message(f"{guided.label} \u2014 press Space to record.", "info")
        self.record_button.setFocus()

    def end_guided_take(self) -> None:
        """Back to plain practice with the seller's own name, drill and scenario."""
        if self.state is not State.RECORDING:
            self._restoring = True
            try:
                self.name_edit.setText(self.host.settings.seller)
                select_data(self.drill_combo, self.host.settings.drill)
                select_data(self.scenario_combo, self.host.settings.scenario)
            finally:
                self._restoring = False
        self.host.clear_message()
        self._set_state(self.state)

    def _set_state(self, state: State) -> None:
        self.state = state
        recording = state is State.RECORDING
        for widget in (self.name_edit, self.drill_combo, self.scenario_combo,
                       self.new_call_button, self.delete_call_button):
            widget.setEnabled(not recording and self.host.guided is None)
        self.state_changed.emit(state)
        self.mic_test_button.setEnabled(not recording and not self.mic_check.running)
        if not recording:
            self.live_transcript.hide()
        if state is State.SCORING:
            self.practice_stack.setCurrentIndex(PAGE_SCORING)
        elif state is State.SCORED:
            self.practice_stack.setCurrentIndex(PAGE_SCORECARD)
            self._update_result_title()
        else:
            self.show_brief()
        self.update_record_button()

    def show_brief(self) -> None:
        drill = self.current_drill()
        if drill is not None:
            self.brief.set_drill(drill, self.current_scenario())
        self._update_agenda_note(drill)
        if self.state is not State.RECORDING:
            self.elapsed_label.setText("0:00")
        self.practice_stack.setCurrentIndex(PAGE_BRIEF)
        self.update_record_button()

    def update_record_button(self) -> None:
        if self.state is State.RECORDING:
            self.record_button.setText("\u25a0  Stop")
            style = "background: #37474f;"
            name = str(self.take.scenario.prospect.get("name", "")) if (
                self.take and self.take.scenario) else ""
            self.record_hint.setText(f"Recording \u2014 answer {name or 'the buyer'}. "
                                     "Press Space to stop.")
        else:
            self.record_button.setText("\u25cf  Record")
            style = f"background: {RED};"
            self.record_hint.setText("Read the buyer's line, then press Space and answer "
                                     "out loud.")
        self.record_button.setStyleSheet(
            f"QPushButton {{ {style} color: white; font-weight: bold; padding: 10px 18px;"
            " border-radius: 6px; border: none; }"
            " QPushButton:focus { outline: none; border: 2px solid #f5c542; }")

    def _update_result_title(self) -> None:
        take = self.take
        if take is None:
            self.result_title.clear()
            return
        where = f" \u00b7 {take.scenario.title}" if take.scenario else ""
        self.result_title.setText(f"{take.drill.title}{where} \u00b7 {take.seller.name}")

    def _update_agenda_note(self, drill: Drill | None) -> None:
        if drill is None or drill.skill != "agenda":
            self.agenda_note.hide()
            return
        kind = agenda_type(self.current_scenario())
        seller = self.find_seller()
        try:
            text = written_agenda(self.store, seller, kind) if seller is not None else None
        except StorageError:
            text = None
        if text:
            self.agenda_note.setText(f"This take is compared with your written {kind} agenda; "
                                     "the scorecard says how much of it you covered.")
        else:
            self.agenda_note.setText(f"Write your {kind} agenda once (Written agenda screen, "
                                     "Ctrl+Shift+W) and each take says how much of it you "
                                     "covered.")
        self.agenda_note.show()
