"""Reusable widgets: the level meter, the message banner, the drill brief and the scorecard.

They only display what they are given (a level in dBFS, a drill, a scorecard dict in the core's
JSON shape); none of them records, scores or stores anything.

Text sizes are relative: a label made larger than the base font remembers its factor
(``FONT_REL``), so presenter mode can set a new base on the window and ``rescale_fonts``
brings every such label along.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trainer.common.formatting import format_score, weight_points
from trainer.rubric.drills import Drill, Scenario
from trainer.ui.style import (
    AMBER,
    GREEN,
    INK,
    MUTED,
    RED,
    base_point_size,
    make_label,
    rescale_fonts,
)


class ClickableLabel(QLabel):
    """A label that acts as a button: click it, or Tab to it and press Enter or Space."""

    clicked = Signal()

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
                event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


class LevelMeter(QWidget):
    """A horizontal input-level bar painted from a dBFS value, red while the input clips.

    Args:
        floor_db: the level drawn as an empty bar (quieter is shown as silence).
    """

    def __init__(self, parent: QWidget | None = None, floor_db: float = -60.0) -> None:
        super().__init__(parent)
        self.floor_db = floor_db
        self._db = floor_db
        self._peak_db = floor_db
        self._clipping = False
        self.setMinimumSize(160, 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Microphone level")

    @property
    def level_db(self) -> float:
        return self._db

    @property
    def clipping(self) -> bool:
        return self._clipping

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 22)

    def set_level(self, db: float, clipping: bool = False) -> None:
        self._db = max(self.floor_db, min(0.0, db))
        # The peak marker falls slowly so short syllables stay visible between timer ticks.
        self._peak_db = max(self._db, self._peak_db - 1.5)
        self._clipping = clipping
        self.update()

    def reset(self) -> None:
        self._db = self._peak_db = self.floor_db
        self._clipping = False
        self.update()

    def _fraction(self, db: float) -> float:
        return (db - self.floor_db) / (0.0 - self.floor_db)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QColor("#c5cbd3"))
        painter.setBrush(QColor("#eef1f4"))
        painter.drawRoundedRect(rect, 4, 4)
        width = rect.width() * self._fraction(self._db)
        if width > 1:
            if self._clipping:
                color = QColor(RED)
            elif self._db > -6:
                color = QColor("#d08c00")
            else:
                color = QColor("#2f9e44")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(rect.left(), rect.top(), width, rect.height()), 4, 4)
        peak_x = rect.left() + rect.width() * self._fraction(self._peak_db)
        if peak_x > rect.left() + 2:
            painter.setPen(QColor(RED if self._clipping else INK))
            painter.drawLine(int(peak_x), int(rect.top()) + 3, int(peak_x), int(rect.bottom()) - 3)
        painter.end()


class MessageBanner(QFrame):
    """A one-sentence message strip above the content; ``label`` holds the text."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self.label = make_label(selectable=True)
        self.label.setObjectName("message")
        self.label.setAccessibleName("Message")
        close = QToolButton()
        close.setText("\u2715")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = "info"
        self.hide()

    def show_text(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        background, border = (("#fdecea", "#f1aeb5") if kind == "error"
                              else ("#e8f1fb", "#a9c8ec"))
        self.setStyleSheet(f"#banner {{ background: {background}; border: 1px solid {border};"
                           " border-radius: 6px; }")
        self.label.setText(text)
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self.hide()
        self.dismissed.emit()


class BuyerLine(QFrame):
    """The buyer speaking: who they are, then their opening line in large type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("buyer")
        self.setStyleSheet("#buyer { background: #eef4fb; border: 1px solid #c9dbef;"
                           " border-radius: 10px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 14)
        layout.setSpacing(4)
        self.who = make_label(color=MUTED, size=base_point_size(self))
        self.line = make_label(size=base_point_size(self) * 1.65, color=INK)
        self.line.setAccessibleName("The buyer says")
        layout.addWidget(self.who)
        layout.addWidget(self.line)

    def set_line(self, drill: Drill, scenario: Scenario | None) -> None:
        if scenario is not None:
            prospect = scenario.prospect
            who = ", ".join(str(p) for p in (prospect.get("role"), prospect.get("company")) if p)
            name = str(prospect.get("name") or "The buyer")
            self.who.setText(f"{name} \u00b7 {who} says:" if who else f"{name} says:")
            line = drill.buyer_line_for(scenario)
        else:
            self.who.setText("The buyer says:")
            line = drill.buyer_line
        self.line.setText(f"\u201c{line}\u201d")


class DrillBrief(QWidget):
    """What to do: the drill's prompt, the buyer's line, and the criteria you are scored on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.title = make_label(size=base * 1.5, bold=True, color=INK)
        self.prompt = make_label(size=base * 1.1, color=INK)
        self.buyer = BuyerLine()
        self.target = make_label(color=MUTED)
        self.criteria_title = make_label("What you are scored on", size=base * 1.1, bold=True)
        self.criteria = QLabel()
        self.criteria.setWordWrap(True)
        self.criteria.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.title)
        layout.addWidget(self.prompt)
        layout.addWidget(self.buyer)
        layout.addWidget(self.target)
        layout.addSpacing(4)
        layout.addWidget(self.criteria_title)
        layout.addWidget(self.criteria)
        layout.addSpacing(4)
        self.why_title = make_label("Why it matters", size=base * 1.1, bold=True)
        self.why = make_label(color=MUTED)
        layout.addWidget(self.why_title)
        layout.addWidget(self.why)
        layout.addStretch(1)

    def set_drill(self, drill: Drill, scenario: Scenario | None) -> None:
        self.title.setText(drill.title)
        self.prompt.setText(" ".join(drill.prompt.split()))
        self.buyer.set_line(drill, scenario)
        low, high = drill.target_seconds
        self.target.setText(f"Aim for {low:.0f}\u2013{high:.0f} seconds \u00b7 "
                            f"pass mark {drill.pass_threshold:.0f}/100")
        # A recorded take is scored on the transcript criteria and on delivery.
        scored = list(drill.criteria) + ([drill.delivery] if drill.delivery else [])
        points = weight_points([c.weight for c in scored])
        rows = "".join(
            f"<tr><td style='padding:3px 10px 3px 0'><b>{html.escape(c.name)}</b></td>"
            f"<td style='padding:3px 10px 3px 0; color:{MUTED}'>{p} pts</td>"
            f"<td style='padding:3px 0'>{html.escape(c.definition)}</td></tr>"
            for c, p in zip(scored, points, strict=True)
        )
        self.criteria.setText(f"<table>{rows}</table>")
        why = " ".join(drill.brief.split())
        self.why.setText(why)
        self.why_title.setVisible(bool(why))
        self.why.setVisible(bool(why))


