"""The story hour on the meeting-room screen, and the team's story library.

``StoryHourPanel`` runs one story hour: the roster, each teller's take (recorded and scored by
the main window's Practice tab as a *guided* take), the listeners' 1-5 per criterion on a big
keyboard-driven grid, then the ranking board with the winner and "Save to library".
``StoryLibraryPanel`` finds saved stories by word, industry, role or pain, shows the
transcript, plays the recording and starts a practice take of the story.

Everything the team decides goes through ``trainer.coaching.storyhour`` and
``trainer.coaching.stories`` (no SQL
here), the moment it is decided: each rating key a listener presses, a pass, a told story. So a
story hour the app did not live to end is offered for resuming on the next start (the resume
page: who has told, who rated, who is next), rebuilt from the store by ``core.progress``.
Those calls are single short SQLite statements, so they run on the GUI thread; the slow work
(recording, transcribing, scoring) is the main window's, off the UI thread.

Type sizes are multiples of ``base_point_size``: when the application font grows (presenter
mode) every label, grid button and table grows with it (``changeEvent``).

Names, titles, transcripts and tags are the team's own words: they are shown as plain text
(labels, list and table items, a read-only plain-text view), never as rich text, so a name
like ``<img src=...>`` is shown as typed. Symbols are ones the common UI fonts carry (a test
checks every character shown against the app's font).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.playback import Player
from trainer.coaching import storyhour as core
from trainer.coaching.stories import (
    Story,
    TagVocabulary,
    search_stories,
    tag_values,
    tag_vocabulary,
)
from trainer.coaching.storyhour import StoryHour, StoryHourError, Turn
from trainer.common.errors import StorageError, TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import Drill, DrillLibrary
from trainer.store.database import Attempt, Store
from trainer.ui.guided import Guided, GuidedTakes
from trainer.ui.style import AMBER, GREEN, INK, MUTED, RED, base_point_size
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

NO_PLAYER_MESSAGE = ("There is no sound device on this computer, so stories can't be played "
                     "here; read the transcript instead.")


W = TypeVar("W", bound=QWidget)


class _Fonts:
    """Remembers each label's size as a multiple of the base size, to re-apply on change."""

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner
        self._scaled: list[tuple[QWidget, float, bool]] = []

    def scale(self, widget: W, factor: float, bold: bool = False) -> W:
        self._scaled.append((widget, factor, bold))
        self._apply(widget, factor, bold)
        return widget

    def _apply(self, widget: QWidget, factor: float, bold: bool) -> None:
        # The same relative-size property ``trainer.ui.widgets.common.rescale_fonts`` reads, so the
        # main window's presenter mode rescales these widgets like its own.
        widget.setProperty("font_rel", factor)
        font = QFont(self.owner.font())
        font.setPointSizeF(base_point_size(self.owner) * factor)
        font.setBold(bold)
        widget.setFont(font)

    def apply_all(self) -> None:
        for widget, factor, bold in self._scaled:
            self._apply(widget, factor, bold)


