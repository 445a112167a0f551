"""The story hour's pages other than rating: the roster, whose turn, the ranking, the resume offer.

Each page owns its controls and their keys (scoped to the page, so Ctrl+Enter starts on the
set-up page and saves on another) and says what the team asked for with a signal;
``StoryHourPanel`` (``storyhour.py``) decides what happens and tells the page what to show.
The only work a page does itself is its own list: adding, removing and ordering the roster.

Names, titles and tags are the team's own words: labels are plain text (``make_label``), list
and table items and line edits never render markup.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching import storyhour as core
from trainer.common.formatting import format_score
from trainer.rubric.drills import Scenario
from trainer.ui.style import GREEN, HEADING, INK, MARGIN, MUTED
from trainer.ui.team.controls import ROOM_TITLE, ScaledWidget, shortcut_button
from trainer.ui.widgets.sellers import SellerDirectory


class SetupPage(ScaledWidget):
    """The roster in turn order, the scenario every story is told to, and past story hours."""

    start_requested = Signal()  # Ctrl+Enter or "Start story hour"
    player_added = Signal(str)
    problem = Signal(str)  # one sentence: a name missing or already on the roster

    def __init__(self, sellers: SellerDirectory, scenarios: list[Scenario],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self.fonts.label("Story hour", ROOM_TITLE, bold=True, color=INK))
        layout.addWidget(self.fonts.label(
            "Each player tells one client story; the app scores it and the listeners rate it "
            "1\u20135 on the same criteria. 59% of sellers tell no effective client story: "
            "practise yours here.", 1.1, color=MUTED))
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Player's name, then Enter")
        self.name_edit.setAccessibleName("Player's name")
        self.name_picker = sellers.picker(self.name_edit)  # the sellers on file
        self.fonts.scale(self.name_edit, HEADING)
        self.name_edit.returnPressed.connect(self.add_player)
        name_label = QLabel("&Player")
        name_label.setBuddy(self.name_edit)
        self.fonts.scale(name_label, HEADING)
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
        self.remove_button = shortcut_button("Remove player", "Delete",
                                             "Remove the selected player", self.remove_player,
                                             self.roster_list)
        self.up_button = shortcut_button("Move up", "Alt+Up", "Tell earlier",
                                         lambda: self._move(-1), self)
        self.down_button = shortcut_button("Move down", "Alt+Down", "Tell later",
                                           lambda: self._move(1), self)
        for button in (self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        # The scenario, and the primary action at the right of it.
        start_row = QHBoxLayout()
        form = QFormLayout()
        self.scenario_combo = QComboBox()
        self.scenario_combo.setAccessibleName("Scenario for the stories")
        for scenario in scenarios:
            self.scenario_combo.addItem(scenario.title, scenario.id)
        self.scenario_combo.setToolTip("The prospect every story is told to (Alt+S)")
        scenario_label = QLabel("&Scenario")
        scenario_label.setBuddy(self.scenario_combo)
        form.addRow(scenario_label, self.scenario_combo)
        start_row.addLayout(form, 1)
        start_row.addSpacing(MARGIN)
        self.start_button = shortcut_button("Start story hour", "Ctrl+Return",
                                            "Start the story hour with this roster",
                                            self.start_requested.emit, self)
        self.fonts.scale(self.start_button, HEADING, bold=True)
        start_row.addWidget(self.start_button)
        layout.addLayout(start_row)
        layout.addWidget(self.fonts.label("Past story hours", 1.1, bold=True, color=INK))
        self.history_list = QListWidget()
        self.history_list.setAccessibleName("Past story hours")
        self.history_list.setMaximumHeight(160)
        layout.addWidget(self.history_list)
        self.roster_list.itemSelectionChanged.connect(self.update_buttons)

    # == the roster =======================================================================
    def roster(self) -> list[str]:
        return [self.roster_list.item(i).text() for i in range(self.roster_list.count())]

    def add_player(self) -> None:
        name = core.clean_name(self.name_edit.text())
        if not name:
            self.problem.emit("Type the player's name first.")
            return
        if any(n.casefold() == name.casefold() for n in self.roster()):
            self.problem.emit(f"{name} is already on the roster.")
            return
        self.roster_list.addItem(name)
        self.name_edit.clear()
        self.player_added.emit(name)
        self.update_buttons()

    def add_pending(self) -> None:
        """A name typed but not added yet is meant to play: add it."""
        if core.clean_name(self.name_edit.text()):
            self.add_player()

    def remove_player(self) -> None:
        row = self.roster_list.currentRow()
        if row >= 0:
            self.roster_list.takeItem(row)
        self.update_buttons()

    def _move(self, step: int) -> None:
        row = self.roster_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.roster_list.count():
            return
        item = self.roster_list.takeItem(row)
        self.roster_list.insertItem(target, item)
        self.roster_list.setCurrentRow(target)

    def fill_roster_if_empty(self, names: list[str]) -> None:
        """The players of a closed story hour, ready for the next one."""
        if self.roster_list.count() == 0:
            for name in names:
                self.roster_list.addItem(name)

    def update_buttons(self) -> None:
        selected = self.roster_list.currentRow() >= 0
        for button in (self.remove_button, self.up_button, self.down_button):
            button.setEnabled(selected)

    def scenario_id(self) -> str | None:
        found = self.scenario_combo.currentData()
        return str(found) if found is not None else None

    def take_focus(self) -> None:
        self.name_edit.setFocus()

    # == past story hours =================================================================
    def clear_history(self) -> None:
        self.history_list.clear()

    def show_history(self, past: list[core.HourSummary]) -> None:
        self.history_list.clear()
        for hour in past:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hour.started_at))
            winner = f"winner {hour.winner}" if hour.winner else "no winner yet"
            self.history_list.addItem(
                f"{when} \u00b7 {', '.join(hour.players)} \u00b7 {hour.stories_told} "
                f"{'story' if hour.stories_told == 1 else 'stories'} \u00b7 {winner}")
        if not past:
            self.history_list.addItem("No story hours yet.")


class TurnPage(ScaledWidget):
    """Whose turn it is, large; Next teller hands the take to the Practice screen."""

    next_requested = Signal()  # Ctrl+T
    skip_requested = Signal()  # Ctrl+K
    end_requested = Signal()  # Ctrl+E

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.turn_progress = self.fonts.label("", HEADING, color=MUTED)
        self.teller_label = self.fonts.label("", 3.0, bold=True, color=INK)
        self.teller_label.setAccessibleName("Up next")
        self.turn_hint = self.fonts.label("", 1.2, color=MUTED)
        layout.addWidget(self.turn_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.teller_label, 0, Qt.AlignmentFlag.AlignHCenter)
        # Full width, centred inside: a wrapped label aligned by the layout gets only its
        # one-line width and shows two clipped lines of the hint.
        self.turn_hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.turn_hint)
        layout.addStretch(2)
        self.next_button = shortcut_button("Next teller", "Ctrl+T",
                                           "Record this player's story on the Practice screen",
                                           self.next_requested.emit, self)
        self.fonts.scale(self.next_button, 1.5, bold=True)
        self.skip_teller_button = shortcut_button("Skip this teller", "Ctrl+K",
                                                  "Skip this player's turn",
                                                  self.skip_requested.emit, self)
        self.end_button = shortcut_button("End and rank", "Ctrl+E",
                                          "End the story hour and show the ranking",
                                          self.end_requested.emit, self)
        # The primary action at the bottom right; Tab still goes Next, Skip, End.
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.end_button, self.skip_teller_button, self.next_button):
            row.addWidget(button)
        layout.addLayout(row)
        QWidget.setTabOrder(self.next_button, self.skip_teller_button)
        QWidget.setTabOrder(self.skip_teller_button, self.end_button)

    def show_turn(self, number: int, total: int, teller: str) -> None:
        self.turn_progress.setText(f"Story {number} of {total}")
        self.teller_label.setText(f"Up next: {teller}")
        self.turn_hint.setText("Press Next teller: the Practice screen opens ready to record; "
                               "Space starts and stops the story.")
        self.next_button.setText("Next teller")

    def show_telling(self, teller: str) -> None:
        """``teller`` is telling their story on the Practice screen."""
        self.turn_hint.setText(f"{teller} is telling their story on the Practice "
                               "tab. If it could not be scored, press Next teller to try "
                               "again.")
        self.next_button.setText("Next teller (again)")

    def take_focus(self) -> None:
        self.next_button.setFocus()


class RankingPage(ScaledWidget):
    """The ranking board: the winner, every told story's scores, and Save to library."""

    selection_changed = Signal()
    save_requested = Signal()  # Ctrl+S
    new_hour_requested = Signal()  # Ctrl+Shift+H

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.winner_label = self.fonts.label("", 3.2, bold=True, color=GREEN)
        self.winner_label.setAccessibleName("Winner")
        self.winner_detail = self.fonts.label("", 1.2, color=MUTED, wrap=False)
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
        self.ranking_table.itemSelectionChanged.connect(self.selection_changed)
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
        self.save_story_button = shortcut_button(
            "Save to library", "Ctrl+S", "Save the selected story to the team's library",
            self.save_requested.emit, self)
        self.fonts.scale(self.save_story_button, HEADING, bold=True)
        self.new_hour_button = shortcut_button("New story hour", "Ctrl+Shift+H",
                                               "Set up another story hour",
                                               self.new_hour_requested.emit, self)
        # The primary action at the bottom right; Tab still reaches it first.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.new_hour_button)
        row.addWidget(self.save_story_button)
        layout.addLayout(row)
        QWidget.setTabOrder(self.save_story_button, self.new_hour_button)

    def show_board(self, board: list[core.Standing], saved: list[bool]) -> None:
        """The winner and the table, best first; ``saved``: each story is in the library."""
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
        for row, (standing, in_library) in enumerate(zip(board, saved, strict=True)):
            peers = "\u2014" if standing.peer_score is None else \
                f"{format_score(standing.peer_score)} ({standing.raters})"
            for col, text in enumerate((str(standing.rank), standing.turn.seller.name,
                                        format_score(standing.app_score), peers,
                                        format_score(standing.combined),
                                        "saved" if in_library else "")):
                item = QTableWidgetItem(text)
                if col != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, col, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def take_focus(self, has_rows: bool) -> None:
        """The best story selected (its tags fill the form), the table focused."""
        if has_rows:
            self.ranking_table.selectRow(0)
        self.ranking_table.setFocus()
        self.save_story_button.setEnabled(has_rows)

    def selected_row(self) -> int | None:
        rows = self.ranking_table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def current_row(self) -> int:
        return self.ranking_table.currentRow()

    def select_row(self, row: int) -> None:
        self.ranking_table.selectRow(row)

    def set_tags(self, title: str, industry: str, role: str, pain: str) -> None:
        self.title_edit.setText(title)
        self.industry_edit.setText(industry)
        self.role_edit.setText(role)
        self.pain_edit.setText(pain)

    def tags(self) -> dict[str, str]:
        """The title and tags as the team left them in the form."""
        return {"title": self.title_edit.text(), "industry": self.industry_edit.text(),
                "role": self.role_edit.text(), "pain": self.pain_edit.text()}


