"""The shell: one window, its screens grouped by the three people who use the app.

The side bar (``JourneyNavigation``) lists the seller's screens (Practice, History, Progress,
the written agenda, Roleplay), the manager's (Certification 1:1, Team, Company) and the team's
(Story hour, Story library, Cards), with a home screen that asks who is practising. Each
screen owns its controls; the shell owns what they share: the store, the microphone and the
player, the speech model (loaded off the UI thread with ``run_in_background``), remembered
settings, the message banner, presenter mode (a 1.6x base font every relative size follows),
and the keys. Screens that need a take recorded for them ask through ``GuidedTakes``
(``trainer.ui.guided``), which this window implements.

Errors the core can name (``TrainerError``) are shown as their one sentence in the banner;
anything else is logged and shown as a short apology, and the recording is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.playback import Player
from trainer.audio.recorder import Recorder
from trainer.audio.sound import input_devices
from trainer.coaching.agendas import save_agenda, written_agendas
from trainer.coaching.practice import AttemptResult, default_embedder
from trainer.coaching.progress import LastTake, last_scores, seller_progress
from trainer.common.errors import StorageError, TrainerError
from trainer.common.settings import Settings, load_settings, save_settings, settings_path
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.scoring import default_judge
from trainer.speech.streaming import accepts_prompt
from trainer.store.database import Store
from trainer.store.privacy import ForgetReport
from trainer.ui.guided import Guided
from trainer.ui.home import HomeScreen
from trainer.ui.manager.panel import ManagerPanel
from trainer.ui.navigation import JourneyNavigation
from trainer.ui.seller.agenda import AgendaEditor
from trainer.ui.seller.history import HistoryScreen
from trainer.ui.seller.practice import PracticeScreen, State
from trainer.ui.seller.progress import ProgressView
from trainer.ui.seller.replay import TakeReplay
from trainer.ui.seller.roleplay import RoleplayPanel
from trainer.ui.seller.scoring import Take, TakeScorer, agenda_type, written_agenda_for
from trainer.ui.shared import Confirm, ask_in_dialog, select_data, unexpected_message
from trainer.ui.style import (
    GAP,
    MARGIN,
    MUTED,
    PRESENTER_SCALE,
    base_point_size,
    rescale_fonts,
)
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.team.cards import CardGamePanel
from trainer.ui.team.library import StoryLibraryPanel
from trainer.ui.team.storyhour import StoryHourPanel
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

log = logging.getLogger(__name__)

NO_AUDIO_LIBRARY_MESSAGE = (
    "Recording needs the audio library PortAudio, which is missing; install it "
    "(on Linux: sudo apt install libportaudio2) and restart the app."
)
PRACTICE, HISTORY = 0, 1  # the screens' indices (Ctrl+H toggles between them)


class MainWindow(QMainWindow):
    """The app's window.

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
        start_on_home: open on the home screen (the app does on a first run).
    """

    model_ready = Signal(str)
    model_failed = Signal(str)
    message_shown = Signal(str)
    # The Practice screen's, forwarded so every screen and test listens in one place.
    recording_started = Signal()
    recording_stopped = Signal(str)
    scorecard_ready = Signal(dict)
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
        self.model_state = "loading" if transcriber is not None else "missing"
        self.embedder: Any = None  # loaded once, after the model, for the live path
        self.guided: Guided | None = None  # the next take belongs to another screen
        self._panels: dict[str, int] = {}
        self._practice_keys: list[QShortcut] = []
        # The size every relative font is measured from: the app's, or 1.6x in presenter mode.
        self._normal_point_size = base_point_size(self)
        self.scorer = TakeScorer(store, self, lambda take: written_agenda_for(store, take),
                                 self)
        self.takes_replay = TakeReplay(self.player, self.show_message, self.report,
                                       self.sound_error, self)

        self.setWindowTitle("Sales Trainer")
        self.setMinimumSize(1000, 700)
        self.resize(1120, 780)
        self._build()
        self.practice.restore_choices()
        self._fill_microphones()
        self.mic_combo.currentIndexChanged.connect(self.save_choices)  # after the first fill
        self._bind_keys()
        if self.settings.presenter:
            self._apply_presenter(True)
        self.history.refresh()
        self.practice.show_brief()
        if start_on_home:
            self.go_to("Home")
        # Deferred so the load starts once the event loop runs (and so a synchronous test
        # pool still emits model_ready after the test has connected to it).
        QTimer.singleShot(0, self._load_model)

    # == construction =====================================================================
    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(MARGIN, MARGIN * 3 // 4, MARGIN, MARGIN * 3 // 4)
        outer.setSpacing(GAP)
        self.setCentralWidget(central)
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
        self.practice = PracticeScreen(self, self.scorer, self.takes_replay)
        self.history = HistoryScreen(self.store, self.library, self.practice, self.scorer,
                                     self.takes_replay, self.show_message, self.confirm,
                                     self.data_dir)
        self.add_panel(self.practice, "Practice", "Ctrl+1")
        self.add_panel(self.history, "History", "Ctrl+H", bind=False)
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
        self._connect()

    def _connect(self) -> None:
        practice = self.practice
        for mine, theirs in ((self.recording_started, practice.recording_started),
                             (self.recording_stopped, practice.recording_stopped),
                             (self.live_text_changed, practice.live_text_changed),
                             (self.mic_test_done, practice.mic_test_done),
                             (self.comparison_shown, practice.comparison_shown),
                             (self.attempt_failed, practice.attempt_failed),
                             (self.call_saved, practice.next_call.saved),
                             (self.replay_word_changed, self.takes_replay.word_changed)):
            theirs.connect(mine.emit)
        practice.state_changed.connect(self._on_practice_state)
        practice.seller_changed.connect(self._on_seller_changed)
        practice.takes_changed.connect(self.history.refresh)
        self.history.forgotten.connect(self._on_forgotten)
        self.scorer.scored.connect(self._on_scored)
        self.scorer.failed.connect(self._on_score_failed)
        self.sellers.changed.connect(self.history.refresh)



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
                                         input_device=self.input_device,
                                         sellers=self.sellers, confirm=self.confirm)
        self.add_panel(self.cards_panel, "Cards", "Ctrl+B", journey="team")

    def _bind_keys(self) -> None:
        # Space is a window shortcut, so it works whatever button has focus; a focused text
        # field still receives it (Qt lets line edits override shortcuts for typed text).
        practice = self.practice
        own = (practice.toggle_recording, practice.hide_comparison, practice.toggle_comparison)
        for keys, slot in ((QKeySequence(Qt.Key.Key_Space), practice.toggle_recording),
                           (QKeySequence("Ctrl+R"), self.replay),
                           (QKeySequence("Ctrl+N"), practice.try_again),
                           (QKeySequence("Ctrl+H"), self.toggle_history),
                           (QKeySequence("Ctrl+Shift+P"), self.toggle_presenter),
                           (QKeySequence("Ctrl+Shift+N"), practice.next_call.open),
                           (QKeySequence("Ctrl+Shift+Backspace"),
                            practice.next_call.delete_current),
                           (QKeySequence("Ctrl+Shift+C"), practice.toggle_comparison),
                           (QKeySequence(Qt.Key.Key_Escape), practice.hide_comparison)):
            shortcut = QShortcut(keys, self)
            shortcut.activated.connect(slot)
            if slot in own:
                # The Practice screen's own keys: on another screen Space presses the focused
                # button and Esc / Ctrl+Shift+C belong to that screen.
                self._practice_keys.append(shortcut)
        self._update_practice_keys()

    def _update_practice_keys(self) -> None:
        on_practice = self.screens.currentIndex() == PRACTICE or self.practice.recording()
        for shortcut in self._practice_keys:
            shortcut.setEnabled(on_practice)

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
            self.screens.set_entry_tooltip(title, f"{title} ({shortcut})")
            if bind:
                keys = QShortcut(QKeySequence(shortcut), self)
                keys.activated.connect(lambda: self.go_to(title))
        if self._normal_point_size and self.settings.presenter:
            rescale_fonts(widget, base_point_size(self))
        return index

    def go_to(self, title: str) -> None:
        """Show the navigation entry ``title`` (not while recording: the take stays in view)."""
        if not self.practice.recording():
            self.screens.select(title)

    def show_panel(self, widget: QWidget) -> None:
        """Switch to the screen holding ``widget`` (not while recording: the take stays in view)."""
        if self.practice.recording():
            return
        node: QWidget | None = widget
        while node is not None and self.screens.indexOf(node) < 0:
            node = node.parentWidget()  # a screen may wrap the widget (a scroll area...)
        if node is not None:
            self.screens.setCurrentWidget(node)
        widget.setFocus()

    def show_practice(self) -> None:
        self.screens.setCurrentIndex(PRACTICE)

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
        select_data(self.mic_combo, self.settings.input_device)

    # == choices ==========================================================================
    def seller_name(self) -> str:
        """The name on the Practice screen (every take is saved under it)."""
        return self.practice.seller_name()

    def save_choices(self) -> None:
        """Remember the seller's own choices (not a guided take's) and the microphone."""
        if self.practice.restoring:
            return
        practice = self.practice
        if self.guided is None:  # a guided take's seller and drill are not this seller's
            self.settings.seller = practice.seller_name()
            self.settings.drill = str(practice.drill_combo.currentData() or "")
            self.settings.scenario = str(practice.scenario_combo.currentData() or "")
        self.settings.input_device = str(self.mic_combo.currentData() or "")
        try:
            save_settings(self.settings, self.settings_file)
        except StorageError as exc:
            self.show_message(str(exc))

    def input_device(self) -> int | None:
        """The chosen microphone's index now (indices change between runs; names do not)."""
        name = self.mic_combo.currentData()
        if not name or self.sound is None:
            return None
        return next((d.index for d in input_devices(self.sound) if d.name == name), None)

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show one sentence in the banner (``kind`` is "error" or "info")."""
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def clear_message(self) -> None:
        self.banner.clear()

    def report(self, exc: BaseException) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Unexpected error", exc_info=exc)
            self.show_message(unexpected_message(exc))

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
        self.practice.model_ready(self.scorer.model_ready())
        self.history.refresh()
        if self.can_stream() and self.embedder is None:
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

    def can_stream(self) -> bool:
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
        self.practice.model_failed(self.scorer.model_failed())
        self.history.refresh()

    # == what happens to a take =============================================================
    def _on_practice_state(self, state: State) -> None:
        recording = state is State.RECORDING
        self.mic_combo.setEnabled(not recording and self.mic_combo.count() > 0
                                  and bool(self.sound is not None
                                           and input_devices(self.sound)))
        self._update_practice_keys()

    def _on_scored(self, take: Take, origin: str, result: AttemptResult) -> None:
        self.history.refresh(select_id=take.attempt_id if origin == "history" else None)
        if self.screens.currentWidget() is self.progress_view:
            self.refresh_progress()
        self.scorecard_ready.emit(result.scorecard)
        self.attempt_scored.emit(take.attempt_id, take.context)

    def _on_score_failed(self, take: Take, origin: str, exc: Exception) -> None:
        self.report(exc)
        self.attempt_failed.emit(take.attempt_id, take.context,
                                 str(exc) if isinstance(exc, TrainerError)
                                 else unexpected_message(exc))
        self.history.refresh(select_id=take.attempt_id if origin == "history" else None)

    def _on_seller_changed(self, restoring: bool) -> None:
        if not restoring:
            self.history.refresh()
        if self.screens.currentWidget() is self.progress_view:
            self.refresh_progress()
        elif self.screens.currentWidget() is self.agenda_editor:
            self._load_agendas()

    def _on_forgotten(self, _report: ForgetReport) -> None:
        self.sellers.refresh()  # gone from every screen's list
        self.settings.seller = ""
        self.practice.forget_seller()  # clears the name: the (now empty) history refreshes
        self.save_choices()

    def replay(self) -> None:
        """Ctrl+R: play the take on screen (or the selected History take); again to stop."""
        if self.practice.recording():
            return
        if self.screens.currentIndex() == HISTORY:
            self.history.replay()
        else:
            self.practice.replay()

    def _load_agendas(self) -> None:
        seller = self.practice.find_seller()
        try:
            agendas = written_agendas(self.store, seller) if seller is not None else {}
        except StorageError as exc:
            self.show_message(str(exc))
            agendas = {}
        current = self.settings.interaction or agenda_type(self.practice.current_scenario())
        self.agenda_editor.set_agendas(agendas, current)

    def save_written_agenda(self, interaction: str, text: str) -> None:
        if not self.seller_name():
            self.show_message("Type your name first, so the agenda is saved under it.", "info")
            self.practice.name_edit.setFocus()
            return
        try:
            save_agenda(self.store, self.sellers.seller(self.seller_name()), interaction, text)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.agenda_editor.saved(interaction, text)
        self._on_agenda_type_changed(interaction)
        self.practice.update_agenda_note()
        self.clear_message()
        self.agenda_saved.emit(interaction)

    def _on_agenda_type_changed(self, interaction: str) -> None:
        self.settings.interaction = interaction
        self.save_choices()

    def refresh_progress(self) -> None:
        """Recompute the Progress screen from the store (milliseconds: a few hundred rows)."""
        seller = self.practice.find_seller()
        if seller is None:
            self.progress_view.set_progress(None, "Type your name to see your progress."
                                            if not self.seller_name() else
                                            "No takes yet: record one on the Practice screen.")
            return
        try:
            progress = seller_progress(self.store, seller, self.library)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.progress_view.set_progress(progress)

    def toggle_presenter(self) -> None:
        """Ctrl+Shift+P: large type for a meeting-room screen; remembered."""
        on = not self.settings.presenter
        self.settings.presenter = on
        self._apply_presenter(on)
        self.save_choices()
        self.presenter_changed.emit(on)

    def _apply_presenter(self, on: bool) -> None:
        base = self._normal_point_size * (PRESENTER_SCALE if on else 1.0)
        old = base_point_size(self)
        rescale_fonts(self, base, old)
        dialog = self.practice.next_call.dialog
        if dialog is not None:
            rescale_fonts(dialog, base, old)
        self.presenter_button.setChecked(on)
        if on:
            # Large type needs room: fill the screen rather than clip the scorecard.
            screen = self.screen()
            if screen is not None:
                available = screen.availableGeometry()
                self.resize(max(self.width(), min(available.width(), 1500)),
                            max(self.height(), min(available.height(), 950)))

    # == takes for other screens (GuidedTakes) ============================================
    def start_guided_take(self, guided: Guided) -> None:
        """Set up the Practice screen for a take another screen needs, and show it.

        The seller, drill and scenario are chosen and locked until ``end_guided_take``; the
        banner says what the take is for. Recording still starts with Space, as always.
        """
        if self.practice.recording():
            self.show_message("Stop the take in progress first.", "info")
            return
        self.guided = guided
        self.practice.start_guided_take(guided)

    def end_guided_take(self) -> None:
        """Back to plain practice with the seller's own name, drill and scenario."""
        if self.guided is None:
            return
        self.guided = None
        self.practice.end_guided_take()

    def toggle_history(self) -> None:
        """Ctrl+H: switch between Practice and History."""
        self.screens.setCurrentIndex(PRACTICE if self.screens.currentIndex() == HISTORY
                                     else HISTORY)
        if self.screens.currentIndex() == HISTORY:
            self.history.history_table.setFocus()

    def _last_scores(self, name: str) -> list[LastTake]:
        try:
            return last_scores(self.store, name, self.library)
        except TrainerError as exc:
            self.show_message(str(exc))
            return []

    def _take_name_from_home(self) -> None:
        name = self.home.name_edit.text().strip()
        if name and name != self.seller_name():
            self.practice.name_edit.setText(name)
            self.save_choices()

    def _practise_from_home(self, drill_id: str) -> None:
        self._take_name_from_home()
        self.practice.choose_drill(drill_id)
        self.go_to("Practice")
        self.practice.record_button.setFocus()

    def _journey_from_home(self, title: str) -> None:
        self._take_name_from_home()
        self.go_to(title)

    def _on_tab_changed(self, index: int) -> None:
        self._update_practice_keys()
        self.sellers.refresh()  # sellers a screen's core work added (a story hour, a 1:1)
        if self.screens.widget(index) is self.roleplay_panel and self.seller_name() and \
                not self.roleplay_panel.name_edit.text().strip():
            self.roleplay_panel.set_seller_name(self.seller_name())
        if index == HISTORY:
            self.history.refresh()
        widget = self.screens.widget(index)
        if widget is self.home:
            self.home.set_name(self.seller_name())
        elif widget is self.progress_view:
            self.refresh_progress()
        elif widget is self.agenda_editor:
            self._load_agendas()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop a take in progress (its audio is kept, ready to score next time)."""
        self.cards_panel.shutdown()
        self.roleplay_panel.shutdown()
        self.practice.shutdown()
        self.takes_replay.stop()
        self.save_choices()
        super().closeEvent(event)

    def wait_for_background(self, msecs: int = 30000) -> bool:
        """Let a running model load or scoring finish before the store is closed."""
        return bool(self.pool.waitForDone(msecs))
