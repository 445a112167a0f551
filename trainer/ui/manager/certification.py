"""The manager's screen: company set-up, the certification 1:1, its wrap-up, and the team.

``ManagerPanel`` is four views in a tab widget (Alt+1..Alt+4):

- **Company**: the profile (what we sell, value points, differentiators) that feeds scenarios
  and scoring (``trainer.coaching.company``), and the approved client stories with their tags.
- **Certification 1:1**: choose the seller and the drill (value proposition by default) and
  start; the seller's open action items from earlier 1:1s come first. "Record the seller"
  asks the host (the practice window) for a guided take tagged ``certification:<1:1 id>``;
  its scorecard comes back here with, per criterion, the app's judgement, a "Met" box for the
  manager's and a comment. Certify records the verdict and the re-certification date.
- **Wrap-up**: action items (owner, due date, done), the closing question's answer, the
  one-page PDF.
- **Team**: who is certified on what and who is due (with each seller's trend), the team's
  effective rates beside the 2018 benchmark as a bar chart, and the CSV export.

Every action has a shortcut scoped to its view (named in its tooltip); the logic lives in
``trainer.coaching.certification``; team figures and the CSV are computed off the UI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching import certification as cert
from trainer.coaching import stories
from trainer.coaching.company import load_company, make_profile, save_company
from trainer.common.errors import TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.guided import Guided, GuidedTakes
from trainer.ui.manager.pdf_export import write_session_pdf
from trainer.ui.style import (
    BENCH_COLOUR,
    GREEN,
    INK,
    MUTED,
    RED,
    TEAM_COLOUR,
    base_point_size,
    plain_tooltip,
)
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

log = logging.getLogger(__name__)

# (title, suggested file name, filter) -> the chosen path, or None when cancelled
AskPath = Callable[[str, str, str], "Path | None"]

STATUS_TEXT = {"certified": "Certified", "due": "Due", "expired": "Expired",
               "not yet": "Not yet", "never": "\u2014"}
STATUS_COLOUR = {"certified": GREEN, "due": "#9a6700", "expired": RED, "not yet": RED,
                 "never": MUTED}
TREND_MARK = {"up": " \u2191", "down": " \u2193", "steady": " \u2192", "": ""}


def _date(ts: float | None) -> str:
    return time.strftime("%d %b %Y", time.localtime(ts)) if ts is not None else "\u2014"


def _label(text: str = "", *, size: float | None = None, bold: bool = False,
           color: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    if size is not None:
        font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    if color:
        label.setStyleSheet(f"color: {color};")
    return label


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


def _ask_save_path(parent: QWidget, start: Path) -> AskPath:
    def ask(title: str, name: str, filter_: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start / name), filter_)
        return Path(chosen) if chosen else None
    return ask


class OverrideRow(QFrame):
    """One criterion under review: the app's judgement (with its evidence), the manager's
    "Met" box and comment."""

    changed = Signal(str)  # criterion id

    def __init__(self, c: cert.CriterionReview, base: float) -> None:
        super().__init__()
        self.criterion_id = c.id
        self.setObjectName("override")
        self.setStyleSheet("#override { border-bottom: 1px solid #e3e7ec; }")
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 6, 4, 6)
        # Points out of 100, as the drill brief shows the weights (not the file's raw weight).
        self.name = _label(f"{c.name} ({c.points} pts)", size=base * 1.1, bold=True)
        self.app = _label(f"App: {'Met' if c.app_met else 'Missed'}",
                          color=GREEN if c.app_met else RED, bold=True)
        detail = c.evidence if c.app_met else c.tip
        shown = f"\u201c{detail}\u201d" if c.app_met and detail else (detail or "")
        self.detail = _label(shown, color=MUTED)
        self.met_box = QCheckBox("Met (manager)")
        self.met_box.setChecked(c.met)
        # As wide as its text: a click beside the label (which Qt ignores) looks like a miss.
        self.met_box.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.met_box.setToolTip("Your judgement of this criterion; a change needs a comment")
        self.comment = QLineEdit(c.comment)
        self.comment.setPlaceholderText("Comment (why you agree or changed it)")
        self.comment.setAccessibleName(f"Comment on {c.name}")
        self.met_box.setAccessibleName(f"{c.name}: met, in the manager's judgement")
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.app, 0, 1)
        grid.addWidget(self.met_box, 0, 2)
        grid.addWidget(self.detail, 1, 0, 1, 2)
        grid.addWidget(self.comment, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 2)
        self.met_box.toggled.connect(lambda _=False: self.changed.emit(self.criterion_id))
        self.comment.editingFinished.connect(lambda: self.changed.emit(self.criterion_id))


class ManagerPanel(QWidget):
    """The manager's journey.

    Args:
        store: the practice history.
        library: drills and scenarios.
        host: the window that records takes (``start_guided_take``, ``end_guided_take``,
            ``attempt_scored``).
        manager_name_default: pre-filled manager name.
        pool: where team figures and the CSV are computed (a ``SyncPool`` in tests).
        ask_path: asks where to save an export; a file dialog by default.
        attempt_cap: attempts allowed per drill in one 1:1 (0: no cap).
        valid_days: how long a certificate lasts before re-certification.
    """

    session_started = Signal(object)  # OneOnOne
    review_changed = Signal(object)  # Review
    certified = Signal(object)  # Certificate
    exported = Signal(str)  # path of a written PDF or CSV
    team_refreshed = Signal()
    message_shown = Signal(str)

    def __init__(self, store: Store, library: DrillLibrary, host: GuidedTakes, *,
                 manager_name_default: str = "", pool: Pool | None = None,
                 ask_path: AskPath | None = None, export_dir: Path | None = None,
                 attempt_cap: int = cert.DEFAULT_ATTEMPT_CAP,
                 valid_days: int = cert.DEFAULT_VALID_DAYS,
                 sellers: SellerDirectory | None = None) -> None:
        super().__init__()
        self.store = store
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self.library = library
        self.host = host
        if pool is None:
            own = QThreadPool(self)
            own.setMaxThreadCount(1)
            pool = own
        self.pool: Any = pool
        self.ask_path = ask_path or _ask_save_path(self, export_dir or Path.home())
        self.session: cert.OneOnOne | None = None
        self.attempt_id: int | None = None
        self.current_review: cert.Review | None = None
        self.override_rows: dict[str, OverrideRow] = {}
        self.status_rows: list[cert.StatusRow] = []
        self._build(manager_name_default, attempt_cap, valid_days)
        host.attempt_scored.connect(self._on_attempt_scored)
        self._load_company()
        self._refresh_stories()
        self._fill_sellers()
        self.sellers.changed.connect(self._fill_sellers)  # one team list, refreshed everywhere
        self._update_session_widgets()

    # == construction =====================================================================
    def _action(self, page: QWidget, text: str, keys: str, tip: str,
                slot: Callable[[], None]) -> QPushButton:
        """A button and its shortcut, active while focus is in ``page``."""
        shown = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        button = QPushButton(text)
        button.setToolTip(f"{tip} ({shown})")
        button.clicked.connect(slot)
        shortcut = QShortcut(QKeySequence(keys), page)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        return button

    def _build(self, manager: str, cap: int, valid_days: int) -> None:
        base = base_point_size(self)
        self.base = base
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.company_page = self._build_company(base)
        self.certify_page = self._build_certification(base, manager, cap, valid_days)
        self.wrapup_page = self._build_wrapup(base)
        self.team_page = self._build_team(base)
        for page, title in ((self.company_page, "Company"),
                            (self.certify_page, "Certification 1:1"),
                            (self.wrapup_page, "Wrap-up"), (self.team_page, "Team")):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.views.addTab(scroll, title)
        for i in range(self.views.count()):
            self.views.setTabToolTip(i, f"{self.views.tabText(i)} (Alt+{i + 1})")
            shortcut = QShortcut(QKeySequence(f"Alt+{i + 1}"), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(partial(self.show_view, i))
        self.views.currentChanged.connect(self._on_view_changed)
        outer.addWidget(self.views, 1)

    def _build_company(self, base: float) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(12, 12, 12, 12)
        row.setSpacing(16)

        profile = QGroupBox("What we sell")
        form = QFormLayout(profile)
        self.company_name = QLineEdit()
        self.company_offering = QLineEdit()
        self.company_offering.setPlaceholderText("e.g. close-management software that "
                                                 "automates month-end reconciliations")
        self.value_points = QPlainTextEdit()
        self.value_points.setPlaceholderText("One value point per line")
        self.differentiators = QPlainTextEdit()
        self.differentiators.setPlaceholderText("One differentiator per line")
        for widget in (self.value_points, self.differentiators):
            widget.setTabChangesFocus(True)
            widget.setMinimumHeight(int(base * 9))
        form.addRow("Company &name", self.company_name)
        form.addRow("What we &sell", self.company_offering)
        form.addRow("&Value points", self.value_points)
        form.addRow("&Differentiators", self.differentiators)
        self.save_company_button = self._action(
            page, "Save company", "Ctrl+S",
            "Save the profile: it feeds every scenario and the scoring", self.save_company)
        form.addRow(self.save_company_button)
        row.addWidget(profile, 1)

        group = QGroupBox("Approved client stories")
        layout = QVBoxLayout(group)
        self.story_table = QTableWidget(0, 4)
        self.story_table.setHorizontalHeaderLabels(["Title", "Industry", "Role", "Pain"])
        self.story_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.story_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.story_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.story_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.story_table.verticalHeader().hide()
        self.story_table.setAccessibleName("Approved client stories")
        self.story_table.itemSelectionChanged.connect(self._on_story_selected)
        layout.addWidget(self.story_table, 1)
        story_form = QFormLayout()
        self.story_title = QLineEdit()
        self.story_industry = QLineEdit()
        self.story_role = QLineEdit()
        self.story_pain = QLineEdit()
        self.story_text = QPlainTextEdit()
        self.story_text.setTabChangesFocus(True)
        self.story_text.setPlaceholderText("The story: the client, their situation, what "
                                           "they did with us, the result in numbers")
        self.story_text.setMinimumHeight(int(base * 7))
        story_form.addRow("&Title", self.story_title)
        story_form.addRow("&Industry", self.story_industry)
        story_form.addRow("&Role", self.story_role)
        story_form.addRow("&Pain", self.story_pain)
        story_form.addRow("Stor&y", self.story_text)
        layout.addLayout(story_form)
        buttons = QHBoxLayout()
        self.add_story_button = self._action(page, "Add story", "Ctrl+Shift+A",
                                             "Add this story to the approved stories",
                                             self.add_story)
        self.update_story_button = self._action(page, "Save changes", "Ctrl+Shift+U",
                                                "Save changes to the selected story",
                                                self.update_story)
        self.delete_story_button = self._action(page, "Delete story", "Ctrl+Shift+Del",
                                                "Delete the selected story",
                                                self.delete_story)
        for button in (self.add_story_button, self.update_story_button,
                       self.delete_story_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        row.addWidget(group, 1)
        return page

    def _build_certification(self, base: float, manager: str, cap: int, valid_days: int
                             ) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        choices = QGridLayout()
        self.seller_combo = QComboBox()
        self.seller_combo.setEditable(True)
        self.seller_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.seller_combo.setMinimumWidth(200)
        self.seller_combo.setAccessibleName("Seller")
        line_edit = self.seller_combo.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Seller's name")
        self.manager_edit = QLineEdit(manager)
        self.manager_edit.setPlaceholderText("Your name (the manager)")
        self.manager_edit.setAccessibleName("Manager")
        self.manager_edit.setMinimumWidth(150)
        self.drill_combo = QComboBox()
        self.drill_combo.setAccessibleName("Drill")
        for drill in self.library.drills():
            self.drill_combo.addItem(drill.title, drill.id)
        index = self.drill_combo.findData(cert.DEFAULT_DRILL)
        self.drill_combo.setCurrentIndex(max(index, 0))
        self.scenario_combo = QComboBox()
        self.scenario_combo.setAccessibleName("Scenario")
        # Long scenario titles must not push the row wider than the window.
        self.scenario_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scenario_combo.setMinimumContentsLength(24)
        for scenario in self.library.scenarios():
            self.scenario_combo.addItem(scenario.title, scenario.id)
        self.cap_spin = QSpinBox()
        self.cap_spin.setRange(0, 10)
        self.cap_spin.setSpecialValueText("No cap")
        self.cap_spin.setValue(cap)
        self.cap_spin.setToolTip("Attempts allowed per drill in one 1:1")
        self.cap_spin.setAccessibleName("Attempts allowed")
        self.valid_spin = QSpinBox()
        self.valid_spin.setRange(1, 3650)
        self.valid_spin.setSuffix(" days")
        self.valid_spin.setValue(valid_days)
        self.valid_spin.setToolTip("How long a certificate lasts before re-certification")
        self.valid_spin.setAccessibleName("Certificate valid for")
        # Two rows of three: six side by side needed 1,106 px, and at the smallest window
        # (1024x700) pushed Certify past the right edge, behind a horizontal scroll bar.
        for i, (text, widget) in enumerate((
                ("S&eller", self.seller_combo), ("&Manager", self.manager_edit),
                ("D&rill", self.drill_combo), ("Sce&nario", self.scenario_combo),
                ("&Attempts allowed", self.cap_spin), ("&Valid for", self.valid_spin))):
            label = QLabel(text)
            label.setBuddy(widget)
            label.setStyleSheet(f"color: {MUTED};")
            row, col = 2 * (i // 3), i % 3
            choices.addWidget(label, row, col)
            choices.addWidget(widget, row + 1, col)
        for col in range(3):
            choices.setColumnStretch(col, 1)
        layout.addLayout(choices)
        self.start_button = self._action(page, "Start 1:1", "Ctrl+Return",
                                         "Start the 1:1 with this seller", self.start_session)
        self.session_label = _label(size=base * 1.3, bold=True)
        top = QHBoxLayout()
        top.addWidget(self.start_button)
        top.addWidget(self.session_label, 1)
        layout.addLayout(top)

        self.open_items_title = _label("Open from earlier 1:1s", bold=True)
        self.open_items = QListWidget()
        self.open_items.setAccessibleName("Open action items from earlier 1:1s")
        self.open_items.setToolTip("Tick an item when it is done (Space toggles it)")
        self.open_items.setMaximumHeight(int(base * 10))
        self.open_items.itemChanged.connect(self._on_open_item_ticked)
        layout.addWidget(self.open_items_title)
        layout.addWidget(self.open_items)

        record_row = QHBoxLayout()
        self.record_button = self._action(
            page, "Record the seller", "Ctrl+Shift+R",
            "Switch to the practice screen to record the seller's take", self.record_seller)
        self.attempts_label = _label(color=MUTED)
        record_row.addWidget(self.record_button)
        record_row.addWidget(self.attempts_label, 1)
        layout.addLayout(record_row)

        self.score_label = _label(size=base * 1.8, bold=True)
        self.score_label.setAccessibleName("Score and verdict")
        layout.addWidget(self.score_label)
        self.review_box = QVBoxLayout()
        self.review_box.setSpacing(0)
        layout.addLayout(self.review_box)
        certify_row = QHBoxLayout()
        self.cert_comments = QLineEdit()
        self.cert_comments.setPlaceholderText("Overall comments for the certificate")
        self.cert_comments.setAccessibleName("Certificate comments")
        self.certify_button = self._action(
            page, "Certify", "Ctrl+Shift+C",
            "Record the verdict (pass or not yet) and the re-certification date", self.certify)
        certify_row.addWidget(self.cert_comments, 1)
        certify_row.addWidget(self.certify_button)
        layout.addLayout(certify_row)
        self.cert_result = _label(size=base * 1.2, bold=True)
        layout.addWidget(self.cert_result)
        layout.addStretch(1)
        self.seller_combo.currentTextChanged.connect(lambda _t: self._show_open_items())
        self.drill_combo.currentIndexChanged.connect(lambda _i: self._update_attempts())
        self.cap_spin.valueChanged.connect(lambda _v: self._update_attempts())
        return page

    def _build_wrapup(self, base: float) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        self.wrapup_title = _label(size=base * 1.3, bold=True)
        layout.addWidget(self.wrapup_title)
        layout.addWidget(_label("Action items", bold=True, size=base * 1.15))
        self.items_table = QTableWidget(0, 4)
        self.items_table.setHorizontalHeaderLabels(["Action", "Owner", "Due", "Status"])
        self.items_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.items_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.items_table.verticalHeader().hide()
        self.items_table.setAccessibleName("Action items")
        self.items_table.setMinimumHeight(int(base * 12))
        layout.addWidget(self.items_table)
        add_row = QHBoxLayout()
        self.item_text = QLineEdit()
        self.item_text.setPlaceholderText("Action (e.g. send Dana the close checklist)")
        self.item_text.setAccessibleName("Action")
        self.item_owner = QComboBox()
        self.item_owner.setEditable(True)
        self.item_owner.setAccessibleName("Owner")
        self.item_owner.setMinimumWidth(160)
        self.item_due = QDateEdit()
        self.item_due.setCalendarPopup(True)
        self.item_due.setDisplayFormat("dd MMM yyyy")
        self.item_due.setAccessibleName("Due date")
        self.add_item_button = self._action(page, "Add action", "Ctrl+Shift+A",
                                            "Add this action item", self.add_action_item)
        self.item_text.returnPressed.connect(self.add_action_item)
        add_row.addWidget(self.item_text, 1)
        add_row.addWidget(self.item_owner)
        add_row.addWidget(self.item_due)
        add_row.addWidget(self.add_item_button)
        layout.addLayout(add_row)
        self.done_button = self._action(page, "Mark done / open", "Ctrl+D",
                                        "Mark the selected action done (or open again)",
                                        self.toggle_item_done)
        done_row = QHBoxLayout()
        done_row.addWidget(self.done_button)
        done_row.addStretch(1)
        layout.addLayout(done_row)

        question = _label(cert.CLOSING_QUESTION, size=base * 1.3, bold=True)
        layout.addWidget(question)
        self.feedback_edit = QPlainTextEdit()
        self.feedback_edit.setTabChangesFocus(True)
        self.feedback_edit.setPlaceholderText("The seller's answer, in their words")
        self.feedback_edit.setAccessibleName(cert.CLOSING_QUESTION)
        self.feedback_edit.setMinimumHeight(int(base * 7))
        layout.addWidget(self.feedback_edit)
        buttons = QHBoxLayout()
        self.save_feedback_button = self._action(page, "Save answer", "Ctrl+Shift+S",
                                                 "Save the answer to the closing question",
                                                 self.save_feedback)
        self.pdf_button = self._action(page, "Export PDF", "Ctrl+Shift+D",
                                       "Save this 1:1 as a one-page PDF", self.export_pdf)
        self.end_button = self._action(page, "End 1:1", "Ctrl+Shift+E",
                                       "Save the answer and close this 1:1", self.end_session)
        for button in (self.save_feedback_button, self.pdf_button, self.end_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _build_team(self, base: float) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(_label("Who is certified on what", bold=True, size=base * 1.3))
        self.team_table = QTableWidget(0, 0)
        self.team_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.team_table.setAccessibleName("Team certification status")
        self.team_table.setMinimumHeight(int(base * 14))
        self.team_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.team_table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        layout.addWidget(self.team_table)
        self.due_label = _label(color=INK)
        layout.addWidget(self.due_label)
        layout.addWidget(_label("Effective takes: the team beside the 2018 benchmark "
                                "(32,000 sales calls)", bold=True, size=base * 1.3))
        self.chart = RatesChart()
        layout.addWidget(self.chart)
        buttons = QHBoxLayout()
        self.refresh_button = self._action(page, "Refresh", "F5",
                                           "Recompute the team's status", self.refresh_team)
        self.csv_button = self._action(page, "Export CSV", "Ctrl+Shift+X",
                                       "Save the team's certification status as CSV",
                                       self.export_csv)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.csv_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    # == helpers ==========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _run(self, func: Callable[[], Any]) -> Any:
        """A quick store call on the GUI thread; a named failure becomes the banner's one
        sentence (returns None then)."""
        try:
            return func()
        except TrainerError as exc:
            self.show_message(str(exc))
        except ValueError as exc:  # trainer.coaching.stories' one-sentence validation
            self.show_message(str(exc))
        return None

    def show_view(self, index: int) -> None:
        self.views.setCurrentIndex(index)
        first: QWidget = {0: self.company_name, 1: self.seller_combo, 2: self.item_text,
                 3: self.team_table}[index]
        first.setFocus()

    def _bring_to_front(self) -> None:
        """Show this screen in the shell (the 1:1's review is ready)."""
        self.host.show_panel(self)
        self.window().activateWindow()

    def _on_view_changed(self, index: int) -> None:
        if index == 3:
            self.refresh_team()

    # == company ==========================================================================
    def _load_company(self) -> None:
        profile = self._run(lambda: load_company(self.store))
        if profile is None:
            return
        self.company_name.setText(profile.name)
        self.company_offering.setText(profile.offering)
        self.value_points.setPlainText("\n".join(profile.value_points))
        self.differentiators.setPlainText("\n".join(profile.differentiators))

    def save_company(self) -> None:
        def save() -> bool:
            save_company(self.store, make_profile(
                name=self.company_name.text(), offering=self.company_offering.text(),
                value_points=self.value_points.toPlainText(),
                differentiators=self.differentiators.toPlainText()))
            return True
        if self._run(save):
            self.show_message("Saved: scenarios and scoring now use this company.", "info")

    def _selected_story_id(self) -> int | None:
        row = self.story_table.currentRow()
        item = self.story_table.item(row, 0) if row >= 0 else None
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _story_fields(self) -> dict[str, str]:
        return {"title": self.story_title.text(), "text": self.story_text.toPlainText(),
                "industry": self.story_industry.text(), "role": self.story_role.text(),
                "pain": self.story_pain.text()}

    def add_story(self) -> None:
        f = self._story_fields()
        saved = self._run(lambda: stories.add_story(
            self.store, title=f["title"], text=f["text"], industry=f["industry"],
            role=f["role"], pain=f["pain"], source="approved"))
        if saved is not None:
            for widget in (self.story_title, self.story_industry, self.story_role,
                           self.story_pain):
                widget.clear()
            self.story_text.clear()
            self._refresh_stories()
            self.banner.clear()
            self.story_title.setFocus()

    def update_story(self) -> None:
        story_id = self._selected_story_id()
        if story_id is None:
            self.show_message("Select a story in the list to change it.", "info")
            return
        fields = self._story_fields()
        if self._run(lambda: stories.update_story(self.store, story_id, **fields)):
            self._refresh_stories(select_id=story_id)

    def delete_story(self) -> None:
        story_id = self._selected_story_id()
        if story_id is None:
            self.show_message("Select a story in the list to delete it.", "info")
            return
        self._run(lambda: stories.delete_story(self.store, story_id))
        self._refresh_stories()

    def _refresh_stories(self, select_id: int | None = None) -> None:
        found = self._run(lambda: stories.search_stories(self.store, source="approved")) or []
        table = self.story_table
        table.blockSignals(True)
        table.setRowCount(len(found))
        for row, story in enumerate(found):
            for col, text in enumerate((story.title, story.industry, story.role, story.pain)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, story.id)
                item.setToolTip(plain_tooltip(story.text))
                table.setItem(row, col, item)
            if story.id == select_id:
                table.selectRow(row)
        table.blockSignals(False)

    def _on_story_selected(self) -> None:
        story_id = self._selected_story_id()
        if story_id is None:
            return
        story = self._run(lambda: stories.story(self.store, story_id))
        if story is None:
            return
        self.story_title.setText(story.title)
        self.story_industry.setText(story.industry)
        self.story_role.setText(story.role)
        self.story_pain.setText(story.pain)
        self.story_text.setPlainText(story.text)

    # == the certification 1:1 ============================================================
    def _fill_sellers(self) -> None:
        names = [s.name for s in self._run(self.store.sellers) or []]
        text = self.seller_combo.currentText()
        self.seller_combo.blockSignals(True)
        self.seller_combo.clear()
        self.seller_combo.addItems(names)
        self.seller_combo.setEditText(text)
        self.seller_combo.blockSignals(False)

    def _drill(self) -> tuple[str, str]:
        drill_id = str(self.drill_combo.currentData() or cert.DEFAULT_DRILL)
        return drill_id, self.drill_combo.currentText()

    def _cap(self) -> int | None:
        return self.cap_spin.value() or None

    def start_session(self) -> None:
        """Ctrl+Return: a new 1:1 with the chosen seller; earlier open actions come first."""
        if self.session is not None and self.session.ended_at is None:
            self.show_message(f"The 1:1 with {self.session.seller.name} is still open; end "
                              "it in Wrap-up (Ctrl+Shift+E) before starting another.", "info")
            return
        session = self._run(lambda: cert.start_one_on_one(
            self.store, self.seller_combo.currentText(), self.manager_edit.text()))
        if session is None:
            return
        self.session = session
        self.attempt_id = None
        self.current_review = None
        self.banner.clear()
        self.cert_comments.clear()
        self.cert_result.clear()
        self.feedback_edit.clear()
        self._show_review(None)
        self.sellers.refresh()  # a new seller reaches every screen's list, this one's too
        self.item_owner.clear()
        self.item_owner.addItems([session.seller.name, session.manager])
        due = dt.datetime.fromtimestamp(self.store.clock()) + dt.timedelta(days=7)
        self.item_due.setDate(QDate(due.year, due.month, due.day))
        self._update_session_widgets()
        self._show_open_items()
        self._refresh_items()
        self.session_started.emit(session)
        self.record_button.setFocus()

    def _update_session_widgets(self) -> None:
        active = self.session is not None and self.session.ended_at is None
        self.seller_combo.setEnabled(not active)
        self.manager_edit.setEnabled(not active)
        for button in (self.record_button, self.add_item_button, self.done_button,
                       self.save_feedback_button, self.end_button):
            button.setEnabled(active)
        self.item_text.setEnabled(active)
        self.certify_button.setEnabled(active and self.current_review is not None)
        self.pdf_button.setEnabled(self.session is not None)
        if self.session is None:
            self.session_label.setText("Choose the seller and the drill, then start the 1:1.")
            self.wrapup_title.setText("Start a 1:1 to wrap it up here.")
        else:
            s = self.session
            state = "ended" if s.ended_at is not None else "in progress"
            text = f"1:1 with {s.seller.name} \u2014 {s.manager}, {_date(s.started_at)} ({state})"
            self.session_label.setText(text)
            self.wrapup_title.setText(text)
        self._update_attempts()

    def _update_attempts(self) -> None:
        if self.session is None:
            self.attempts_label.setText("")
            return
        session = self.session
        drill_id, title = self._drill()
        used = self._run(lambda: cert.attempts_used(self.store, session.id, drill_id)) or 0
        cap = self._cap()
        if cap is None:
            self.attempts_label.setText(f"{used} attempt{'s' * (used != 1)} at {title}; "
                                        "no cap.")
        elif used >= cap:
            self.attempts_label.setText(f"No attempts left at {title} in this 1:1 "
                                        f"({used} of {cap} used).")
        else:
            self.attempts_label.setText(f"Attempt {used + 1} of {cap} at {title}.")

    def _show_open_items(self) -> None:
        """The seller's open actions from earlier 1:1s: the first thing a 1:1 looks at."""
        if self.session is not None:
            seller = self.session.seller
            excluding: int | None = self.session.id
        else:
            seller = self._run(lambda: self.store.find_seller(self.seller_combo.currentText()))
            excluding = None
        items = (self._run(lambda: cert.open_action_items(self.store, seller.id,
                                                           excluding=excluding))
                 if seller is not None else None) or []
        self.open_items.blockSignals(True)
        self.open_items.clear()
        for item in items:
            due = f", due {_date(item.due_at)}" if item.due_at is not None else ""
            entry = QListWidgetItem(f"{item.text} \u2014 {item.owner}{due}")
            entry.setData(Qt.ItemDataRole.UserRole, item.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.open_items.addItem(entry)
        self.open_items.blockSignals(False)
        self.open_items_title.setText(
            f"Open from earlier 1:1s ({len(items)})" if items
            else "No open action items from earlier 1:1s.")

    def _on_open_item_ticked(self, entry: QListWidgetItem) -> None:
        done = entry.checkState() == Qt.CheckState.Checked
        self._run(lambda: cert.complete_action_item(
            self.store, int(entry.data(Qt.ItemDataRole.UserRole)), done))
        self._refresh_items()

    def record_seller(self) -> None:
        """Ctrl+Shift+R: ask the practice screen for the seller's take (within the cap)."""
        if self.session is None or self.session.ended_at is not None:
            self.show_message("Start the 1:1 first (Ctrl+Return).", "info")
            return
        session = self.session
        drill_id, title = self._drill()
        cap = self._cap()
        number = self._run(lambda: cert.check_attempt_allowed(
            self.store, session, drill_id, title, cap))
        if number is None:
            return
        of = f" of {cap}" if cap else ""

        self.banner.clear()
        self.host.start_guided_take(Guided(
            session.seller.name, drill_id, self.scenario_combo.currentData(), session.context,
            f"Certification: {session.seller.name}, {title}, attempt {number}{of}"))

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self.session is None or cert.one_on_one_of(context) != self.session.id:
            return
        self.host.end_guided_take()
        self.attempt_id = attempt_id
        self.cert_result.clear()
        self._show_review(self._run(lambda: cert.review(self.store, self.library, attempt_id)))
        self._update_attempts()
        self.views.setCurrentIndex(1)
        self._bring_to_front()

    def _show_review(self, review: cert.Review | None) -> None:
        while self.review_box.count():
            item = self.review_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.override_rows = {}
        self.current_review = review
        if review is None:
            self.score_label.setText("")
            self.certify_button.setEnabled(False)
            return
        for c in review.criteria:
            row = OverrideRow(c, self.base)
            row.changed.connect(self._on_override_changed)
            self.override_rows[c.id] = row
            self.review_box.addWidget(row)
        self._show_score(review)
        self.certify_button.setEnabled(self.session is not None
                                       and self.session.ended_at is None)
        self.review_changed.emit(review)

    def _show_score(self, review: cert.Review) -> None:
        verdict = "PASS" if review.passed else "NOT YET"
        # The verdict is on the manager's score; the app's own score is named as such.
        score = (f"{review.score_text} with your judgements (the app scored "
                 f"{review.app_score_text})" if review.app_score != review.score
                 else review.score_text)
        self.score_label.setText(f"{review.drill_title}: {score} \u2014 "
                                 f"{verdict} (pass mark {review.pass_threshold:g})")
        self.score_label.setStyleSheet(f"color: {GREEN if review.passed else RED};")

    def _on_override_changed(self, criterion_id: str) -> None:
        row = self.override_rows.get(criterion_id)
        if row is None or self.attempt_id is None or self.session is None:
            return
        attempt_id, manager = self.attempt_id, self.session.manager
        review = self._run(lambda: cert.set_override(
            self.store, self.library, attempt_id, criterion_id, row.met_box.isChecked(),
            row.comment.text(), manager))
        if review is not None:
            self.current_review = review
            self._show_score(review)
            self.review_changed.emit(review)

    def certify(self) -> None:
        """Ctrl+Shift+C: record the verdict on the reviewed take."""
        if self.session is None or self.attempt_id is None:
            self.show_message("Record the seller first (Ctrl+Shift+R); then certify.", "info")
            return
        for criterion_id in self.override_rows:  # a comment still being typed counts
            self._on_override_changed(criterion_id)
        session, attempt_id = self.session, self.attempt_id
        record = self._run(lambda: cert.certify(
            self.store, self.library, session.id, attempt_id,
            comments=self.cert_comments.text(), valid_days=self.valid_spin.value()))
        if record is None:
            return
        mark = self.current_review.pass_threshold if self.current_review else None
        shown = format_score(record.score, mark)
        if record.passed:
            self.cert_result.setText(f"Certified: {shown} \u2014 re-certify by "
                                     f"{_date(record.due_at)}.")
            self.cert_result.setStyleSheet(f"color: {GREEN};")
        else:
            self.cert_result.setText(f"Not yet: {shown} against a pass mark of {mark:g}; "
                                     "recorded." if mark is not None else "Not yet; recorded.")
            self.cert_result.setStyleSheet(f"color: {RED};")
        self.banner.clear()
        self.certified.emit(record)

    # == wrap-up ==========================================================================
    def _refresh_items(self) -> None:
        if self.session is None:
            self.items_table.setRowCount(0)
            return
        session = self.session
        items = (self._run(lambda: cert.carried_over_items(self.store, session)) or []) + \
            (self._run(lambda: cert.action_items(self.store, session.id)) or [])
        table = self.items_table
        table.setRowCount(len(items))
        for row, item in enumerate(items):
            earlier = item.one_on_one_id != session.id
            status = ("Done" if item.done else "Open") + (" (earlier 1:1)" if earlier else "")
            for col, text in enumerate((item.text, item.owner, _date(item.due_at), status)):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                cell.setData(Qt.ItemDataRole.UserRole + 1, item.done)
                table.setItem(row, col, cell)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def add_action_item(self) -> None:
        """Ctrl+Shift+A (or Return in the action field): add an action with owner and due."""
        if self.session is None:
            self.show_message("Start the 1:1 first (Ctrl+Return).", "info")
            return
        session = self.session
        day = self.item_due.date().toPython()
        assert isinstance(day, dt.date)
        # Noon local time: the same calendar day whatever the daylight-saving shift.
        due = dt.datetime.combine(day, dt.time(12)).timestamp()
        item = self._run(lambda: cert.add_action_item(
            self.store, session.id, self.item_text.text(), self.item_owner.currentText(),
            due))
        if item is not None:
            self.item_text.clear()
            self.banner.clear()
            self._refresh_items()
            self.item_text.setFocus()

    def toggle_item_done(self) -> None:
        row = self.items_table.currentRow()
        cell = self.items_table.item(row, 0) if row >= 0 else None
        if cell is None:
            self.show_message("Select an action item first.", "info")
            return
        item_id = int(cell.data(Qt.ItemDataRole.UserRole))
        done = bool(cell.data(Qt.ItemDataRole.UserRole + 1))
        self._run(lambda: cert.complete_action_item(self.store, item_id, not done))
        self._refresh_items()
        self._show_open_items()
        self.items_table.selectRow(row)

    def save_feedback(self) -> None:
        if self.session is None:
            return
        session = self.session
        self._run(lambda: cert.record_feedback(self.store, session.id,
                                               self.feedback_edit.toPlainText()))
        self.session = self._run(lambda: cert.one_on_one(self.store, session.id)) or session

    def end_session(self) -> None:
        """Ctrl+Shift+E: save the closing answer and close the 1:1."""
        if self.session is None:
            return
        session = self.session
        ended = self._run(lambda: cert.end_one_on_one(self.store, session.id,
                                                      self.feedback_edit.toPlainText()))
        if ended is not None:
            self.session = ended
            self._update_session_widgets()
            self.show_message(f"The 1:1 with {ended.seller.name} is closed; export its PDF "
                              "(Ctrl+Shift+D) or start the next one.", "info")

    def export_pdf(self) -> None:
        """Ctrl+Shift+D: the one-page PDF of this 1:1."""
        if self.session is None:
            self.show_message("Start a 1:1 first; its PDF comes from its wrap-up.", "info")
            return
        if self.session.ended_at is None:
            self.save_feedback()
        session = self.session
        stamp = time.strftime("%Y-%m-%d", time.localtime(session.started_at))
        name = f"1on1-{session.seller.name.replace(' ', '-')}-{stamp}.pdf"
        path = self.ask_path("Save the 1:1 as PDF", name, "PDF (*.pdf)")
        if path is None:
            return
        summary = self._run(lambda: cert.session_summary(self.store, self.library, session.id))
        if summary is None:
            return
        # Painted on the GUI thread (a one-page text layout takes milliseconds).
        if self._run(lambda: write_session_pdf(summary, path)) is not None:
            self.show_message(f"Saved the 1:1 to {path}.", "info")
            self.exported.emit(str(path))

    # == team =============================================================================
    def refresh_team(self) -> None:
        """F5 (and on opening the view): team status and rates, computed off the UI thread."""
        store, library = self.store, self.library
        run_in_background(lambda: (cert.team_status(store, library),
                                   cert.team_rates(store, library)),
                          self._on_team_loaded, self._on_background_error, self.pool,
                          context=self)

    def _on_team_loaded(self, result: tuple[list[cert.StatusRow], list[cert.TeamRate]]
                        ) -> None:
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
                text += f" (to {_date(r.due_at)})"
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
        self.team_refreshed.emit()

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
