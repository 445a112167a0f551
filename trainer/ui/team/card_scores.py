"""The card game's scores: the scoreboard table, and the game-over page with the winner.

``ScoreTable`` is one row per player (right, called, streak, best), used beside the card during
a team game and on the summary. ``CardSummary`` is the end-of-game page: the result, the final
table, each player's all-time record, and "New game". The standings and records come from
``trainer.coaching.cards``; these widgets only show them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.cards import Standing
from trainer.ui.style import GAP, HEADING, MUTED
from trainer.ui.team.controls import ScaledWidget


class ScoreTable(QTableWidget):
    """Player, right, called, streak and best streak; read-only, never takes the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 5, parent)
        self.setHorizontalHeaderLabels(["Player", "Right", "Called", "Streak", "Best"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        # The name as wide as it is (a whole name, never "Ana …"); the four numbers share
        # the rest, so the table never scrolls sideways beside the card at 1024 px.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def fill(self, standings: list[Standing], highlight: str | None = None) -> None:
        """One row per standing; ``highlight``'s row (whose turn it is) marked and bold."""
        self.setRowCount(len(standings))
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
                self.setItem(row, col, item)


class CardSummary(ScaledWidget):
    """Game over: the result, the final scores, each player's record, and "New game"."""

    new_game_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setSpacing(GAP)
        layout.addWidget(self.fonts.label("Game over", 1.4, color=MUTED))
        self.winner_label = self.fonts.label("", 2.4, bold=True)
        self.winner_label.setAccessibleName("Result")
        layout.addWidget(self.winner_label)
        self.final_table = self.fonts.scale(ScoreTable(), HEADING)
        self.final_table.setAccessibleName("Final scores")
        layout.addWidget(self.final_table, 1)
        self.history_label = self.fonts.label("", 1.15, color=MUTED)
        layout.addWidget(self.history_label)
        self.new_game_button = QPushButton("New game")
        self.new_game_button.setToolTip("Back to the set-up, same players (Enter or Esc)")
        self.new_game_button.clicked.connect(self.new_game_requested)
        self.fonts.scale(self.new_game_button, HEADING, bold=True)
        buttons = QHBoxLayout()  # the primary action at the bottom right
        buttons.addStretch(1)
        buttons.addWidget(self.new_game_button)
        layout.addLayout(buttons)

    def show_result(self, result: str, standings: list[Standing], records: list[str]) -> None:
        """The game's ``result`` sentence, its final table, and each player's record."""
        self.winner_label.setText(result)
        self.final_table.fill(standings)
        self.history_label.setText("\n".join(records))

    def take_focus(self) -> None:
        self.new_game_button.setFocus()
