"""The seller's History screen: every take, its scorecard, replay, "Score now", delete my data.

A take recovered after a crash, or recorded while no model was installed, waits here ready to
score. The screen reads the store for the seller named on the Practice screen and asks the
shared ``TakeScorer`` and ``TakeReplay`` for the slow and the audio work.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.common.errors import StorageError, TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import DrillLibrary, Scenario, parse_scenario
from trainer.store.database import Attempt, Seller, Store
from trainer.store.datafolder import damaged_copies
from trainer.store.privacy import damaged_copies_question, forget_seller
from trainer.ui.seller.replay import TakeReplay
from trainer.ui.seller.scoring import Take, TakeScorer
from trainer.ui.shared import Confirm, Message
from trainer.ui.style import MUTED, plain_tooltip
from trainer.ui.widgets.common import ScorecardView

STATUS_TEXT = {
    "scored": "Scored",
    "recorded": "Ready to score",
    "failed": "Not scored",
    "recording": "Interrupted",
}


class PracticeSide(Protocol):
    """What History needs from the Practice screen, which owns the seller's name."""

    def seller_name(self) -> str: ...

    def find_seller(self) -> Seller | None: ...

    def recording_attempt_id(self) -> int | None: ...

    def busy(self) -> bool: ...


class HistoryScreen(QWidget):
    """The take table on the left, the chosen take's scorecard on the right."""

    forgotten = Signal(object)  # a ForgetReport: the seller's data is gone

    def __init__(self, store: Store, library: DrillLibrary, practice: PracticeSide,
                 scorer: TakeScorer, takes_replay: TakeReplay, message: Message,
                 confirm: Confirm, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.library = library
        self.practice = practice
        self.scorer = scorer
        self.takes_replay = takes_replay
        self._message = message
        self.confirm = confirm
        self.data_dir = data_dir
        self._build()
        takes_replay.playing_changed.connect(self._on_playing)

    def _source(self) -> tuple[Path | None, ScorecardView]:
        attempt = self.selected_attempt()
        return (attempt.audio_path if attempt is not None else None), self.history_view

    def replay(self) -> None:
        """Ctrl+R / Replay: play the selected take; again to stop."""
        self.takes_replay.toggle(self._source)

    def _on_playing(self, playing: bool) -> None:
        self.history_replay_button.setText("\u25a0  Stop playback" if playing
                                           else "\u25b6  Replay")

    def _build(self) -> None:
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
        self.history_view.evidence_clicked.connect(
            lambda quote: self.takes_replay.play_from_quote(quote, self._source))
        self.history_view.moment_clicked.connect(
            lambda seconds: self.takes_replay.play_from(seconds, self._source))
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def refresh(self, select_id: int | None = None) -> None:
        """Re-read the seller's takes, keeping (or moving to) the selected one."""
        if select_id is None:
            current = self.selected_attempt_id()
            select_id = current
        seller = None
        try:
            seller = self.practice.find_seller()
            attempts = self.store.attempts(seller) if seller is not None else []
        except StorageError as exc:
            self._message(str(exc), "error")
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
                                       if not self.practice.seller_name() else
                                       "No takes yet: record one on the Practice screen.")
        elif not attempts:
            self.history_title.setText("No takes yet: record one on the Practice screen.")

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
        if attempt.id in self.scorer.scoring_ids:
            status = "Scoring\u2026"
        elif attempt.id == self.practice.recording_attempt_id():
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
        if attempt.id in self.scorer.scoring_ids:
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
                         and attempt.id not in self.scorer.scoring_ids
                         and attempt.id != self.practice.recording_attempt_id())
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
            self._message(str(exc), "error")
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
        if self.scorer.score(take, "history") == "missing":
            self._message(self.scorer.model.model_error, "error")
        self.refresh(select_id=take.attempt_id)

    def forget_my_data(self) -> None:
        """"Delete my data": after a confirmation, remove this seller's takes and recordings."""
        try:
            seller = self.practice.find_seller()
            count = self.store.attempt_count(seller) if seller is not None else 0
        except StorageError as exc:
            self._message(str(exc), "error")
            return
        if seller is None:
            self._message("Nothing is stored under this name; type the name you practised "
                              "under.", "info")
            return
        if self.practice.busy() or self.scorer.busy:
            self._message("A take is still being recorded or scored; delete your data "
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
        self.takes_replay.stop()
        try:
            report = forget_seller(self.store, self.data_dir, seller.name,
                                   include_damaged_copies=include_copies)
        except TrainerError as exc:
            self._message(str(exc), "error")
            return
        self.forgotten.emit(report)  # the shell clears the name and refreshes every list
        self._message(report.summary(), "error" if report.kept else "info")