def _label(text: str = "", color: str | None = None, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if color:
        label.setStyleSheet(f"color: {color};")
    return label


def _plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as typed: Qt renders a tooltip that looks like HTML as
    rich text, so the text is escaped inside a paragraph of its own."""
    return f"<p style='white-space: pre-wrap'>{html.escape(text)}</p>"


def _button(text: str, keys: str, tip: str, slot: Callable[[], Any], scope: QWidget
            ) -> QPushButton:
    """A button whose shortcut works while focus is anywhere in ``scope`` (its page)."""
    button = QPushButton(text)
    native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
    button.setToolTip(f"{tip} ({native})")
    button.clicked.connect(slot)
    shortcut = QShortcut(QKeySequence(keys), scope)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def press() -> None:
        if button.isEnabled() and button.isVisible():
            button.click()

    shortcut.activated.connect(press)
    return button


class _SpaceForButtons(QObject):
    """Keeps Space for the focused button: the main window binds Space to Record window-wide,
    and a listener pressing Space on a rating button must not start a recording."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Space:
            event.accept()
        return False


class RatingRow(QFrame):
    """One criterion: its name and five big buttons. Keys: 1-5 rate (and move on), Left/Right
    change the rating, Up/Down move between criteria."""

    rated = Signal(str, int)
    moved = Signal(int)  # -1 up, +1 down

    def __init__(self, criterion_id: str, name: str, fonts: _Fonts,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.criterion_id = criterion_id
        self.setObjectName("ratingrow")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet("#ratingrow { border: 3px solid transparent; border-radius: 8px; }"
                           " #ratingrow:focus { border: 3px solid #f5c542;"
                           " background: #fffbea; }")
        self.setAccessibleName(f"Rate {name}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        self.name_label = fonts.scale(_label(name, INK), 1.35, bold=True)
        self.verdict = fonts.scale(_label("", wrap=False), 1.35, bold=True)
        layout.addWidget(self.verdict)
        layout.addWidget(self.name_label, 1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        for value in range(core.RATING_MIN, core.RATING_MAX + 1):
            button = QPushButton(str(value))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the row takes the keys
            button.setToolTip(f"Rate {name} {value} of 5 (key {value})")
            button.setStyleSheet("QPushButton { min-width: 2.6em; min-height: 1.8em;"
                                 " border: 1px solid #b8c2cc; border-radius: 6px; }"
                                 " QPushButton:checked { background: #1f6feb; color: white;"
                                 " font-weight: bold; }")
            fonts.scale(button, 1.5, bold=True)
            self.group.addButton(button, value)
            self.buttons.append(button)
            layout.addWidget(button)
        self.group.idClicked.connect(self._clicked)

    @property
    def rating(self) -> int | None:
        value = self.group.checkedId()
        return value if value > 0 else None

    def set_verdict(self, met: bool | None) -> None:
        """The app's ✓/✗ for this criterion, beside its name."""
        if met is None:
            self.verdict.setText("")
            return
        self.verdict.setText("\u2713" if met else "\u2717")
        self.verdict.setStyleSheet(f"color: {GREEN if met else RED};")
        self.verdict.setToolTip("The app found this in the story" if met
                                else "The app did not find this in the story")

    def set_rating(self, value: int | None) -> None:
        if value is None:
            self.group.setExclusive(False)
            for button in self.buttons:
                button.setChecked(False)
            self.group.setExclusive(True)
        else:
            self.buttons[value - 1].setChecked(True)

    def _clicked(self, value: int) -> None:
        self.setFocus()
        self.rated.emit(self.criterion_id, value)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier)
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_5 and plain:
            value = key - Qt.Key.Key_0
            self.set_rating(value)
            self.rated.emit(self.criterion_id, value)
            self.moved.emit(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -1 if key == Qt.Key.Key_Left else 1
            value = min(core.RATING_MAX, max(core.RATING_MIN, (self.rating or 3 - step) + step))
            self.set_rating(value)
            self.rated.emit(self.criterion_id, value)
        elif key == Qt.Key.Key_Up:
            self.moved.emit(-1)
        elif key == Qt.Key.Key_Down:
            self.moved.emit(1)
        else:
            super().keyPressEvent(event)


class RatingGrid(QWidget):
    """Criteria x 1-5 for one listener; ``complete`` is emitted when every row has a rating."""

    changed = Signal()
    rated = Signal(str, int)  # criterion id, rating: each key or click, as it is given
    finished_rows = Signal()  # the last row was rated by key: focus moves on to Save

    def __init__(self, criteria: list[tuple[str, str]], fonts: _Fonts,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.rows: list[RatingRow] = []
        for criterion_id, name in criteria:
            row = RatingRow(criterion_id, name, fonts)
            row.rated.connect(self.rated)
            row.rated.connect(lambda *_: self.changed.emit())
            row.moved.connect(lambda step, r=row: self._move(r, step))
            self.rows.append(row)
            layout.addWidget(row)
        for first, second in zip(self.rows, self.rows[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def ratings(self) -> dict[str, int]:
        return {r.criterion_id: r.rating for r in self.rows if r.rating is not None}

    def missing(self) -> int:
        return sum(1 for r in self.rows if r.rating is None)

    def reset(self, verdicts: dict[str, bool], given: dict[str, int] | None = None) -> None:
        """A fresh grid for the next listener, holding the ratings they already ``given``
        (resumed after a restart); the first unrated criterion takes the focus."""
        given = given or {}
        for row in self.rows:
            row.set_rating(given.get(row.criterion_id))
            row.set_verdict(verdicts.get(row.criterion_id))
        first = next((r for r in self.rows if r.rating is None), None)
        if first is not None:
            first.setFocus()
        elif self.rows:
            self.finished_rows.emit()

    def _move(self, row: RatingRow, step: int) -> None:
        index = self.rows.index(row) + step
        if 0 <= index < len(self.rows):
            self.rows[index].setFocus()
        elif index >= len(self.rows):
            self.finished_rows.emit()


class StoryHourPanel(QWidget):
    """The story hour for the shared screen.

    Args:
        store: the practice history.
        library: drills and scenarios (the ``client_story`` drill and the scenario choice).
        host: the main window, which records and scores each teller's take.
        player: plays a teller's story back (``None`` when there is no sound device).
    """

    turn_scored = Signal(int)  # turn id
    ratings_saved = Signal(int, str)  # turn id, listener
    ranking_shown = Signal()
    story_saved = Signal(int)  # story id
    message_shown = Signal(str)

    SETUP, TURN, RATING, RANKING, RESUME = range(5)

    def __init__(self, store: Store, library: DrillLibrary, host: GuidedTakes,
                 player: Player | None = None, parent: QWidget | None = None,
                 sellers: SellerDirectory | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.library = library
        self.host = host
        self.player = player
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self.drill: Drill = library.drill(core.DRILL_ID)
        self.criteria = core.rating_criteria(self.drill)
        self.hour: StoryHour | None = None
        self.waiting_turn: int | None = None  # the turn whose take the host is recording
        self.rating_turn: Turn | None = None
        self.listeners: list[str] = []  # everyone but the teller, in roster order
        self.to_rate: list[str] = []  # the listeners still to rate, the current one first
        self.unfinished: StoryHour | None = None  # offered for resuming
        self.standings: list[core.Standing] = []
        self._verdicts: dict[str, bool] = {}
        self.fonts = _Fonts(self)
        self._space_filter = _SpaceForButtons(self)
        self._build()
        # The override event travels up from the focused child, so one filter here suffices.
        self.installEventFilter(self._space_filter)
        host.attempt_scored.connect(self._on_attempt_scored)
        self._refresh_history()
        self._update_roster_buttons()
        self._offer_resume()

    # == construction =====================================================================
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.stack.addWidget(self._build_setup())
        self.stack.addWidget(self._build_turn())
        self.stack.addWidget(self._build_rating())
        self.stack.addWidget(self._build_ranking())
        self.stack.addWidget(self._build_resume())

    def _build_setup(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.fonts.scale(_label("Story hour", INK), 2.0, bold=True))
        layout.addWidget(self.fonts.scale(_label(
            "Each player tells one client story; the app scores it and the listeners rate it "
            "1\u20135 on the same criteria. 59% of sellers tell no effective client story: "
            "practise yours here.", MUTED), 1.1))
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Player's name, then Enter")
        self.name_edit.setAccessibleName("Player's name")
        self.name_picker = self.sellers.picker(self.name_edit)  # the sellers on file
        self.fonts.scale(self.name_edit, 1.3)
        self.name_edit.returnPressed.connect(self.add_player)
        name_label = QLabel("&Player")
        name_label.setBuddy(self.name_edit)
        self.fonts.scale(name_label, 1.3)
        self.add_button = QPushButton("Add player")
        self.add_button.setToolTip("Add this player to the roster (Enter)")
        self.add_button.clicked.connect(self.add_player)
        row.addWidget(name_label)
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        self.roster_list = QListWidget()
        self.roster_list.setAccessibleName("Roster, in turn order")
        self.fonts.scale(self.roster_list, 1.4)
        layout.addWidget(self.roster_list, 1)
        buttons = QHBoxLayout()
        self.remove_button = _button("Remove player", "Delete",
                                     "Remove the selected player", self.remove_player,
                                     self.roster_list)
        self.up_button = _button("Move up", "Alt+Up", "Tell earlier", lambda: self._move(-1),
                                 page)
        self.down_button = _button("Move down", "Alt+Down", "Tell later",
                                   lambda: self._move(1), page)
        for button in (self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        form = QFormLayout()
        self.scenario_combo = QComboBox()
        self.scenario_combo.setAccessibleName("Scenario for the stories")
        for scenario in self.library.scenarios():
            self.scenario_combo.addItem(scenario.title, scenario.id)
        self.scenario_combo.setToolTip("The prospect every story is told to (Alt+S)")
        scenario_label = QLabel("&Scenario")
        scenario_label.setBuddy(self.scenario_combo)
        form.addRow(scenario_label, self.scenario_combo)
        layout.addLayout(form)
        self.start_button = _button("Start story hour", "Ctrl+Return",
                                    "Start the story hour with this roster",
                                    self.start, page)
        self.fonts.scale(self.start_button, 1.3, bold=True)
        layout.addWidget(self.start_button)
        layout.addWidget(self.fonts.scale(_label("Past story hours", INK), 1.1, bold=True))
        self.history_list = QListWidget()
        self.history_list.setAccessibleName("Past story hours")
        self.history_list.setMaximumHeight(160)
        layout.addWidget(self.history_list)
        self.roster_list.itemSelectionChanged.connect(self._update_roster_buttons)
        return page

    def _build_turn(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.turn_progress = self.fonts.scale(_label("", MUTED), 1.3)
        self.teller_label = self.fonts.scale(_label("", INK), 3.0, bold=True)
        self.teller_label.setAccessibleName("Up next")
        self.turn_hint = self.fonts.scale(_label("", MUTED), 1.2)
        layout.addWidget(self.turn_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.teller_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.turn_hint, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        self.next_button = _button("Next teller", "Ctrl+T",
                                   "Record this player's story on the Practice tab",
                                   self.next_teller, page)
        self.fonts.scale(self.next_button, 1.5, bold=True)
        self.skip_teller_button = _button("Skip this teller", "Ctrl+K",
                                          "Skip this player's turn", self.skip_teller, page)
        self.end_button = _button("End and rank", "Ctrl+E",
                                  "End the story hour and show the ranking", self.finish, page)
        for button in (self.next_button, self.skip_teller_button, self.end_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _build_rating(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        head = QHBoxLayout()
        self.card_score = self.fonts.scale(_label("", INK, wrap=False), 3.0, bold=True)
        self.card_score.setAccessibleName("App score")
        self.card_title = self.fonts.scale(_label("", INK), 1.5, bold=True)
        self.card_verdict = self.fonts.scale(_label("", wrap=False), 1.3, bold=True)
        title_box = QVBoxLayout()
        title_box.addWidget(self.card_title)
        title_box.addWidget(self.card_verdict)
        head.addWidget(self.card_score)
        head.addSpacing(16)
        head.addLayout(title_box, 1)
        self.replay_button = _button("\u25b6  Replay story", "Ctrl+P",
                                     "Play this story again", self.replay, page)
        head.addWidget(self.replay_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.listener_label = self.fonts.scale(_label("", INK), 1.8, bold=True)
        self.listener_label.setAccessibleName("Listener")
        layout.addWidget(self.listener_label)
        layout.addWidget(self.fonts.scale(_label(
            "Keys 1\u20135 rate the highlighted criterion and move down; \u2191 \u2193 move; "
            "\u2190 \u2192 change; Ctrl+Enter saves. \u2713/\u2717 is what the app found.",
            MUTED), 1.0))
        self.grid = RatingGrid(self.criteria, self.fonts)
        self.grid.rated.connect(self._on_rated)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid)
        # The story as the app heard it, beside the grid: a listener checks what was said
        # (the client, the numbers) before rating it. Plain text, read-only, scrollable.
        told = QWidget()
        told_layout = QVBoxLayout(told)
        told_layout.setContentsMargins(0, 0, 0, 0)
        self.transcript_title = self.fonts.scale(_label("", MUTED), 1.1, bold=True)
        self.transcript_view = QPlainTextEdit()
        self.transcript_view.setReadOnly(True)
        self.transcript_view.setAccessibleName("The story as the app heard it")
        self.transcript_view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys stay on the grid
        self.fonts.scale(self.transcript_view, 1.15)
        told_layout.addWidget(self.transcript_title)
        told_layout.addWidget(self.transcript_view, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(scroll)
        split.addWidget(told)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.save_ratings_button = _button("Save ratings", "Ctrl+Return",
                                           "Save this listener's ratings",
                                           self.save_ratings, page)
        self.fonts.scale(self.save_ratings_button, 1.4, bold=True)
        self.skip_listener_button = _button("Skip listener", "Ctrl+K",
                                            "This listener does not rate this story",
                                            self.skip_listener, page)
        row.addWidget(self.save_ratings_button)
        row.addWidget(self.skip_listener_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.grid.finished_rows.connect(self.save_ratings_button.setFocus)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(100)
        self._play_timer.timeout.connect(self._on_play_tick)
        return page

    def _build_ranking(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.winner_label = self.fonts.scale(_label("", GREEN), 3.2, bold=True)
        self.winner_label.setAccessibleName("Winner")
        self.winner_detail = self.fonts.scale(_label("", MUTED, wrap=False), 1.2)
        layout.addWidget(self.winner_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.winner_detail, 0, Qt.AlignmentFlag.AlignHCenter)
        self.ranking_table = QTableWidget(0, 6)
        self.ranking_table.setHorizontalHeaderLabels(
            ["#", "Player", "App", "Listeners", "Combined", "Library"])
        self.ranking_table.setToolTip(
            "Combined = half the app's score + half the listeners' mean rating on 0\u2013100 "
            "(1 \u2192 0, 5 \u2192 100)")
        self.ranking_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.ranking_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.ranking_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.ranking_table.verticalHeader().hide()
        self.ranking_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.fonts.scale(self.ranking_table, 1.4)
        self.ranking_table.itemSelectionChanged.connect(self._on_ranking_selected)
        layout.addWidget(self.ranking_table, 1)
        form = QFormLayout()
        self.title_edit = QLineEdit()
        self.industry_edit = QLineEdit()
        self.role_edit = QLineEdit()
        self.pain_edit = QLineEdit()
        for text, edit in (("&Title", self.title_edit), ("&Industry", self.industry_edit),
                           ("&Role", self.role_edit), ("P&ain", self.pain_edit)):
            edit.setAccessibleName(text.replace("&", ""))
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, edit)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.save_story_button = _button("Save to library", "Ctrl+S",
                                         "Save the selected story to the team's library",
                                         self.save_story, page)
        self.fonts.scale(self.save_story_button, 1.3, bold=True)
        self.new_hour_button = _button("New story hour", "Ctrl+Shift+H",
                                       "Set up another story hour", self.new_hour, page)
        row.addWidget(self.save_story_button)
        row.addWidget(self.new_hour_button)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    def _build_resume(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.fonts.scale(_label("A story hour was left unfinished", INK), 2.0,
                                          bold=True))
        self.resume_when = self.fonts.scale(_label("", MUTED), 1.2)
        layout.addWidget(self.resume_when)
        self.resume_summary = QPlainTextEdit()
        self.resume_summary.setReadOnly(True)
        self.resume_summary.setAccessibleName("Where the story hour stopped")
        self.fonts.scale(self.resume_summary, 1.3)
        layout.addWidget(self.resume_summary, 1)
        row = QHBoxLayout()
        self.resume_button = _button("Resume", "Ctrl+Return",
                                     "Carry on where the story hour stopped", self.resume, page)
        self.fonts.scale(self.resume_button, 1.4, bold=True)
        self.close_hour_button = _button("Close it", "Ctrl+E",
                                         "End it now; its stories stay in Past story hours",
                                         self.close_unfinished, page)
        row.addWidget(self.resume_button)
        row.addWidget(self.close_hour_button)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    # == presenter mode ===================================================================
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FontChange:
            self.fonts.apply_all()
        super().changeEvent(event)

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _report(self, exc: Exception) -> None:
        self.show_message(str(exc) if isinstance(exc, TrainerError)
                          else f"Something went wrong: {type(exc).__name__}.")

    # == setup ============================================================================
    def roster(self) -> list[str]:
        return [self.roster_list.item(i).text() for i in range(self.roster_list.count())]

    def add_player(self) -> None:
        name = core.clean_name(self.name_edit.text())
        if not name:
            self.show_message("Type the player's name first.")
            return
        if any(n.casefold() == name.casefold() for n in self.roster()):
            self.show_message(f"{name} is already on the roster.")
            return
        self.roster_list.addItem(name)
        self.name_edit.clear()
        self.banner.clear()
        self._update_roster_buttons()

    def remove_player(self) -> None:
        row = self.roster_list.currentRow()
        if row >= 0:
            self.roster_list.takeItem(row)
        self._update_roster_buttons()

    def _move(self, step: int) -> None:
        row = self.roster_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.roster_list.count():
            return
        item = self.roster_list.takeItem(row)
        self.roster_list.insertItem(target, item)
        self.roster_list.setCurrentRow(target)

    def _update_roster_buttons(self) -> None:
        selected = self.roster_list.currentRow() >= 0
        for button in (self.remove_button, self.up_button, self.down_button):
            button.setEnabled(selected)

    def _refresh_history(self) -> None:
        self.history_list.clear()
        try:
            past = core.history(self.store)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        for hour in past:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hour.started_at))
            winner = f"winner {hour.winner}" if hour.winner else "no winner yet"
            self.history_list.addItem(
                f"{when} \u00b7 {', '.join(hour.players)} \u00b7 {hour.stories_told} "
                f"{'story' if hour.stories_told == 1 else 'stories'} \u00b7 {winner}")
        if not past:
            self.history_list.addItem("No story hours yet.")

    def start(self) -> None:
        """Start the story hour with the roster (Ctrl+Enter)."""
        pending = core.clean_name(self.name_edit.text())
        if pending:  # a name typed but not added yet is meant to play
            self.add_player()
        try:
            self.hour = core.start_story_hour(self.store, self.roster(),
                                              self.scenario_combo.currentData())
        except (StoryHourError, StorageError, ValueError) as exc:
            self._report(exc)
            return
        self.sellers.refresh()  # new players are sellers now, on every screen
        self.banner.clear()
        self._show_next_turn()

    # == an unfinished story hour =========================================================
    def _offer_resume(self) -> None:
        """On start: a story hour the app did not live to end is offered for resuming."""
        try:
            hour = core.unfinished_story_hour(self.store)
            progress = None if hour is None else self._progress_of(hour)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        if hour is None or progress is None:
            return
        self.unfinished = hour
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hour.started_at))
        self.resume_when.setText(f"Started {when} with "
                                 f"{', '.join(p.name for p in hour.players)}.")
        self.resume_summary.setPlainText("\n".join(progress.summary()))
        self.stack.setCurrentIndex(self.RESUME)
        self.resume_button.setFocus()

    def resume(self) -> None:
        """Ctrl+Enter on the offer: carry on with the next rating or the next teller."""
        if self.unfinished is None:
            return
        self.hour, self.unfinished = self.unfinished, None
        try:
            for turn in core.adopt_scored_takes(self.store, self.hour.id):
                self.turn_scored.emit(turn.id)  # a take recovered and scored since
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
        self.banner.clear()
        self._continue()

    def close_unfinished(self) -> None:
        """Ctrl+E on the offer: end the unfinished story hour; its stories stay in the
        history, and its players fill the roster for the next one."""
        hour = self.unfinished
        if hour is None:
            return
        try:
            core.end_story_hour(self.store, hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.unfinished = None
        if self.roster_list.count() == 0:
            for player in hour.players:
                self.roster_list.addItem(player.name)
        self.new_hour()
        self.show_message("The unfinished story hour is closed; its stories are in Past "
                          "story hours.", "info")

    # == turns ============================================================================
    def _reload(self) -> StoryHour:
        assert self.hour is not None
        self.hour = core.story_hour(self.store, self.hour.id)
        return self.hour

    def _progress_of(self, hour: StoryHour) -> core.Progress:
        return core.progress(self.store, hour.id, [c for c, _ in self.criteria])

    def _progress(self) -> core.Progress:
        progress = self._progress_of(self._reload())
        self.hour = progress.hour
        return progress

    def _pending_turn(self) -> Turn | None:
        return self._progress().next_turn

    def _continue(self) -> None:
        """Whatever the store says comes next: a story still being rated, else the next
        teller, else the ranking."""
        try:
            turn = self._progress().rating_turn
        except StorageError as exc:
            self._report(exc)
            return
        if turn is not None:
            self._start_rating(turn)
        else:
            self._show_next_turn()

    def _show_next_turn(self) -> None:
        try:
            turn = self._pending_turn()
        except StorageError as exc:
            self._report(exc)
            return
        if turn is None:
            self.finish()
            return
        hour = self.hour
        assert hour is not None
        number = [t.id for t in hour.turns].index(turn.id) + 1
        self.turn_progress.setText(f"Story {number} of {len(hour.turns)}")
        self.teller_label.setText(f"Up next: {turn.seller.name}")
        self.turn_hint.setText("Press Next teller: the Practice tab opens ready to record; "
                               "Space starts and stops the story.")
        self.next_button.setText("Next teller")
        self.stack.setCurrentIndex(self.TURN)
        self.next_button.setFocus()

    def next_teller(self) -> None:
        """Ctrl+T: hand the next teller's take to the Practice tab."""
        turn = self._pending_turn()
        if turn is None or self.hour is None:
            self.finish()
            return
        scenario_id = self.hour.scenario_id
        guided = Guided(turn.seller.name, core.DRILL_ID, scenario_id, self.hour.context,
                        f"Story hour: {turn.seller.name}'s client story")
        self.host.start_guided_take(guided)
        if self.host.guided is not guided:  # the host refused (a take is being recorded)
            self.show_message("The Practice tab is busy with another take; finish it, then "
                              "press Next teller again.")
            return
        self.waiting_turn = turn.id
        self.turn_hint.setText(f"{turn.seller.name} is telling their story on the Practice "
                               "tab. If it could not be scored, press Next teller to try "
                               "again.")
        self.next_button.setText("Next teller (again)")

    def skip_teller(self) -> None:
        """Ctrl+K: this teller passes (saved, so a resumed hour does not offer them again)."""
        turn = self._pending_turn()
        if turn is None:
            return
        try:
            core.skip_turn(self.store, turn.id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        if self.waiting_turn == turn.id:
            self.waiting_turn = None
            self.host.end_guided_take()
        self._show_next_turn()

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self.hour is None or self.hour.ended:
            return
        if self.waiting_turn is None:
            self._adopt_scored_takes()
            return
        if context != self.hour.context:
            return
        turn_id, self.waiting_turn = self.waiting_turn, None
        self.host.end_guided_take()
        self.host.show_panel(self)
        try:
            turn = core.record_turn(self.store, turn_id, attempt_id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            self._show_next_turn()
            return
        self.turn_scored.emit(turn.id)
        self._start_rating(turn)

    def _adopt_scored_takes(self) -> None:
        """A teller's take scored while nobody waited for it (recovered after a crash and
        scored from History) is the story they told: it joins their turn."""
        assert self.hour is not None
        try:
            adopted = core.adopt_scored_takes(self.store, self.hour.id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        for turn in adopted:
            self.turn_scored.emit(turn.id)
        if adopted and self.stack.currentIndex() == self.TURN:
            self._continue()

    # == rating ===========================================================================
    def _start_rating(self, turn: Turn) -> None:
        assert self.hour is not None and turn.attempt_id is not None
        self.rating_turn = turn
        attempt = self.store.attempt(turn.attempt_id)
        card = attempt.scorecard or {}
        score = float(attempt.score or 0.0)
        self.card_score.setText(format_score(score, self.drill.pass_threshold))
        self.card_title.setText(f"{turn.seller.name}'s story")
        passed = bool(attempt.passed)
        mark = format_score(self.drill.pass_threshold)
        self.card_verdict.setText(f"{'PASS' if passed else 'NOT YET'} \u00b7 app score out "
                                  f"of 100 \u00b7 pass mark {mark}")
        self.card_verdict.setStyleSheet(f"color: {GREEN if passed else AMBER};")
        self._verdicts = {str(c.get("id")): bool(c.get("met")) for c in card.get("criteria", [])}
        self.listeners = [p.name for p in self.hour.players if p.id != turn.seller.id]
        self.transcript_title.setText(f"What {turn.seller.name} said")
        self.transcript_view.setPlainText(attempt.transcript or "")
        self.transcript_view.moveCursor(QTextCursor.MoveOperation.Start)
        self.replay_button.setVisible(self.player is not None and attempt.audio_path is not None)
        self.stack.setCurrentIndex(self.RATING)
        self._show_listener()

    def current_listener(self) -> str | None:
        return self.to_rate[0] if self.to_rate else None

    def _show_listener(self) -> None:
        """The next listener still to rate this story (from the store: a listener who rated
        some criteria before a restart finds them rated), or on to what comes next."""
        turn = self.rating_turn
        try:
            progress = self._progress()
        except StorageError as exc:
            self._report(exc)
            return
        waiting = [] if turn is None else progress.to_rate(turn)
        self.to_rate = [p.name for p in waiting]
        if turn is None or not waiting:
            self.rating_turn = None
            self._stop_playback()
            self._continue()
            return
        listener = waiting[0]
        number = self.listeners.index(listener.name) + 1 \
            if listener.name in self.listeners else 1
        self.listener_label.setText(f"{listener.name}, rate {turn.seller.name}'s story "
                                    f"({number} of {len(self.listeners)})")
        self.save_ratings_button.setText(f"Save {listener.name}'s ratings")
        self.skip_listener_button.setText(f"Skip {listener.name}")
        self.grid.reset(self._verdicts, progress.begun(turn, listener))

    def _on_rated(self, criterion_id: str, value: int) -> None:
        """Each rating is saved the moment it is given, so a crash loses none of them."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        try:
            core.rate_story(self.store, turn.id, listener, {criterion_id: value},
                            [c for c, _ in self.criteria], partial=True)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)

    def save_ratings(self) -> None:
        """Ctrl+Enter: save this listener's ratings and hand the grid to the next one."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        missing = self.grid.missing()
        if missing:
            self.show_message(f"Rate every criterion before saving ({missing} left), or skip "
                              f"{listener}.")
            next(r for r in self.grid.rows if r.rating is None).setFocus()
            return
        try:
            core.rate_story(self.store, turn.id, listener, self.grid.ratings(),
                            [c for c, _ in self.criteria])
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        self.banner.clear()
        self.ratings_saved.emit(turn.id, listener)
        self._show_listener()

    def skip_listener(self) -> None:
        """Ctrl+K: this listener does not rate this story (saved, with any rating begun
        dropped)."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        try:
            core.pass_rating(self.store, turn.id, listener)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        self._show_listener()

    def replay(self) -> None:
        """Ctrl+P: play the teller's story again (again to stop)."""
        turn = self.rating_turn
        if self.player is None or turn is None or turn.attempt_id is None:
            self.show_message(NO_PLAYER_MESSAGE, "info")
            return
        if self.player.playing:
            self._stop_playback()
            return
        path = self.store.attempt(turn.attempt_id).audio_path
        if path is None or not path.exists():
            self.show_message("This story's recording is no longer on this computer.", "info")
            return
        try:
            self.player.play(path)
        except TrainerError as exc:
            self._report(exc)
            return
        self.replay_button.setText("\u25a0  Stop playback")
        self._play_timer.start()

    def _on_play_tick(self) -> None:
        if self.player is None or not self.player.playing:
            self._stop_playback()

    def _stop_playback(self) -> None:
        self._play_timer.stop()
        if self.player is not None:
            self.player.stop()
        self.replay_button.setText("\u25b6  Replay story")

    # == ranking ==========================================================================
    def finish(self) -> None:
        """Ctrl+E: end the story hour and show the ranking board."""
        if self.hour is None:
            return
        if self.waiting_turn is not None:
            self.waiting_turn = None
            self.host.end_guided_take()
        try:
            self.hour = core.end_story_hour(self.store, self.hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.show_ranking()

    def show_ranking(self) -> None:
        assert self.hour is not None
        try:
            board = core.ranking(self.store, self.hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.standings = board
        if board:
            best = board[0]
            self.winner_label.setText(f"Winner: {best.turn.seller.name}")
            peers = ("not rated" if best.peer_score is None
                     else f"listeners {format_score(best.peer_score)}")
            self.winner_detail.setText(f"combined {format_score(best.combined)} \u00b7 app "
                                       f"{format_score(best.app_score)} \u00b7 {peers}")
        else:
            self.winner_label.setText("No stories were told")
            self.winner_detail.setText("Start a new story hour when the team is ready.")
        table = self.ranking_table
        table.setRowCount(len(board))
        for row, standing in enumerate(board):
            saved = self.store.query("SELECT 1 FROM stories WHERE attempt_id = ?",
                                     (standing.turn.attempt_id,))
            peers = "\u2014" if standing.peer_score is None else \
                f"{format_score(standing.peer_score)} ({standing.raters})"
            for col, text in enumerate((str(standing.rank), standing.turn.seller.name,
                                        format_score(standing.app_score), peers,
                                        format_score(standing.combined),
                                        "saved" if saved else "")):
                item = QTableWidgetItem(text)
                if col != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, col, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.stack.setCurrentIndex(self.RANKING)
        if board:
            table.selectRow(0)
        table.setFocus()
        self.save_story_button.setEnabled(bool(board))
        self._refresh_history()
        self.ranking_shown.emit()

    def selected_standing(self) -> core.Standing | None:
        rows = self.ranking_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.standings[rows[0].row()]

    def _on_ranking_selected(self) -> None:
        standing = self.selected_standing()
        if standing is None or standing.turn.attempt_id is None:
            return
        try:
            attempt = self.store.attempt(standing.turn.attempt_id)
            tags = core.default_tags(attempt, self._vocabulary(attempt))
        except (KeyError, StorageError) as exc:
            self._report(exc)
            return
        # What the story said, blank where it said nothing: the teller fills those in.
        self.title_edit.setText(core.default_title(standing.turn, tags["industry"]))
        self.industry_edit.setText(tags["industry"])
        self.role_edit.setText(tags["role"])
        self.pain_edit.setText(tags["pain"])

    def save_story(self) -> None:
        """Ctrl+S: save the selected story, with the title and tags shown, to the library."""
        standing = self.selected_standing()
        if standing is None:
            self.show_message("Select a story in the ranking first.")
            return
        try:
            vocabulary = None if standing.turn.attempt_id is None else \
                self._vocabulary(self.store.attempt(standing.turn.attempt_id))
            saved = core.save_to_library(
                self.store, standing.turn.id, title=self.title_edit.text(),
                industry=self.industry_edit.text(), role=self.role_edit.text(),
                pain=self.pain_edit.text(), vocabulary=vocabulary)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        row = self.ranking_table.currentRow()
        self.show_message(f"\u201c{saved.title}\u201d is in the story library.", "info")
        self.show_ranking()
        self.ranking_table.selectRow(max(row, 0))
        self.story_saved.emit(saved.id)

    def _vocabulary(self, attempt: Attempt) -> TagVocabulary:
        """The tags a told story is matched against: every scenario's, the one it was told
        to, and the library's."""
        prospects = [s.prospect for s in self.library.scenarios()]
        found = (attempt.scenario or {}).get("prospect")
        if isinstance(found, dict):
            prospects.append(found)
        return tag_vocabulary(self.store, prospects)

    def new_hour(self) -> None:
        """Back to the roster (kept, for next week's meeting)."""
        self.hour = None
        self.rating_turn = None
        self.banner.clear()
        self._refresh_history()
        self._update_roster_buttons()
        self.stack.setCurrentIndex(self.SETUP)
        self.name_edit.setFocus()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.stack.currentIndex() == self.RESUME:
            self.resume_button.setFocus()  # Ctrl+Enter resumes as soon as the tab is open

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._stop_playback()
        super().hideEvent(event)


class StoryLibraryPanel(QWidget):
    """Find a client story by word, industry, role or pain; read it, hear it, practise it.

    Args:
        store: the practice history (the ``stories`` table).
        host: the main window: its Practice tab records "Practise telling this" takes.
        player: plays a story's recording; ``None`` when there is no sound device.
    """

    results_changed = Signal(int)
    practice_scored = Signal(int)  # attempt id
    message_shown = Signal(str)

    def __init__(self, store: Store, host: GuidedTakes, player: Player | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.host = host
        self.player = player
        self.stories: list[Story] = []
        self.fonts = _Fonts(self)
        self._practising: str | None = None  # the context of our guided take
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(100)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._build()
        host.attempt_scored.connect(self._on_attempt_scored)
        self.refresh()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        filters = QGridLayout()
        self.word_edit = QLineEdit()
        self.word_edit.setPlaceholderText("Any word of the story")
        self.word_edit.setClearButtonEnabled(True)
        self.word_edit.setToolTip("Search the stories' words (Ctrl+F)")
        self.industry_combo, self.role_combo, self.pain_combo = (
            QComboBox(), QComboBox(), QComboBox())
        for col, (text, widget) in enumerate((("&Find", self.word_edit),
                                              ("&Industry", self.industry_combo),
                                              ("&Role", self.role_combo),
                                              ("P&ain", self.pain_combo))):
            label = QLabel(text)
            label.setBuddy(widget)
            widget.setAccessibleName(text.replace("&", ""))
            self.fonts.scale(widget, 1.15)
            filters.addWidget(label, 0, col)
            filters.addWidget(widget, 1, col)
        outer.addLayout(filters)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._focus_search)
        self.word_edit.textChanged.connect(self.search)
        for combo in (self.industry_combo, self.role_combo, self.pain_combo):
            combo.currentIndexChanged.connect(self.search)

        splitter = QSplitter()
        self.results = QListWidget()
        self.results.setAccessibleName("Stories found")
        self.results.setWordWrap(True)  # a long tag line wraps instead of scrolling
        self.results.setSpacing(3)
        self.fonts.scale(self.results, 1.2)
        self.results.currentRowChanged.connect(self._on_selected)
        splitter.addWidget(self.results)
        self.word_edit.returnPressed.connect(self.results.setFocus)
        detail = QWidget()
        layout = QVBoxLayout(detail)
        self.title_label = self.fonts.scale(_label("", INK), 1.7, bold=True)
        self.tags_label = self.fonts.scale(_label("", MUTED), 1.1)
        self.text_label = self.fonts.scale(_label("", INK), 1.25)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setAccessibleName("The story")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.text_label)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.title_label)
        layout.addWidget(self.tags_label)
        layout.addWidget(scroll, 1)
        row = QHBoxLayout()
        self.play_button = _button("\u25b6  Play", "Ctrl+P", "Play the story's recording",
                                   self.play, self)
        self.practise_button = _button("Practise telling this", "Ctrl+T",
                                       "Record yourself telling this story on the Practice "
                                       "tab", self.practise, self)
        row.addWidget(self.play_button)
        row.addWidget(self.practise_button)
        row.addStretch(1)
        layout.addLayout(row)
        splitter.addWidget(detail)
        splitter.setSizes([340, 620])
        outer.addWidget(splitter, 1)
        self._on_selected(-1)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FontChange:
            self.fonts.apply_all()
        super().changeEvent(event)

    def _focus_search(self) -> None:
        self.word_edit.setFocus()
        self.word_edit.selectAll()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.refresh()  # stories saved in the story hour since we were last shown
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._stop_playback()
        super().hideEvent(event)

    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    # == search ===========================================================================
    def refresh(self) -> None:
        """Reload the tag pickers (keeping the choices) and the results."""
        try:
            tags = tag_values(self.store)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        for combo, column in ((self.industry_combo, "industry"), (self.role_combo, "role"),
                              (self.pain_combo, "pain")):
            chosen = combo.currentData() or ""
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("Any", "")
            for value in tags[column]:
                combo.addItem(value, value)
            index = combo.findData(chosen)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.search()

    def search(self) -> None:
        selected = self.selected_story()
        try:
            self.stories = search_stories(
                self.store, self.word_edit.text(),
                industry=str(self.industry_combo.currentData() or ""),
                role=str(self.role_combo.currentData() or ""),
                pain=str(self.pain_combo.currentData() or ""))
        except StorageError as exc:
            self.show_message(str(exc))
            return
        self.results.blockSignals(True)
        self.results.clear()
        for found in self.stories:
            tags = " \u00b7 ".join(found.tags)
            item = QListWidgetItem(f"{found.title}\n{tags}" if tags else found.title)
            item.setToolTip(_plain_tooltip(found.text[:300]))
            self.results.addItem(item)
        keep = next((i for i, s in enumerate(self.stories)
                     if selected is not None and s.id == selected.id), 0 if self.stories else -1)
        self.results.setCurrentRow(keep)
        self.results.blockSignals(False)
        self._on_selected(keep)
        self.results_changed.emit(len(self.stories))

    def selected_story(self) -> Story | None:
        row = self.results.currentRow()
        return self.stories[row] if 0 <= row < len(self.stories) else None

    def select_story(self, story_id: int) -> None:
        for row, found in enumerate(self.stories):
            if found.id == story_id:
                self.results.setCurrentRow(row)

    def _on_selected(self, row: int) -> None:
        found = self.stories[row] if 0 <= row < len(self.stories) else None
        self._stop_playback()
        self.play_button.setEnabled(found is not None)
        self.practise_button.setEnabled(found is not None)
        if found is None:
            self.title_label.setText("No stories found" if self.stories == [] else "")
            self.tags_label.setText("Stories saved from a story hour, or approved by your "
                                    "manager, appear here.")
            self.text_label.clear()
            return
        self.title_label.setText(found.title)
        origin = "from a story hour" if found.source == "story_hour" else "approved story"
        teller = self._teller(found)
        self.tags_label.setText(" \u00b7 ".join(
            [*found.tags, origin, *([f"told by {teller}"] if teller else [])]))
        self.text_label.setText(found.text)

    def _teller(self, found: Story) -> str:
        if found.seller_id is None:
            return ""
        return next((s.name for s in self.store.sellers() if s.id == found.seller_id), "")

    # == playback =========================================================================
    def play(self) -> None:
        """Ctrl+P: play the story's recording (again to stop)."""
        found = self.selected_story()
        if found is None:
            return
        if self.player is None:
            self.show_message(NO_PLAYER_MESSAGE, "info")
            return
        if self.player.playing:
            self._stop_playback()
            return
        if found.audio_path is None or not found.audio_path.exists():
            self.show_message("This story has no recording on this computer; read the "
                              "transcript instead.", "info")
            return
        try:
            self.player.play(found.audio_path)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.play_button.setText("\u25a0  Stop")
        self._play_timer.start()

    def _on_play_tick(self) -> None:
        if self.player is None or not self.player.playing:
            self._stop_playback()

    def _stop_playback(self) -> None:
        self._play_timer.stop()
        if self.player is not None and self.player.playing:
            self.player.stop()
        self.play_button.setText("\u25b6  Play")

    # == practice =========================================================================
    def practise(self) -> None:
        """Ctrl+T: record yourself telling the selected story on the Practice tab."""
        found = self.selected_story()
        if found is None:
            return
        seller = self.host.seller_name()
        if not seller:
            self.show_message("Type your name on the Practice tab first, so the take is saved "
                              "under it.")
            return
        industry = found.industry.casefold()
        scenario_id = next((s.id for s in self.host.library.scenarios()
                            if industry and s.industry.casefold() == industry), None)
        context = f"story_library:{found.id}"
        guided = Guided(seller, core.DRILL_ID, scenario_id, context,
                        f"Practise telling \u201c{found.title}\u201d")
        self._stop_playback()
        self.host.start_guided_take(guided)
        if self.host.guided is guided:
            self._practising = context

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self._practising is None or context != self._practising:
            return
        self._practising = None
        self.host.end_guided_take()  # the scorecard stays on the Practice tab
        self.practice_scored.emit(attempt_id)
