"""The main window: pick a drill, hear the buyer, record your answer, read your scorecard.

This module wires widgets to the core and holds the practice state (idle, recording, scoring,
scored); it does no scoring, parsing or SQL itself. Besides Practice and History it carries the
seller's other screens: Progress, the written agenda, "my next call" (a dialog), the replay
highlight and the take-to-take comparison; other screens join as tabs with ``add_panel``.
Presenter mode (Ctrl+Shift+P) sets a 1.6x base font on the window and rescales every label
sized relative to it. Slow work (loading the speech model,
``practice.finish_attempt``) goes through ``run_in_background``; the recorder and the player
are polled by ``QTimer``s on the GUI thread, so their audio threads never touch Qt.

Errors the core can name (``TrainerError``) are shown as their one sentence in the message
banner; anything else is logged and shown as a short apology, and the recording is kept.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.mictest import MicCheck, MicTest
from trainer.audio.playback import Player, quote_start, word_at
from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching.agendas import (
    interaction_for_scenario,
    save_agenda,
    written_agenda,
    written_agendas,
)
from trainer.coaching.calls import (
    build_scenario,
    delete_call,
    save_call,
    saved_calls,
    validate_call,
)
from trainer.coaching.company import CompanyProfile, apply_company, usable_company
from trainer.coaching.compare import compare_takes
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import (
    AttemptResult,
    WrittenAgenda,
    attempt_audio_path,
    default_embedder,
    finish_attempt,
    finish_live_attempt,
)
from trainer.coaching.progress import LastTake, last_scores, seller_progress
from trainer.common.errors import StorageError, TrainerError
from trainer.common.formatting import format_score
from trainer.common.settings import Settings, load_settings, save_settings, settings_path
from trainer.rubric.drills import Drill, DrillLibrary, Scenario, parse_scenario
from trainer.rubric.scoring import default_judge, warm_judge
from trainer.speech.streaming import accepts_prompt
from trainer.store.database import Attempt, Seller, Store
from trainer.store.datafolder import damaged_copies
from trainer.store.privacy import damaged_copies_question, forget_seller, privacy_note
from trainer.ui.guided import Guided
from trainer.ui.home import HomeScreen
from trainer.ui.manager.panel import ManagerPanel
from trainer.ui.navigation import JourneyNavigation
from trainer.ui.seller.agenda import AgendaEditor
from trainer.ui.seller.call_dialog import CallDialog, CallFields
from trainer.ui.seller.progress import ProgressView
from trainer.ui.seller.roleplay import RoleplayPanel
from trainer.ui.style import (
    MUTED,
    PRESENTER_SCALE,
    RED,
    base_point_size,
    plain_tooltip,
    rescale_fonts,
    set_relative_font,
)
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.team.cards import CardGamePanel
from trainer.ui.team.storyhour import StoryHourPanel, StoryLibraryPanel
from trainer.ui.widgets.common import DrillBrief, LevelMeter, MessageBanner, ScorecardView
from trainer.ui.widgets.compare import CompareView
from trainer.ui.widgets.delivery import LiveTranscript
from trainer.ui.widgets.sellers import SellerDirectory

log = logging.getLogger(__name__)

NO_AUDIO_LIBRARY_MESSAGE = (
    "Recording needs the audio library PortAudio, which is missing; install it "
    "(on Linux: sudo apt install libportaudio2) and restart the app."
)
NEED_NAME_MESSAGE = "Type your name first, so this take is saved under it."
METER_INTERVAL_MS = 50  # ~20 Hz: smooth to the eye, negligible CPU
PLAY_INTERVAL_MS = 50  # the replay highlight moves word by word (~3 words a second)
NEW_CALL = "__my_next_call__"  # the scenario picker's "My next call…" entry
PRACTICE_PAGE_COMPARE = 3
STATUS_TEXT = {
    "scored": "Scored",
    "recorded": "Ready to score",
    "failed": "Not scored",
    "recording": "Interrupted",
}


class State(enum.Enum):
    IDLE = "idle"
    RECORDING = "recording"
    SCORING = "scoring"
    SCORED = "scored"


@dataclass(frozen=True)
class Take:
    """One attempt on its way through the window: what was practised and where the audio is."""

    attempt_id: int
    seller: Seller
    drill: Drill
    scenario: Scenario | None
    wav: Path
    # Transcribed while recorded (the model was loaded at Record): Stop only waits for the
    # tail. ``None``: the whole file is transcribed after Stop.
    live: LiveTake | None = None
    context: str = ""  # see ``Guided``


def unexpected_message(exc: BaseException) -> str:
    return f"Something went wrong: {type(exc).__name__}; your recording is kept."


def _unused_path(path: Path) -> Path:
    """``path``, or ``name-2.wav``, ``name-3.wav``... so two takes in one second never collide."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


Confirm = Callable[[str, str, str, bool], bool]
"""``confirm(title, text, accept_label, destructive) -> accepted``; tests pass their own."""