class ResumePage(ScaledWidget):
    """A story hour the app did not live to end: where it stopped, Resume or Close it."""

    resume_requested = Signal()  # Ctrl+Enter
    close_requested = Signal()  # Ctrl+E

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self.fonts.label("A story hour was left unfinished", ROOM_TITLE,
                                          bold=True, color=INK))
        self.resume_when = self.fonts.label("", 1.2, color=MUTED)
        layout.addWidget(self.resume_when)
        self.resume_summary = QPlainTextEdit()
        self.resume_summary.setReadOnly(True)
        self.resume_summary.setAccessibleName("Where the story hour stopped")
        self.fonts.scale(self.resume_summary, HEADING)
        layout.addWidget(self.resume_summary, 1)
        self.resume_button = shortcut_button("Resume", "Ctrl+Return",
                                             "Carry on where the story hour stopped",
                                             self.resume_requested.emit, self)
        self.fonts.scale(self.resume_button, 1.4, bold=True)
        self.close_hour_button = shortcut_button(
            "Close it", "Ctrl+E", "End it now; its stories stay in Past story hours",
            self.close_requested.emit, self)
        # The primary action at the bottom right; Tab still reaches it first.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.close_hour_button)
        row.addWidget(self.resume_button)
        layout.addLayout(row)
        QWidget.setTabOrder(self.resume_button, self.close_hour_button)

    def show_offer(self, when: str, summary: list[str]) -> None:
        self.resume_when.setText(when)
        self.resume_summary.setPlainText("\n".join(summary))

    def take_focus(self) -> None:
        self.resume_button.setFocus()
