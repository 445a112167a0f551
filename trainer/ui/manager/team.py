"""The manager's team view: who is certified on what, and the team beside the benchmark.

A table of every seller against every drill (status, re-certification date, latest score and
trend), the list of who is due, the team's effective rates beside the 2018 benchmark as a bar
chart (``RatesChart``), and the CSV export. The figures and the CSV are computed off the UI
thread (``trainer.coaching.certification``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching import certification as cert
from trainer.common.errors import TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.manager.base import AskPath, ManagerView, date_text, spaced
from trainer.ui.style import (
    AMBER,
    BENCH_COLOUR,
    GREEN,
    HEADING,
    INK,
    MUTED,
    RED,
    TEAM_COLOUR,
    make_label,
)
from trainer.ui.tasks import Pool, run_in_background

log = logging.getLogger(__name__)

STATUS_TEXT = {"certified": "Certified", "due": "Due", "expired": "Expired",
               "not yet": "Not yet", "never": "\u2014"}
STATUS_COLOUR = {"certified": GREEN, "due": AMBER, "expired": RED, "not yet": RED,
                 "never": MUTED}
TREND_MARK = {"up": " \u2191", "down": " \u2193", "steady": " \u2192", "": ""}


@dataclass(frozen=True)
class Bar:
    """One fundamental in the chart: the team's rate (None: no takes yet) and the benchmark."""

    label: str
    team: float | None
    benchmark: float
    takes: int