def ask_in_dialog(parent: QWidget, title: str, text: str, accept_label: str,
                  destructive: bool) -> bool:
    """A modal question with an accept button and Cancel (the default when destructive)."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Information,
                      title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the text may quote a name the seller typed
    accept = box.addButton(accept_label, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else accept)
    box.exec()
    return box.clickedButton() is accept


class MainWindow(QMainWindow):
    """The practice window.

    Args:
        library: drills and scenarios.
        store: the practice history (shared with background jobs; it serialises access).
        sound: the ``sounddevice`` module (or a fake), or ``None`` when PortAudio is missing.
        transcriber: a ``Transcriber`` (``.name``, ``.load()``, ``.transcribe()``), or ``None``
            when no model is installed.
        data_dir: where recordings and ``settings.json`` are written.
        pool: where background work runs (a ``SyncPool`` in tests). By default a private pool
            with one thread: the model load and every scoring run one after another, so two
            jobs never use the model at once and one CPU core stays free for the UI.
        settings: remembered choices; read from ``data_dir/settings.json`` when omitted.
        sound_error: the sentence to show when ``sound`` is ``None``.
        model_error: the sentence to show when ``transcriber`` is ``None``.
        confirm: asks the seller a yes/no question (the privacy note before the first take,
            "Delete my data"); a modal dialog by default.
    """

    model_ready = Signal(str)
    model_failed = Signal(str)
    recording_started = Signal()
    recording_stopped = Signal(str)
    scorecard_ready = Signal(dict)
    message_shown = Signal(str)
    live_text_changed = Signal(str)
    mic_test_done = Signal(object)  # a MicCheck
    attempt_scored = Signal(int, str)  # attempt id, its context ("" for plain practice)
    attempt_failed = Signal(int, str, str)  # attempt id, context, the sentence shown
    presenter_changed = Signal(bool)
    replay_word_changed = Signal(int)  # index of the word highlighted during replay (-1: none)
    call_saved = Signal(str)  # the new scenario's id
    agenda_saved = Signal(str)  # the interaction type
    comparison_shown = Signal()

    def __init__(self, library: DrillLibrary, store: Store, sound: Any, transcriber: Any,
                 data_dir: Path, pool: Pool | None = None, settings: Settings | None = None,
                 *, sound_error: str | None = None, model_error: str | None = None,
                 confirm: Confirm | None = None, start_on_home: bool = False) -> None:
        super().__init__()
        self.confirm: Confirm = confirm or (
            lambda title, text, label, destructive: ask_in_dialog(self, title, text, label,
                                                                  destructive))
        self.library = library
        self.store = store
        self.sellers = SellerDirectory(store, self)  # the one seller list every screen shows
        self.sound = sound
        self.transcriber = transcriber
        self.data_dir = data_dir
        if pool is None:
            own_pool = QThreadPool(self)
            own_pool.setMaxThreadCount(1)
            pool = own_pool
        self.pool: Any = pool
        self.settings_file = settings_path(data_dir)
        self.settings = settings if settings is not None else load_settings(self.settings_file)
        self.sound_error = sound_error or NO_AUDIO_LIBRARY_MESSAGE
        self.model_error = model_error or (
            "No speech model is installed, so takes cannot be scored yet; reinstall the app.")
        self.recorder = Recorder(sound, block_s=0.05) if sound is not None else None
        self.player = Player(sound) if sound is not None else None

        self.state = State.IDLE
        self.model_state = "loading" if transcriber is not None else "missing"
        self.take: Take | None = None  # the take on the Practice tab
        self._waiting_for_model: list[tuple[Take, str]] = []
        self._scoring_ids: set[int] = set()
        self._restoring = False
        self.mic_test: MicTest | None = None
        self.embedder: Any = None  # loaded once, after the model, for the live path
        self._live_version = -1
        self.guided: Guided | None = None  # the next take belongs to another screen
        self._calls: dict[str, Scenario] = {}  # this seller's saved "my next call"s, by id
        self._scenario_index = 0  # the picker's choice before "My next call…" was picked
        self.call_dialog: CallDialog | None = None
        self._last_scored: Take | None = None  # the take "try again" compares with
        self.previous_take: Take | None = None  # set when the shown take can be compared
        self._take_words: list[dict[str, Any]] = []  # the practice take's timed words
        self._replay_view: ScorecardView | None = None  # whose transcript follows playback
        self._panels: dict[str, int] = {}
        self._practice_keys: list[QShortcut] = []
        # The size every relative font is measured from: the app's, or 1.6x in presenter mode.
        self._normal_point_size = base_point_size(self)

        self.setWindowTitle("Sales Trainer")
        self.setMinimumSize(1000, 700)
        self.resize(1120, 780)
        self._build()
        self._restore_choices()
        self._bind_keys()
        if self.settings.presenter:
            self._apply_presenter(True)

        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(METER_INTERVAL_MS)
        self._meter_timer.timeout.connect(self._on_tick)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_INTERVAL_MS)
        self._play_timer.timeout.connect(self._on_play_tick)

        self._refresh_history()
        self._show_brief()
        # Deferred so the load starts once the event loop runs (and so a synchronous test
        # pool still emits model_ready after the test has connected to it).
        if start_on_home:
            self.go_to("Home")
        QTimer.singleShot(0, self._load_model)

    # == construction =====================================================================
    def _build(self) -> None:
        base = base_point_size(self)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(10)
        self.setCentralWidget(central)

        top = QHBoxLayout()
        top.setSpacing(8)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setMinimumWidth(140)
        self.name_edit.setAccessibleName("Your name")
        self.name_picker = self.sellers.picker(self.name_edit)  # the sellers on file
        self.drill_combo = QComboBox()
        self.drill_combo.setMinimumWidth(150)
        self.drill_combo.setAccessibleName("Drill")
        self.scenario_combo = QComboBox()
        self.scenario_combo.setMinimumWidth(120)
        self.scenario_combo.setSizePolicy(QSizePolicy.Policy.Expanding,
                                          QSizePolicy.Policy.Fixed)
        self.scenario_combo.setAccessibleName("Scenario")
        for text, widget in (("&Name", self.name_edit), ("&Drill", self.drill_combo),
                             ("&Scenario", self.scenario_combo)):
            label = QLabel(text)
            label.setStyleSheet(f"color: {MUTED};")
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
            top.addSpacing(6)
        self.new_call_button = QPushButton("My next call\u2026")
        self.new_call_button.setToolTip("Type the prospect you are meeting next and practise "
                                        "on them (Ctrl+Shift+N)")
        self.new_call_button.clicked.connect(self.open_call_dialog)
        self.delete_call_button = QToolButton()
        self.delete_call_button.setText("\u2715")
        self.delete_call_button.setToolTip("Delete this saved call (Ctrl+Shift+Backspace)")
        self.delete_call_button.setAccessibleName("Delete this saved call")
        self.delete_call_button.clicked.connect(self.delete_current_call)
        self.delete_call_button.hide()
        top.addWidget(self.delete_call_button)
        top.addWidget(self.new_call_button)
        top.addStretch(1)

        # Status bar: the speech model's state on the left, the microphone choice on the right
        # (both matter, neither needs to compete with the drill for attention).
        self.model_status = QLabel()
        self.model_status.setStyleSheet(f"color: {MUTED}; padding-left: 8px;")
        self.statusBar().addWidget(self.model_status, 1)
        self.mic_combo = QComboBox()
        self.mic_combo.setMinimumWidth(200)
        self.mic_combo.setMaximumWidth(320)
        self.mic_combo.setAccessibleName("Microphone")
        mic_label = QLabel("&Microphone")
        mic_label.setStyleSheet(f"color: {MUTED};")
        mic_label.setBuddy(self.mic_combo)
        self.statusBar().addPermanentWidget(mic_label)
        self.statusBar().addPermanentWidget(self.mic_combo)
        self.presenter_button = QToolButton()
        self.presenter_button.setText("Presenter")
        self.presenter_button.setCheckable(True)
        self.presenter_button.setToolTip("Large type for a meeting-room screen (Ctrl+Shift+P)")
        self.presenter_button.clicked.connect(self.toggle_presenter)
        self.statusBar().addPermanentWidget(self.presenter_button)

        self.banner = MessageBanner()
        self.message_label = self.banner.label
        outer.addWidget(self.banner)

        self.screens = JourneyNavigation()
        outer.addWidget(self.screens, 1)
        # Practice and History keep indices 0 and 1 (Ctrl+H toggles between them). The
        # name / drill / scenario bar belongs to Practice and sits on its screen.
        practice = QWidget()
        practice_layout = QVBoxLayout(practice)
        practice_layout.setContentsMargins(0, 0, 0, 0)
        practice_layout.addLayout(top)
        practice_layout.addWidget(self._build_practice(base), 1)
        self.practice_screen = practice
        self.add_panel(practice, "Practice", "Ctrl+1")
        self.add_panel(self._build_history(base), "History", "Ctrl+H", bind=False)
        self.progress_view = ProgressView(
            pass_marks={d.id: d.pass_threshold for d in self.library.drills()})
        self.add_panel(self.progress_view, "Progress", "Ctrl+G")
        self.agenda_editor = AgendaEditor()
        self.agenda_editor.save_requested.connect(self.save_written_agenda)
        self.agenda_editor.interaction_changed.connect(self._on_agenda_type_changed)
        self.add_panel(self.agenda_editor, "Written agenda", "Ctrl+Shift+W")
        self._add_team_panels()
        self.home = HomeScreen(self._last_scores)
        self.home.practise.connect(self._practise_from_home)
        self.home.journey.connect(self._journey_from_home)
        self.add_panel(self.home, "Home", "Ctrl+0", journey="home")
        self.screens.currentChanged.connect(self._on_tab_changed)

        self.name_edit.textChanged.connect(self._on_name_changed)
        self.sellers.changed.connect(self._refresh_history)
        self.name_edit.editingFinished.connect(self._save_choices)
        self.name_edit.returnPressed.connect(lambda: self.record_button.setFocus())
        self.drill_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.scenario_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.mic_combo.currentIndexChanged.connect(self._save_choices)

    def _build_practice(self, base: float) -> QWidget:
        self.practice_stack = QStackedWidget()

        # Page 0: the brief, with the record bar under it (the buyer's line stays in view
        # while the seller answers).
        brief_page = QWidget()
        layout = QVBoxLayout(brief_page)
        layout.setContentsMargins(0, 8, 0, 0)
        self.brief = DrillBrief()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.brief)
        layout.addWidget(scroll, 1)
        # On the agenda drill: which written agenda the take will be compared with.
        self.agenda_note = QLabel()
        self.agenda_note.setTextFormat(Qt.TextFormat.PlainText)
        self.agenda_note.setWordWrap(True)
        self.agenda_note.setStyleSheet(f"color: {MUTED};")
        self.agenda_note.setAccessibleName("Written agenda")
        self.agenda_note.hide()
        layout.addWidget(self.agenda_note)
        # What the seller is saying, transcribed as they speak (shown while recording).
        self.live_transcript = LiveTranscript()
        self.live_transcript.hide()
        layout.addWidget(self.live_transcript)
        bar = QFrame()
        bar.setObjectName("recordbar")
        bar.setStyleSheet("#recordbar { background: #f6f8fa; border: 1px solid #dde2e8;"
                          " border-radius: 8px; }")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(14, 10, 14, 10)
        bar_layout.setSpacing(14)
        self.record_button = QPushButton()
        self.record_button.setMinimumWidth(150)
        self.record_button.setToolTip("Start or stop recording (Space)")
        self.record_button.clicked.connect(self.toggle_recording)
        self.meter = LevelMeter()
        self.elapsed_label = QLabel("0:00")
        set_relative_font(self.elapsed_label, 1.4, base, bold=True)
        self.elapsed_label.setMinimumWidth(int(base * 5))
        self.record_hint = QLabel()
        self.record_hint.setTextFormat(Qt.TextFormat.PlainText)  # names the typed prospect
        self.record_hint.setStyleSheet(f"color: {MUTED};")
        self.record_hint.setMinimumWidth(300)
        self.record_hint.setWordWrap(True)
        bar_layout.addWidget(self.record_button)
        bar_layout.addWidget(self.meter, 1)
        bar_layout.addWidget(self.elapsed_label)
        bar_layout.addWidget(self.record_hint)
        self.mic_test_button = QPushButton("Test mic")
        self.mic_test_button.setToolTip("Record 3 seconds and check that the microphone "
                                        "hears you")
        self.mic_test_button.clicked.connect(self.start_mic_test)
        bar_layout.addWidget(self.mic_test_button)
        layout.addWidget(bar)
        self.practice_stack.addWidget(brief_page)

        # Page 1: scoring in progress.
        scoring_page = QWidget()
        s_layout = QVBoxLayout(scoring_page)
        s_layout.addStretch(2)
        self.scoring_label = QLabel("Scoring\u2026")
        set_relative_font(self.scoring_label, 1.8, base, bold=True)
        self.scoring_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scoring_detail = QLabel(
            "Transcribing and scoring on this computer; your recording never leaves it.")
        self.scoring_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scoring_detail.setStyleSheet(f"color: {MUTED};")
        self.scoring_progress = QProgressBar()
        self.scoring_progress.setRange(0, 0)  # busy: Whisper gives no useful progress
        self.scoring_progress.setTextVisible(False)
        self.scoring_progress.setMaximumWidth(420)
        s_layout.addWidget(self.scoring_label)
        s_layout.addWidget(self.scoring_detail)
        s_layout.addSpacing(8)
        s_layout.addWidget(self.scoring_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        s_layout.addStretch(3)
        self.practice_stack.addWidget(scoring_page)

        # Page 2: the scorecard.
        result_page = QWidget()
        r_layout = QVBoxLayout(result_page)
        r_layout.setContentsMargins(0, 8, 0, 0)
        actions = QHBoxLayout()
        self.result_title = QLabel()
        self.result_title.setTextFormat(Qt.TextFormat.PlainText)  # names the seller typed
        self.result_title.setStyleSheet(f"color: {MUTED};")
        self.replay_button = QPushButton("\u25b6  Replay")
        self.replay_button.setToolTip("Play this take back (Ctrl+R)")
        self.replay_button.clicked.connect(self.replay)
        self.try_again_button = QPushButton("\u21bb  Try again")
        self.try_again_button.setToolTip("Back to the brief, same drill and scenario (Ctrl+N)")
        self.try_again_button.clicked.connect(self.try_again)
        self.compare_button = QPushButton("Compare with previous take")
        self.compare_button.setToolTip("This take and the one before it, side by side "
                                       "(Ctrl+Shift+C)")
        self.compare_button.clicked.connect(self.show_comparison)
        self.compare_button.hide()
        actions.addWidget(self.result_title, 1)
        actions.addWidget(self.replay_button)
        actions.addWidget(self.compare_button)
        actions.addWidget(self.try_again_button)
        r_layout.addLayout(actions)
        self.scorecard_view = ScorecardView()
        self.scorecard_view.evidence_clicked.connect(self.play_from_quote)
        self.scorecard_view.moment_clicked.connect(self.play_from)
        r_layout.addWidget(self.scorecard_view, 1)
        self.practice_stack.addWidget(result_page)

        # Page 3: this take beside the previous one.
        compare_page = QWidget()
        c_layout = QVBoxLayout(compare_page)
        c_layout.setContentsMargins(0, 8, 0, 0)
        c_actions = QHBoxLayout()
        self.compare_title = QLabel("This take beside your previous one")
        self.compare_title.setStyleSheet(f"color: {MUTED};")
        self.back_to_card_button = QPushButton("Back to the scorecard")
        self.back_to_card_button.setToolTip("Back to this take's scorecard (Esc or "
                                            "Ctrl+Shift+C)")
        self.back_to_card_button.clicked.connect(self.hide_comparison)
        c_actions.addWidget(self.compare_title, 1)
        c_actions.addWidget(self.back_to_card_button)
        c_layout.addLayout(c_actions)
        self.compare_view = CompareView()
        c_layout.addWidget(self.compare_view, 1)
        self.practice_stack.addWidget(compare_page)
        return self.practice_stack

    def _build_history(self, base: float) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.history_table = QTableWidget(0, 6)
        self.history_table.setHorizontalHeaderLabels(
            ["Date", "Drill", "Scenario", "Score", "Result", "Status"])
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.setAlternatingRowColors(True)
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.history_table.itemSelectionChanged.connect(self._on_history_selected)
        splitter.addWidget(self.history_table)

        detail = QWidget()
        d_layout = QVBoxLayout(detail)
        d_layout.setContentsMargins(12, 0, 0, 0)
        self.history_title = QLabel("Select a take to see its scorecard.")
        self.history_title.setTextFormat(Qt.TextFormat.PlainText)  # a typed call's title
        self.history_title.setWordWrap(True)
        font = self.history_title.font()
        font.setBold(True)
        self.history_title.setFont(font)
        self.history_status = QLabel()
        self.history_status.setTextFormat(Qt.TextFormat.PlainText)
        self.history_status.setWordWrap(True)
        self.history_status.setStyleSheet(f"color: {MUTED};")
        buttons = QHBoxLayout()
        self.score_now_button = QPushButton("Score now")
        self.score_now_button.setToolTip("Transcribe and score this saved take")
        self.score_now_button.clicked.connect(self.score_selected)
        self.history_replay_button = QPushButton("\u25b6  Replay")
        self.history_replay_button.setToolTip("Play this take back (Ctrl+R)")
        self.history_replay_button.clicked.connect(self.replay)
        buttons.addWidget(self.score_now_button)
        buttons.addWidget(self.history_replay_button)
        buttons.addStretch(1)
        self.forget_button = QPushButton("Delete my data\u2026")
        self.forget_button.setToolTip(
            "Delete all your takes, recordings and scores from this computer")
        self.forget_button.clicked.connect(self.forget_my_data)
        buttons.addWidget(self.forget_button)
        self.history_view = ScorecardView()
        self.history_view.evidence_clicked.connect(self.play_from_quote)
        self.history_view.moment_clicked.connect(self.play_from)
        self.history_view.hide()
        d_layout.addWidget(self.history_title)
        d_layout.addWidget(self.history_status)
        d_layout.addLayout(buttons)
        d_layout.addWidget(self.history_view, 1)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([620, 480])  # the table needs room for its six columns
        self._set_history_buttons(None)
        return splitter

    def _add_team_panels(self) -> None:
        """The seller's roleplay, the manager's screens, and the team's."""
        # The same one-thread pool: the roleplay and the practice screen never run the model
        # at the same time.
        self.roleplay_panel = RoleplayPanel(self.store, self.library, self.sound,
                                            self.transcriber, self.pool, self.data_dir,
                                            seller_name=self.seller_name())
        self.add_panel(self.roleplay_panel, "Roleplay", "Ctrl+J")
        self.manager_panel = ManagerPanel(self.store, self.library, self, sellers=self.sellers)
        manager = self.manager_panel
        self.add_panel(manager, "Certification 1:1", "Ctrl+M", journey="manager",
                       show=lambda: manager.show_view(1))
        self.add_panel(manager, "Team", journey="manager", show=lambda: manager.show_view(3))
        self.add_panel(manager, "Company", journey="manager", show=lambda: manager.show_view(0))
        self.story_hour_panel = StoryHourPanel(self.store, self.library, self, self.player,
                                               sellers=self.sellers)
        self.add_panel(self.story_hour_panel, "Story hour", "Ctrl+Y", journey="team")
        self.story_library_panel = StoryLibraryPanel(self.store, self, self.player)
        self.add_panel(self.story_library_panel, "Story library", "Ctrl+L", journey="team")
        self.cards_panel = CardGamePanel(self.store, self.library, self.sound,
                                         self.transcriber, self.pool, self.data_dir,
                                         input_device=self._input_device,
                                         sellers=self.sellers, confirm=self.confirm)
        self.add_panel(self.cards_panel, "Cards", "Ctrl+B", journey="team")

    def _bind_keys(self) -> None:
        # Space is a window shortcut, so it works whatever button has focus; a focused text
        # field still receives it (Qt lets line edits override shortcuts for typed text).
        for keys, slot in ((QKeySequence(Qt.Key.Key_Space), self.toggle_recording),
                           (QKeySequence("Ctrl+R"), self.replay),
                           (QKeySequence("Ctrl+N"), self.try_again),
                           (QKeySequence("Ctrl+H"), self.toggle_history),
                           (QKeySequence("Ctrl+Shift+P"), self.toggle_presenter),
                           (QKeySequence("Ctrl+Shift+N"), self.open_call_dialog),
                           (QKeySequence("Ctrl+Shift+Backspace"), self.delete_current_call),
                           (QKeySequence("Ctrl+Shift+C"), self.toggle_comparison),
                           (QKeySequence(Qt.Key.Key_Escape), self.hide_comparison)):
            shortcut = QShortcut(keys, self)
            shortcut.activated.connect(slot)
            if slot in (self.toggle_recording, self.hide_comparison, self.toggle_comparison):
                # The Practice tab's own keys: on another tab Space presses the focused
                # button and Esc / Ctrl+Shift+C belong to that screen.
                self._practice_keys.append(shortcut)
        self._update_practice_keys()

    def _update_practice_keys(self) -> None:
        on_practice = self.screens.currentIndex() == 0 or self.state is State.RECORDING
        for shortcut in self._practice_keys:
            shortcut.setEnabled(on_practice)

    # == panels ===========================================================================
    def add_panel(self, widget: QWidget, title: str, shortcut: str | None = None,
                  bind: bool = True, *, journey: str = "seller",
                  show: Callable[[], None] | None = None) -> int:
        """Add a screen to the navigation under ``journey`` (seller, manager or team).

        ``shortcut`` (e.g. "Ctrl+G") switches to it; ``show`` picks a view inside the screen
        when its entry is chosen (one screen may have several entries). Returns the screen's
        index. ``bind=False`` only names the shortcut in the tooltip (the caller binds it, as
        Ctrl+H toggles History).
        """
        index = self.screens.addTab(widget, title, journey, show)
        self._panels[title] = index
        if shortcut:
            self.screens.setEntryToolTip(title, f"{title} ({shortcut})")
            if bind:
                keys = QShortcut(QKeySequence(shortcut), self)
                keys.activated.connect(lambda: self.go_to(title))
        if self._normal_point_size and self.settings.presenter:
            rescale_fonts(widget, base_point_size(self))
        return index

    def go_to(self, title: str) -> None:
        """Show the navigation entry ``title`` (not while recording: the take stays in view)."""
        if self.state is not State.RECORDING:
            self.screens.select(title)

    def show_panel(self, widget: QWidget) -> None:
        """Switch to the screen holding ``widget`` (not while recording: the take stays in view)."""
        if self.state is State.RECORDING:
            return
        node: QWidget | None = widget
        while node is not None and self.screens.indexOf(node) < 0:
            node = node.parentWidget()  # a screen may wrap the widget (a scroll area...)
        if node is not None:
            self.screens.setCurrentWidget(node)
        widget.setFocus()

    def _restore_choices(self) -> None:
        self._restoring = True
        try:
            self.name_edit.setText(self.settings.seller)
            for drill in self.library.drills():
                self.drill_combo.addItem(drill.title, drill.id)
            self._fill_scenarios(self.settings.scenario)
            self._select_data(self.drill_combo, self.settings.drill)
            self._fill_microphones()
        finally:
            self._restoring = False

    def _fill_scenarios(self, select: str | None = None) -> None:
        """The bundled scenarios, this seller's saved calls, then "My next call…"."""
        combo = self.scenario_combo
        keep = select if select is not None else str(combo.currentData() or "")
        try:
            seller = self._find_seller()
            calls = saved_calls(self.store, seller) if seller is not None else []
        except StorageError as exc:
            self.show_message(str(exc))
            calls = []
        self._calls = {c.id: c for c in calls}
        combo.blockSignals(True)
        try:
            combo.clear()
            for scenario in self.library.scenarios():
                combo.addItem(scenario.title, scenario.id)
            for call in calls:
                combo.addItem(call.title, call.id)
            if combo.count() == 0:
                combo.addItem("No scenario", None)
            combo.addItem("My next call\u2026", NEW_CALL)
            combo.setItemData(combo.count() - 1, "Type the prospect you are meeting next "
                              "(Ctrl+Shift+N)", Qt.ItemDataRole.ToolTipRole)
            index = combo.findData(keep) if keep else -1
            combo.setCurrentIndex(index if index >= 0 else 0)
            self._scenario_index = combo.currentIndex()
        finally:
            combo.blockSignals(False)
        self.delete_call_button.setVisible(combo.currentData() in self._calls)
        if keep and combo.currentData() != keep and not self._restoring:
            self._on_choice_changed()  # the chosen call was another seller's: show the new one

    def _fill_microphones(self) -> None:
        self.mic_combo.clear()
        devices = input_devices(self.sound) if self.sound is not None else []
        if not devices:
            self.mic_combo.addItem("No microphone found", "")
            self.mic_combo.setEnabled(False)
            return
        self.mic_combo.addItem("System default", "")
        for device in devices:
            self.mic_combo.addItem(device.name, device.name)
        self._select_data(self.mic_combo, self.settings.input_device)

    @staticmethod
    def _select_data(combo: QComboBox, value: str) -> None:
        index = combo.findData(value) if value else -1
        if index >= 0:
            combo.setCurrentIndex(index)

    # == choices ==========================================================================
    def current_drill(self) -> Drill | None:
        drill_id = self.drill_combo.currentData()
        return self.library.drill(drill_id) if drill_id else None

    def current_scenario(self) -> Scenario | None:
        scenario_id = self.scenario_combo.currentData()
        if not scenario_id or scenario_id == NEW_CALL:
            return None
        if scenario_id in self._calls:
            return self._calls[scenario_id]
        # Once the manager has set up the company, the bundled prospects hear our pitch.
        return apply_company(self.library.scenario(scenario_id), self._company())

    def _company(self) -> CompanyProfile | None:
        return usable_company(self.store)

    def seller_name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def _find_seller(self) -> Seller | None:
        """The seller named in the name field, without creating one while they type."""
        name = self.seller_name().casefold()
        if not name:
            return None
        return next((s for s in self.store.sellers() if s.name.casefold() == name), None)

    def _on_name_changed(self) -> None:
        if not self._restoring:
            self._refresh_history()
        # Saved calls are the seller's own: the picker follows the name.
        self._fill_scenarios()
        if self.screens.currentWidget() is self.progress_view:
            self.refresh_progress()
        elif self.screens.currentWidget() is self.agenda_editor:
            self._load_agendas()
        if self.state is State.IDLE and not self._restoring:
            self._update_agenda_note(self.current_drill())

    def _on_choice_changed(self) -> None:
        if self.scenario_combo.currentData() == NEW_CALL:
            # "My next call…" is an action, not a scenario: go back to the last real choice
            # and ask for the call.
            self.scenario_combo.blockSignals(True)
            self.scenario_combo.setCurrentIndex(self._scenario_index)
            self.scenario_combo.blockSignals(False)
            if not self._restoring:
                QTimer.singleShot(0, self.open_call_dialog)  # after the popup has closed
            return
        self._scenario_index = self.scenario_combo.currentIndex()
        self.delete_call_button.setVisible(self.scenario_combo.currentData() in self._calls)
        if self._restoring:
            return
        if self.state in (State.IDLE, State.SCORED):
            self.take = None
            self._show_brief()
        self._save_choices()

    def _save_choices(self) -> None:
        if self._restoring:
            return
        if self.guided is None:  # a guided take's seller and drill are not this seller's
            self.settings.seller = self.seller_name()
            self.settings.drill = str(self.drill_combo.currentData() or "")
            self.settings.scenario = str(self.scenario_combo.currentData() or "")
        self.settings.input_device = str(self.mic_combo.currentData() or "")
        try:
            save_settings(self.settings, self.settings_file)
        except StorageError as exc:
            self.show_message(str(exc))

    def _input_device(self) -> int | None:
        """The chosen microphone's index now (indices change between runs; names do not)."""
        name = self.mic_combo.currentData()
        if not name or self.sound is None:
            return None
        return next((d.index for d in input_devices(self.sound) if d.name == name), None)

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        """Show one sentence in the banner (``kind`` is "error" or "info")."""
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def clear_message(self) -> None:
        self.banner.clear()

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Unexpected error", exc_info=exc)
            self.show_message(unexpected_message(exc))

    # == the speech model =================================================================
    def _load_model(self) -> None:
        if self.transcriber is None:
            self.model_status.setText("No speech model installed")
            self.model_failed.emit(self.model_error)
            return
        self.model_status.setText("Loading speech model\u2026")
        run_in_background(self.transcriber.load, self._on_model_loaded, self._on_model_failed,
                          self.pool, context=self)

    def _on_model_loaded(self, _seconds: object) -> None:
        self.model_state = "ready"
        name = str(getattr(self.transcriber, "name", "model"))
        self.model_status.setText(f"Speech model ready ({name})")
        self.model_ready.emit(name)
        waiting, self._waiting_for_model = self._waiting_for_model, []
        for take, origin in waiting:
            self._score(take, origin)
        if self._can_stream() and self.embedder is None:
            # The live path scores within a second of Stop: keep the sentence embedder and
            # the judge loaded too, right after the model, on the same background thread.
            run_in_background(self._load_embedder, lambda _: None,
                              lambda exc: log.warning("Sentence embedder not loaded: %s", exc),
                              self.pool, context=self)

    def _load_embedder(self) -> None:
        embedder = default_embedder()
        if embedder is not None:
            embedder.load()
        default_judge().load()  # the rubric judge's models, so Stop does not wait for them
        self.embedder = embedder

    def _can_stream(self) -> bool:
        """Live transcription needs the model loaded and able to take a prompt."""
        return (self.model_state == "ready" and self.transcriber is not None
                and accepts_prompt(self.transcriber))

    def _on_model_failed(self, exc: Exception) -> None:
        self.model_state = "missing"
        self.model_error = str(exc) if isinstance(exc, TrainerError) else unexpected_message(exc)
        if not isinstance(exc, TrainerError):
            log.error("The speech model failed to load", exc_info=exc)
        self.model_status.setText("Speech model not loaded")
        self.show_message(self.model_error)
        self.model_failed.emit(self.model_error)
        waiting, self._waiting_for_model = self._waiting_for_model, []
        for take, origin in waiting:
            self._scoring_ids.discard(take.attempt_id)
            if origin == "practice" and self.take is take:
                self._set_state(State.IDLE)
        self._refresh_history()

    # == recording ========================================================================
    def toggle_recording(self) -> None:
        """Space / the Record button: start a take, or stop the one in progress."""
        if self.state is State.RECORDING:
            self.stop_recording()
        elif self.state is State.SCORING:
            self.show_message("Still scoring your last take; one moment.", "info")
        else:
            self.start_recording()

    def start_recording(self) -> None:
        self.screens.setCurrentIndex(0)
        if self.player is not None and self.player.playing:
            self._stop_playback()
        if not self.seller_name():
            self.show_message(NEED_NAME_MESSAGE, "info")
            self.name_edit.setFocus()
            return
        if self.sound is None or self.recorder is None:
            self.show_message(self.sound_error)
            return
        if not input_devices(self.sound):
            # Checked before anything is saved: no microphone means no attempt at all.
            self.show_message(NO_MIC_MESSAGE)
            return
        drill = self.current_drill()
        if drill is None:
            self.show_message("No drills are installed; reinstall the app.")
            return
        if not self.settings.privacy_note_seen:
            if not self.confirm("Your recordings stay on this computer",
                                privacy_note(self.data_dir), "Start recording", False):
                return
            self.settings.privacy_note_seen = True  # saved with the choices below
        if self.mic_test is not None:
            self.show_message("Testing the microphone; record when the test has finished.",
                              "info")
            return
        scenario = self.current_scenario()
        attempt_id: int | None = None
        wav: Path | None = None
        live = LiveTake(self.transcriber, prefetch=warm_judge) if self._can_stream() \
            else None
        self.recorder.on_audio = live.feed if live is not None else None
        try:
            seller = self.sellers.seller(self.seller_name())
            wav = _unused_path(attempt_audio_path(self.data_dir, seller, drill.id))
            attempt_id = self.store.begin_attempt(
                seller, drill.id, scenario.id if scenario else None,
                scenario.to_json() if scenario else None, wav,
                context=self.guided.context if self.guided else None)
            if live is not None:
                live.start()
            self.recorder.start(wav, self._input_device())
        except Exception as exc:
            if live is not None:
                live.close()
            self.recorder.on_audio = None
            if attempt_id is not None:
                self._abandon_attempt(attempt_id, wav, exc)
            self._report(exc)
            self._refresh_history()
            return
        self.take = Take(attempt_id, seller, drill, scenario, wav, live,
                         self.guided.context if self.guided else "")
        self._live_version = -1
        self.live_transcript.clear_text()
        self.live_transcript.setVisible(live is not None)
        self.clear_message()
        self._save_choices()
        self._set_state(State.RECORDING)
        self._meter_timer.start()
        self._refresh_history()
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
        if self.mic_test is not None:
            self._on_mic_test_tick()
            return
        recorder = self.recorder
        if recorder is None or self.state is not State.RECORDING:
            return
        self.meter.set_level(recorder.level_db, recorder.clipping)
        self.elapsed_label.setText(_clock(recorder.elapsed_s))
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
        if self.state is not State.RECORDING or self.recorder is None or self.take is None:
            return
        self._meter_timer.stop()
        take = self.take
        try:
            recording = self.recorder.stop()
        except Exception as exc:
            self._set_state(State.IDLE)
            self._report(exc)
            return
        self.meter.reset()
        self.recorder.on_audio = None
        self.elapsed_label.setText(_clock(recording.duration_s))
        try:
            self.store.mark_recorded(take.attempt_id, recording.duration_s)
        except StorageError as exc:
            self.show_message(str(exc))
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
            self.show_message(str(recording.error))
            self._refresh_history()
            self.attempt_failed.emit(take.attempt_id, take.context, str(recording.error))
            return
        if not score:
            self._set_state(State.IDLE)
            return
        self._set_state(State.SCORING)
        self._score(take, "practice")

    # == microphone test ==================================================================
    def start_mic_test(self) -> None:
        """"Test mic": record 3 s with the chosen microphone and say whether it hears you."""
        if self.state is State.RECORDING or self.mic_test is not None:
            return
        if self.sound is None:
            self.show_message(self.sound_error)
            return
        if not input_devices(self.sound):
            self.show_message(NO_MIC_MESSAGE)
            return
        if self.player is not None and self.player.playing:
            self._stop_playback()
        test = MicTest(self.sound, self.data_dir / ".mic-test.wav", self._input_device())
        try:
            test.start()
        except Exception as exc:
            self._report(exc)
            return
        self.mic_test = test
        self.clear_message()
        self.mic_test_button.setEnabled(False)
        self.record_button.setEnabled(False)
        self.record_hint.setText("Testing the microphone: say a few words\u2026")
        self._meter_timer.start()

    def _on_mic_test_tick(self) -> None:
        test = self.mic_test
        if test is None:
            return
        self.meter.set_level(test.recorder.level_db, test.recorder.clipping)
        self.elapsed_label.setText(_clock(test.recorder.elapsed_s))
        if test.done:  # 3 s of audio heard (or the device failed)
            self._finish_mic_test()

    def _finish_mic_test(self, report: bool = True) -> None:
        test, self.mic_test = self.mic_test, None
        if test is None:
            return
        self._meter_timer.stop()
        self.meter.reset()
        self.elapsed_label.setText("0:00")
        self.mic_test_button.setEnabled(True)
        self.record_button.setEnabled(True)
        self._update_record_button()
        try:
            check: MicCheck = test.finish()
        except Exception as exc:
            self._report(exc)
            return
        if report:
            self.show_message(check.message, "info" if check.ok else "error")
        self.mic_test_done.emit(check)

    # == scoring ==========================================================================
    def _score(self, take: Take, origin: str) -> None:
        """Run ``finish_attempt`` off the UI thread; wait for the model if it is still loading."""
        self._scoring_ids.add(take.attempt_id)
        if self.model_state == "missing" or self.transcriber is None:
            self._scoring_ids.discard(take.attempt_id)
            if origin == "practice":
                self._set_state(State.IDLE)
            self.show_message(self.model_error)
            self._refresh_history()
            return
        if self.model_state == "loading":
            self.scoring_detail.setText("Waiting for the speech model to finish loading\u2026")
            self._waiting_for_model.append((take, origin))
            self._refresh_history()
            return
        self.scoring_detail.setText(
            "Transcribing and scoring on this computer; your recording never leaves it.")
        self.live_transcript.hide()
        agenda = self._written_agenda_for(take)
        if take.live is not None:
            # Transcribed while recorded: only the tail is left, then scoring.
            job = partial(finish_live_attempt, self.store, take.attempt_id, take.drill,
                          take.scenario, take.live, self.embedder, agenda=agenda)
            run_in_background(job, partial(self._on_scored, take, origin),
                              partial(self._on_score_failed, take, origin), self.pool,
                              context=self)
            self._refresh_history()
            return
        job = partial(finish_attempt, self.store, take.attempt_id, take.drill, take.scenario,
                      take.wav, self.transcriber, agenda=agenda)
        run_in_background(job, partial(self._on_scored, take, origin),
                          partial(self._on_score_failed, take, origin), self.pool, context=self)
        self._refresh_history(select_id=take.attempt_id if origin == "history" else None)

    def _on_scored(self, take: Take, origin: str, result: AttemptResult) -> None:
        self._scoring_ids.discard(take.attempt_id)
        card = result.scorecard
        if origin == "practice" and self.take is take and self.state is State.SCORING:
            self._take_words = result.transcript.words_json()
            self.scorecard_view.show_card(card, self._take_words)
            previous = self._last_scored
            self.previous_take = previous if (
                previous is not None and previous.attempt_id != take.attempt_id
                and previous.drill.id == take.drill.id
                and previous.seller.id == take.seller.id) else None
            self._last_scored = take
            self.compare_button.setVisible(self.previous_take is not None)
            self._set_state(State.SCORED)
            self.try_again_button.setFocus()
        self._refresh_history(select_id=take.attempt_id if origin == "history" else None)
        if self.screens.currentWidget() is self.progress_view:
            self.refresh_progress()
        self.scorecard_ready.emit(card)
        self.attempt_scored.emit(take.attempt_id, take.context)

    def _on_score_failed(self, take: Take, origin: str, exc: Exception) -> None:
        self._scoring_ids.discard(take.attempt_id)
        if origin == "practice" and self.take is take and self.state is State.SCORING:
            self._set_state(State.IDLE)
        self._report(exc)
        self.attempt_failed.emit(take.attempt_id, take.context,
                                 str(exc) if isinstance(exc, TrainerError)
                                 else unexpected_message(exc))
        self._refresh_history(select_id=take.attempt_id if origin == "history" else None)

    # == my next call =====================================================================
    def open_call_dialog(self) -> None:
        """Ctrl+Shift+N / "My next call…": type the prospect, save it, practise on it."""
        if self.state is State.RECORDING or self.guided is not None:
            return
        if not self.seller_name():
            self.show_message("Type your name first, so the call is saved under it.", "info")
            self.name_edit.setFocus()
            return
        if self.call_dialog is not None and self.call_dialog.isVisible():
            self.call_dialog.raise_()
            return
        current = self.current_scenario()
        ours = str(current.company.get("name", "")) if current is not None else ""
        dialog = CallDialog(self._save_call, self._call_companies(), self, company=ours)
        dialog.finished.connect(lambda _: self._on_call_dialog_finished(dialog))
        self.call_dialog = dialog
        if self.settings.presenter:
            rescale_fonts(dialog, base_point_size(self))
        dialog.open()  # window-modal, not exec(): the event loop (and timers) keep running

    def _call_companies(self) -> dict[str, dict[str, Any]]:
        """Our side of the call to choose from: the bundled scenarios' companies."""
        companies: dict[str, dict[str, Any]] = {}
        profile = self._company()
        if profile is not None:
            companies[profile.name] = profile.to_json()
        for scenario in self.library.scenarios():
            name = str(scenario.company.get("name") or scenario.title)
            companies.setdefault(name, dict(scenario.company))
        return companies

    def _save_call(self, fields: CallFields) -> Scenario:
        call = validate_call(fields["company"], fields["industry"], fields["role"],
                             fields["pains"], fields["alternative"], fields["name"],
                             fields["interaction"])
        seller = self.sellers.seller(self.seller_name())
        return save_call(self.store, seller, build_scenario(call, fields["our_company"]))

    def _on_call_dialog_finished(self, dialog: CallDialog) -> None:
        if self.call_dialog is dialog:
            self.call_dialog = None
        scenario = dialog.saved_scenario
        dialog.deleteLater()
        self.activateWindow()  # Space and the other shortcuts are the window's
        if scenario is None:
            return
        self._fill_scenarios(scenario.id)
        self._on_choice_changed()
        self.show_message(f"Saved \u201c{scenario.title}\u201d; press Space to practise on "
                          "it.", "info")
        self.record_button.setFocus()
        self.call_saved.emit(scenario.id)

    def delete_current_call(self) -> None:
        """Delete the saved call chosen in the picker (after a confirmation)."""
        scenario_id = self.scenario_combo.currentData()
        if self.state is State.RECORDING or scenario_id not in self._calls:
            return
        seller = self._find_seller()
        if seller is None:
            return
        title = self._calls[scenario_id].title
        if not self.confirm("Delete this call", f"Delete \u201c{title}\u201d from your "
                            "calls? Takes you recorded with it stay in History.", "Delete",
                            True):
            return
        try:
            delete_call(self.store, seller, scenario_id)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        self._fill_scenarios("")
        self._on_choice_changed()

    # == written agendas ==================================================================
    def _agenda_type(self, scenario: Scenario | None) -> str:
        return interaction_for_scenario(scenario.interaction if scenario else "discovery")

    def _written_agenda_for(self, take: Take) -> WrittenAgenda | None:
        """The agenda an agenda take is compared with: the seller's for the call's type."""
        if take.drill.skill != "agenda":
            return None
        kind = self._agenda_type(take.scenario)
        try:
            text = written_agenda(self.store, take.seller, kind)
        except StorageError as exc:
            log.warning("Written agenda not read: %s", exc)
            return None
        return WrittenAgenda(kind, text) if text else None

    def _update_agenda_note(self, drill: Drill | None) -> None:
        if drill is None or drill.skill != "agenda":
            self.agenda_note.hide()
            return
        kind = self._agenda_type(self.current_scenario())
        seller = self._find_seller()
        try:
            text = written_agenda(self.store, seller, kind) if seller is not None else None
        except StorageError:
            text = None
        if text:
            self.agenda_note.setText(f"This take is compared with your written {kind} agenda; "
                                     "the scorecard says how much of it you covered.")
        else:
            self.agenda_note.setText(f"Write your {kind} agenda once (Written agenda tab, "
                                     "Ctrl+Shift+W) and each take says how much of it you "
                                     "covered.")
        self.agenda_note.show()

    def _load_agendas(self) -> None:
        seller = self._find_seller()
        try:
            agendas = written_agendas(self.store, seller) if seller is not None else {}
        except StorageError as exc:
            self.show_message(str(exc))
            agendas = {}
        current = self.settings.interaction or self._agenda_type(self.current_scenario())
        self.agenda_editor.set_agendas(agendas, current)

    def save_written_agenda(self, interaction: str, text: str) -> None:
        if not self.seller_name():
            self.show_message("Type your name first, so the agenda is saved under it.", "info")
            self.name_edit.setFocus()
            return
        try:
            save_agenda(self.store, self.sellers.seller(self.seller_name()), interaction, text)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.agenda_editor.saved(interaction, text)
        self._on_agenda_type_changed(interaction)
        self._update_agenda_note(self.current_drill())
        self.clear_message()
        self.agenda_saved.emit(interaction)

    def _on_agenda_type_changed(self, interaction: str) -> None:
        self.settings.interaction = interaction
        self._save_choices()

    # == progress =========================================================================
    def refresh_progress(self) -> None:
        """Recompute the Progress tab from the store (milliseconds: a few hundred rows)."""
        seller = self._find_seller()
        if seller is None:
            self.progress_view.set_progress(None, "Type your name to see your progress."
                                            if not self.seller_name() else
                                            "No takes yet: record one on the Practice tab.")
            return
        try:
            progress = seller_progress(self.store, seller, self.library)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.progress_view.set_progress(progress)

    # == presenter mode ===================================================================
    def toggle_presenter(self) -> None:
        """Ctrl+Shift+P: large type for a meeting-room screen; remembered."""
        on = not self.settings.presenter
        self.settings.presenter = on
        self._apply_presenter(on)
        self._save_choices()
        self.presenter_changed.emit(on)

    def _apply_presenter(self, on: bool) -> None:
        base = self._normal_point_size * (PRESENTER_SCALE if on else 1.0)
        old = base_point_size(self)
        rescale_fonts(self, base, old)
        if self.call_dialog is not None:
            rescale_fonts(self.call_dialog, base, old)
        self.presenter_button.setChecked(on)
        if on:
            # Large type needs room: fill the screen rather than clip the scorecard.
            screen = self.screen()
            if screen is not None:
                available = screen.availableGeometry()
                self.resize(max(self.width(), min(available.width(), 1500)),
                            max(self.height(), min(available.height(), 950)))

    # == comparison =======================================================================
    def show_comparison(self) -> None:
        """This take beside the previous one (after "Try again")."""
        if self.state is not State.SCORED or self.previous_take is None or self.take is None:
            return
        try:
            before = self.store.attempt(self.previous_take.attempt_id).scorecard
            after = self.store.attempt(self.take.attempt_id).scorecard
        except (KeyError, StorageError) as exc:
            self.show_message(str(exc) if isinstance(exc, StorageError) else
                              "The previous take is no longer saved.")
            return
        if before is None or after is None:
            return
        self.compare_view.show_comparison(compare_takes(before, after), before, after)
        self.practice_stack.setCurrentIndex(PRACTICE_PAGE_COMPARE)
        self.back_to_card_button.setFocus()
        self.comparison_shown.emit()

    def hide_comparison(self) -> None:
        if self.practice_stack.currentIndex() == PRACTICE_PAGE_COMPARE:
            self.practice_stack.setCurrentIndex(2)
            self.compare_button.setFocus()

    def toggle_comparison(self) -> None:
        """Ctrl+Shift+C: between the scorecard and the comparison."""
        if self.practice_stack.currentIndex() == PRACTICE_PAGE_COMPARE:
            self.hide_comparison()
        else:
            self.screens.setCurrentIndex(0)
            self.show_comparison()

    # == takes for other screens ==========================================================
    def start_guided_take(self, guided: Guided) -> None:
        """Set up the Practice tab for a take another screen needs, and show it.

        The seller, drill and scenario are chosen and locked until ``end_guided_take``; the
        banner says what the take is for. Recording still starts with Space, as always.
        """
        if self.state is State.RECORDING:
            self.show_message("Stop the take in progress first.", "info")
            return
        self.guided = guided
        self._restoring = True  # not the seller's own choices: don't remember them
        try:
            self.name_edit.setText(guided.seller)
            self._select_data(self.drill_combo, guided.drill_id)
            if guided.scenario_id is not None:
                self._select_data(self.scenario_combo, guided.scenario_id)
        finally:
            self._restoring = False
        self.take = None
        self._set_state(State.IDLE)
        self.screens.setCurrentIndex(0)
        self.show_message(f"{guided.label} \u2014 press Space to record.", "info")
        self.record_button.setFocus()

    def end_guided_take(self) -> None:
        """Back to plain practice with the seller's own name, drill and scenario."""
        if self.guided is None:
            return
        self.guided = None
        if self.state is not State.RECORDING:
            self._restoring = True
            try:
                self.name_edit.setText(self.settings.seller)
                self._select_data(self.drill_combo, self.settings.drill)
                self._select_data(self.scenario_combo, self.settings.scenario)
            finally:
                self._restoring = False
        self.clear_message()
        self._set_state(self.state)

    # == practice navigation ==============================================================
    def try_again(self) -> None:
        """Ctrl+N: back to the brief with the same drill and scenario, ready to record."""
        if self.state is State.RECORDING:
            return
        if self.state is State.SCORING:
            self.show_message("Your last take is still being scored; it will appear in "
                              "History when it is done.", "info")
        self._set_state(State.IDLE)
        self.screens.setCurrentIndex(0)
        self.record_button.setFocus()

    def toggle_history(self) -> None:
        """Ctrl+H: switch between Practice and History."""
        self.screens.setCurrentIndex(0 if self.screens.currentIndex() == 1 else 1)
        if self.screens.currentIndex() == 1:
            self.history_table.setFocus()

    def _last_scores(self, name: str) -> list[LastTake]:
        try:
            return last_scores(self.store, name, self.library)
        except TrainerError as exc:
            self.show_message(str(exc))
            return []

    def _take_name_from_home(self) -> None:
        name = self.home.name_edit.text().strip()
        if name and name != self.seller_name():
            self.name_edit.setText(name)
            self._save_choices()

    def _practise_from_home(self, drill_id: str) -> None:
        self._take_name_from_home()
        self._select_data(self.drill_combo, drill_id)
        self.go_to("Practice")
        self.record_button.setFocus()

    def _journey_from_home(self, title: str) -> None:
        self._take_name_from_home()
        self.go_to(title)

    def _on_tab_changed(self, index: int) -> None:
        self._update_practice_keys()
        self.sellers.refresh()  # sellers a screen's core work added (a story hour, a 1:1)
        if self.screens.widget(index) is self.roleplay_panel and self.seller_name() and \
                not self.roleplay_panel.name_edit.text().strip():
            self.roleplay_panel.set_seller_name(self.seller_name())
        if index == 1:
            self._refresh_history()
        widget = self.screens.widget(index)
        if widget is self.home:
            self.home.set_name(self.seller_name())
        elif widget is self.progress_view:
            self.refresh_progress()
        elif widget is self.agenda_editor:
            self._load_agendas()

    def _set_state(self, state: State) -> None:
        self.state = state
        self._update_practice_keys()
        recording = state is State.RECORDING
        for widget in (self.name_edit, self.drill_combo, self.scenario_combo,
                       self.new_call_button, self.delete_call_button):
            widget.setEnabled(not recording and self.guided is None)
        self.mic_combo.setEnabled(not recording and self.mic_combo.count() > 0
                                  and bool(self.sound is not None
                                           and input_devices(self.sound)))
        self.mic_test_button.setEnabled(not recording and self.mic_test is None)
        if not recording:
            self.live_transcript.hide()
        if state is State.SCORING:
            self.practice_stack.setCurrentIndex(1)
        elif state is State.SCORED:
            self.practice_stack.setCurrentIndex(2)
            self._update_result_title()
        else:
            self._show_brief()
        self._update_record_button()

    def _show_brief(self) -> None:
        drill = self.current_drill()
        if drill is not None:
            self.brief.set_drill(drill, self.current_scenario())
        self._update_agenda_note(drill)
        if self.state is not State.RECORDING:
            self.elapsed_label.setText("0:00")
        self.practice_stack.setCurrentIndex(0)
        self._update_record_button()

    def _update_record_button(self) -> None:
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

    # == playback =========================================================================
    def replay(self) -> None:
        """Ctrl+R: play the take on screen (or the selected History take); again to stop."""
        if self.state is State.RECORDING:
            return
        if self.player is None:
            self.show_message(self.sound_error)
            return
        if self.player.playing:
            self._stop_playback()
            return
        self._start_playback(0.0)

    def _start_playback(self, start_s: float) -> bool:
        """Play the take on screen from ``start_s``; its transcript follows the playback."""
        if self.player is None:
            self.show_message(self.sound_error)
            return False
        path, view = self._replay_source()
        if path is None:
            self.show_message("There is no recording to play yet; record a take first.", "info")
            return False
        try:
            self.player.play(path, start_s=start_s)
        except Exception as exc:
            self._report(exc)
            return False
        self._replay_view = view
        self._highlight(start_s)
        self._play_timer.start()
        self._update_replay_buttons()
        return True

    def _replay_source(self) -> tuple[Path | None, ScorecardView | None]:
        if self.screens.currentIndex() == 1:
            attempt = self.selected_attempt()
            return (attempt.audio_path if attempt is not None else None), self.history_view
        return (self.take.wav if self.take is not None else None), self.scorecard_view

    def play_from(self, seconds: float) -> None:
        """Play the take on screen from ``seconds`` (a clicked word or agenda item)."""
        if self.state is State.RECORDING:
            return
        if self.player is not None and self.player.playing:
            self.player.seek(seconds)
            self._highlight(seconds)
            return
        self._start_playback(seconds)

    def play_from_quote(self, quote: str) -> None:
        """A criterion's evidence was clicked: play from the quote's first word."""
        view = self.history_view if self.screens.currentIndex() == 1 else self.scorecard_view
        index = quote_start(view.words, quote)
        if index is None:
            self.show_message("These words could not be found in the recording's timing; "
                              "press Ctrl+R to play the whole take.", "info")
            return
        self.play_from(float(view.words[index].get("start") or 0.0))

    def _highlight(self, seconds: float) -> None:
        view = self._replay_view
        if view is None or not view.words:
            return
        index = word_at(view.words, seconds)
        if index != view.replay_transcript.current:
            view.replay_transcript.set_current(index)
            self.replay_word_changed.emit(-1 if index is None else index)

    def _on_play_tick(self) -> None:
        if self.player is not None and not self.player.playing:
            self._stop_playback()
            return
        if self.player is not None:
            self._highlight(self.player.position_s)

    def _stop_playback(self) -> None:
        self._play_timer.stop()
        if self.player is not None:
            self.player.stop()  # also releases the finished stream
        if self._replay_view is not None:
            self._replay_view.replay_transcript.set_current(None)
            self._replay_view = None
        self._update_replay_buttons()

    def _update_replay_buttons(self) -> None:
        playing = self.player is not None and self.player.playing
        text = "\u25a0  Stop playback" if playing else "\u25b6  Replay"
        self.replay_button.setText(text)
        self.history_replay_button.setText(text)

    # == history ==========================================================================
    def _refresh_history(self, select_id: int | None = None) -> None:
        if select_id is None:
            current = self.selected_attempt_id()
            select_id = current
        seller = None
        try:
            seller = self._find_seller()
            attempts = self.store.attempts(seller) if seller is not None else []
        except StorageError as exc:
            self.show_message(str(exc))
            attempts = []
        table = self.history_table
        table.blockSignals(True)
        try:
            table.setRowCount(len(attempts))
            for row, attempt in enumerate(attempts):
                for col, text in enumerate(self._history_cells(attempt)):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, attempt.id)
                    if col == 2:
                        item.setToolTip(plain_tooltip(self._scenario_names(attempt)[1]))
                    elif attempt.message:
                        item.setToolTip(attempt.message)
                    if col == 4 and attempt.passed is not None:
                        item.setForeground(Qt.GlobalColor.darkGreen if attempt.passed
                                           else Qt.GlobalColor.darkYellow)
                    if col == 3:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                              | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(row, col, item)
            table.clearSelection()
            selected_row = next((r for r, a in enumerate(attempts) if a.id == select_id), None)
            if selected_row is not None:
                table.selectRow(selected_row)
        finally:
            table.blockSignals(False)
        self._on_history_selected()
        self.forget_button.setEnabled(seller is not None)
        if seller is None:
            self.history_title.setText("Type your name to see your practice history."
                                       if not self.seller_name() else
                                       "No takes yet: record one on the Practice tab.")
        elif not attempts:
            self.history_title.setText("No takes yet: record one on the Practice tab.")

    def _history_cells(self, attempt: Attempt) -> list[str]:
        try:
            drill_title = self.library.drill(attempt.drill_id).title
        except TrainerError:
            drill_title = attempt.drill_id
        scenario_title, _ = self._scenario_names(attempt)
        mark = (attempt.scorecard or {}).get("pass_threshold")
        score = (format_score(attempt.score, float(mark) if mark is not None else None)
                 if attempt.score is not None else "\u2014")
        result = ("PASS" if attempt.passed else "NOT YET") if attempt.passed is not None \
            else "\u2014"
        status = STATUS_TEXT.get(attempt.status, attempt.status)
        if attempt.id in self._scoring_ids:
            status = "Scoring\u2026"
        elif self.take is not None and attempt.id == self.take.attempt_id \
                and self.state is State.RECORDING:
            status = "Recording\u2026"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(attempt.started_at))
        return [when, drill_title, scenario_title, score, result, status]

    @staticmethod
    def _scenario_names(attempt: Attempt) -> tuple[str, str]:
        """A short name for the table (the prospect's company) and the full title."""
        scenario = attempt.scenario or {}
        title = str(scenario.get("title") or attempt.scenario_id or "\u2014")
        prospect = scenario.get("prospect")
        company = prospect.get("company") if isinstance(prospect, dict) else None
        return (str(company) if company else title), title

    def selected_attempt_id(self) -> int | None:
        rows = self.history_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.history_table.item(rows[0].row(), 0)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def selected_attempt(self) -> Attempt | None:
        attempt_id = self.selected_attempt_id()
        if attempt_id is None:
            return None
        try:
            return self.store.attempt(attempt_id)
        except (KeyError, StorageError):
            return None

    def _on_history_selected(self) -> None:
        attempt = self.selected_attempt()
        self._set_history_buttons(attempt)
        if attempt is None:
            self.history_view.hide()
            self.history_status.clear()
            self.history_status.hide()
            self.history_title.setText("Select a take to see its scorecard.")
            return
        cells = self._history_cells(attempt)
        scenario_title = self._scenario_names(attempt)[1]
        self.history_title.setText(f"{cells[1]} \u00b7 {scenario_title} \u00b7 {cells[0]}")
        if attempt.scorecard is not None:
            self.history_view.show_card(attempt.scorecard, attempt.words)
            self.history_view.show()
            self.history_status.clear()
        else:
            self.history_view.hide()
            self.history_status.setText(self._unscored_text(attempt))
        self.history_status.setVisible(bool(self.history_status.text()))

    def _unscored_text(self, attempt: Attempt) -> str:
        if attempt.id in self._scoring_ids:
            return "Scoring this take\u2026"
        if attempt.status == "recorded":
            return (attempt.message or "This take is saved but not scored yet.") + \
                " Press \u201cScore now\u201d to score it."
        if attempt.status == "failed":
            return attempt.message or "This take could not be scored."
        return "This take is still being recorded."

    def _set_history_buttons(self, attempt: Attempt | None) -> None:
        has_audio = bool(attempt is not None and attempt.audio_path is not None
                         and attempt.audio_path.exists())
        can_score = bool(attempt is not None and has_audio
                         and attempt.status in ("recorded", "failed")
                         and attempt.id not in self._scoring_ids
                         and not (self.take is not None and self.state is State.RECORDING
                                  and attempt.id == self.take.attempt_id))
        self.score_now_button.setVisible(attempt is not None and attempt.status != "scored")
        self.score_now_button.setEnabled(can_score)
        self.history_replay_button.setEnabled(has_audio and attempt is not None
                                              and attempt.status != "recording")

    def score_selected(self) -> None:
        """"Score now" on a saved take (e.g. one recovered after a crash)."""
        attempt = self.selected_attempt()
        if attempt is None or attempt.audio_path is None:
            return
        try:
            drill = self.library.drill(attempt.drill_id)
            seller = next((s for s in self.store.sellers() if s.id == attempt.seller_id), None)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        scenario: Scenario | None = None
        if attempt.scenario is not None:
            try:
                scenario = parse_scenario(attempt.scenario, "the saved scenario")
            except TrainerError:
                scenario = None  # score without it: the rubric does not depend on it
        if seller is None:
            return
        take = Take(attempt.id, seller, drill, scenario, attempt.audio_path)
        self._score(take, "history")

    def forget_my_data(self) -> None:
        """"Delete my data": after a confirmation, remove this seller's takes and recordings."""
        try:
            seller = self._find_seller()
            count = self.store.attempt_count(seller) if seller is not None else 0
        except StorageError as exc:
            self.show_message(str(exc))
            return
        if seller is None:
            self.show_message("Nothing is stored under this name; type the name you practised "
                              "under.", "info")
            return
        if self.state in (State.RECORDING, State.SCORING) or self._scoring_ids \
                or self._waiting_for_model:
            self.show_message("A take is still being recorded or scored; delete your data "
                              "when it has finished.", "info")
            return
        takes = "take" if count == 1 else "takes"
        if not self.confirm(
                "Delete my data",
                f"Delete all {count} {takes} of {seller.name} from this computer: the "
                "recordings, transcripts and scores? This cannot be undone.",
                "Delete", True):
            return
        # Set-aside damaged copies may hold their transcripts, and everyone else's: ask.
        copies = damaged_copies(self.store.path)
        include_copies = bool(copies) and self.confirm(
            "Delete my data", damaged_copies_question(copies, seller.name),
            "Delete them too", True)
        self._stop_playback()
        try:
            report = forget_seller(self.store, self.data_dir, seller.name,
                                   include_damaged_copies=include_copies)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.sellers.refresh()  # gone from every screen's list
        self.take = None
        self._set_state(State.IDLE)
        self.settings.seller = ""
        self.name_edit.clear()  # refreshes the (now empty) history
        self._save_choices()
        self.show_message(report.summary(), "error" if report.kept else "info")

    # == shutdown =========================================================================
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop a take in progress (its audio is kept, ready to score next time)."""
        self.cards_panel.shutdown()
        self.roleplay_panel.shutdown()
        self._finish_mic_test(report=False)
        if self.state is State.RECORDING:
            self.stop_recording(score=False)
        self._stop_playback()
        self._save_choices()
        super().closeEvent(event)

    def wait_for_background(self, msecs: int = 30000) -> bool:
        """Let a running model load or scoring finish before the store is closed."""
        return bool(self.pool.waitForDone(msecs))

