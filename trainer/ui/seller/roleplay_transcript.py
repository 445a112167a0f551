"""The roleplay's record on screen: the conversation line by line, and how each turn scored.

``TranscriptView`` is the lower half of the roleplay screen. On the left, the conversation:
buyer and seller in turn, a buyer line's tooltip saying which missed criterion it reacts to,
and choosing an answer shows its scorecard. On the right, one summary line, the chosen turn's
scorecard and, once the roleplay is over, the conversation scorecard (``conversation_html``,
every value escaped). Everything a seller said or a scenario named is shown as plain text.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.roleplay import BuyerLine, Conversation
from trainer.common.formatting import format_score
from trainer.ui.style import HEADING, base_point_size, make_label
from trainer.ui.widgets.common import ScorecardView


class TranscriptView(QSplitter):
    """The conversation (left) beside the chosen turn's scorecard and the roleplay's (right)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.chat = QListWidget()
        self.chat.setWordWrap(True)
        self.chat.setAccessibleName("The conversation")
        self.chat.currentRowChanged.connect(self._on_chat_row)
        self.addWidget(self.chat)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = make_label(size=base_point_size(self) * HEADING, bold=True)
        right_layout.addWidget(self.summary)
        self.turn_card = ScorecardView()
        right_layout.addWidget(self.turn_card, 2)
        self.conversation_card = QTextBrowser()
        self.conversation_card.setAccessibleName("Conversation scorecard")
        self.conversation_card.hide()
        right_layout.addWidget(self.conversation_card, 3)
        self.addWidget(right)
        self.setSizes([420, 520])

    def clear(self) -> None:
        """A new roleplay (or one resumed): no lines yet, no conversation scorecard."""
        self.chat.clear()
        self.conversation_card.hide()

    def show_turns(self, conversation: Conversation) -> None:
        """A resumed roleplay: its turns so far, the last one's scorecard shown."""
        self.clear()
        for turn in conversation.turns:
            self.add_buyer_line(turn.buyer, conversation)
            self.add_answer(turn.transcript, turn.card)
        self.turn_card.show_card(conversation.turns[-1].card)

    def add_buyer_line(self, line: BuyerLine, conversation: Conversation | None) -> None:
        self._add_row("Buyer", line.text, why(line, conversation) if line.because else None)

    def add_answer(self, transcript: str, card: dict[str, Any]) -> None:
        self._add_row("You", f"{transcript}  \u2014 {format_score(card['score'])}/100", None,
                      card)

    def _add_row(self, who: str, text: str, tip: str | None,
                 card: dict[str, Any] | None = None) -> None:
        item = QListWidgetItem(f"{who}: {text}")
        item.setData(Qt.ItemDataRole.UserRole, card)
        if tip is not None:
            item.setToolTip(tip)
        font = item.font()
        font.setBold(who == "Buyer")
        item.setFont(font)
        self.chat.addItem(item)
        self.chat.scrollToBottom()

    def _on_chat_row(self, row: int) -> None:
        item = self.chat.item(row) if row >= 0 else None
        card = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(card, dict):
            self.turn_card.show_card(card)

    def set_summary(self, text: str, color: str | None = None) -> None:
        """The line above the scorecards; ``color``: a verdict's colour, "" for none, None to
        leave the colour as it is."""
        self.summary.setText(text)
        if color is not None:
            self.summary.setStyleSheet(f"color: {color};" if color else "")

    def show_result(self, card: dict[str, Any], color: str) -> None:
        """The roleplay is over: its score and verdict, and every turn's criteria."""
        verdict = "PASS" if card["passed"] else "NOT YET"
        mark = card["pass_threshold"]
        self.set_summary(f"Roleplay score {format_score(card['score'], mark)}/100 "
                         f"\u00b7 {verdict} (pass mark {format_score(mark)}) \u00b7 "
                         f"{len(card['turns'])} turns \u00b7 seed {card['seed']}", color)
        self.conversation_card.setHtml(conversation_html(card))
        self.conversation_card.show()


def why(line: BuyerLine, conversation: Conversation | None) -> str:
    """Why the buyer said ``line``: the criterion that answer missed, by its name."""
    name = line.because
    if conversation is not None and line.reacts_to is not None \
            and 0 < line.reacts_to <= len(conversation.turns):
        card = conversation.turns[line.reacts_to - 1].card
        name = next((str(c.get("name")) for c in card.get("criteria", [])
                     if c.get("id") == line.because), name)
        return (f"The buyer said this because your answer in turn {line.reacts_to} "
                f"missed \u201c{name}\u201d.")
    return f"The buyer said this because your last answer missed \u201c{name}\u201d."


def _judged_on(turn: dict[str, Any]) -> str:
    """'agenda criteria', or what the buyer's line asked for: 'agenda: Names the outcome'."""
    if turn.get("asked_for"):
        names = ", ".join(str(c.get("name", c.get("id"))) for c in turn["criteria"])
        return f"{turn['rubric']}: {names}"
    return f"{turn['rubric']} criteria"


def conversation_html(card: dict[str, Any]) -> str:
    """The conversation scorecard as HTML (every value escaped): turn, lines, criteria, tips."""
    esc = html.escape
    shown = format_score(card["score"], card.get("pass_threshold"))
    parts = [f"<h3>Roleplay \u00b7 {esc(str(card['drill']))} \u00b7 "
             f"{esc(str(card['persona']))} buyer \u00b7 {shown}/100</h3>"]
    for turn in card["turns"]:
        parts.append(f"<p><b>Turn {turn['turn']} \u2014 Buyer:</b> "
                     f"{esc(turn['buyer']['text'])}<br><b>You:</b> "
                     f"{esc(turn['transcript'])}<br><i>{esc(_judged_on(turn))} \u00b7 "
                     f"{format_score(turn['score'])}/100</i></p><ul>")
        for c in turn["criteria"]:
            if c["met"]:
                parts.append(f"<li>\u2713 {esc(c['name'])}: \u201c{esc(c['evidence'] or '')}"
                             "\u201d</li>")
            else:
                example = f" <i>e.g. \u201c{esc(c['example'])}\u201d</i>" \
                    if c.get("example") else ""
                parts.append(f"<li>\u2717 {esc(c['name'])}: {esc(c['tip'] or '')}{example}"
                             "</li>")
        parts.append("</ul>")
    if card.get("closing"):
        parts.append(f"<p><b>Buyer:</b> {esc(card['closing']['text'])}</p>")
    return "".join(parts)
