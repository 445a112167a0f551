"""The card game's table: the big index card, whose turn, the timer, the calls and the verdict.

Readable from the back of a meeting room: the card's statement in large type, whose turn it
is, the count, the streak and the timer above it; below it the two call buttons (or, in the
spoken round, Record with its level meter), then the verdict with the deck's reason, and the
scoreboard beside it all in a team game. The page shows what ``CardGamePanel`` tells it and
says what was pressed with a signal; the panel's own keys (F, B, N, R, Esc) call the same slots.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.cards import Call, Card, CardGame, SpokenResult
from trainer.common.formatting import clock
from trainer.ui.style import GAP, GREEN, HEADING, MARGIN, MUTED, RED
from trainer.ui.team.card_scores import ScoreTable
from trainer.ui.team.controls import (
    CARD_EDGE,
    CARD_PAPER,
    CARD_RULE,
    DISABLED,
    FOCUS_RING,
    PROMPT_BLUE,
    SLATE,
    ScaledWidget,
)
from trainer.ui.widgets.common import LevelMeter


class CardTable(ScaledWidget):
    """The table page of the card game: the card, the calls, the verdict, the scoreboard."""

    called = Signal(str)  # "feature" or "benefit": a call button was clicked
    record_requested = Signal()
    next_requested = Signal()
    end_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        columns = QHBoxLayout(self)
        columns.setSpacing(MARGIN)
        left = QVBoxLayout()
        left.setSpacing(GAP)

        # Whose turn and the clock on one line, the streak and the count under them: two
        # short lines fit beside the scoreboard at 1024 px where one long line did not.
        header = QHBoxLayout()
        self.turn_label = self.fonts.label("", 1.8, bold=True, wrap=False)
        self.counter_label = self.fonts.label("", 1.2, color=MUTED, wrap=False)
        self.timer_label = self.fonts.label("0:00", 1.8, bold=True, wrap=False)
        self.timer_label.setAccessibleName("Timer")
        self.streak_label = self.fonts.label("", 1.2, wrap=False)
        header.addWidget(self.turn_label)
        header.addStretch(1)
        header.addWidget(self.timer_label)
        left.addLayout(header)
        status = QHBoxLayout()
        status.addWidget(self.streak_label)
        status.addStretch(1)
        status.addWidget(self.counter_label)
        left.addLayout(status)

        # The index card: readable from the back of a meeting room.
        self.card_frame = QFrame()
        self.card_frame.setObjectName("indexcard")
        self.card_frame.setStyleSheet(
            f"#indexcard {{ background: {CARD_PAPER}; border: 1px solid {CARD_EDGE};"
            f" border-top: 6px solid {CARD_RULE}; border-radius: 10px; }}")
        self.card_frame.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.card_frame.setAccessibleName("Card")
        self.card_frame.setSizePolicy(QSizePolicy.Policy.Expanding,
                                      QSizePolicy.Policy.Expanding)
        card_layout = QVBoxLayout(self.card_frame)
        card_layout.setContentsMargins(28, 20, 28, 24)
        self.product_label = self.fonts.label("", 1.2, color=MUTED)
        self.statement_label = self.fonts.label("", 2.4, bold=True)
        self.statement_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.statement_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt_label = self.fonts.label("", HEADING, color=PROMPT_BLUE)
        self.prompt_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card_layout.addWidget(self.product_label)
        card_layout.addStretch(1)
        card_layout.addWidget(self.statement_label)
        card_layout.addSpacing(GAP)
        card_layout.addWidget(self.prompt_label)
        card_layout.addStretch(1)
        left.addWidget(self.card_frame, 3)

        # Calling the card.
        self.call_row = QWidget()
        call_layout = QHBoxLayout(self.call_row)
        call_layout.setContentsMargins(0, 0, 0, 0)
        self.feature_button = QPushButton("Feature  (F)")
        self.feature_button.setToolTip("It says what the product is, has or does (F)")
        self.feature_button.clicked.connect(lambda: self.called.emit("feature"))
        self.benefit_button = QPushButton("Benefit  (B)")
        self.benefit_button.setToolTip("It says what the customer gains (B)")
        self.benefit_button.clicked.connect(lambda: self.called.emit("benefit"))
        for button, color in ((self.feature_button, SLATE), (self.benefit_button, GREEN)):
            button.setStyleSheet(
                f"QPushButton {{ background: {color}; color: white; padding: 12px 8px;"
                " border-radius: 8px; border: none; }"
                f" QPushButton:disabled {{ background: {DISABLED}; }}"
                f" QPushButton:focus {{ border: 3px solid {FOCUS_RING}; }}")
            button.setMinimumHeight(56)
            self.fonts.scale(button, 1.4, bold=True)  # the label fits beside the scoreboard
            call_layout.addWidget(button, 1)
        left.addWidget(self.call_row)

        # Saying it (spoken round).
        self.spoken_row = QWidget()
        spoken_layout = QHBoxLayout(self.spoken_row)
        spoken_layout.setContentsMargins(0, 0, 0, 0)
        self.record_button = QPushButton()
        self.record_button.setToolTip("Record your benefit, then stop to have it judged (R)")
        self.record_button.clicked.connect(self.record_requested)
        self.record_button.setMinimumHeight(48)
        self.fonts.scale(self.record_button, HEADING, bold=True)
        self.meter = LevelMeter()
        self.elapsed_label = self.fonts.label("0:00", HEADING, bold=True, wrap=False)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # Whisper gives no useful progress
        self.busy.setTextVisible(False)
        self.busy.setMaximumWidth(220)
        self.busy_label = self.fonts.label("Transcribing and judging on this computer\u2026",
                                           color=MUTED, wrap=False)
        spoken_layout.addWidget(self.record_button)
        spoken_layout.addWidget(self.meter, 1)
        spoken_layout.addWidget(self.elapsed_label)
        spoken_layout.addWidget(self.busy)
        spoken_layout.addWidget(self.busy_label)
        left.addWidget(self.spoken_row)

        # The verdict.
        self.feedback = QFrame()
        self.feedback.setObjectName("feedback")
        feedback_layout = QVBoxLayout(self.feedback)
        feedback_layout.setContentsMargins(MARGIN, GAP, MARGIN, GAP)
        self.verdict_label = self.fonts.label("", 1.8, bold=True)
        self.verdict_label.setAccessibleName("Verdict")
        self.reason_label = self.fonts.label("", HEADING)
        self.transcript_label = self.fonts.label("", 1.2)
        self.transcript_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_label = self.fonts.label("", 1.2, color=PROMPT_BLUE)
        for widget in (self.verdict_label, self.reason_label, self.transcript_label,
                       self.model_label):
            feedback_layout.addWidget(widget)
        left.addWidget(self.feedback)

        self.next_button = QPushButton("Next card  (N)")
        self.next_button.setToolTip("Flip the next card (N or Enter)")
        self.next_button.clicked.connect(self.next_requested)
        self.fonts.scale(self.next_button, HEADING, bold=True)
        self.end_button = QPushButton("End game  (Esc)")
        self.end_button.setToolTip("Stop here and see the scores (Esc)")
        self.end_button.clicked.connect(self.end_requested)
        # The primary action at the bottom right; Tab still reaches it first.
        nav = QHBoxLayout()
        nav.addStretch(1)
        nav.addWidget(self.end_button)
        nav.addWidget(self.next_button)
        left.addLayout(nav)
        columns.addLayout(left, 3)
        QWidget.setTabOrder(self.next_button, self.end_button)

        self.scoreboard = self.fonts.scale(ScoreTable(), HEADING)
        self.scoreboard.setAccessibleName("Scoreboard")
        self.scoreboard.setMinimumWidth(380)  # a name beside the four numbers, at 1024 px
        columns.addWidget(self.scoreboard, 2)

    def set_mode(self, mode: str, players: int) -> None:
        """Call buttons or Record; the scoreboard only when more than one plays."""
        self.call_row.setVisible(mode == "call")
        self.spoken_row.setVisible(mode == "spoken")
        self.scoreboard.setVisible(players > 1)

    def show_card(self, card: Card, prompt: str | None) -> None:
        """A card flipped: ready for a call (``prompt``: the spoken round's instruction)."""
        self.product_label.setText(card.product)
        self.statement_label.setText(card.statement)
        if prompt is not None:
            self.prompt_label.setText(prompt)
            self.prompt_label.show()
        else:
            self.prompt_label.hide()
        self.feedback.hide()
        for label in (self.verdict_label, self.reason_label, self.transcript_label,
                      self.model_label):
            label.clear()
        self.feature_button.setEnabled(True)
        self.benefit_button.setEnabled(True)
        self.next_button.setEnabled(False)
        self.next_button.setText("Next card  (N)")
        self.elapsed_label.setText("0:00")

    def show_verdict(self, result: Call, spoken: SpokenResult | None, has_next: bool) -> None:
        """The call's verdict and the deck's reason (and what was said, in a spoken round)."""
        if result.correct:
            text, color = "\u2713  Right!", GREEN
        elif result.timed_out:
            # Words, not the stopwatch U+23F1: most UI fonts lack it and drew an empty box.
            text, color = "Time's up", RED
        else:
            text, color = "\u2717  Not quite", RED
        if spoken is not None:
            text += ("  \u2014 that's a benefit" if result.correct
                     else "  \u2014 that's still a feature")
        self.verdict_label.setText(text)
        self.verdict_label.setStyleSheet(f"color: {color};")
        self.reason_label.setText(result.reason)
        self.timer_label.setText(f"{result.response_s:.1f} s")  # the answer time stays up
        if spoken is not None:
            self.transcript_label.setText(f"You said: \u201c{spoken.transcript.text}\u201d")
            self.model_label.setText(f"Model benefit: {result.card.model_benefit}")
        self.transcript_label.setVisible(spoken is not None)
        self.model_label.setVisible(spoken is not None)
        self.feedback.setStyleSheet(
            f"#feedback {{ border: 2px solid {color}; border-radius: 8px; }}")
        self.feedback.show()
        self.feature_button.setEnabled(False)
        self.benefit_button.setEnabled(False)
        self.next_button.setEnabled(True)
        self.next_button.setText("Next card  (N)" if has_next else "See the scores  (N)")

    def show_status(self, game: CardGame) -> None:
        """Whose turn, the count, the streak, and the scoreboard with the player marked."""
        player = game.current_player
        standing = game.standing(player)
        self.turn_label.setText("Your card" if game.solo else f"{player}\u2019s turn")
        self.counter_label.setText(f"Card {game.card_number} of {game.total}")
        fire = " \u2014 on a roll!" if standing.streak >= 3 else ""
        self.streak_label.setText(f"{standing.score} right \u00b7 streak {standing.streak}"
                                  f"{fire} \u00b7 best {standing.best_streak}")
        if game.state == "revealed" or game.remaining_s() is None:
            self.timer_label.setStyleSheet("")
        self.scoreboard.fill(game.standings(), highlight=player)

    def set_timer(self, text: str, urgent: bool | None = None) -> None:
        """The timer's text; ``urgent`` turns it red (False: back to normal, None: as is)."""
        self.timer_label.setText(text)
        if urgent is not None:
            self.timer_label.setStyleSheet(f"color: {RED};" if urgent else "")

    def set_record_state(self, recording: bool, enabled: bool, judging: bool) -> None:
        """Record or Stop; busy while the take is transcribed and judged."""
        if recording:
            self.record_button.setText("\u25a0  Stop  (R)")
            style = f"background: {SLATE};"
        else:
            self.record_button.setText("\u25cf  Record  (R)")
            style = f"background: {RED};"
        self.record_button.setStyleSheet(
            f"QPushButton {{ {style} color: white; padding: 8px 18px; border-radius: 6px;"
            f" border: none; }} QPushButton:disabled {{ background: {DISABLED}; }}"
            f" QPushButton:focus {{ border: 3px solid {FOCUS_RING}; }}")
        self.record_button.setEnabled(enabled)
        self.busy.setVisible(judging)
        self.busy_label.setVisible(judging)

    def show_level(self, level_db: float, clipping: bool, elapsed_s: float) -> None:
        self.meter.set_level(level_db, clipping)
        self.elapsed_label.setText(clock(elapsed_s))

    def set_elapsed(self, seconds: float) -> None:
        self.elapsed_label.setText(clock(seconds))

    def reset_meter(self) -> None:
        self.meter.reset()

    def take_focus(self) -> None:
        self.card_frame.setFocus()
