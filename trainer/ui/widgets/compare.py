"""Two takes side by side: the score change, each criterion gained or lost, delivery changes.

It shows a ``trainer.coaching.compare.Comparison`` (the core decides what changed) and the two
takes'
transcripts next to each other; it computes nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.compare import Comparison
from trainer.common.formatting import format_score
from trainer.ui.style import AMBER, GREEN, INK, MUTED, RED, base_point_size, make_label

CHANGE_TEXT = {"gained": "\u2191 gained", "lost": "\u2193 lost", "kept": "kept",
               "missed": "still missed", "better": "\u2191 better", "worse": "\u2193 worse",
               "same": "same"}
CHANGE_COLOR = {"gained": GREEN, "better": GREEN, "lost": RED, "worse": RED,
                "missed": AMBER}


def _value(value: float | None, unit: str, band: str | None) -> str:
    if value is None:
        return "\u2014"
    shown = f"{value:.0f}" if abs(value) >= 20 or value == int(value) else f"{value:.1f}"
    return f"{shown}{(' ' + unit) if unit else ''}" + (f" ({band})" if band else "")


class CompareView(QWidget):
    """The previous take and this one, with what changed."""

    COLUMNS = ("", "Previous take", "This take", "Change")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(8)
        self.summary = make_label(size=base * 1.3, bold=True, color=INK)
        self.summary.setAccessibleName("What changed")
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        texts = QHBoxLayout()
        self.before_text = make_label(color=INK, selectable=True)
        self.after_text = make_label(color=INK, selectable=True)
        for title, label in (("Previous take", self.before_text), ("This take", self.after_text)):
            column = QVBoxLayout()
            column.addWidget(make_label(title, bold=True, color=MUTED))
            column.addWidget(label)
            column.addStretch(1)
            texts.addLayout(column, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(texts)
        self.comparison: Comparison | None = None

    def show_comparison(self, comparison: Comparison, before: dict[str, Any],
                        after: dict[str, Any]) -> None:
        self.comparison = comparison
        self.summary.setText(comparison.summary())
        rows: list[tuple[str, str, str, str]] = [
            ("Score", format_score(comparison.score_before, comparison.pass_mark),
             format_score(comparison.score_after, comparison.pass_mark),
             "gained" if comparison.score_change > 0 else
             "lost" if comparison.score_change < 0 else "same"),
        ]
        for c in comparison.criteria:
            rows.append((c.name, "\u2713" if c.before else "\u2717",
                         "\u2713" if c.after else "\u2717", c.change))
        if comparison.agenda_before is not None or comparison.agenda_after is not None:
            a, b = comparison.agenda_before, comparison.agenda_after
            change = "same" if a is None or b is None or a == b else (
                "better" if b > a else "worse")
            rows.append(("Written agenda covered",
                         "\u2014" if a is None else f"{a:.0f}%",
                         "\u2014" if b is None else f"{b:.0f}%", change))
        for m in comparison.delivery:
            rows.append((m.label, _value(m.before, m.unit, m.band_before),
                         _value(m.after, m.unit, m.band_after), m.change))
        self.table.setRowCount(len(rows))
        for r, (name, first, second, change) in enumerate(rows):
            for col, text in enumerate((name, first, second, CHANGE_TEXT.get(change, change))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, change)
                if col == 3 and change in CHANGE_COLOR:
                    item.setForeground(QColor(CHANGE_COLOR[change]))
                self.table.setItem(r, col, item)
        self.before_text.setText(str(before.get("transcript", "")))
        self.after_text.setText(str(after.get("transcript", "")))

    def change_of(self, name: str) -> str | None:
        """The change recorded on the row named ``name`` ("gained", "lost"...)."""
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.text() == name:
                return str(item.data(Qt.ItemDataRole.UserRole))
        return None