class RatesChart(QWidget):
    """Horizontal bars, painted: per fundamental the team's effective rate beside the 2018
    benchmark's. Every bar carries its number in words, so colour is never the only cue."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.setAccessibleName("Team rates beside the 2018 benchmark")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_rates(self, rates: list[cert.TeamRate]) -> None:
        self.bars = [Bar(r.fundamental.label, r.rate, r.fundamental.benchmark, r.total)
                     for r in rates]
        self.setAccessibleDescription(self.summary())
        self.setToolTip(self.summary())
        self.updateGeometry()
        self.update()

    def summary(self) -> str:
        return "; ".join(
            f"{b.label}: team {'no takes yet' if b.team is None else f'{b.team:.0%}'}"
            f", 2018 benchmark {b.benchmark:.0%}" for b in self.bars)

    def _row_height(self) -> int:
        return int(self.fontMetrics().height() * 3.6)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, self._row_height() * max(len(self.bars), 5)
                     + self.fontMetrics().height() * 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(360, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        line = metrics.height()
        label_w = max([metrics.horizontalAdvance(b.label) for b in self.bars] + [100]) + 16
        value_w = metrics.horizontalAdvance("Team 100% (99 takes)") + 12
        bar_w = max(40.0, self.width() - label_w - value_w - 8)
        bar_h = line * 1.2
        y = float(line * 0.5)
        for bar in self.bars:
            painter.setPen(QColor(INK))
            painter.drawText(QRectF(0, y, label_w - 8, bar_h * 2 + 4),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             bar.label)
            for i, (value, colour, text) in enumerate((
                    (bar.team, TEAM_COLOUR,
                     "Team: no takes yet" if bar.team is None
                     else f"Team {bar.team:.0%} ({bar.takes} take{'s' * (bar.takes != 1)})"),
                    (bar.benchmark, BENCH_COLOUR, f"2018: {bar.benchmark:.0%}"))):
                top = y + i * (bar_h + 4)
                painter.fillRect(QRectF(label_w, top, bar_w, bar_h), QColor("#eef1f4"))
                if value:
                    painter.fillRect(QRectF(label_w, top, bar_w * value, bar_h), QColor(colour))
                painter.setPen(QColor(INK))
                painter.drawText(QRectF(label_w + bar_w + 8, top, value_w, bar_h),
                                 int(Qt.AlignmentFlag.AlignVCenter), text)
            y += self._row_height()
        painter.end()


class TeamView(ManagerView):
    """The team's certification status and rates, refreshed on opening and with F5.

    Args:
        store: the practice history and the certificates.
        library: the drills (the table's columns).
        pool: where the figures and the CSV are computed (a ``SyncPool`` in tests).
        ask_path: asks where to save the CSV.
    """

    refreshed = Signal()
    exported = Signal(str)  # the path of a written CSV

    def __init__(self, store: Store, library: DrillLibrary, pool: Any, ask_path: AskPath
                 ) -> None:
        super().__init__(store)
        self.library = library
        self.pool: Pool = pool
        self.ask_path = ask_path
        self.status_rows: list[cert.StatusRow] = []
        layout = spaced(QVBoxLayout(self))
        layout.addWidget(make_label("Who is certified on what", bold=True,
                                    size=self.base * HEADING))
        self.team_table = QTableWidget(0, 0)
        self.team_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.team_table.setAccessibleName("Team certification status")
        self.team_table.setMinimumHeight(int(self.base * 14))
        self.team_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.team_table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        layout.addWidget(self.team_table)
        self.due_label = make_label(color=INK)
        layout.addWidget(self.due_label)
        layout.addWidget(make_label("Effective takes: the team beside the 2018 benchmark "
                                    "(32,000 sales calls)", bold=True, size=self.base * HEADING))
        self.chart = RatesChart()
        layout.addWidget(self.chart)
        self.refresh_button = self.action("Refresh", "F5", "Recompute the team's status",
                                          self.refresh)
        self.csv_button = self.action("Export CSV", "Ctrl+Shift+X",
                                      "Save the team's certification status as CSV",
                                      self.export_csv)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.csv_button)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def focus_first(self) -> None:
        self.team_table.setFocus()

    def refresh(self) -> None:
        """F5 (and on opening the view): team status and rates, computed off the UI thread."""
        store, library = self.store, self.library
        run_in_background(lambda: (cert.team_status(store, library),
                                   cert.team_rates(store, library)),
                          self._on_loaded, self._on_background_error, self.pool,
                          context=self)

    def _on_loaded(self, result: tuple[list[cert.StatusRow], list[cert.TeamRate]]) -> None:
        rows, rates = result
        self.status_rows = rows
        drills = [(d.id, d.title) for d in self.library.drills()]
        sellers: list[str] = []
        for r in rows:
            if r.seller.name not in sellers:
                sellers.append(r.seller.name)
        table = self.team_table
        table.clear()
        table.setColumnCount(len(drills))
        table.setRowCount(len(sellers))
        table.setHorizontalHeaderLabels([title for _, title in drills])
        table.setVerticalHeaderLabels(sellers)
        col_of = {drill_id: i for i, (drill_id, _) in enumerate(drills)}
        mark_of = {d.id: d.pass_threshold for d in self.library.drills()}
        due: list[str] = []
        for r in rows:
            text = STATUS_TEXT[r.status]
            if r.status in ("certified", "due"):
                text += f" (to {date_text(r.due_at)})"
            mark = mark_of.get(r.drill_id)
            if r.score is not None:
                text += f" \u00b7 {format_score(r.score, mark)}"
            text += TREND_MARK[r.trend_word]
            cell = QTableWidgetItem(text)
            cell.setForeground(QColor(STATUS_COLOUR[r.status]))
            cell.setData(Qt.ItemDataRole.UserRole, r.status)
            cell.setToolTip(("Scores: " + ", ".join(format_score(s, mark) for s in r.trend))
                            if r.trend else "No certification takes yet")
            table.setItem(sellers.index(r.seller.name), col_of[r.drill_id], cell)
            if r.status in ("due", "expired"):
                due.append(f"{r.seller.name} ({r.drill_title}, {STATUS_TEXT[r.status].lower()})")
        table.resizeRowsToContents()  # a long status wraps onto a second line
        self.due_label.setText("Due for re-certification: " + "; ".join(due) if due
                               else "Nobody is due for re-certification.")
        self.chart.set_rates(rates)
        self.refreshed.emit()

    def _on_background_error(self, exc: Exception) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Team view failed", exc_info=exc)
            self.show_message(f"Something went wrong: {type(exc).__name__}; nothing was lost.")

    def export_csv(self) -> None:
        """Ctrl+Shift+X: the team's certification status as CSV (written off the UI thread)."""
        stamp = time.strftime("%Y-%m-%d", time.localtime(self.store.clock()))
        path = self.ask_path("Save the team's status as CSV", f"team-certification-{stamp}.csv",
                             "CSV (*.csv)")
        if path is None:
            return
        store, library = self.store, self.library
        run_in_background(lambda: cert.export_team_csv(store, library, path),
                          self._on_csv_written, self._on_background_error, self.pool,
                          context=self)

    def _on_csv_written(self, path: Path) -> None:
        self.show_message(f"Saved the team's status to {path}.", "info")
        self.exported.emit(str(path))
