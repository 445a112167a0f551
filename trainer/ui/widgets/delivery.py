"""Delivery on screen: the live transcript while recording, and the delivery card afterwards.

- ``LiveTranscript``: settled words in ink, the latest guess at the rest in grey, updated
  from a timer that polls the core (the worker thread never touches Qt).
- ``DeliveryChart``: pace (words per minute) and pitch (Hz) over the take, painted with
  QPainter (PySide6-Essentials only; no QtCharts), with the drill's good pace band shaded.
- ``DeliveryCard``: one row per metric, good / watch / fix, the advice sentence, the source
  as a tooltip, and the chart.

They display the scorecard's ``delivery`` block (the core's JSON shape) and compute nothing.
"""

from __future__ import annotations

import html
import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from trainer.ui.style import BANDS, INK, MUTED, PACE_COLOR, PITCH_COLOR, base_point_size, make_label

# Display order and number formats; older saved scorecards have only the first four keys and
# no labels, so the names here are the fallback.
METRICS = (
    ("pace_wpm", "Pace", "{:.0f}", "words/min"),
    ("fillers_per_min", "Fillers", "{:.1f}", "per min"),
    ("pauses", "Longest pause", "{:.1f}", "s"),
    ("longest_stretch_s", "Longest stretch without a beat", "{:.0f}", "s"),
    ("pitch_variation_st", "Pitch variation", "{:.1f}", "semitones"),
    ("loudness_variation_db", "Loudness variation", "{:.1f}", "dB"),
    ("questions", "Questions asked", "{:.0f}", ""),
    ("talk_time_s", "Talk time", "{:.0f}", "s"),
)


def metric_text(key: str, metric: dict[str, Any]) -> str:
    """"Pace: 142 words/min" from a metric's JSON."""
    fallback = next((m for m in METRICS if m[0] == key), (key, key, "{:.1f}", ""))
    label = str(metric.get("label") or fallback[1])
    if key == "pauses" and metric.get("count") == 0:
        return f"{label}: none"  # "0.0 s" read as a pause, and a well-judged one
    unit = str(metric.get("unit", fallback[3]))
    try:
        value = fallback[2].format(float(metric.get("value", 0.0)))
    except (TypeError, ValueError):
        value = str(metric.get("value"))
    return f"{label}: {value}{(' ' + unit) if unit else ''}"


