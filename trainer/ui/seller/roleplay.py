"""The roleplay panel: a buyer who speaks, reacts to what you said, and scores every turn.

Pick a drill, a scenario and a buyer persona, press Start: the buyer's opening is spoken (and
shown as a caption). Press Space, answer, press Space again: the turn is transcribed while you
speak, scored (the drill's rubric first, then what each buyer line asked for), saved in
the history (``context="roleplay:<id>"``), and the buyer reacts to what you missed. After 2-4
turns the conversation scorecard shows every turn with its evidence and tips, and the whole
conversation can be replayed, buyer and seller in turn.

After every turn the conversation is saved (``trainer.coaching.roleplay_resume``), so after a crash
the panel offers "Resume the roleplay you were in (turn 2 of 3 with Priya Shah)?" the next
time it is shown; the file is removed when the roleplay ends or is discarded. Everything a
user typed or a scenario named is shown as plain text, never as rich text.

The panel owns its recorder and live take, like the Practice tab; the conversation logic is
``trainer.coaching.roleplay``, the voice ``trainer.speech.voice``, scoring
``trainer.coaching.practice``: nothing here
scores, parses or stores except through them. Slow work goes through ``run_in_background``.
"""

from __future__ import annotations

import enum
import html
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.playback import Player
from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching import roleplay_resume
from trainer.coaching.company import apply_company, usable_company
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import (
    attempt_audio_path,
    build_scorecard,
    default_embedder,
    score_audio,
)
from trainer.coaching.roleplay import PERSONAS, BuyerLine, Conversation, Script, load_script
from trainer.common.errors import SilentRecording, StorageError, TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.delivery import check_heard
from trainer.rubric.drills import Drill, DrillLibrary, Scenario
from trainer.rubric.scoring import default_judge, warm_judge
from trainer.speech.streaming import accepts_prompt
from trainer.speech.transcriber import SAMPLE_RATE
from trainer.speech.voice import Voice, VoiceUnavailable
from trainer.store.database import Seller, Store
from trainer.ui.style import GREEN, MUTED, RED, base_point_size
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.widgets.common import LevelMeter, MessageBanner, ScorecardView

log = logging.getLogger(__name__)

TICK_MS = 50
NEED_NAME = "Type your name first, so the roleplay is saved under it."
NEED_START = "Press Start (Ctrl+Return) to begin a roleplay first."


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


