"""The Progress screen: per skill first / best / latest, a chart over time, what to work on next.

It displays a ``trainer.coaching.progress.Progress`` (computed by the core from the store) and
computes
nothing itself. The chart is painted with QPainter (no QtCharts in PySide6-Essentials): one
line per skill that has takes, score 0-100 against take order, so a week's gap does not squash
a day's ten takes into one point.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.progress import Progress, SkillProgress
from trainer.common.formatting import format_score
from trainer.ui.style import INK, MUTED, base_point_size, make_label

SKILL_COLORS = {
    "agenda": "#1f6feb",
    "value_prop": "#8250df",
    "client_story": "#bf3989",
    "differentiation": "#1a7f37",
    "vision": "#bc4c00",
    "delivery": "#57606a",
}


def _score(value: float | None, pass_mark: float | None = None) -> str:
    # The History screen's rounding (``format_score``): 69.6 on a pass mark of 70 reads 69.6
    # here too, never 70.
    return "\u2014" if value is None else format_score(value, pass_mark)


class ProgressChart(QWidget):
    """Scores over time, one coloured line per skill, with a legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.skills: list[SkillProgress] = []
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Scores over time")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 300)

    def set_skills(self, skills: list[SkillProgress]) -> None:
        self.skills = [s for s in skills if s.series]
        self.update()

    def points(self, skill: SkillProgress, plot: QRectF) -> list[QPointF]:
        """Where a skill's takes are drawn: x by the take's order among all, y by score."""
        order = self._order()
        span = max(1, len(order) - 1)
        out = []
        for p in skill.series:
            x = plot.left() + plot.width() * order.index((p.at, p.attempt_id)) / span
            y = plot.bottom() - plot.height() * max(0.0, min(100.0, p.score)) / 100.0
            out.append(QPointF(x, y))
        return out

    def _order(self) -> list[tuple[float, int]]:
        return sorted({(p.at, p.attempt_id) for s in self.skills for p in s.series})

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPointSizeF(max(7.0, base_point_size(self) * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        legend_h = metrics.height() + 8
        left = metrics.horizontalAdvance("100") + 12
        plot = QRectF(left, 8, max(10, self.width() - left - 12),
                      max(10, self.height() - 8 - legend_h - metrics.height() - 8))
        painter.setPen(QPen(QColor("#d0d7de"), 1))
        for score in (0, 25, 50, 75, 100):
            y = plot.bottom() - plot.height() * score / 100
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(0, y - metrics.height() / 2, left - 6, metrics.height()),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             str(score))
            painter.setPen(QPen(QColor("#d0d7de"), 1))
        if not self.skills:
            painter.setPen(QColor(MUTED))
            painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter),
                             "Your scores appear here after your first scored take.")
            painter.end()
            return
        painter.setPen(QColor(MUTED))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), metrics.height()),
                         int(Qt.AlignmentFlag.AlignCenter), "takes, oldest to newest \u2192")
        x = plot.left()
        legend_y = self.height() - legend_h + 4
        for skill in self.skills:
            color = QColor(SKILL_COLORS.get(skill.skill, INK))
            points = self.points(skill, plot)
            painter.setPen(QPen(color, 2.2))
            for a, b in zip(points, points[1:], strict=False):
                painter.drawLine(a, b)
            painter.setBrush(color)
            for p in points:
                painter.drawEllipse(p, 3.5, 3.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.fillRect(QRectF(x, legend_y + metrics.height() / 2 - 2, 14, 4), color)
            painter.setPen(QColor(INK))
            painter.drawText(QPointF(x + 18, legend_y + metrics.ascent()), skill.label)
            x += 18 + metrics.horizontalAdvance(skill.label) + 18
        painter.end()


class ProgressView(QWidget):
    """Table, chart and the most-missed criterion with its tip."""

    COLUMNS = ("Skill", "Takes", "First", "Best", "Latest")

    def __init__(self, parent: QWidget | None = None,
                 pass_marks: Mapping[str, float] | None = None) -> None:
        """``pass_marks``: each drill's pass mark by id, so a score reads as on its
        scorecard."""
        super().__init__(parent)
        self.pass_marks = dict(pass_marks or {})
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(10)
        self.title = make_label("Your progress", size=base * 1.4, bold=True, color=INK)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAccessibleName("Scores per skill")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)
        self.chart = ProgressChart()
        self.missed_box = QFrame()
        self.missed_box.setObjectName("missed")
        self.missed_box.setStyleSheet("#missed { background: #fff8e6; border: 1px solid "
                                      "#f0d48a; border-radius: 8px; }")
        box = QVBoxLayout(self.missed_box)
        box.setContentsMargins(14, 10, 14, 10)
        self.missed_label = make_label(size=base * 1.1, bold=True, color=INK)
        self.missed_label.setAccessibleName("Most missed criterion")
        self.tip_label = make_label(color=INK, selectable=True)
        self.tip_label.setAccessibleName("Tip")
        box.addWidget(self.missed_label)
        box.addWidget(self.tip_label)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.missed_box)
        self.progress: Progress | None = None
        self.set_progress(None)

    def set_progress(self, progress: Progress | None, empty: str = "") -> None:
        """Show a seller's progress (``None``: nothing to show; ``empty`` says why)."""
        self.progress = progress
        skills = list(progress.skills) if progress is not None else []
        self.table.setRowCount(len(skills))
        for row, skill in enumerate(skills):
            mark = self.pass_marks.get(skill.skill)
            cells = (skill.label, str(skill.count), _score(skill.first, mark),
                     _score(skill.best, mark), _score(skill.latest, mark))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if col == 0:
                    item.setForeground(QColor(SKILL_COLORS.get(skill.skill, INK)))
                self.table.setItem(row, col, item)
        self.chart.set_skills(skills)
        missed = progress.most_missed if progress is not None else None
        if missed is None:
            self.missed_label.setText(empty or "Nothing missed yet: record a few takes and "
                                               "the criterion you miss most shows here.")
            self.tip_label.clear()
            self.tip_label.hide()
        else:
            self.missed_label.setText(missed.summary())
            self.tip_label.setText(f"Tip: {missed.tip}" if missed.tip else "")
            self.tip_label.setVisible(bool(missed.tip))

    def row_of(self, skill: str) -> list[str]:
        """The table's cells for a skill (tests and screen readers)."""
        if self.progress is None:
            return []
        for row, s in enumerate(self.progress.skills):
            if s.skill == skill:
                items = (self.table.item(row, c) for c in range(len(self.COLUMNS)))
                return [item.text() if item is not None else "" for item in items]
        return []
