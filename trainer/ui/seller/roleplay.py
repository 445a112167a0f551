"""The roleplay panel: a buyer who speaks, reacts to what you said, and scores every turn.

Pick a drill, a scenario and a buyer persona, press Start: the buyer's opening is spoken (and
shown as a caption). Press Space, answer, press Space again: the turn is transcribed while you
speak, scored (the drill's rubric first, then what each buyer line asked for), saved in
the history (``context="roleplay:<id>"``), and the buyer reacts to what you missed. After 2-4
turns the conversation scorecard shows every turn with its evidence and tips, and the whole
conversation can be replayed, buyer and seller in turn.

After every turn the conversation is saved (``trainer.coaching.roleplay_resume``), so after a
crash the panel offers "Resume the roleplay you were in (turn 2 of 3 with Priya Shah)?" the next
time it is shown; the file is removed when the roleplay ends or is discarded. Everything a
user typed or a scenario named is shown as plain text, never as rich text.

The panel holds the controls and the conversation and composes three parts of its own:
``TurnRecorder`` (``roleplay_turn``: the recorder, the model, a turn recorded and scored),
``BuyerVoice`` (``roleplay_voice``: the buyer's lines spoken, the replay) and
``TranscriptView`` (``roleplay_transcript``: the conversation and its scorecards). The
conversation logic is ``trainer.coaching.roleplay``: nothing here scores, parses or stores
except through the core. Slow work goes through ``run_in_background``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching import roleplay_resume
from trainer.coaching.company import apply_company, usable_company
from trainer.coaching.roleplay import PERSONAS, BuyerLine, Conversation, Script, load_script
from trainer.common.errors import SilentRecording, StorageError, TrainerError
from trainer.common.formatting import clock
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.speech.voice import Voice
from trainer.store.database import Store
from trainer.ui.seller.roleplay_transcript import TranscriptView
from trainer.ui.seller.roleplay_turn import Phase, TurnOutcome, TurnRecorder
from trainer.ui.seller.roleplay_voice import BuyerVoice
from trainer.ui.style import GAP, GREEN, HEADING, MARGIN, MUTED, RED, base_point_size, make_label
from trainer.ui.tasks import Pool
from trainer.ui.widgets.common import LevelMeter, MessageBanner

log = logging.getLogger(__name__)

NEED_NAME = "Type your name first, so the roleplay is saved under it."
NEED_START = "Press Start (Ctrl+Return) to begin a roleplay first."
REPLAY = "\u25b6  Replay conversation"


class RoleplayPanel(QWidget):
    """A roleplay with a speaking buyer, scored turn by turn.

    Args:
        store: the practice history (each turn is one attempt).
        library: drills and scenarios.
        sound: the ``sounddevice`` module (or a fake); ``None`` when PortAudio is missing.
        transcriber: the Whisper model (loaded here if it is not yet).
        pool: where slow work runs (``QThreadPool``; tests pass ``SyncPool``).
        data_dir: where recordings go.
        voice: the buyer's voice; ``None`` finds the engines on this machine.
        seed_source: gives each new conversation its seed (recorded with every turn).
        script: the conversations file (default: ``drills/roleplay/conversations.toml``).
        seller_name: the name to save the roleplay under, if known.
    """

    conversation_started = Signal(str)  # the conversation's id
    buyer_spoke = Signal(str)  # a caption, when it is shown (and its audio started)
    reply_started = Signal(float)  # seconds from Stop to the buyer's reply
    recording_started = Signal()
    turn_scored = Signal(dict)  # the turn's scorecard (with its "roleplay" block)
    conversation_finished = Signal(dict)  # the conversation scorecard
    replay_finished = Signal()
    message_shown = Signal(str)
    resume_offered = Signal(str)  # the question shown
    conversation_resumed = Signal(str)  # the conversation's id

    def __init__(self, store: Store, library: DrillLibrary, sound: Any, transcriber: Any,
                 pool: Pool | None, data_dir: Path, *, voice: Voice | None = None,
                 seed_source: Callable[[], int] | None = None, script: Script | None = None,
                 seller_name: str = "") -> None:
        super().__init__()
        self.store = store
        self.library = library
        self.data_dir = data_dir
        if pool is None:
            own = QThreadPool(self)
            own.setMaxThreadCount(1)
            pool = own
        self.pool: Any = pool
        self.seed_source = seed_source or (lambda: random.randrange(1_000_000))
        self.script_error: str | None = None
        try:
            self.script: Script | None = script or load_script(library)
        except TrainerError as exc:
            self.script, self.script_error = None, str(exc)
        self.phase = Phase.IDLE
        self.conversation: Conversation | None = None
        self.seller_wavs: list[Path | None] = []  # per turn, in order
        self.turn_attempts: list[int | None] = []  # per turn, in order
        self.offer: roleplay_resume.SavedRoleplay | None = None  # shown in the resume bar
        self._state_path: Path | None = None  # the running roleplay's saved state
        self._stop_at = 0.0
        voice = voice if voice is not None else Voice()
        self.buyer_voice = BuyerVoice(voice, sound, pool, lambda: self.conversation,
                                      lambda: self.phase is Phase.RECORDING, self)
        self.turns = TurnRecorder(store, sound, transcriber, pool, data_dir, voice, self)
        self._build()
        self._bind_keys()
        self._wire()
        if seller_name:  # not set_seller_name: the offer to resume waits until it is shown
            self.name_edit.setText(seller_name)
        if self.script_error:
            self.show_message(self.script_error)
        QTimer.singleShot(0, self.turns.load_model)

    # == construction =====================================================================
    def _build(self) -> None:
        base = base_point_size(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(GAP)

        choose = QGridLayout()
        choose.setHorizontalSpacing(GAP)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.editingFinished.connect(self.offer_resume)
        self.drill_combo = QComboBox()
        for drill in self.library.drills():
            self.drill_combo.addItem(drill.title, drill.id)
        self.scenario_combo = QComboBox()
        for scenario in self.library.scenarios():
            self.scenario_combo.addItem(scenario.title, scenario.id)
        self.persona_combo = QComboBox()
        for pid in PERSONAS:
            title = self.script.persona(pid).title if self.script else pid.title()
            self.persona_combo.addItem(title, pid)
        if self.script:
            for i, pid in enumerate(PERSONAS):
                self.persona_combo.setItemData(i, self.script.persona(pid).description,
                                               Qt.ItemDataRole.ToolTipRole)
        self.start_button = QPushButton("Start roleplay")
        self.start_button.setToolTip("Start a new roleplay with this buyer (Ctrl+Return)")
        self.start_button.clicked.connect(self.start_conversation)
        # Two rows of two choices, Start at the right: fits beside the side bar at 1024 px.
        for index, (label, widget) in enumerate((
                ("Name", self.name_edit), ("Drill", self.drill_combo),
                ("Prospect", self.scenario_combo), ("Buyer", self.persona_combo))):
            caption = make_label(label, wrap=False)
            caption.setBuddy(widget)
            row, column = divmod(index, 2)
            choose.addWidget(caption, row, column * 2)
            choose.addWidget(widget, row, column * 2 + 1)
        choose.setColumnStretch(1, 1)
        choose.setColumnStretch(3, 1)
        choose.addWidget(self.start_button, 1, 4)
        outer.addLayout(choose)

        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.resume_bar = QWidget()
        bar = QHBoxLayout(self.resume_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.resume_label = make_label()
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Carry on where the roleplay stopped")
        self.resume_button.clicked.connect(self.resume)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Forget it (its turns stay in your history)")
        self.discard_button.clicked.connect(self.discard_resume)
        bar.addWidget(self.resume_label, 1)
        bar.addWidget(self.resume_button)
        bar.addWidget(self.discard_button)
        self.resume_bar.hide()
        outer.addWidget(self.resume_bar)
        self.voice_label = make_label(self.buyer_voice.voice.available_engine().reason,
                                      color=MUTED)
        outer.addWidget(self.voice_label)

        self.caption = make_label(size=base * HEADING)
        self.caption.setAccessibleName("What the buyer says")
        outer.addWidget(self.caption)

        controls = QHBoxLayout()
        self.record_button = QPushButton("\u25cf  Answer")
        self.record_button.setToolTip("Record your answer; press again to stop (Space)")
        self.record_button.clicked.connect(self.toggle_recording)
        self.line_button = QPushButton("\u21bb  Hear again")
        self.line_button.setToolTip("Play the buyer's last line again (Ctrl+Shift+L)")
        self.line_button.clicked.connect(self.replay_line)
        self.mute_button = QPushButton("Mute buyer")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Captions only: don't speak the buyer's lines (Ctrl+Shift+M)")
        self.mute_button.toggled.connect(self.set_muted)
        self.replay_button = QPushButton(REPLAY)
        self.replay_button.setToolTip("Play the whole conversation, buyer and you (Ctrl+Shift+R)")
        self.replay_button.clicked.connect(self.replay_conversation)
        for button in (self.record_button, self.line_button, self.mute_button,
                       self.replay_button):
            controls.addWidget(button)
        self.meter = LevelMeter()
        self.meter.setMinimumWidth(60)  # the buttons come first when the screen is narrow
        controls.addWidget(self.meter, 1)
        self.elapsed = make_label("0:00", wrap=False)
        controls.addWidget(self.elapsed)
        outer.addLayout(controls)

        self.live_label = make_label(color=MUTED)
        outer.addWidget(self.live_label)

        self.transcript = TranscriptView()
        outer.addWidget(self.transcript, 1)
        self._update_buttons()

    def _bind_keys(self) -> None:
        # Scoped to this panel (and its children), so Space here never records on another screen.
        for keys, slot in ((QKeySequence(Qt.Key.Key_Space), self.toggle_recording),
                           (QKeySequence("Ctrl+Return"), self.start_conversation),
                           (QKeySequence("Ctrl+Shift+L"), self.replay_line),
                           (QKeySequence("Ctrl+Shift+M"), self.mute_button.toggle),
                           (QKeySequence("Ctrl+Shift+R"), self.replay_conversation)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _wire(self) -> None:
        """The buyer's voice and the turns report here; the panel shows what they say."""
        voice, turns = self.buyer_voice, self.turns
        voice.spoke.connect(self.buyer_spoke)
        voice.replay_finished.connect(self.replay_finished)
        voice.replaying_changed.connect(
            lambda on: self.replay_button.setText("\u25a0  Stop replay" if on else REPLAY))
        voice.note.connect(self.voice_label.setText)
        voice.failed.connect(self._report)
        turns.level.connect(self.meter.set_level)
        turns.level_reset.connect(self.meter.reset)
        turns.elapsed.connect(lambda s: self.elapsed.setText(clock(s)))
        turns.heard.connect(self.live_label.setText)
        turns.ran_out.connect(self.stop_turn)
        turns.scored.connect(self._on_turn_done)
        turns.failed.connect(self._on_turn_failed)
        turns.problem.connect(self._report)

    # == choices ==========================================================================
    def set_seller_name(self, name: str) -> None:
        self.name_edit.setText(name)
        self.offer_resume()

    def select(self, drill_id: str | None = None, scenario_id: str | None = None,
               persona: str | None = None) -> None:
        for combo, value in ((self.drill_combo, drill_id), (self.scenario_combo, scenario_id),
                             (self.persona_combo, persona)):
            if value is not None:
                index = combo.findData(value)
                if index >= 0:
                    combo.setCurrentIndex(index)

    def _scenario(self) -> Scenario | None:
        """The chosen prospect, pitched our company once the manager has set it up."""
        sid = self.scenario_combo.currentData()
        if not sid:
            return None
        return apply_company(self.library.scenario(sid), usable_company(self.store))

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Unexpected error in the roleplay", exc_info=exc)
            self.show_message(f"Something went wrong ({type(exc).__name__}); please try again.")

    # == the conversation =================================================================
    def start_conversation(self) -> None:
        """Ctrl+Return: a new roleplay with the chosen drill, prospect and buyer."""
        if self.phase in (Phase.RECORDING, Phase.SCORING):
            return
        if self.script is None:
            self.show_message(self.script_error or "The roleplay file is missing.")
            return
        drill_id = self.drill_combo.currentData()
        if drill_id is None:
            self.show_message("No drills are installed; reinstall the app.")
            return
        self.buyer_voice.stop()
        seed = int(self.seed_source())
        conversation_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{seed}"
        try:
            conversation = Conversation(
                self.library, self.script, self.library.drill(drill_id), self._scenario(),
                self.persona_combo.currentData(), seed, conversation_id)
        except TrainerError as exc:
            self._report(exc)
            return
        self._forget_state()  # a roleplay left unfinished for a new one is abandoned
        self.conversation = conversation
        self.offer = None
        self.resume_bar.hide()
        self.banner.clear()
        self.transcript.clear()
        self.seller_wavs = []
        self.turn_attempts = []
        self.transcript.set_summary(f"Seed {seed} \u00b7 {conversation.persona.title} buyer")
        self.phase = Phase.IDLE
        self._update_buttons()
        self.conversation_started.emit(conversation.id)
        self._say(conversation.opening)
        self.record_button.setFocus()

    # == a roleplay in progress, across a crash ============================================
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.offer_resume()

    def offer_resume(self) -> None:
        """Offer the roleplay this seller was in, if one was saved and none is running now.

        With no name typed yet, the most recent one of anyone's is offered (resuming fills
        in its seller's name). A damaged file is set aside and said in one sentence.
        """
        busy = self.phase in (Phase.RECORDING, Phase.SCORING) or (
            self.conversation is not None and not self.conversation.finished)
        if busy:
            return
        saved, messages = roleplay_resume.find(self.data_dir, self.name_edit.text())
        for message in messages:
            self.show_message(message)
        self.offer = saved
        if saved is None:
            self.resume_bar.hide()
            return
        question = saved.question()
        self.resume_label.setText(question)
        self.resume_bar.show()
        self.resume_offered.emit(question)

    def resume(self) -> None:
        """Carry on with the offered roleplay: its turns, then the buyer's waiting line."""
        saved = self.offer
        if saved is None or self.phase in (Phase.RECORDING, Phase.SCORING):
            return
        self.offer = None
        self.resume_bar.hide()
        if self.script is None:
            self.show_message(self.script_error or "The roleplay file is missing.")
            return
        try:
            conversation = roleplay_resume.restore(saved, self.library, self.script)
        except TrainerError as exc:
            self._report(exc)
            return
        self.buyer_voice.stop()
        self.conversation = conversation
        self._state_path = saved.path
        self.name_edit.setText(saved.seller_name)
        scenario_id = conversation.scenario.id if conversation.scenario else None
        self.select(conversation.drill.id, scenario_id, conversation.persona.id)
        self.seller_wavs = [Path(t.audio) if t.audio else None for t in saved.turns]
        self.turn_attempts = [t.attempt_id for t in saved.turns]
        self.buyer_voice.buyer_wavs.update(
            {text: Path(p) for text, p in saved.buyer_audio.items()})
        self.banner.clear()
        self.transcript.show_turns(conversation)
        self.transcript.set_summary(f"Seed {conversation.seed} \u00b7 "
                                    f"{conversation.persona.title} buyer \u00b7 resumed at "
                                    f"turn {len(conversation.turns) + 1}", "")
        self.phase = Phase.IDLE
        self._update_buttons()
        self.conversation_resumed.emit(conversation.id)
        assert conversation.current is not None  # restore() never returns a finished one
        self._say(conversation.current)
        self.record_button.setFocus()

    def discard_resume(self) -> None:
        """Forget the offered roleplay (its turns stay in the history as scored attempts)."""
        saved, self.offer = self.offer, None
        self.resume_bar.hide()
        if saved is None:
            return
        try:
            roleplay_resume.clear(saved.path)
        except StorageError as exc:
            self.show_message(str(exc))

    def _forget_state(self) -> None:
        """The running roleplay was abandoned: it is no longer offered after a restart."""
        path, self._state_path = self._state_path, None
        if path is None or self.conversation is None or self.conversation.finished:
            return
        try:
            roleplay_resume.clear(path)
        except StorageError as exc:
            self.show_message(str(exc))

    # == the buyer ========================================================================
    def _say(self, line: BuyerLine, wav: Path | None = None) -> None:
        """Show a buyer line and speak it (synthesising it first unless given)."""
        self.transcript.add_buyer_line(line, self.conversation)
        self.caption.setText(line.text)
        self.buyer_voice.say(line.text, wav)

    def set_muted(self, muted: bool) -> None:
        """Ctrl+Shift+M: captions only (or speak again)."""
        muted = self.buyer_voice.muted = bool(muted)
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)
        self.mute_button.setText("Unmute buyer" if muted else "Mute buyer")
        if muted:
            self.buyer_voice.stop()

    def replay_line(self) -> None:
        """Ctrl+Shift+L: hear the buyer's last line again."""
        text = self.caption.text()
        if not text or self.phase is Phase.RECORDING:
            return
        if not self.buyer_voice.repeat(text):
            self.show_message(self.buyer_voice.voice.available_engine().reason, "info")

    def replay_conversation(self) -> None:
        """Ctrl+Shift+R: the whole conversation, the buyer's lines and your answers in turn."""
        conversation, voice = self.conversation, self.buyer_voice
        if conversation is None or not conversation.turns or self.phase is Phase.RECORDING:
            self.show_message("There is no conversation to replay yet.", "info")
            return
        if voice.player is None:
            self.show_message("Playback needs the audio library PortAudio, which is missing.")
            return
        if voice.replaying:
            voice.stop()
            return
        if not voice.replay(conversation, self.seller_wavs):
            self.show_message("There is no recorded audio to replay.", "info")

    # == the seller's turn ================================================================
    def toggle_recording(self) -> None:
        """Space: start answering, or stop and hear the buyer's reaction."""
        if self.phase is Phase.RECORDING:
            self.stop_turn()
        elif self.phase is Phase.SCORING:
            self.show_message("Still scoring your last answer; one moment.", "info")
        else:
            self.start_turn()

    def start_turn(self) -> None:
        conversation = self.conversation
        if conversation is None or conversation.finished:
            self.show_message(NEED_START, "info")
            return
        name = self.name_edit.text().strip()
        if not name:
            self.show_message(NEED_NAME, "info")
            self.name_edit.setFocus()
            return
        problem = self.turns.device_problem()
        if problem is not None:
            self.show_message(problem)
            return
        self.buyer_voice.stop()
        error = self.turns.begin(conversation, name)
        if error is not None:
            self._report(error)
            return
        self.phase = Phase.RECORDING
        self.live_label.setText("")
        self.banner.clear()
        self._update_buttons()
        self.recording_started.emit()

    def stop_turn(self) -> None:
        """Stop recording; score the turn, choose and speak the buyer's reaction."""
        take, conversation = self.turns.take, self.conversation
        if self.phase is not Phase.RECORDING or take is None or self.turns.recorder is None \
                or conversation is None:
            return
        self._stop_at = time.perf_counter()
        error = self.turns.stop()
        if error is not None:
            self.phase = Phase.IDLE
            self._update_buttons()
            self._report(error)
            return
        self.phase = Phase.SCORING
        self._update_buttons()
        # What the saved state needs from the GUI thread, copied now: the job runs elsewhere.
        takes = [*zip(self.turn_attempts, self.seller_wavs, strict=True),
                 (take.attempt_id, take.wav)]
        self.turns.score(conversation, self.buyer_voice.speaks(), takes,
                         dict(self.buyer_voice.buyer_wavs), self._state_path)

    def _on_turn_done(self, outcome: TurnOutcome) -> None:
        conversation = self.conversation
        self.live_label.setText("")
        if conversation is None:
            return
        self.seller_wavs.append(outcome.seller_wav)
        self.turn_attempts.append(outcome.attempt_id)
        self._state_path = outcome.state_path
        if outcome.state_note:
            self.show_message(outcome.state_note)
        self.transcript.add_answer(outcome.transcript, outcome.card)
        self.transcript.turn_card.show_card(outcome.card)
        self.turn_scored.emit(outcome.card)
        if outcome.voice_note:
            self.voice_label.setText(outcome.voice_note)
        self.phase = Phase.FINISHED if conversation.finished else Phase.IDLE
        self._update_buttons()
        self._say(outcome.line, outcome.buyer_wav)
        if outcome.buyer_wav is not None:  # its playback has just started
            self.reply_started.emit(time.perf_counter() - self._stop_at)
        if conversation.finished:
            card = conversation.scorecard()
            self.transcript.show_result(card, GREEN if card["passed"] else RED)
            self.conversation_finished.emit(card)
        else:
            self.record_button.setFocus()

    def _on_turn_failed(self, exc: Exception) -> None:
        self.phase = Phase.IDLE
        self._update_buttons()
        if isinstance(exc, SilentRecording):
            self.show_message(f"{exc} The buyer is still waiting for your answer.")
        else:
            self._report(exc)

    # == state ============================================================================
    def _update_buttons(self) -> None:
        recording = self.phase is Phase.RECORDING
        active = self.conversation is not None and not self.conversation.finished
        self.record_button.setText("\u25a0  Stop (Space)" if recording
                                   else "\u25cf  Answer (Space)")
        self.record_button.setEnabled(active and self.phase is not Phase.SCORING)
        self.start_button.setEnabled(self.phase not in (Phase.RECORDING, Phase.SCORING))
        for combo in (self.drill_combo, self.scenario_combo, self.persona_combo):
            combo.setEnabled(self.phase not in (Phase.RECORDING, Phase.SCORING))

    def shutdown(self) -> None:
        """Stop recording and playback and the voice's engine (call before closing).

        A roleplay in progress stays saved: closing the app is not abandoning it.
        """
        if self.phase is Phase.RECORDING and self.turns.recorder is not None:
            self.turns.abort()
            self.phase = Phase.IDLE
        self.buyer_voice.close()