class LiveTranscript(QLabel):
    """What the seller has said so far, while they are still speaking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAccessibleName("Live transcript")
        self.setMinimumHeight(int(base_point_size(self) * 5))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.setStyleSheet("QLabel { background: white; border: 1px solid #dde2e8;"
                           " border-radius: 8px; padding: 8px 12px; }")
        self.committed = ""
        self.tentative = ""
        self.clear_text()

    def clear_text(self) -> None:
        self.committed = self.tentative = ""
        self.setText(f"<span style='color:{MUTED}'>Your words appear here as you speak.</span>")

    def set_live(self, committed: str, tentative: str) -> None:
        self.committed, self.tentative = committed, tentative
        # Keep the end in view: the last ~60 words are what the seller is checking.
        words = f"{committed} {tentative}".split()
        trimmed = len(words) > 60
        keep_committed = committed.split()
        keep_tentative = tentative.split()
        if trimmed:
            overflow = len(words) - 60
            cut = min(overflow, len(keep_committed))
            keep_committed = keep_committed[cut:]
            keep_tentative = keep_tentative[max(0, overflow - cut):]
        text = ("\u2026 " if trimmed else "") + html.escape(" ".join(keep_committed))
        if keep_tentative:
            text += (f" <span style='color:{MUTED}; font-style: italic'>"
                     f"{html.escape(' '.join(keep_tentative))}</span>")
        self.setText(f"<span style='color:{INK}'>{text.strip() or '&hellip;'}</span>")

    @property
    def plain_text(self) -> str:
        return " ".join(t for t in (self.committed, self.tentative) if t)


class DeliveryChart(QWidget):
    """Pace and pitch over the take: two lines on a shared time axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pace: list[tuple[float, float]] = []
        self.pitch: list[tuple[float, float]] = []
        self.good_pace: tuple[float, float] | None = None
        self.duration_s = 0.0
        self.setMinimumSize(320, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Pace and pitch over the take")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(560, 170)

    def set_data(self, delivery: dict[str, Any]) -> None:
        timeline = delivery.get("timeline") or {}
        self.pace = [(float(t), float(v)) for t, v in timeline.get("pace_wpm", [])]
        self.pitch = [(float(t), float(v)) for t, v in timeline.get("pitch_hz", [])]
        pace = delivery.get("pace_wpm") or {}
        good = pace.get("good_range")
        self.good_pace = (float(good[0]), float(good[1])) if isinstance(good, list) and \
            len(good) == 2 and all(math.isfinite(float(g)) for g in good) else None
        self.duration_s = float(delivery.get("duration_s") or 0.0)
        self.update()

    @property
    def has_data(self) -> bool:
        return bool(self.pace or self.pitch)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPointSizeF(max(7.0, base_point_size(self) * 0.8))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        left = metrics.horizontalAdvance("250") + 10
        right = metrics.horizontalAdvance("300 Hz") + 10
        top, bottom = metrics.height() + 6, metrics.height() + 8
        area = QRectF(left, top, max(10.0, self.width() - left - right),
                      max(10.0, self.height() - top - bottom))
        painter.setPen(QColor("#dde2e8"))
        painter.setBrush(QColor("#fbfcfd"))
        painter.drawRect(area)
        end = max([self.duration_s] + [t for t, _ in self.pace + self.pitch] + [1.0])

        def x_of(t: float) -> float:
            return area.left() + area.width() * min(max(t / end, 0.0), 1.0)

        pace_max = max([200.0] + [v * 1.1 for _, v in self.pace])
        if self.good_pace is not None:
            lo, hi = self.good_pace
            y_hi = area.bottom() - area.height() * min(hi / pace_max, 1.0)
            y_lo = area.bottom() - area.height() * min(lo / pace_max, 1.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(31, 111, 235, 28))
            painter.drawRect(QRectF(area.left(), y_hi, area.width(), y_lo - y_hi))
        self._line(painter, [(x_of(t), area.bottom() - area.height() * v / pace_max)
                             for t, v in self.pace], PACE_COLOR)
        if self.pitch:
            values = [v for _, v in self.pitch]
            lo, hi = min(values) * 0.9, max(values) * 1.1
            span = max(hi - lo, 1.0)
            self._line(painter, [(x_of(t), area.bottom() - area.height() * (v - lo) / span)
                                 for t, v in self.pitch], PITCH_COLOR, dots=True)
            painter.setPen(QColor(PITCH_COLOR))
            painter.drawText(QPointF(area.right() + 4, area.top() + metrics.ascent()),
                             f"{hi:.0f} Hz")
            painter.drawText(QPointF(area.right() + 4, area.bottom()), f"{lo:.0f} Hz")
        painter.setPen(QColor(PACE_COLOR))
        painter.drawText(QPointF(2, area.top() + metrics.ascent()), f"{pace_max:.0f}")
        painter.drawText(QPointF(2, area.bottom()), "0")
        painter.drawText(QPointF(area.left(), metrics.ascent() + 1), "pace (words/min)")
        painter.setPen(QColor(PITCH_COLOR))
        label = "pitch"
        painter.drawText(QPointF(area.right() - metrics.horizontalAdvance(label),
                                 metrics.ascent() + 1), label)
        painter.setPen(QColor(MUTED))
        painter.drawText(QPointF(area.left(), self.height() - 2), "0 s")
        end_label = f"{end:.0f} s"
        painter.drawText(QPointF(area.right() - metrics.horizontalAdvance(end_label),
                                 self.height() - 2), end_label)
        if not self.has_data:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No timeline for this take")
        painter.end()

    @staticmethod
    def _line(painter: QPainter, points: list[tuple[float, float]], color: str,
              dots: bool = False) -> None:
        if not points:
            return
        pen = QPen(QColor(color))
        pen.setWidthF(2.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if dots:  # pitch has gaps (unvoiced stretches): draw it as points
            painter.setBrush(QColor(color))
            for x, y in points:
                painter.drawEllipse(QPointF(x, y), 1.6, 1.6)
            return
        path = QPainterPath(QPointF(*points[0]))
        for x, y in points[1:]:
            path.lineTo(QPointF(x, y))
        painter.drawPath(path)


class DeliveryCard(QFrame):
    """Each delivery metric with its band and advice, then the pace and pitch chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(14)
        self._grid.setVerticalSpacing(4)
        self._grid.setColumnStretch(2, 1)
        layout.addLayout(self._grid)
        self.chart = DeliveryChart()
        layout.addWidget(self.chart)
        self.rows: dict[str, QLabel] = {}
        self.advice: dict[str, QLabel] = {}

    def clear(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = {}
        self.advice = {}
        self.chart.set_data({})

    def show_delivery(self, delivery: dict[str, Any]) -> None:
        self.clear()
        line = 0
        for key, _, _, _ in METRICS:
            metric = delivery.get(key)
            if not isinstance(metric, dict):
                continue
            band = str(metric.get("band", ""))
            value = make_label(metric_text(key, metric), wrap=False)
            band_label = make_label(band, bold=True, color=BANDS.get(band, MUTED), wrap=False)
            band_label.setAccessibleName(f"{key} band")
            advice = make_label(str(metric.get("advice", "")), color=MUTED)
            source = str(metric.get("source", ""))
            for widget in (value, band_label, advice):
                widget.setToolTip(source)
            self._grid.addWidget(value, line, 0)
            self._grid.addWidget(band_label, line, 1)
            self._grid.addWidget(advice, line, 2)
            self.rows[key] = band_label
            self.advice[key] = advice
            line += 1
        self.chart.set_data(delivery)
        self.chart.setVisible(self.chart.has_data)
