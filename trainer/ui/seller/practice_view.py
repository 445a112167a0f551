"""The Practice screen's controls: who, which drill and scenario, then four pages in turn.

The bar on top (name, drill, scenario, "My next call…") belongs to this screen only. The
pages: the brief with the record bar under it (the buyer's line stays in view while the seller
answers), "Scoring…", the scorecard, and this take beside the previous one. This module only
builds and lays out; ``trainer.ui.seller.practice.PracticeScreen`` drives the controls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trainer.ui.style import MUTED, base_point_size, set_relative_font
from trainer.ui.widgets.common import DrillBrief, LevelMeter, ScorecardView
from trainer.ui.widgets.compare import CompareView
from trainer.ui.widgets.delivery import LiveTranscript
from trainer.ui.widgets.sellers import SellerDirectory

PAGE_BRIEF, PAGE_SCORING, PAGE_SCORECARD, PAGE_COMPARE = range(4)


class PracticeView(QWidget):
    """The controls of the Practice screen, laid out; no behaviour."""

    def __init__(self, sellers: SellerDirectory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_bar(sellers))
        layout.addWidget(self._build_pages(base), 1)

    def _build_bar(self, sellers: SellerDirectory) -> QHBoxLayout:
        top = QHBoxLayout()
        top.setSpacing(8)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setMinimumWidth(120)
        self.name_edit.setAccessibleName("Your name")
        self.name_picker = sellers.picker(self.name_edit)  # the sellers on file
        self.drill_combo = QComboBox()
        self.drill_combo.setMinimumWidth(130)
        self.drill_combo.setAccessibleName("Drill")
        self.scenario_combo = QComboBox()
        self.scenario_combo.setMinimumWidth(120)
        self.scenario_combo.setSizePolicy(QSizePolicy.Policy.Expanding,
                                          QSizePolicy.Policy.Fixed)
        self.scenario_combo.setAccessibleName("Scenario")
        for text, widget in (("&Name", self.name_edit), ("&Drill", self.drill_combo),
                             ("&Scenario", self.scenario_combo)):
            label = QLabel(text)
            label.setStyleSheet(f"color: {MUTED};")
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
            top.addSpacing(6)
        self.new_call_button = QPushButton("My next call\u2026")
        self.new_call_button.setToolTip("Type the prospect you are meeting next and practise "
                                        "on them (Ctrl+Shift+N)")
        self.delete_call_button = QToolButton()
        self.delete_call_button.setText("\u2715")
        self.delete_call_button.setToolTip("Delete this saved call (Ctrl+Shift+Backspace)")
        self.delete_call_button.setAccessibleName("Delete this saved call")
        self.delete_call_button.hide()
        top.addWidget(self.delete_call_button)
        top.addWidget(self.new_call_button)
        top.addStretch(1)
        return top

    def _build_pages(self, base: float) -> QStackedWidget:
        self.practice_stack = QStackedWidget()

        # Page 0: the brief, with the record bar under it (the buyer's line stays in view
        # while the seller answers).
        brief_page = QWidget()
        layout = QVBoxLayout(brief_page)
        layout.setContentsMargins(0, 8, 0, 0)
        self.brief = DrillBrief()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.brief)
        layout.addWidget(scroll, 1)
        # On the agenda drill: which written agenda the take will be compared with.
        self.agenda_note = QLabel()
        self.agenda_note.setTextFormat(Qt.TextFormat.PlainText)
        self.agenda_note.setWordWrap(True)
        self.agenda_note.setStyleSheet(f"color: {MUTED};")
        self.agenda_note.setAccessibleName("Written agenda")
        self.agenda_note.hide()
        layout.addWidget(self.agenda_note)
        # What the seller is saying, transcribed as they speak (shown while recording).
        self.live_transcript = LiveTranscript()
        self.live_transcript.hide()
        layout.addWidget(self.live_transcript)
        bar = QFrame()
        bar.setObjectName("recordbar")
        bar.setStyleSheet("#recordbar { background: #f6f8fa; border: 1px solid #dde2e8;"
                          " border-radius: 8px; }")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(14, 10, 14, 10)
        bar_layout.setSpacing(14)
        self.record_button = QPushButton()
        self.record_button.setMinimumWidth(150)
        self.record_button.setToolTip("Start or stop recording (Space)")
        self.meter = LevelMeter()
        self.elapsed_label = QLabel("0:00")
        set_relative_font(self.elapsed_label, 1.4, base, bold=True)
        self.elapsed_label.setMinimumWidth(int(base * 5))
        self.record_hint = QLabel()
        self.record_hint.setTextFormat(Qt.TextFormat.PlainText)  # names the typed prospect
        self.record_hint.setStyleSheet(f"color: {MUTED};")
        self.record_hint.setMinimumWidth(220)
        self.record_hint.setWordWrap(True)
        self.mic_test_button = QPushButton("Test mic")
        self.mic_test_button.setToolTip("Record 3 seconds and check that the microphone "
                                        "hears you")
        # The hint, the meter and the clock, then the primary action at the right, where
        # every screen puts it.
        bar_layout.addWidget(self.record_hint, 1)
        bar_layout.addWidget(self.meter, 1)
        bar_layout.addWidget(self.elapsed_label)
        bar_layout.addWidget(self.mic_test_button)
        bar_layout.addWidget(self.record_button)
        layout.addWidget(bar)
        self.practice_stack.addWidget(brief_page)

        # Page 1: scoring in progress.
        scoring_page = QWidget()
        s_layout = QVBoxLayout(scoring_page)
        s_layout.addStretch(2)
        self.scoring_label = QLabel("Scoring\u2026")
        set_relative_font(self.scoring_label, 1.8, base, bold=True)
        self.scoring_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scoring_detail = QLabel(
            "Transcribing and scoring on this computer; your recording never leaves it.")
        self.scoring_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scoring_detail.setStyleSheet(f"color: {MUTED};")
        self.scoring_progress = QProgressBar()
        self.scoring_progress.setRange(0, 0)  # busy: Whisper gives no useful progress
        self.scoring_progress.setTextVisible(False)
        self.scoring_progress.setMaximumWidth(420)
        s_layout.addWidget(self.scoring_label)
        s_layout.addWidget(self.scoring_detail)
        s_layout.addSpacing(8)
        s_layout.addWidget(self.scoring_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        s_layout.addStretch(3)
        self.practice_stack.addWidget(scoring_page)

        # Page 2: the scorecard.
        result_page = QWidget()
        r_layout = QVBoxLayout(result_page)
        r_layout.setContentsMargins(0, 8, 0, 0)
        actions = QHBoxLayout()
        self.result_title = QLabel()
        self.result_title.setTextFormat(Qt.TextFormat.PlainText)  # names the seller typed
        self.result_title.setStyleSheet(f"color: {MUTED};")
        self.replay_button = QPushButton("\u25b6  Replay")
        self.replay_button.setToolTip("Play this take back (Ctrl+R)")
        self.try_again_button = QPushButton("\u21bb  Try again")
        self.try_again_button.setToolTip("Back to the brief, same drill and scenario (Ctrl+N)")
        self.compare_button = QPushButton("Compare with previous take")
        self.compare_button.setToolTip("This take and the one before it, side by side "
                                       "(Ctrl+Shift+C)")
        self.compare_button.hide()
        actions.addWidget(self.result_title, 1)
        actions.addWidget(self.replay_button)
        actions.addWidget(self.compare_button)
        actions.addWidget(self.try_again_button)
        r_layout.addLayout(actions)
        self.scorecard_view = ScorecardView()
        r_layout.addWidget(self.scorecard_view, 1)
        self.practice_stack.addWidget(result_page)

        # Page 3: this take beside the previous one.
        compare_page = QWidget()
        c_layout = QVBoxLayout(compare_page)
        c_layout.setContentsMargins(0, 8, 0, 0)
        c_actions = QHBoxLayout()
        self.compare_title = QLabel("This take beside your previous one")
        self.compare_title.setStyleSheet(f"color: {MUTED};")
        self.back_to_card_button = QPushButton("Back to the scorecard")
        self.back_to_card_button.setToolTip("Back to this take's scorecard (Esc or "
                                            "Ctrl+Shift+C)")
        c_actions.addWidget(self.compare_title, 1)
        c_actions.addWidget(self.back_to_card_button)
        c_layout.addLayout(c_actions)
        self.compare_view = CompareView()
        c_layout.addWidget(self.compare_view, 1)
        self.practice_stack.addWidget(compare_page)
        return self.practice_stack