class CriterionRow(QFrame):
    """One rubric line of a scorecard: ✓/✗, the name, then the quote or the coaching.

    A quote can be clicked (or reached with Tab and Enter): ``evidence_clicked`` carries it,
    so the window can play the take from those words.
    """

    evidence_clicked = Signal(str)

    def __init__(self, data: dict[str, Any], parent: QWidget | None = None,
                 numbers: bool = False) -> None:
        """``numbers``: the evidence is measurements (the delivery criterion), not a quote."""
        super().__init__(parent)
        self.criterion_id = str(data.get("id", ""))
        self.met = bool(data.get("met"))
        self.setObjectName("criterion")
        self.setStyleSheet("#criterion { border-bottom: 1px solid #e3e7ec; }")
        base = base_point_size(self)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 8, 4, 8)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        self.mark = make_label("\u2713" if self.met else "\u2717", size=base * 1.5, bold=True,
                           color=GREEN if self.met else RED, wrap=False)
        self.mark.setAccessibleName("met" if self.met else "missed")
        self.mark.setFixedWidth(int(base * 2.4))
        self.mark.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.name = make_label(str(data.get("name", self.criterion_id)), size=base * 1.1, bold=True)
        grid.addWidget(self.mark, 0, 0, 3, 1)
        grid.addWidget(self.name, 0, 1)
        self.evidence_label: QLabel | None = None
        self.tip_label: QLabel | None = None
        self.example_label: QLabel | None = None
        self.evidence = str(data.get("evidence") or "")
        if numbers:
            if self.evidence:
                self.evidence_label = make_label(self.evidence, color=MUTED, selectable=True)
                grid.addWidget(self.evidence_label, 1, 1)
            if not self.met:
                self.tip_label = make_label(str(data.get("tip") or ""), color=INK, selectable=True)
                grid.addWidget(self.tip_label, 2, 1)
        elif self.met:
            quote = ClickableLabel(f"\u201c{self.evidence}\u201d")
            quote.setWordWrap(True)
            quote.setTextFormat(Qt.TextFormat.PlainText)
            font = quote.font()
            font.setItalic(True)
            quote.setFont(font)
            quote.setStyleSheet(f"QLabel {{ color: {INK}; }} QLabel:focus, QLabel:hover "
                                "{ background: #fff4cc; }")
            quote.setToolTip("Play the take from these words (click, or Enter)")
            quote.setAccessibleName(f"Play from: {self.evidence}")
            quote.clicked.connect(lambda: self.evidence_clicked.emit(self.evidence))
            self.evidence_label = quote
            grid.addWidget(self.evidence_label, 1, 1)
        else:
            self.tip_label = make_label(str(data.get("tip") or ""), color=INK, selectable=True)
            grid.addWidget(self.tip_label, 1, 1)
            example = data.get("example")
            if example:
                self.example_label = make_label(f"Try: \u201c{example}\u201d", italic=True,
                                            color=MUTED, selectable=True)
                grid.addWidget(self.example_label, 2, 1)
        grid.setColumnStretch(1, 1)


