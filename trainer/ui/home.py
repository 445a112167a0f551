"""The home screen: who is practising, where each drill stands, and a way into each journey.

It asks for the seller's name (the same seller list every screen shows), lists every drill
with that seller's last score on it, and offers the three journeys: practise a drill, run a
certification 1:1, run a story hour. It only displays and asks; the shell does what a button
asks for (``practise``, ``journey``). The scores come from ``trainer.coaching.progress``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.progress import LastTake
from trainer.common.formatting import format_score
from trainer.ui.style import GAP, GREEN, HEADING, INK, MARGIN, MUTED, RED, TITLE, make_label

# The journeys the home screen opens, as the shell's navigation names them.
JOURNEY_BUTTONS = (
    ("Practise a drill", "Practice", "Record a take and get a scorecard"),
    ("Certify a seller", "Certification 1:1", "A manager's 1:1 on the value proposition"),
    ("Run a story hour", "Story hour", "The team tells and rates client stories"),
)


def describe(take: LastTake, now: float | None = None) -> tuple[str, str]:
    """(text, colour) of a drill's last score: "72 · pass · 3 days ago", or not tried."""
    if take.score is None:
        return "Not tried yet", MUTED
    verdict = "pass" if take.passed else f"below the pass mark of {take.pass_mark:.0f}"
    # Calendar days on this computer's clock: last night's take is "yesterday" this morning.
    days = (date.fromtimestamp(now if now is not None else time.time())
            - date.fromtimestamp(take.when or 0)).days
    ago = "today" if days <= 0 else ("yesterday" if days == 1 else f"{days} days ago")
    return f"Last score {format_score(take.score)} \u00b7 {verdict} \u00b7 {ago}", (
        GREEN if take.passed else RED)


class HomeScreen(QWidget):
    """Name box, the drills with the last score on each, and the journeys."""

    practise = Signal(str)  # a drill id
    journey = Signal(str)  # a navigation entry's title
    name_changed = Signal(str)

    def __init__(self, scores: Callable[[str], list[LastTake]], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self._scores = scores
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(GAP)
        base = self.font().pointSizeF() or 11.0
        outer.addWidget(make_label("Welcome to Sales Trainer", size=base * TITLE, bold=True,
                                   color=INK))
        outer.addWidget(make_label(
            "Rehearse the fundamentals buyers listen for, privately: nothing you say leaves "
            "this computer.", color=MUTED))
        who = QHBoxLayout()
        label = QLabel("Who is practising?")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setAccessibleName("Who is practising")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setMaximumWidth(320)
        label.setBuddy(self.name_edit)
        who.addWidget(label)
        who.addWidget(self.name_edit)
        who.addStretch(1)
        outer.addLayout(who)

        journeys = QHBoxLayout()
        journeys.setSpacing(GAP)
        self.journey_buttons: dict[str, QPushButton] = {}
        for text, entry, tip in JOURNEY_BUTTONS:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _=False, e=entry: self.journey.emit(e))
            journeys.addWidget(button)
            self.journey_buttons[entry] = button
        journeys.addStretch(1)
        outer.addLayout(journeys)

        outer.addWidget(make_label("Your drills", size=base * HEADING, bold=True, color=INK))
        self.drills = QWidget()
        self.grid = QGridLayout(self.drills)
        self.grid.setHorizontalSpacing(GAP * 2)
        self.grid.setVerticalSpacing(GAP // 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.drills)
        outer.addWidget(scroll, 1)
        self.rows: dict[str, tuple[QLabel, QLabel, QPushButton]] = {}
        self.name_edit.textChanged.connect(self._on_name)

    def set_name(self, name: str) -> None:
        if self.name_edit.text() != name:
            self.name_edit.setText(name)
        else:
            self.refresh()

    def _on_name(self, name: str) -> None:
        self.refresh()
        self.name_changed.emit(name)

    def refresh(self) -> None:
        """Re-read the last score on every drill for the name in the box."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows.clear()
        for row, take in enumerate(self._scores(self.name_edit.text())):
            title = QLabel(take.title)
            title.setTextFormat(Qt.TextFormat.PlainText)
            title.setWordWrap(True)  # long titles wrap rather than push "Practise" away
            text, colour = describe(take)
            status = QLabel(text)
            status.setTextFormat(Qt.TextFormat.PlainText)
            status.setStyleSheet(f"color: {colour};")
            status.setWordWrap(True)
            button = QPushButton("Practise")
            button.setToolTip(f"Practise \u201c{take.title}\u201d")
            button.clicked.connect(lambda _=False, d=take.drill_id: self.practise.emit(d))
            self.grid.addWidget(title, row, 0)
            self.grid.addWidget(status, row, 1)
            self.grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignRight)
            self.rows[take.drill_id] = (title, status, button)
        self.grid.setColumnStretch(0, 2)
        self.grid.setColumnStretch(1, 3)
        self.grid.setRowStretch(len(self.rows), 1)