def _plain(label: QLabel) -> QLabel:
    """``label`` showing its text as typed: a name like ``<img src=...>`` is never rendered."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _unused(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


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
        self.sound = sound
        self.transcriber = transcriber
        self.data_dir = data_dir
        if pool is None:
            own = QThreadPool(self)
            own.setMaxThreadCount(1)
            pool = own
        self.pool: Any = pool
        # Speech is made on its own thread, so synthesising lines ahead of time never holds
        # up scoring (a SyncPool in tests runs everything in order instead).
        if isinstance(pool, QThreadPool):
            self.voice_pool: Any = QThreadPool(self)
            self.voice_pool.setMaxThreadCount(1)
        else:
            self.voice_pool = pool
        self.voice = voice if voice is not None else Voice()
        self.seed_source = seed_source or (lambda: random.randrange(1_000_000))
        self.script_error: str | None = None
        try:
            self.script: Script | None = script or load_script(library)
        except TrainerError as exc:
            self.script, self.script_error = None, str(exc)
        self.recorder = Recorder(sound, block_s=0.05) if sound is not None else None
        self.player = Player(sound) if sound is not None else None
        self.embedder: Any = None
        self.model_ready = False
        self.muted = False
        self.phase = Phase.IDLE
        self.conversation: Conversation | None = None
        self.take: TurnTake | None = None
        self.seller_wavs: list[Path | None] = []  # per turn, in order
        self.turn_attempts: list[int | None] = []  # per turn, in order
        self.buyer_wavs: dict[str, Path] = {}  # caption -> its audio
        self.offer: roleplay_resume.SavedRoleplay | None = None  # shown in the resume bar
        self._state_path: Path | None = None  # the running roleplay's saved state
        self._stop_at = 0.0
        self._live_version = -1
        self._replay_queue: list[Path] = []
        self._replaying = False
        self._build()
        self._bind_keys()
        if seller_name:  # not set_seller_name: the offer to resume waits until it is shown
            self.name_edit.setText(seller_name)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._play_tick = QTimer(self)
        self._play_tick.setInterval(TICK_MS)
        self._play_tick.timeout.connect(self._on_play_tick)
        if self.script_error:
            self.show_message(self.script_error)
        QTimer.singleShot(0, self._load_model)

    # == construction =====================================================================
    def _build(self) -> None:
        base = base_point_size(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        outer.setSpacing(8)

        choose = QHBoxLayout()
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
        for label, widget in (("Name", self.name_edit), ("Drill", self.drill_combo),
                              ("Prospect", self.scenario_combo), ("Buyer", self.persona_combo)):
            caption = _plain(QLabel(label))
            caption.setBuddy(widget)
            choose.addWidget(caption)
            choose.addWidget(widget, 1)
        choose.addWidget(self.start_button)
        outer.addLayout(choose)

        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.resume_bar = QWidget()
        bar = QHBoxLayout(self.resume_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.resume_label = _plain(QLabel(""))
        self.resume_label.setWordWrap(True)
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
        self.voice_label = _plain(QLabel(self.voice.available_engine().reason))
        self.voice_label.setWordWrap(True)
        self.voice_label.setStyleSheet(f"color: {MUTED};")
        outer.addWidget(self.voice_label)

        self.caption = _plain(QLabel(""))
        self.caption.setWordWrap(True)
        self.caption.setAccessibleName("What the buyer says")
        font = self.caption.font()
        font.setPointSizeF(base * 1.35)
        self.caption.setFont(font)
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
        self.replay_button = QPushButton("\u25b6  Replay conversation")
        self.replay_button.setToolTip("Play the whole conversation, buyer and you (Ctrl+Shift+R)")
        self.replay_button.clicked.connect(self.replay_conversation)
        for button in (self.record_button, self.line_button, self.mute_button,
                       self.replay_button):
            controls.addWidget(button)
        self.meter = LevelMeter()
        controls.addWidget(self.meter, 1)
        self.elapsed = _plain(QLabel("0:00"))
        controls.addWidget(self.elapsed)
        outer.addLayout(controls)

        self.live_label = _plain(QLabel(""))
        self.live_label.setWordWrap(True)
        self.live_label.setStyleSheet(f"color: {MUTED};")
        outer.addWidget(self.live_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.chat = QListWidget()
        self.chat.setWordWrap(True)
        self.chat.setAccessibleName("The conversation")
        self.chat.currentRowChanged.connect(self._on_chat_row)
        splitter.addWidget(self.chat)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = _plain(QLabel(""))
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSizeF(base * 1.2)
        font.setBold(True)
        self.summary.setFont(font)
        right_layout.addWidget(self.summary)
        self.turn_card = ScorecardView()
        right_layout.addWidget(self.turn_card, 2)
        self.conversation_card = QTextBrowser()
        self.conversation_card.setAccessibleName("Conversation scorecard")
        self.conversation_card.hide()
        right_layout.addWidget(self.conversation_card, 3)
        splitter.addWidget(right)
        splitter.setSizes([420, 520])
        outer.addWidget(splitter, 1)
        self._update_buttons()

    def _bind_keys(self) -> None:
        # Scoped to this panel (and its children), so Space here never records on another tab.
        for keys, slot in ((QKeySequence(Qt.Key.Key_Space), self.toggle_recording),
                           (QKeySequence("Ctrl+Return"), self.start_conversation),
                           (QKeySequence("Ctrl+Shift+L"), self.replay_line),
                           (QKeySequence("Ctrl+Shift+M"), self.mute_button.toggle),
                           (QKeySequence("Ctrl+Shift+R"), self.replay_conversation)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # == the model and the embedder =======================================================
    def _load_model(self) -> None:
        if self.transcriber is None:
            self.show_message("No speech model is installed, so turns cannot be scored; "
                              "reinstall the app.")
            return
        run_in_background(self._load_all, self._on_loaded, self._on_load_failed, self.pool,
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

    def _on_load_failed(self, exc: Exception) -> None:
        self._report(exc)

    def _can_stream(self) -> bool:
        return self.model_ready and accepts_prompt(self.transcriber)

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
        self._stop_playback()
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
        self.chat.clear()
        self.seller_wavs = []
        self.turn_attempts = []
        self.turn_card.clear()
        self.conversation_card.hide()
        self.summary.setText(f"Seed {seed} \u00b7 {self.conversation.persona.title} buyer")
        self.phase = Phase.IDLE
        self._update_buttons()
        self.conversation_started.emit(self.conversation.id)
        self._say(self.conversation.opening)
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
        self._stop_playback()
        self.conversation = conversation
        self._state_path = saved.path
        self.name_edit.setText(saved.seller_name)
        scenario_id = conversation.scenario.id if conversation.scenario else None
        self.select(conversation.drill.id, scenario_id, conversation.persona.id)
        self.seller_wavs = [Path(t.audio) if t.audio else None for t in saved.turns]
        self.turn_attempts = [t.attempt_id for t in saved.turns]
        self.buyer_wavs.update({text: Path(p) for text, p in saved.buyer_audio.items()})
        self.banner.clear()
        self.chat.clear()
        self.conversation_card.hide()
        for turn in conversation.turns:
            self._add_row("Buyer", turn.buyer.text, turn.buyer)
            shown = format_score(turn.card["score"])
            self._add_row("You", f"{turn.transcript}  \u2014 {shown}/100", None, turn.card)
        self.turn_card.show_card(conversation.turns[-1].card)
        self.summary.setStyleSheet("")
        self.summary.setText(f"Seed {conversation.seed} \u00b7 {conversation.persona.title} "
                             f"buyer \u00b7 resumed at turn {len(conversation.turns) + 1}")
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

    def _say(self, line: BuyerLine, wav: Path | None = None) -> None:
        """Show a buyer line and speak it (synthesising it first unless given)."""
        self._add_row("Buyer", line.text, line)
        self.caption.setText(line.text)
        conversation = self.conversation
        if conversation is None:
            return
        if self.muted or not self.voice.available_engine().available:
            self.buyer_spoke.emit(line.text)
            self._prefetch()
            return
        if wav is not None:
            self._play_buyer(line.text, wav)
            self._prefetch()
            return
        persona = conversation.persona
        run_in_background(partial(self.voice.synthesize, line.text, persona),
                          partial(self._on_spoken, line.text),
                          partial(self._on_voice_failed, line.text), self.voice_pool,
                          context=self)

    def _on_spoken(self, text: str, wav: Path) -> None:
        self._play_buyer(text, wav)
        self._prefetch()

    def _on_voice_failed(self, text: str, exc: Exception) -> None:
        if isinstance(exc, VoiceUnavailable):
            self.voice_label.setText(str(exc))
        else:
            self._report(exc)
        self.buyer_spoke.emit(text)

    def _play_buyer(self, text: str, wav: Path) -> None:
        self.buyer_wavs[text] = wav
        if self.player is not None and self.phase is not Phase.RECORDING:
            try:
                self.player.play(wav)
                self._play_tick.start()
            except TrainerError as exc:
                self.voice_label.setText(str(exc))
        self.buyer_spoke.emit(text)

    def _prefetch(self) -> None:
        """Synthesise every line the buyer might say next while the seller thinks."""
        conversation = self.conversation
        if conversation is None or conversation.finished or self.muted \
                or not self.voice.available_engine().available:
            return
        lines, persona = conversation.possible_lines(), conversation.persona
        run_in_background(partial(self.voice.prefetch, lines, persona), lambda _: None,
                          lambda exc: log.warning("Prefetching speech failed: %s", exc),
                          self.voice_pool, context=self)

    def set_muted(self, muted: bool) -> None:
        """Ctrl+Shift+M: captions only (or speak again)."""
        self.muted = bool(muted)
        if self.mute_button.isChecked() != self.muted:
            self.mute_button.setChecked(self.muted)
        self.mute_button.setText("Unmute buyer" if self.muted else "Mute buyer")
        if self.muted:
            self._stop_playback()

    def replay_line(self) -> None:
        """Ctrl+Shift+L: hear the buyer's last line again."""
        text = self.caption.text()
        if not text or self.phase is Phase.RECORDING:
            return
        wav = self.buyer_wavs.get(text)
        if wav is not None and wav.exists():
            self._play_buyer(text, wav)
        elif self.voice.available_engine().available and self.conversation is not None:
            run_in_background(partial(self.voice.synthesize, text,
                                      self.conversation.persona),
                              partial(self._play_buyer, text),
                              partial(self._on_voice_failed, text), self.voice_pool,
                              context=self)
        else:
            self.show_message(self.voice.available_engine().reason, "info")

    # == recording a turn =================================================================
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
        if self.sound is None or self.recorder is None:
            self.show_message("Recording needs the audio library PortAudio, which is missing; "
                              "install it (on Linux: sudo apt install libportaudio2).")
            return
        if not input_devices(self.sound):
            self.show_message(NO_MIC_MESSAGE)
            return
        self._stop_playback()
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
            self.recorder.on_audio = live.feed if live is not None else None
            if live is not None:
                live.start()
            self.recorder.start(wav)
        except Exception as exc:
            if live is not None:
                live.close()
            self.recorder.on_audio = None
            if attempt_id is not None:
                self._fail_attempt(attempt_id, exc)
            self._report(exc)
            return
        self.take = TurnTake(attempt_id, rubric, wav, live, seller)
        self.phase = Phase.RECORDING
        self._live_version = -1
        self.live_label.setText("")
        self.banner.clear()
        self._update_buttons()
        self._tick.start()
        self.recording_started.emit()

    def _fail_attempt(self, attempt_id: int, exc: BaseException) -> None:
        try:
            self.store.mark_failed(attempt_id, str(exc) if isinstance(exc, TrainerError)
                                   else "The take could not start.")
        except StorageError:
            log.warning("Could not mark attempt %s as failed", attempt_id)

    def _on_tick(self) -> None:
        recorder, take = self.recorder, self.take
        if recorder is None or take is None or self.phase is not Phase.RECORDING:
            return
        self.meter.set_level(recorder.level_db, recorder.clipping)
        seconds = int(recorder.elapsed_s)
        self.elapsed.setText(f"{seconds // 60}:{seconds % 60:02d}")
        if take.live is not None and take.live.version != self._live_version:
            # Polled like the meter: the transcription thread never touches Qt.
            self._live_version = take.live.version
            self.live_label.setText(take.live.live_text().text)
        if recorder.error is not None or not recorder.recording:
            self.stop_turn()

    def stop_turn(self) -> None:
        """Stop recording; score the turn, choose and speak the buyer's reaction."""
        take, recorder, conversation = self.take, self.recorder, self.conversation
        if self.phase is not Phase.RECORDING or take is None or recorder is None \
                or conversation is None:
            return
        self._tick.stop()
        self._stop_at = time.perf_counter()
        try:
            recording = recorder.stop()
        except Exception as exc:
            self._abandon(take, exc)
            return
        recorder.on_audio = None
        self.meter.reset()
        if recording.error is not None:
            self._abandon(take, recording.error)
            return
        try:
            self.store.mark_recorded(take.attempt_id, recording.duration_s)
        except StorageError as exc:
            self.show_message(str(exc))
        if not self.model_ready and take.live is None and self.transcriber is None:
            self._abandon(take, TrainerError("No speech model is installed, so turns cannot "
                                             "be scored; reinstall the app."))
            return
        self.phase = Phase.SCORING
        self._update_buttons()
        speak = not self.muted and self.voice.available_engine().available
        # What the saved state needs from the GUI thread, copied now: the job runs elsewhere.
        takes = [*zip(self.turn_attempts, self.seller_wavs, strict=True),
                 (take.attempt_id, take.wav)]
        job = partial(self._finish_turn, conversation, take, speak, takes,
                      dict(self.buyer_wavs), self._state_path)
        run_in_background(job, self._on_turn_done, partial(self._on_turn_failed, take),
                          self.pool, context=self)

    def _abandon(self, take: TurnTake, exc: BaseException) -> None:
        if take.live is not None:
            take.live.close()
        self._fail_attempt(take.attempt_id, exc)
        self.take = None
        self.phase = Phase.IDLE
        self._update_buttons()
        self._report(exc)

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

    def _on_turn_done(self, outcome: TurnOutcome) -> None:
        conversation = self.conversation
        self.take = None
        self.live_label.setText("")
        if conversation is None:
            return
        self.seller_wavs.append(outcome.seller_wav)
        self.turn_attempts.append(outcome.attempt_id)
        self._state_path = outcome.state_path
        if outcome.state_note:
            self.show_message(outcome.state_note)
        score = outcome.card["score"]
        self._add_row("You", f"{outcome.transcript}  \u2014 {format_score(score)}/100", None,
                      outcome.card)
        self.turn_card.show_card(outcome.card)
        self.turn_scored.emit(outcome.card)
        if outcome.voice_note:
            self.voice_label.setText(outcome.voice_note)
        self.phase = Phase.FINISHED if conversation.finished else Phase.IDLE
        self._update_buttons()
        self._say(outcome.line, outcome.buyer_wav)
        if outcome.buyer_wav is not None:  # its playback has just started
            self.reply_started.emit(time.perf_counter() - self._stop_at)
        if conversation.finished:
            self._show_conversation_card()
        else:
            self.record_button.setFocus()

    def _on_turn_failed(self, take: TurnTake, exc: Exception) -> None:
        self.take = None
        self._fail_attempt(take.attempt_id, exc)
        self.phase = Phase.IDLE
        self._update_buttons()
        if isinstance(exc, SilentRecording):
            self.show_message(f"{exc} The buyer is still waiting for your answer.")
        else:
            self._report(exc)

    # == scorecards =======================================================================
    def _add_row(self, who: str, text: str, line: BuyerLine | None,
                 card: dict[str, Any] | None = None) -> None:
        item = QListWidgetItem(f"{who}: {text}")
        item.setData(Qt.ItemDataRole.UserRole, card)
        if line is not None and line.because:
            item.setToolTip(self._why(line))
        font = item.font()
        font.setBold(who == "Buyer")
        item.setFont(font)
        self.chat.addItem(item)
        self.chat.scrollToBottom()

    def _why(self, line: BuyerLine) -> str:
        """Why the buyer said ``line``: the criterion that answer missed, by its name."""
        conversation, name = self.conversation, line.because
        if conversation is not None and line.reacts_to is not None \
                and 0 < line.reacts_to <= len(conversation.turns):
            card = conversation.turns[line.reacts_to - 1].card
            name = next((str(c.get("name")) for c in card.get("criteria", [])
                         if c.get("id") == line.because), name)
            return (f"The buyer said this because your answer in turn {line.reacts_to} "
                    f"missed \u201c{name}\u201d.")
        return f"The buyer said this because your last answer missed \u201c{name}\u201d."

    def _on_chat_row(self, row: int) -> None:
        item = self.chat.item(row) if row >= 0 else None
        card = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(card, dict):
            self.turn_card.show_card(card)

    def _show_conversation_card(self) -> None:
        conversation = self.conversation
        if conversation is None:
            return
        card = conversation.scorecard()
        verdict = "PASS" if card["passed"] else "NOT YET"
        color = GREEN if card["passed"] else RED
        mark = card["pass_threshold"]
        self.summary.setText(f"Roleplay score {format_score(card['score'], mark)}/100 "
                             f"\u00b7 {verdict} (pass mark {format_score(mark)}) \u00b7 "
                             f"{len(card['turns'])} turns \u00b7 seed {card['seed']}")
        self.summary.setStyleSheet(f"color: {color};")
        self.conversation_card.setHtml(conversation_html(card))
        self.conversation_card.show()
        self.conversation_finished.emit(card)

    # == playback =========================================================================
    def replay_conversation(self) -> None:
        """Ctrl+Shift+R: the whole conversation, the buyer's lines and your answers in turn."""
        conversation = self.conversation
        if conversation is None or not conversation.turns or self.phase is Phase.RECORDING:
            self.show_message("There is no conversation to replay yet.", "info")
            return
        if self.player is None:
            self.show_message("Playback needs the audio library PortAudio, which is missing.")
            return
        if self._replaying:
            self._stop_playback()
            return
        queue: list[Path] = []
        lines = [t.buyer.text for t in conversation.turns]
        lines.append(conversation.closing.text if conversation.closing else "")
        for i, text in enumerate(lines):
            buyer = self.buyer_wavs.get(text)
            if buyer is not None and buyer.exists():
                queue.append(buyer)
            seller = self.seller_wavs[i] if i < len(self.seller_wavs) else None
            if seller is not None and seller.exists():
                queue.append(seller)
        if not queue:
            self.show_message("There is no recorded audio to replay.", "info")
            return
        self._replay_queue = queue
        self._replaying = True
        self.replay_button.setText("\u25a0  Stop replay")
        self._play_next()

    def _play_next(self) -> None:
        if not self._replay_queue or self.player is None:
            self._end_replay()
            return
        path = self._replay_queue.pop(0)
        try:
            self.player.play(path)
        except TrainerError as exc:
            self._replay_queue = []
            self._end_replay()
            self.show_message(str(exc))
            return
        self._play_tick.start()

    def _on_play_tick(self) -> None:
        if self.player is None or self.player.playing:
            return
        if self._replay_queue:
            self._play_next()
        elif self._replaying:
            self._end_replay()
        else:
            self._play_tick.stop()
            self.player.stop()  # releases the finished stream

    def _end_replay(self) -> None:
        self._play_tick.stop()
        if self.player is not None:
            self.player.stop()
        self._replaying = False
        self.replay_button.setText("\u25b6  Replay conversation")
        self.replay_finished.emit()

    def _stop_playback(self) -> None:
        was_replaying, self._replaying = self._replaying, False
        self._replay_queue = []
        self._play_tick.stop()
        if self.player is not None:
            self.player.stop()
        if was_replaying:
            self.replay_button.setText("\u25b6  Replay conversation")

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
        if self.phase is Phase.RECORDING and self.recorder is not None:
            self._tick.stop()
            self.recorder.stop()
            if self.take is not None:
                if self.take.live is not None:
                    self.take.live.close()
                self._fail_attempt(self.take.attempt_id,
                                   TrainerError("The roleplay was closed mid-answer."))
            self.phase = Phase.IDLE
        self._stop_playback()
        if isinstance(self.voice_pool, QThreadPool):
            self.voice_pool.waitForDone(30000)
        self.voice.close()


