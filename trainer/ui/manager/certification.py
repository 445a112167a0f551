"""The certification 1:1: choose the seller and the drill, record the seller, review, certify.

The drill is the value proposition by default; the seller's open action items from earlier
1:1s come first. "Record the seller" asks the host (the practice window) for a guided take
tagged ``certification:<1:1 id>``; its scorecard comes back here with, per criterion
(``OverrideRow``), the app's judgement, a "Met" box for the manager's and a comment. Certify
records the verdict and the re-certification date. The logic lives in
``trainer.coaching.certification``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
)

from trainer.coaching import certification as cert
from trainer.common.formatting import format_score
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.guided import Guided, GuidedTakes
from trainer.ui.manager.base import ManagerView, date_text, one_on_one_title, spaced
from trainer.ui.style import GREEN, HEADING, MUTED, RED, TITLE, make_label
from trainer.ui.widgets.sellers import SellerDirectory

CRITERION_NAME = 1.1  # a criterion's name, as on the seller's scorecard


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
        self.name = make_label(f"{c.name} ({c.points} pts)", size=base * CRITERION_NAME,
                               bold=True)
        self.app = make_label(f"App: {'Met' if c.app_met else 'Missed'}",
                              color=GREEN if c.app_met else RED, bold=True)
        detail = c.evidence if c.app_met else c.tip
        shown = f"\u201c{detail}\u201d" if c.app_met and detail else (detail or "")
        self.detail = make_label(shown, color=MUTED)
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


class CertificationView(ManagerView):
    """The 1:1 itself: start it, record the seller through the host, review, certify.

    Args:
        store: the practice history and the 1:1s.
        library: drills and scenarios.
        host: records the seller's take (``start_guided_take``, ``end_guided_take``,
            ``attempt_scored``).
        sellers: the team list, shared by every screen.
        manager: pre-filled manager name.
        cap: attempts allowed per drill in one 1:1 (0: no cap).
        valid_days: how long a certificate lasts before re-certification.
    """

    session_started = Signal(object)  # OneOnOne
    review_changed = Signal(object)  # Review
    review_ready = Signal()  # the seller's take came back, reviewed: bring this view forward
    certified = Signal(object)  # Certificate
    items_changed = Signal()  # an earlier 1:1's action item was ticked done (or not)

    def __init__(self, store: Store, library: DrillLibrary, host: GuidedTakes,
                 sellers: SellerDirectory, manager: str, cap: int, valid_days: int) -> None:
        super().__init__(store)
        self.library = library
        self.host = host
        self.sellers = sellers
        self.session: cert.OneOnOne | None = None
        self.attempt_id: int | None = None
        self.current_review: cert.Review | None = None
        self.override_rows: dict[str, OverrideRow] = {}
        layout = spaced(QVBoxLayout(self))
        layout.addLayout(self._build_choices(manager, cap, valid_days))
        self.start_button = self.action("Start 1:1", "Ctrl+Return",
                                        "Start the 1:1 with this seller", self.start_session)
        self.session_label = make_label(size=self.base * HEADING, bold=True)
        top = QHBoxLayout()
        top.addWidget(self.session_label, 1)
        top.addWidget(self.start_button)
        layout.addLayout(top)

        self.open_items_title = make_label("Open from earlier 1:1s", bold=True)
        self.open_items = QListWidget()
        self.open_items.setAccessibleName("Open action items from earlier 1:1s")
        self.open_items.setToolTip("Tick an item when it is done (Space toggles it)")
        self.open_items.setMaximumHeight(int(self.base * 10))
        self.open_items.itemChanged.connect(self._on_open_item_ticked)
        layout.addWidget(self.open_items_title)
        layout.addWidget(self.open_items)

        record_row = QHBoxLayout()
        self.record_button = self.action(
            "Record the seller", "Ctrl+Shift+R",
            "Switch to the practice screen to record the seller's take", self.record_seller)
        self.attempts_label = make_label(color=MUTED)
        record_row.addWidget(self.attempts_label, 1)
        record_row.addWidget(self.record_button)
        layout.addLayout(record_row)

        self.score_label = make_label(size=self.base * TITLE, bold=True)
        self.score_label.setAccessibleName("Score and verdict")
        layout.addWidget(self.score_label)
        self.review_box = QVBoxLayout()
        self.review_box.setSpacing(0)
        layout.addLayout(self.review_box)
        certify_row = QHBoxLayout()
        self.cert_comments = QLineEdit()
        self.cert_comments.setPlaceholderText("Overall comments for the certificate")
        self.cert_comments.setAccessibleName("Certificate comments")
        self.certify_button = self.action(
            "Certify", "Ctrl+Shift+C",
            "Record the verdict (pass or not yet) and the re-certification date", self.certify)
        certify_row.addWidget(self.cert_comments, 1)
        certify_row.addWidget(self.certify_button)
        layout.addLayout(certify_row)
        self.cert_result = make_label(size=self.base * HEADING, bold=True)
        layout.addWidget(self.cert_result)
        layout.addStretch(1)
        self.seller_combo.currentTextChanged.connect(lambda _t: self.show_open_items())
        self.drill_combo.currentIndexChanged.connect(lambda _i: self._update_attempts())
        self.cap_spin.valueChanged.connect(lambda _v: self._update_attempts())
        host.attempt_scored.connect(self._on_attempt_scored)
        sellers.changed.connect(self.fill_sellers)  # one team list, refreshed everywhere

    def _build_choices(self, manager: str, cap: int, valid_days: int) -> QGridLayout:
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
        return choices

    def focus_first(self) -> None:
        self.seller_combo.setFocus()

    # == the 1:1 ==========================================================================
    def fill_sellers(self) -> None:
        names = [s.name for s in self.run(self.store.sellers) or []]
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
        session = self.run(lambda: cert.start_one_on_one(
            self.store, self.seller_combo.currentText(), self.manager_edit.text()))
        if session is None:
            return
        self.attempt_id = None
        self.current_review = None
        self.clear_message()
        self.cert_comments.clear()
        self.cert_result.clear()
        self._show_review(None)
        self.sellers.refresh()  # a new seller reaches every screen's list, this one's too
        self.set_session(session)
        self.show_open_items()
        self.session_started.emit(session)
        self.record_button.setFocus()

    def set_session(self, session: cert.OneOnOne | None) -> None:
        """The 1:1 under way (None: none yet); an open one locks the seller and manager."""
        self.session = session
        active = session is not None and session.ended_at is None
        self.seller_combo.setEnabled(not active)
        self.manager_edit.setEnabled(not active)
        self.record_button.setEnabled(active)
        self.certify_button.setEnabled(active and self.current_review is not None)
        self.session_label.setText(
            one_on_one_title(session) if session is not None
            else "Choose the seller and the drill, then start the 1:1.")
        self._update_attempts()

    def _update_attempts(self) -> None:
        if self.session is None:
            self.attempts_label.setText("")
            return
        session = self.session
        drill_id, title = self._drill()
        used = self.run(lambda: cert.attempts_used(self.store, session.id, drill_id)) or 0
        cap = self._cap()
        if cap is None:
            self.attempts_label.setText(f"{used} attempt{'s' * (used != 1)} at {title}; "
                                        "no cap.")
        elif used >= cap:
            self.attempts_label.setText(f"No attempts left at {title} in this 1:1 "
                                        f"({used} of {cap} used).")
        else:
            self.attempts_label.setText(f"Attempt {used + 1} of {cap} at {title}.")

    def show_open_items(self) -> None:
        """The seller's open actions from earlier 1:1s: the first thing a 1:1 looks at."""
        if self.session is not None:
            seller = self.session.seller
            excluding: int | None = self.session.id
        else:
            seller = self.run(lambda: self.store.find_seller(self.seller_combo.currentText()))
            excluding = None
        items = (self.run(lambda: cert.open_action_items(self.store, seller.id,
                                                          excluding=excluding))
                 if seller is not None else None) or []
        self.open_items.blockSignals(True)
        self.open_items.clear()
        for item in items:
            due = f", due {date_text(item.due_at)}" if item.due_at is not None else ""
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
        self.run(lambda: cert.complete_action_item(
            self.store, int(entry.data(Qt.ItemDataRole.UserRole)), done))
        self.items_changed.emit()

    # == the seller's take and its review =================================================
    def record_seller(self) -> None:
        """Ctrl+Shift+R: ask the practice screen for the seller's take (within the cap)."""
        if self.session is None or self.session.ended_at is not None:
            self.show_message("Start the 1:1 first (Ctrl+Return).", "info")
            return
        session = self.session
        drill_id, title = self._drill()
        cap = self._cap()
        number = self.run(lambda: cert.check_attempt_allowed(
            self.store, session, drill_id, title, cap))
        if number is None:
            return
        of = f" of {cap}" if cap else ""

        self.clear_message()
        self.host.start_guided_take(Guided(
            session.seller.name, drill_id, self.scenario_combo.currentData(), session.context,
            f"Certification: {session.seller.name}, {title}, attempt {number}{of}"))

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self.session is None or cert.one_on_one_of(context) != self.session.id:
            return
        self.host.end_guided_take()
        self.attempt_id = attempt_id
        self.cert_result.clear()
        self._show_review(self.run(lambda: cert.review(self.store, self.library, attempt_id)))
        self._update_attempts()
        self.review_ready.emit()

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
        review = self.run(lambda: cert.set_override(
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
        record = self.run(lambda: cert.certify(
            self.store, self.library, session.id, attempt_id,
            comments=self.cert_comments.text(), valid_days=self.valid_spin.value()))
        if record is None:
            return
        mark = self.current_review.pass_threshold if self.current_review else None
        shown = format_score(record.score, mark)
        if record.passed:
            self.cert_result.setText(f"Certified: {shown} \u2014 re-certify by "
                                     f"{date_text(record.due_at)}.")
            self.cert_result.setStyleSheet(f"color: {GREEN};")
        else:
            self.cert_result.setText(f"Not yet: {shown} against a pass mark of {mark:g}; "
                                     "recorded." if mark is not None else "Not yet; recorded.")
            self.cert_result.setStyleSheet(f"color: {RED};")
        self.clear_message()
        self.certified.emit(record)
