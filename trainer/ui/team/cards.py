"""The feature-or-benefit card game, for one seller or a team meeting on the big screen.

Three pages: set-up (players, cards each, timer, call or spoken round), the table (a big
index card, whose turn, the timer, streaks, the scoreboard, and after each call the verdict
with the deck's reason), and the end-of-game summary with the winner and each player's record.

Keyboard first: F / B call the card, N or Enter flips the next one, R records and stops a
spoken answer, Esc ends the game. The shortcuts are scoped to this panel
(``WidgetWithChildrenShortcut``), so they never fire on another tab, and none of them is Space
(the app-wide record key of the Practice tab).

Players are the sellers on file: the players box is an editable list of them (shared with
every other screen through ``SellerDirectory``), a first name alone ("Ana") is offered as the one
seller it names ("Ana Lopez"), and a name not on file becomes a new seller only after the host
says yes.

The game itself (``trainer.coaching.cards.CardGame``) and its record live in the core; this module
only
shows them. The spoken round records with ``Recorder`` (polled by a ``QTimer`` like the Practice
tab's meter) and transcribes and judges off the UI thread with ``run_in_background`` on the
injected pool, so the speech model is never used by two jobs at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching.cards import (
    SPOKEN_MAX_S,
    Call,
    Card,
    CardGame,
    Deck,
    PlayerMatch,
    SpokenResult,
    Standing,
    deal,
    judge_spoken,
    load_deck,
    match_player,
    player_history,
    prospect_for,
    prospect_line,
    spoken_audio_path,
    spoken_cards,
)
from trainer.common.errors import SILENT_MESSAGE, SilentRecording, StorageError, TrainerError
from trainer.rubric.classify import FeatureBenefitJudge
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.rubric.scoring import default_judge
from trainer.store.database import Store
from trainer.ui.style import GREEN, MUTED, RED, base_point_size
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.widgets.common import LevelMeter, MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

log = logging.getLogger(__name__)

TICK_MS = 50  # the timer, the countdown and the microphone meter
DEFAULT_CARDS = 10
DEFAULT_SECONDS = 10
NO_SOUND_MESSAGE = (
    "Recording needs the audio library PortAudio, which is missing; install it "
    "(on Linux: sudo apt install libportaudio2) and restart the app."
)
NO_MODEL_MESSAGE = ("No speech model is installed, so spoken answers cannot be judged; "
                    "reinstall the app.")
NEED_PLAYERS_MESSAGE = "Type a name to play alone, or several names separated by commas."
SAME_NAME_MESSAGE = "Each player needs a different name."
NOTHING_ADDED_MESSAGE = ("Nothing was added: pick the players from the list, or type each new "
                         "player's full name.")

Confirm = Callable[[str, str, str, bool], bool]
"""``confirm(title, text, accept_label, destructive) -> accepted`` (the app's own questions)."""


def _clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def parse_players(text: str) -> list[str]:
    """"Ana, Ben ,, Chris" -> ["Ana", "Ben", "Chris"]."""
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def players_question(matches: list[PlayerMatch]) -> str:
    """The host's question before a game names sellers by first name or adds new ones."""
    lines = [f"\u201c{m.typed}\u201d is {m.name}, already on file." for m in matches
             if m.by_first_name]
    lines += [f"{m.name} is not on file and will be added as a new seller." for m in matches
              if m.is_new]
    return "\n".join(lines) + "\n\nStart the game with " + ", ".join(m.name for m in matches) + "?"


def _ask(parent: QWidget, title: str, text: str, accept_label: str, destructive: bool) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the text quotes names the host typed
    accept = box.addButton(accept_label, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else accept)
    box.exec()
    return box.clickedButton() is accept


class CardGamePanel(QWidget):
    """The card game. The app adds it as a tab.

    Args:
        store: where every call is saved (``card_rounds``) and players' records are read.
        library: the drills folder: the deck (``cards.json``) and the scenarios whose
            prospects the spoken round names.
        sound: the ``sounddevice`` module (or a fake), or ``None`` when PortAudio is missing.
        transcriber: a ``Transcriber`` for the spoken round, or ``None`` when no model is
            installed (the call game still works).
        pool: where transcription and judging run (the app's one-thread pool, so the model is
            never used by two jobs at once; a ``SyncPool`` in tests).
        data_dir: the data folder; spoken answers are recorded under its ``recordings``.
        clock: monotonic seconds for answer times and the timer.
        seed: the deal's seed (a fresh one per game by default).
        input_device: returns the microphone to record from (the app's choice); default device
            when omitted.
        sellers: the app's one list of sellers (a private one by default).
        confirm: asks the host before new sellers are added (a dialog by default).
    """

    card_shown = Signal(object)  # Card
    answered = Signal(object)  # Call
    game_over = Signal(object)  # list[Standing], best first
    spoken_judged = Signal(object)  # SpokenResult
    message_shown = Signal(str)
    recording_started = Signal()
    recording_stopped = Signal(str)  # the WAV's path

    def __init__(self, store: Store, library: DrillLibrary, sound: Any, transcriber: Any,
                 pool: Pool, data_dir: Path, *, clock: Callable[[], float] = time.monotonic,
                 seed: int | None = None,
                 input_device: Callable[[], int | None] | None = None,
                 sellers: SellerDirectory | None = None, confirm: Confirm | None = None) -> None:
        super().__init__()
        self.store = store
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self.confirm: Confirm = confirm or partial(_ask, self)
        self._typed = ""  # the players box as typed, before a pick from its list
        self.library = library
        self.sound = sound
        self.transcriber = transcriber
        self.pool = pool
        self.data_dir = data_dir
        self.clock = clock
        self.seed = seed
        self.input_device = input_device or (lambda: None)
        self.recorder = Recorder(sound, block_s=0.05) if sound is not None else None
        self.game: CardGame | None = None
        self.last_call: Call | None = None
        self.judging = False
        self._judge: FeatureBenefitJudge | None = None  # built on the pool, on first use
        self._wav: Path | None = None
        self._answer_s = 0.0
        self._sized: list[tuple[QWidget, float, bool]] = []
        self.deck: Deck | None = None
        self.scenarios: list[Scenario] = []
        self.deck_error: str | None = None
        try:
            self.deck = load_deck(library.folder / "cards.json")
            self.scenarios = library.scenarios()
        except TrainerError as exc:
            self.deck_error = str(exc)

        self._build()
        self._fill_players()
        self.sellers.changed.connect(self._fill_players)
        self._bind_keys()
        self._apply_fonts()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        if self.deck_error:
            self.show_message(self.deck_error)
            self.start_button.setEnabled(False)

    # == construction =====================================================================
    def _size(self, widget: QWidget, factor: float, bold: bool = False) -> None:
        """Size ``widget``'s text at ``factor`` x the app font (re-applied in presenter mode)."""
        self._sized.append((widget, factor, bold))

    def _apply_fonts(self) -> None:
        base = base_point_size(self)
        for widget, factor, bold in self._sized:
            font = widget.font()
            font.setPointSizeF(base * factor)
            font.setBold(bold)
            widget.setFont(font)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        # A larger application font (presenter mode) reaches this panel as a FontChange;
        # the explicitly sized labels follow it.
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_setup())
        self.stack.addWidget(self._build_table())
        self.stack.addWidget(self._build_summary())
        outer.addWidget(self.stack, 1)

    def _label(self, text: str = "", factor: float = 1.0, bold: bool = False,
               color: str | None = None, wrap: bool = True) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(wrap)
        label.setTextFormat(Qt.TextFormat.PlainText)
        if color:
            label.setStyleSheet(f"color: {color};")
        if factor != 1.0 or bold:
            self._size(label, factor, bold)
        return label

    def _build_setup(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setSpacing(12)
        title = self.deck.title if self.deck else "Feature or benefit?"
        layout.addWidget(self._label(title, 2.0, bold=True))
        layout.addWidget(self._label(
            "Flip a card and call it: a feature says what the product is, has or does; a "
            "benefit says what the customer gains. Press F for feature, B for benefit.",
            1.15, color=MUTED))

        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        # The sellers on file, to pick from; typing still works ("Ana, Ben" takes turns).
        self.players_combo = QComboBox()
        self.players_combo.setEditable(True)
        self.players_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.players_combo.setAccessibleName("Players")
        self.players_combo.setToolTip("Pick a seller, or type names separated by commas to "
                                      "take turns (Alt+P)")
        self._size(self.players_combo, 1.2)
        edit = self.players_combo.lineEdit()
        assert edit is not None
        self.players_edit: QLineEdit = edit
        self.players_edit.setPlaceholderText("Your name, or several: Ana, Ben, Chris")
        self.players_edit.setClearButtonEnabled(True)
        self.players_edit.setAccessibleName("Players")
        # No inline completion: it would turn "Ana" into whichever Ana comes first. A first
        # name is matched, and offered, when the game starts.
        self.players_combo.setCompleter(None)  # type: ignore[arg-type]  # Qt takes nullptr
        self.players_edit.textEdited.connect(self._remember_typed)
        self.players_combo.activated.connect(self._add_picked)
        players_label = QLabel("&Players")
        players_label.setBuddy(self.players_combo)
        form.addRow(players_label, self.players_combo)

        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, len(self.deck.cards) if self.deck else 70)
        self.count_spin.setValue(DEFAULT_CARDS)
        self.count_spin.setAccessibleName("Cards each")
        self.count_spin.setToolTip("How many cards each player calls (Alt+E)")
        count_label = QLabel("Cards &each")
        count_label.setBuddy(self.count_spin)
        form.addRow(count_label, self.count_spin)

        timer_row = QHBoxLayout()
        self.timer_check = QCheckBox("&Timer:")
        self.timer_check.setToolTip("Answer each card within the time limit, or it counts as "
                                    "a miss (Alt+T)")
        self.seconds_spin = QSpinBox()
        self.seconds_spin.setRange(3, 60)
        self.seconds_spin.setValue(DEFAULT_SECONDS)
        self.seconds_spin.setSuffix(" s per card")
        self.seconds_spin.setAccessibleName("Seconds per card")
        self.seconds_spin.setToolTip("Seconds to call each card")
        self.seconds_spin.setEnabled(False)
        self.timer_check.toggled.connect(self._update_setup)
        timer_row.addWidget(self.timer_check)
        timer_row.addWidget(self.seconds_spin)
        timer_row.addStretch(1)
        form.addRow("", timer_row)

        mode_row = QVBoxLayout()
        self.call_radio = QRadioButton("&Call it: feature or benefit?")
        self.call_radio.setToolTip("Read the card and call it with F or B (Alt+C)")
        self.spoken_radio = QRadioButton("&Spoken round: say the feature as a benefit")
        self.spoken_radio.setToolTip(
            "The card shows a feature; say it out loud as a benefit for the named prospect, "
            "press R to record and R to stop (Alt+S)")
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.call_radio)
        self.mode_group.addButton(self.spoken_radio)
        self.call_radio.setChecked(True)
        self.spoken_radio.toggled.connect(self._update_setup)
        mode_row.addWidget(self.call_radio)
        mode_row.addWidget(self.spoken_radio)
        form.addRow("Game", mode_row)
        layout.addLayout(form)

        self.start_button = QPushButton("Start game")
        self.start_button.setToolTip("Deal the cards and flip the first one (Enter)")
        self.start_button.clicked.connect(self.start_game)
        self._size(self.start_button, 1.3, bold=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _build_table(self) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(10)

        header = QHBoxLayout()
        self.turn_label = self._label("", 1.8, bold=True, wrap=False)
        self.counter_label = self._label("", 1.2, color=MUTED, wrap=False)
        self.timer_label = self._label("0:00", 1.8, bold=True, wrap=False)
        self.timer_label.setAccessibleName("Timer")
        self.streak_label = self._label("", 1.2, wrap=False)
        header.addWidget(self.turn_label)
        header.addStretch(1)
        header.addWidget(self.streak_label)
        header.addSpacing(16)
        header.addWidget(self.counter_label)
        header.addSpacing(16)
        header.addWidget(self.timer_label)
        left.addLayout(header)

        # The index card: readable from the back of a meeting room.
        self.card_frame = QFrame()
        self.card_frame.setObjectName("indexcard")
        self.card_frame.setStyleSheet(
            "#indexcard { background: #fffdf5; border: 1px solid #d8cfa8;"
            " border-top: 6px solid #c94f4f; border-radius: 10px; }")
        self.card_frame.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.card_frame.setAccessibleName("Card")
        self.card_frame.setSizePolicy(QSizePolicy.Policy.Expanding,
                                      QSizePolicy.Policy.Expanding)
        card_layout = QVBoxLayout(self.card_frame)
        card_layout.setContentsMargins(28, 20, 28, 24)
        self.product_label = self._label("", 1.2, color=MUTED)
        self.statement_label = self._label("", 2.4, bold=True)
        self.statement_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.statement_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt_label = self._label("", 1.3, color="#1d4f91")
        self.prompt_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card_layout.addWidget(self.product_label)
        card_layout.addStretch(1)
        card_layout.addWidget(self.statement_label)
        card_layout.addSpacing(10)
        card_layout.addWidget(self.prompt_label)
        card_layout.addStretch(1)
        left.addWidget(self.card_frame, 3)

        # Calling the card.
        self.call_row = QWidget()
        call_layout = QHBoxLayout(self.call_row)
        call_layout.setContentsMargins(0, 0, 0, 0)
        self.feature_button = QPushButton("Feature  (F)")
        self.feature_button.setToolTip("It says what the product is, has or does (F)")
        self.feature_button.clicked.connect(lambda: self.call("feature"))
        self.benefit_button = QPushButton("Benefit  (B)")
        self.benefit_button.setToolTip("It says what the customer gains (B)")
        self.benefit_button.clicked.connect(lambda: self.call("benefit"))
        for button, color in ((self.feature_button, "#37474f"), (self.benefit_button, GREEN)):
            button.setStyleSheet(
                f"QPushButton {{ background: {color}; color: white; padding: 12px 24px;"
                " border-radius: 8px; border: none; }"
                " QPushButton:disabled { background: #c5cbd3; }"
                " QPushButton:focus { border: 3px solid #f5c542; }")
            button.setMinimumHeight(56)
            self._size(button, 1.6, bold=True)
            call_layout.addWidget(button, 1)
        left.addWidget(self.call_row)

        # Saying it (spoken round).
        self.spoken_row = QWidget()
        spoken_layout = QHBoxLayout(self.spoken_row)
        spoken_layout.setContentsMargins(0, 0, 0, 0)
        self.record_button = QPushButton()
        self.record_button.setToolTip("Record your benefit, then stop to have it judged (R)")
        self.record_button.clicked.connect(self.toggle_recording)
        self.record_button.setMinimumHeight(48)
        self._size(self.record_button, 1.3, bold=True)
        self.meter = LevelMeter()
        self.elapsed_label = self._label("0:00", 1.3, bold=True, wrap=False)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # Whisper gives no useful progress
        self.busy.setTextVisible(False)
        self.busy.setMaximumWidth(220)
        self.busy_label = self._label("Transcribing and judging on this computer\u2026",
                                      color=MUTED, wrap=False)
        spoken_layout.addWidget(self.record_button)
        spoken_layout.addWidget(self.meter, 1)
        spoken_layout.addWidget(self.elapsed_label)
        spoken_layout.addWidget(self.busy)
        spoken_layout.addWidget(self.busy_label)
        left.addWidget(self.spoken_row)

        # The verdict.
        self.feedback = QFrame()
        self.feedback.setObjectName("feedback")
        feedback_layout = QVBoxLayout(self.feedback)
        feedback_layout.setContentsMargins(16, 10, 16, 10)
        self.verdict_label = self._label("", 1.8, bold=True)
        self.verdict_label.setAccessibleName("Verdict")
        self.reason_label = self._label("", 1.3)
        self.transcript_label = self._label("", 1.2)
        self.transcript_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_label = self._label("", 1.2, color="#1d4f91")
        for widget in (self.verdict_label, self.reason_label, self.transcript_label,
                       self.model_label):
            feedback_layout.addWidget(widget)
        left.addWidget(self.feedback)

        nav = QHBoxLayout()
        self.next_button = QPushButton("Next card  (N)")
        self.next_button.setToolTip("Flip the next card (N or Enter)")
        self.next_button.clicked.connect(self.next_card)
        self._size(self.next_button, 1.3, bold=True)
        self.end_button = QPushButton("End game  (Esc)")
        self.end_button.setToolTip("Stop here and see the scores (Esc)")
        self.end_button.clicked.connect(self.end_game)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(self.end_button)
        left.addLayout(nav)
        columns.addLayout(left, 3)

        self.scoreboard = self._make_table()
        self.scoreboard.setAccessibleName("Scoreboard")
        self.scoreboard.setMinimumWidth(420)  # room for a name beside the four numbers
        columns.addWidget(self.scoreboard, 1)
        return page

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, 5)
        table.setHorizontalHeaderLabels(["Player", "Right", "Called", "Streak", "Best"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._size(table, 1.3)
        return table

    def _build_summary(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setSpacing(12)
        layout.addWidget(self._label("Game over", 1.4, color=MUTED))
        self.winner_label = self._label("", 2.4, bold=True)
        self.winner_label.setAccessibleName("Result")
        layout.addWidget(self.winner_label)
        self.final_table = self._make_table()
        self.final_table.setAccessibleName("Final scores")
        layout.addWidget(self.final_table, 1)
        self.history_label = self._label("", 1.15, color=MUTED)
        layout.addWidget(self.history_label)
        buttons = QHBoxLayout()
        self.new_game_button = QPushButton("New game")
        self.new_game_button.setToolTip("Back to the set-up, same players (Enter or Esc)")
        self.new_game_button.clicked.connect(self.new_game)
        self._size(self.new_game_button, 1.3, bold=True)
        buttons.addWidget(self.new_game_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _bind_keys(self) -> None:
        # Scoped to this panel and its children: on another tab these keys do nothing, and a
        # text field still gets its letters (Qt lets it override single-key shortcuts).
        for keys, slot in (("F", lambda: self.call("feature")),
                           ("B", lambda: self.call("benefit")),
                           ("N", self.next_card),
                           ("Return", self.advance),
                           ("Enter", self.advance),
                           ("R", self.toggle_recording),
                           ("Esc", self.back)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        # The shortcuts need focus inside the panel; arriving from the tab bar leaves it there.
        super().showEvent(event)
        QTimer.singleShot(0, self._focus_page)

    def _focus_page(self) -> None:
        focus = self.focusWidget()
        if focus is not None and self.isAncestorOf(focus) and focus.isVisible():
            return
        page = self.stack.currentIndex()
        target = {0: self.players_edit, 1: self.card_frame, 2: self.new_game_button}[page]
        target.setFocus()

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Unexpected error in the card game", exc_info=exc)
            self.show_message(f"Something went wrong: {type(exc).__name__}; the game goes on.")

    # == set-up ===========================================================================
    @property
    def spoken(self) -> bool:
        return self.spoken_radio.isChecked()

    def _fill_players(self) -> None:
        """The sellers on file in the players list (what is typed stays)."""
        names = self.sellers.names()
        text = self.players_edit.text()
        self.players_combo.blockSignals(True)
        self.players_combo.clear()
        self.players_combo.addItems(names)
        self.players_combo.setCurrentIndex(-1)
        self.players_combo.setEditText(text)
        self.players_combo.blockSignals(False)

    def _remember_typed(self, text: str) -> None:
        self._typed = text

    def _add_picked(self, index: int) -> None:
        """A seller picked from the list joins the players typed so far (in place of a
        name half typed)."""
        picked = self.players_combo.itemText(index)
        names = parse_players(self._typed)
        if names and not self._typed.rstrip().endswith(",") \
                and names[-1].casefold() in picked.casefold():
            names.pop()
        if all(n.casefold() != picked.casefold() for n in names):
            names.append(picked)
        self._typed = ", ".join(names)
        self.players_combo.setEditText(self._typed)

    def _players_on_file(self, players: list[str]) -> list[str] | None:
        """The players as sellers on file, after the host agreed to any first-name match or
        new seller; None (with a message) when the game should not start."""
        try:
            on_file = self.sellers.sellers()
        except StorageError as exc:
            self.show_message(str(exc))
            return None
        matches = [match_player(p, on_file) for p in players]
        for m in matches:
            if m.ambiguous:
                which = " or ".join(s.name for s in m.candidates)
                self.show_message(f"\u201c{m.typed}\u201d could be {which}: type the full "
                                  "name.", "info")
                return None
        names = [m.name for m in matches]
        if len({n.casefold() for n in names}) != len(names):
            self.show_message(SAME_NAME_MESSAGE, "info")
            return None
        if any(m.by_first_name or m.is_new for m in matches):
            if not self.confirm("Players", players_question(matches), "Start game", False):
                self.show_message(NOTHING_ADDED_MESSAGE, "info")
                return None
            try:
                for m in matches:
                    if m.is_new:
                        self.sellers.seller(m.name)  # every screen's list gains them now
            except StorageError as exc:
                self.show_message(str(exc))
                return None
        self._typed = ", ".join(names)
        self.players_combo.setEditText(self._typed)
        return names

    def _update_setup(self) -> None:
        # The spoken round has its own limit (the recording stops after 20 s).
        self.timer_check.setEnabled(not self.spoken)
        self.seconds_spin.setEnabled(self.timer_check.isChecked() and not self.spoken)

    def start_game(self) -> None:
        """Enter / "Start game": deal and flip the first card."""
        if self.deck is None:
            self.show_message(self.deck_error or "The card deck is missing; reinstall the app.")
            return
        players = parse_players(self.players_edit.text())
        if not players:
            self.show_message(NEED_PLAYERS_MESSAGE, "info")
            self.players_edit.setFocus()
            return
        if len({p.casefold() for p in players}) != len(players):
            self.show_message(SAME_NAME_MESSAGE, "info")
            self.players_edit.setFocus()
            return
        mode = "spoken" if self.spoken else "call"
        pool = spoken_cards(self.deck, self.scenarios) if mode == "spoken" else self.deck.cards
        if not pool:
            self.show_message("No feature card matches a scenario's product, so there is "
                              "nothing to say as a benefit; check drills/scenarios.")
            return
        resolved = self._players_on_file(players)
        if resolved is None:
            self.players_edit.setFocus()
            return
        players = resolved
        seed = self.seed if self.seed is not None else random.randrange(2**31)
        # Each player gets the same number of cards, so turns stay fair.
        per_player = max(1, min(self.count_spin.value(), len(pool) // len(players)))
        hand = deal(pool, per_player * len(players), seed)
        limit = (float(self.seconds_spin.value())
                 if self.timer_check.isChecked() and mode == "call" else None)
        self.game = CardGame(hand, players, mode=mode, time_limit_s=limit, clock=self.clock,
                             store=self.store)
        self.last_call = None
        self.banner.clear()
        self.call_row.setVisible(mode == "call")
        self.spoken_row.setVisible(mode == "spoken")
        self.scoreboard.setVisible(len(players) > 1)
        self.stack.setCurrentIndex(1)
        self._timer.start()
        self.next_card()

    # == playing ==========================================================================
    def advance(self) -> None:
        """Enter: start on the set-up page, the next card at the table, a new game at the
        end."""
        page = self.stack.currentIndex()
        if page == 0:
            self.start_game()
        elif page == 1:
            self.next_card()
        else:
            self.new_game()

    def back(self) -> None:
        """Esc: end the game at the table; back to the set-up from the summary."""
        page = self.stack.currentIndex()
        if page == 1:
            self.end_game()
        elif page == 2:
            self.new_game()

    def next_card(self) -> None:
        """N / Enter: flip the next card once this one is called (or end the game)."""
        game = self.game
        if game is None or self.stack.currentIndex() != 1 or self.judging:
            return
        if game.state == "showing" or self._recording():
            return
        card = game.flip()
        if card is None:
            self._finish()
            return
        self.banner.clear()
        self._show_card(card)
        self.card_shown.emit(card)

    def _show_card(self, card: Card) -> None:
        game = self.game
        assert game is not None
        self.product_label.setText(card.product)
        self.statement_label.setText(card.statement)
        if game.mode == "spoken":
            prospect = prospect_for(card, self.scenarios)
            who = prospect_line(prospect) if prospect else "the buyer"
            self.prompt_label.setText(f"Say it as a benefit for {who}.")
            self.prompt_label.show()
        else:
            self.prompt_label.hide()
        self.feedback.hide()
        for label in (self.verdict_label, self.reason_label, self.transcript_label,
                      self.model_label):
            label.clear()
        self.feature_button.setEnabled(True)
        self.benefit_button.setEnabled(True)
        self.next_button.setEnabled(False)
        self.next_button.setText("Next card  (N)")
        self.elapsed_label.setText("0:00")
        self._update_record_button()
        self._update_status()
        self.card_frame.setFocus()

    def call(self, answer: str) -> None:
        """F / B: call the card on the table."""
        game = self.game
        if (game is None or self.stack.currentIndex() != 1 or game.mode != "call"
                or game.state != "showing"):
            return
        try:
            result = game.call(answer)
        except StorageError as exc:
            self.show_message(str(exc))  # not saved: the card is still waiting for a call
            return
        self._show_verdict(result)

    def _on_tick(self) -> None:
        game = self.game
        if game is None or self.stack.currentIndex() != 1:
            return
        if self._recording():
            self._on_record_tick()
        if game.state != "showing":
            return
        remaining = game.remaining_s()
        if remaining is None:
            self.timer_label.setText(_clock_text(game.elapsed_s()))
            return
        self.timer_label.setText(f"{remaining:.0f} s" if remaining >= 1 else "0 s")
        self.timer_label.setStyleSheet(f"color: {RED};" if remaining <= 3 else "")
        if remaining <= 0:
            try:
                result = game.time_up()
            except StorageError as exc:
                # Not retried every tick: the message stays, and Esc ends the game.
                self._timer.stop()
                self.show_message(str(exc))
                return
            self._show_verdict(result)

    def _show_verdict(self, result: Call, spoken: SpokenResult | None = None) -> None:
        game = self.game
        assert game is not None
        self.last_call = result
        if result.correct:
            text, color = "\u2713  Right!", GREEN
        elif result.timed_out:
            # Words, not the stopwatch U+23F1: most UI fonts lack it and drew an empty box.
            text, color = "Time's up", RED
        else:
            text, color = "\u2717  Not quite", RED
        if spoken is not None:
            text += ("  \u2014 that's a benefit" if result.correct
                     else "  \u2014 that's still a feature")
        self.verdict_label.setText(text)
        self.verdict_label.setStyleSheet(f"color: {color};")
        self.reason_label.setText(result.reason)
        self.timer_label.setText(f"{result.response_s:.1f} s")  # the answer time stays up
        if spoken is not None:
            self.transcript_label.setText(f"You said: \u201c{spoken.transcript.text}\u201d")
            self.model_label.setText(f"Model benefit: {result.card.model_benefit}")
        self.transcript_label.setVisible(spoken is not None)
        self.model_label.setVisible(spoken is not None)
        self.feedback.setStyleSheet(
            f"#feedback {{ border: 2px solid {color}; border-radius: 8px; }}")
        self.feedback.show()
        self.feature_button.setEnabled(False)
        self.benefit_button.setEnabled(False)
        self.next_button.setEnabled(True)
        self.next_button.setText("Next card  (N)" if game.has_next else "See the scores  (N)")
        self._update_record_button()
        self._update_status()
        self.answered.emit(result)

    def _update_status(self) -> None:
        game = self.game
        if game is None:
            return
        player = game.current_player
        standing = game.standing(player)
        self.turn_label.setText("Your card" if game.solo else f"{player}\u2019s turn")
        self.counter_label.setText(f"Card {game.card_number} of {game.total}")
        fire = " \u2014 on a roll!" if standing.streak >= 3 else ""
        self.streak_label.setText(f"{standing.score} right \u00b7 streak {standing.streak}"
                                  f"{fire} \u00b7 best {standing.best_streak}")
        if game.state == "revealed" or game.remaining_s() is None:
            self.timer_label.setStyleSheet("")
        self._fill_table(self.scoreboard, game.standings(), highlight=player)

    def _fill_table(self, table: QTableWidget, standings: list[Standing],
                    highlight: str | None = None) -> None:
        table.setRowCount(len(standings))
        for row, s in enumerate(standings):
            name = f"\u25b6 {s.player}" if s.player == highlight else s.player
            for col, text in enumerate((name, str(s.score), str(s.answered), str(s.streak),
                                        str(s.best_streak))):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if s.player == highlight:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(row, col, item)

    def end_game(self) -> None:
        """Esc: stop now and see the scores (a card not yet called does not count)."""
        game = self.game
        if game is None or self.stack.currentIndex() != 1:
            return
        if self._recording():
            self._stop_recorder()
        game.end()
        self._finish()

    def _finish(self) -> None:
        game = self.game
        assert game is not None
        self._timer.stop()
        standings = game.standings()
        self.winner_label.setText(game.result())
        self._fill_table(self.final_table, standings)
        try:
            lines = [player_history(self.store, p).sentence() for p in game.players]
        except StorageError as exc:
            lines = [str(exc)]
        self.history_label.setText("\n".join(lines))
        self.stack.setCurrentIndex(2)
        self.new_game_button.setFocus()
        self.game_over.emit(standings)

    def new_game(self) -> None:
        """Back to the set-up with the same players."""
        if self._recording() or self.judging:
            return
        self._timer.stop()
        self.game = None
        self.banner.clear()
        self.stack.setCurrentIndex(0)
        self.players_edit.setFocus()

    # == the spoken round =================================================================
    def _recording(self) -> bool:
        return self.recorder is not None and self.recorder.recording

    def _update_record_button(self) -> None:
        if self._recording():
            self.record_button.setText("\u25a0  Stop  (R)")
            style = "background: #37474f;"
        else:
            self.record_button.setText("\u25cf  Record  (R)")
            style = f"background: {RED};"
        self.record_button.setStyleSheet(
            f"QPushButton {{ {style} color: white; padding: 8px 18px; border-radius: 6px;"
            " border: none; } QPushButton:disabled { background: #c5cbd3; }"
            " QPushButton:focus { border: 3px solid #f5c542; }")
        game = self.game
        self.record_button.setEnabled(game is not None and game.state == "showing"
                                      and not self.judging)
        self.busy.setVisible(self.judging)
        self.busy_label.setVisible(self.judging)

    def toggle_recording(self) -> None:
        """R: record the spoken answer, or stop and have it judged."""
        game = self.game
        if (game is None or game.mode != "spoken" or self.stack.currentIndex() != 1
                or self.judging):
            return
        if self._recording():
            self.stop_recording()
        elif game.state == "showing":
            self.start_recording()

    def start_recording(self) -> None:
        game = self.game
        card = game.current_card if game is not None else None
        if game is None or card is None:
            return
        if self.sound is None or self.recorder is None:
            self.show_message(NO_SOUND_MESSAGE)
            return
        if self.transcriber is None:
            self.show_message(NO_MODEL_MESSAGE)
            return
        if not input_devices(self.sound):
            self.show_message(NO_MIC_MESSAGE)
            return
        try:
            seller = self.store.seller(game.current_player)
            wav = spoken_audio_path(self.data_dir, seller, card)
            self.recorder.start(wav, self.input_device())
        except Exception as exc:
            self._report(exc)
            return
        self._wav = wav
        self.banner.clear()
        self._update_record_button()
        self.recording_started.emit()

    def _on_record_tick(self) -> None:
        recorder = self.recorder
        assert recorder is not None
        self.meter.set_level(recorder.level_db, recorder.clipping)
        self.elapsed_label.setText(_clock_text(recorder.elapsed_s))
        # One sentence is enough: stop by itself, as if the seller pressed R.
        if recorder.elapsed_s >= SPOKEN_MAX_S or recorder.error is not None:
            self.stop_recording()

    def _stop_recorder(self) -> Any:
        assert self.recorder is not None
        recording = self.recorder.stop()
        self.meter.reset()
        self._update_record_button()
        return recording

    def stop_recording(self) -> None:
        game = self.game
        card = game.current_card if game is not None else None
        if not self._recording() or game is None or card is None or self._wav is None:
            return
        self._answer_s = game.elapsed_s()
        try:
            recording = self._stop_recorder()
        except Exception as exc:
            self._report(exc)
            return
        self.elapsed_label.setText(_clock_text(recording.duration_s))
        self.recording_stopped.emit(str(recording.path))
        if recording.error is not None:
            self.show_message(str(recording.error))
            return
        prospect = prospect_for(card, self.scenarios)
        context = prospect_line(prospect) if prospect else None
        self.judging = True
        self._update_record_button()
        run_in_background(partial(self._judge_take, card, recording.path, context),
                          partial(self._on_judged, game, card),
                          partial(self._on_judge_failed, game, card), self.pool, context=self)

    def _judge_take(self, card: Card, wav: Path, context: str | None) -> SpokenResult:
        """On the pool: transcribe and judge (the judge and its embedder load on first use)."""
        if self._judge is None:
            self._judge = FeatureBenefitJudge(default_judge())
        return judge_spoken(card, wav, self.transcriber, self._judge, context)

    def _on_judged(self, game: CardGame, card: Card, result: SpokenResult) -> None:
        self.judging = False
        if game is not self.game or game.current_card is not card or game.state != "showing":
            self._update_record_button()
            return  # the game moved on (ended) while the take was judged
        try:
            call = game.record_spoken(result.transcript.text, result.verdict, self._answer_s)
        except StorageError as exc:
            self._update_record_button()
            self.show_message(str(exc))
            return
        self._show_verdict(call, result)
        self.spoken_judged.emit(result)

    def _on_judge_failed(self, game: CardGame, card: Card, exc: Exception) -> None:
        self.judging = False
        self._update_record_button()
        if game is not self.game:
            return
        if isinstance(exc, SilentRecording):
            # No verdict: the card stays on the table for another try.
            self.show_message(SILENT_MESSAGE)
            return
        self._report(exc)

    # == shutdown =========================================================================
    def shutdown(self) -> None:
        """Stop a recording in progress (the app calls this when the window closes)."""
        self._timer.stop()
        if self._recording():
            self._stop_recorder()