class ScorecardView(QScrollArea):
    """A scorecard (the core's JSON shape) laid out for a seller to read top to bottom.

    With the take's words (``show_card(card, words)``) the transcript is a ``ReplayTranscript``
    that highlights the word being heard. Clicks ask the window to play from a point:
    ``evidence_clicked(quote)`` from a criterion's quote, ``moment_clicked(seconds)`` from a
    word of the transcript or a covered agenda item.
    """

    evidence_clicked = Signal(str)
    moment_clicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[dict[str, Any]] = []
        self.agenda_rows: list[QLabel] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.card: dict[str, Any] | None = None
        self.rows: list[CriterionRow] = []
        self.delivery_rows: dict[str, QLabel] = {}
        self._content = QWidget()
        self._content.setObjectName("scorecard")
        self.setWidget(self._content)
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(4, 4, 12, 4)
        self._layout.setSpacing(8)
        base = base_point_size(self)
        header = QHBoxLayout()
        self.score_label = make_label("\u2013", size=base * 3.6, bold=True, wrap=False)
        self.score_label.setAccessibleName("Score")
        self.verdict_label = make_label(size=base * 1.5, bold=True, wrap=False)
        self.threshold_label = make_label(color=MUTED, wrap=False)
        verdict_box = QVBoxLayout()
        verdict_box.addStretch(1)
        verdict_box.addWidget(self.verdict_label)
        verdict_box.addWidget(self.threshold_label)
        verdict_box.addStretch(1)
        header.addWidget(self.score_label)
        header.addSpacing(16)
        header.addLayout(verdict_box)
        header.addStretch(1)
        self._layout.addLayout(header)
        self._criteria_box = QVBoxLayout()
        self._criteria_box.setSpacing(0)
        self._layout.addLayout(self._criteria_box)
        self._layout.addSpacing(6)
        # The written agenda, item by item (agenda takes of a seller who wrote one).
        self.agenda_title = make_label("Your written agenda", size=base * 1.15, bold=True)
        self.agenda_summary = make_label(color=INK)
        self.agenda_summary.setAccessibleName("Agenda coverage")
        self._agenda_box = QVBoxLayout()
        self._agenda_box.setSpacing(2)
        self._layout.addWidget(self.agenda_title)
        self._layout.addWidget(self.agenda_summary)
        self._layout.addLayout(self._agenda_box)
        self.agenda_title.hide()
        self.agenda_summary.hide()
        self.delivery_title = make_label("Delivery", size=base * 1.15, bold=True)
        self._layout.addWidget(self.delivery_title)
        from trainer.ui.widgets.delivery import DeliveryCard  # it builds on this module

        self.delivery_card = DeliveryCard()
        self._layout.addWidget(self.delivery_card)
        self._layout.addSpacing(6)
        self._layout.addWidget(make_label("What you said", size=base * 1.15, bold=True))
        self.transcript_label = make_label(selectable=True, color=INK)
        self._layout.addWidget(self.transcript_label)
        from trainer.ui.widgets.replay import ReplayTranscript  # it builds on this module

        self.replay_transcript = ReplayTranscript()
        self.replay_transcript.word_clicked.connect(self._on_word_clicked)
        self.replay_transcript.hide()
        self._layout.addWidget(self.replay_transcript)
        self._layout.addStretch(1)

    def clear(self) -> None:
        self.card = None
        for row in self.rows:
            self._criteria_box.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for label in self.agenda_rows:
            self._agenda_box.removeWidget(label)
            label.deleteLater()
        self.agenda_rows = []
        self.agenda_title.hide()
        self.agenda_summary.hide()
        self.words = []
        self.replay_transcript.set_words([])
        self.replay_transcript.hide()
        self.transcript_label.show()
        self.delivery_card.clear()
        self.delivery_rows = {}
        self.score_label.setText("\u2013")
        self.verdict_label.clear()
        self.threshold_label.clear()
        self.transcript_label.clear()

    def show_card(self, card: dict[str, Any], words: list[dict[str, Any]] | None = None
                  ) -> None:
        """Lay out a scorecard: score and verdict, one row per criterion, the written agenda's
        coverage, delivery, and the transcript (word by word when ``words`` are given)."""
        self.clear()
        self.card = card
        score = float(card.get("score", 0.0))
        threshold = float(card.get("pass_threshold", 0.0))
        passed = bool(card.get("passed"))
        self.score_label.setText(format_score(score, threshold))
        self.verdict_label.setText("PASS" if passed else "NOT YET")
        self.verdict_label.setStyleSheet(f"color: {GREEN if passed else AMBER};")
        self.threshold_label.setText(f"out of 100 \u00b7 pass mark {threshold:.0f}")
        delivery = card.get("delivery") or {}
        delivery_id = delivery.get("criterion")
        for data in card.get("criteria", []):
            row = CriterionRow(data, numbers=data.get("id") == delivery_id)
            row.evidence_clicked.connect(self.evidence_clicked)
            self.rows.append(row)
            self._criteria_box.addWidget(row)
        self.delivery_title.setVisible(bool(delivery))
        self.delivery_card.setVisible(bool(delivery))
        if delivery:
            self.delivery_card.show_delivery(delivery)
        self.delivery_rows = dict(self.delivery_card.rows)
        self._show_agenda(card.get("agenda_coverage"))
        self.transcript_label.setText(str(card.get("transcript", "")))
        if words:
            self.words = list(words)
            self.replay_transcript.set_words(self.words)
            self.replay_transcript.show()
            self.transcript_label.hide()
        # Rows were built before joining this view: give them this view's (maybe presenter)
        # base size.
        rescale_fonts(self._content, base_point_size(self))
        self.verticalScrollBar().setValue(0)

    def _show_agenda(self, block: Any) -> None:
        if not isinstance(block, dict):
            return
        kind = str(block.get("interaction") or "")
        self.agenda_title.setText(f"Your written {kind} agenda" if kind
                                  else "Your written agenda")
        self.agenda_summary.setText(str(block.get("summary", "")))
        self.agenda_title.show()
        self.agenda_summary.show()
        for item in block.get("items", []):
            covered = bool(item.get("covered"))
            mark = "\u2713" if covered else "\u2717"
            text = f"{mark}  {item.get('item', '')}"
            if covered and item.get("quote"):
                text += f"  \u2014 \u201c{item['quote']}\u201d"
            start = item.get("start_s")
            label: QLabel
            if covered and isinstance(start, (int, float)):
                clickable = ClickableLabel(text)
                clickable.setToolTip("Play the take from here (click, or Enter)")
                clickable.clicked.connect(lambda s=float(start): self.moment_clicked.emit(s))
                label = clickable
            else:
                label = QLabel(text)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setStyleSheet(f"QLabel {{ color: {GREEN if covered else RED}; }}"
                                " QLabel:focus { background: #fff4cc; }")
            label.setProperty("covered", covered)
            self.agenda_rows.append(label)
            self._agenda_box.addWidget(label)

    def _on_word_clicked(self, index: int) -> None:
        start = self.words[index].get("start") if 0 <= index < len(self.words) else None
        if isinstance(start, (int, float)):
            self.moment_clicked.emit(float(start))