def _judged_on(turn: dict[str, Any]) -> str:
    """'agenda criteria', or what the buyer's line asked for: 'agenda: Names the outcome'."""
    if turn.get("asked_for"):
        names = ", ".join(str(c.get("name", c.get("id"))) for c in turn["criteria"])
        return f"{turn['rubric']}: {names}"
    return f"{turn['rubric']} criteria"


def conversation_html(card: dict[str, Any]) -> str:
    """The conversation scorecard as HTML (every value escaped): turn, lines, criteria, tips."""
    esc = html.escape
    shown = format_score(card["score"], card.get("pass_threshold"))
    parts = [f"<h3>Roleplay \u00b7 {esc(str(card['drill']))} \u00b7 "
             f"{esc(str(card['persona']))} buyer \u00b7 {shown}/100</h3>"]
    for turn in card["turns"]:
        parts.append(f"<p><b>Turn {turn['turn']} \u2014 Buyer:</b> "
                     f"{esc(turn['buyer']['text'])}<br><b>You:</b> "
                     f"{esc(turn['transcript'])}<br><i>{esc(_judged_on(turn))} \u00b7 "
                     f"{format_score(turn['score'])}/100</i></p><ul>")
        for c in turn["criteria"]:
            if c["met"]:
                parts.append(f"<li>\u2713 {esc(c['name'])}: \u201c{esc(c['evidence'] or '')}"
                             "\u201d</li>")
            else:
                example = f" <i>e.g. \u201c{esc(c['example'])}\u201d</i>" \
                    if c.get("example") else ""
                parts.append(f"<li>\u2717 {esc(c['name'])}: {esc(c['tip'] or '')}{example}"
                             "</li>")
        parts.append("</ul>")
    if card.get("closing"):
        parts.append(f"<p><b>Buyer:</b> {esc(card['closing']['text'])}</p>")
    return "".join(parts)
