"""Rating a told story: the listeners' 1-5 per criterion, on a grid driven by the keyboard.

``RatingRow`` is one criterion and its five big buttons, ``RatingGrid`` stacks them for one
listener, and ``RatingPage`` is the story hour's rating page: the app's score of the story, whose
turn it is to rate, the grid beside the story as the app heard it, and Save / Skip. The page
only shows and asks: each key and button is a signal that ``StoryHourPanel`` acts on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching import storyhour as core
from trainer.ui.style import AMBER, GREEN, INK, MARGIN, MUTED, RED
from trainer.ui.team.controls import (
    CHOSEN,
    FOCUS_FILL,
    FOCUS_RING,
    OUTLINE,
    ScaledFonts,
    ScaledWidget,
    shortcut_button,
)


class RatingRow(QFrame):
    """One criterion: its name and five big buttons. Keys: 1-5 rate (and move on), Left/Right
    change the rating, Up/Down move between criteria."""

    rated = Signal(str, int)
    moved = Signal(int)  # -1 up, +1 down

    def __init__(self, criterion_id: str, name: str, fonts: ScaledFonts,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.criterion_id = criterion_id
        self.setObjectName("ratingrow")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet("#ratingrow { border: 3px solid transparent; border-radius: 8px; }"
                           f" #ratingrow:focus {{ border: 3px solid {FOCUS_RING};"
                           f" background: {FOCUS_FILL}; }}")
        self.setAccessibleName(f"Rate {name}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        self.name_label = fonts.label(name, 1.35, bold=True, color=INK)
        self.verdict = fonts.label("", 1.35, bold=True, wrap=False)
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
                                 f" border: 1px solid {OUTLINE}; border-radius: 6px; }}"
                                 f" QPushButton:checked {{ background: {CHOSEN}; color: white;"
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
    """Criteria x 1-5 for one listener; ``finished_rows`` is emitted when a key moves on
    past the last row."""

    changed = Signal()
    rated = Signal(str, int)  # criterion id, rating: each key or click, as it is given
    finished_rows = Signal()  # the last row was rated by key: focus moves on to Save

    def __init__(self, criteria: list[tuple[str, str]], fonts: ScaledFonts,
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

    def focus_first_unrated(self) -> None:
        next(r for r in self.rows if r.rating is None).setFocus()

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


class RatingPage(ScaledWidget):
    """The story hour's rating page: the story's app score, the listener, the grid, the story.

    Keys (while focus is on the page): Ctrl+Enter saves, Ctrl+K skips the listener, Ctrl+P
    replays the story.
    """

    rated = Signal(str, int)  # criterion id, rating: each key or click, as it is given
    save_requested = Signal()
    skip_requested = Signal()
    replay_requested = Signal()

    def __init__(self, criteria: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.card_score = self.fonts.label("", 3.0, bold=True, color=INK, wrap=False)
        self.card_score.setAccessibleName("App score")
        self.card_title = self.fonts.label("", 1.5, bold=True, color=INK)
        self.card_verdict = self.fonts.label("", 1.3, bold=True, wrap=False)
        title_box = QVBoxLayout()
        title_box.addWidget(self.card_title)
        title_box.addWidget(self.card_verdict)
        head.addWidget(self.card_score)
        head.addSpacing(MARGIN)
        head.addLayout(title_box, 1)
        self.replay_button = shortcut_button("\u25b6  Replay story", "Ctrl+P",
                                             "Play this story again",
                                             self.replay_requested.emit, self)
        head.addWidget(self.replay_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.listener_label = self.fonts.label("", 1.8, bold=True, color=INK)
        self.listener_label.setAccessibleName("Listener")
        layout.addWidget(self.listener_label)
        layout.addWidget(self.fonts.label(
            "Keys 1\u20135 rate the highlighted criterion and move down; \u2191 \u2193 move; "
            "\u2190 \u2192 change; Ctrl+Enter saves. \u2713/\u2717 is what the app found.",
            1.0, color=MUTED))
        self.grid = RatingGrid(criteria, self.fonts)
        self.grid.rated.connect(self.rated)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid)
        # The story as the app heard it, beside the grid: a listener checks what was said
        # (the client, the numbers) before rating it. Plain text, read-only, scrollable.
        told = QWidget()
        told_layout = QVBoxLayout(told)
        told_layout.setContentsMargins(0, 0, 0, 0)
        self.transcript_title = self.fonts.label("", 1.1, bold=True, color=MUTED)
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
        self.save_ratings_button = shortcut_button("Save ratings", "Ctrl+Return",
                                                   "Save this listener's ratings",
                                                   self.save_requested.emit, self)
        self.fonts.scale(self.save_ratings_button, 1.4, bold=True)
        self.skip_listener_button = shortcut_button("Skip listener", "Ctrl+K",
                                                    "This listener does not rate this story",
                                                    self.skip_requested.emit, self)
        # The primary action at the bottom right; Tab still reaches it first.
        row.addStretch(1)
        row.addWidget(self.skip_listener_button)
        row.addWidget(self.save_ratings_button)
        layout.addLayout(row)
        QWidget.setTabOrder(self.save_ratings_button, self.skip_listener_button)
        self.grid.finished_rows.connect(self.save_ratings_button.setFocus)

    def show_story(self, teller: str, score: str, passed: bool, pass_mark: str,
                   transcript: str, can_replay: bool) -> None:
        """The told story's card: the app's ``score`` and verdict, and what was said."""
        self.card_score.setText(score)
        self.card_title.setText(f"{teller}'s story")
        self.card_verdict.setText(f"{'PASS' if passed else 'NOT YET'} \u00b7 app score out "
                                  f"of 100 \u00b7 pass mark {pass_mark}")
        self.card_verdict.setStyleSheet(f"color: {GREEN if passed else AMBER};")
        self.transcript_title.setText(f"What {teller} said")
        self.transcript_view.setPlainText(transcript)
        self.transcript_view.moveCursor(QTextCursor.MoveOperation.Start)
        self.replay_button.setVisible(can_replay)

    def show_listener(self, listener: str, teller: str, number: int, listeners: int,
                      verdicts: dict[str, bool], given: dict[str, int]) -> None:
        """A fresh grid for ``listener`` (``number`` of ``listeners``), holding what they
        had ``given`` already."""
        self.listener_label.setText(f"{listener}, rate {teller}'s story "
                                    f"({number} of {listeners})")
        self.save_ratings_button.setText(f"Save {listener}'s ratings")
        self.skip_listener_button.setText(f"Skip {listener}")
        self.grid.reset(verdicts, given)

    def set_playing(self, playing: bool) -> None:
        self.replay_button.setText("\u25a0  Stop playback" if playing else "\u25b6  Replay story")
