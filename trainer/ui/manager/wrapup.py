"""The wrap-up of a certification 1:1: action items, the closing question, the one-page PDF.

Action items have an owner and a due date and can be marked done (the seller's open items
from earlier 1:1s are listed here too, marked as such); the seller's answer to the closing
question is saved with the 1:1; "End 1:1" closes it; the PDF is painted on the GUI thread
(``trainer.ui.manager.pdf_export``). The 1:1 itself is the panel's: this view is handed it
(``set_session``) and says when it changed it (``session_changed``).
"""

from __future__ import annotations

import datetime as dt
import time

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from trainer.coaching import certification as cert
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.manager.base import AskPath, ManagerView, date_text, one_on_one_title, spaced
from trainer.ui.manager.pdf_export import write_session_pdf
from trainer.ui.style import HEADING, make_label


class WrapupView(ManagerView):
    """Action items, the closing answer, ending the 1:1 and its PDF.

    Args:
        store: the 1:1s and their action items.
        library: the drills (the PDF names the reviewed take's drill).
        ask_path: asks where to save the PDF.
    """

    session_changed = Signal(object)  # the 1:1, after its answer was saved or it was ended
    items_changed = Signal()  # an action item was marked done or open again
    exported = Signal(str)  # the path of a written PDF

    def __init__(self, store: Store, library: DrillLibrary, ask_path: AskPath) -> None:
        super().__init__(store)
        self.library = library
        self.ask_path = ask_path
        self.session: cert.OneOnOne | None = None
        base = self.base
        layout = spaced(QVBoxLayout(self))
        self.wrapup_title = make_label(size=base * HEADING, bold=True)
        layout.addWidget(self.wrapup_title)
        layout.addWidget(make_label("Action items", bold=True, size=base * HEADING))
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
        self.add_item_button = self.action("Add action", "Ctrl+Shift+A",
                                           "Add this action item", self.add_action_item)
        self.item_text.returnPressed.connect(self.add_action_item)
        add_row.addWidget(self.item_text, 1)
        add_row.addWidget(self.item_owner)
        add_row.addWidget(self.item_due)
        add_row.addWidget(self.add_item_button)
        layout.addLayout(add_row)
        self.done_button = self.action("Mark done / open", "Ctrl+D",
                                       "Mark the selected action done (or open again)",
                                       self.toggle_item_done)
        done_row = QHBoxLayout()
        done_row.addStretch(1)
        done_row.addWidget(self.done_button)
        layout.addLayout(done_row)

        layout.addWidget(make_label(cert.CLOSING_QUESTION, size=base * HEADING, bold=True))
        self.feedback_edit = QPlainTextEdit()
        self.feedback_edit.setTabChangesFocus(True)
        self.feedback_edit.setPlaceholderText("The seller's answer, in their words")
        self.feedback_edit.setAccessibleName(cert.CLOSING_QUESTION)
        self.feedback_edit.setMinimumHeight(int(base * 7))
        layout.addWidget(self.feedback_edit)
        self.save_feedback_button = self.action("Save answer", "Ctrl+Shift+S",
                                                "Save the answer to the closing question",
                                                self.save_feedback)
        self.pdf_button = self.action("Export PDF", "Ctrl+Shift+D",
                                      "Save this 1:1 as a one-page PDF", self.export_pdf)
        self.end_button = self.action("End 1:1", "Ctrl+Shift+E",
                                      "Save the answer and close this 1:1", self.end_session)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.save_feedback_button, self.pdf_button, self.end_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def focus_first(self) -> None:
        self.item_text.setFocus()

    # == the 1:1 it wraps up ==============================================================
    def set_session(self, session: cert.OneOnOne | None) -> None:
        """The 1:1 this view wraps up (None: none started yet)."""
        self.session = session
        active = session is not None and session.ended_at is None
        for button in (self.add_item_button, self.done_button, self.save_feedback_button,
                       self.end_button):
            button.setEnabled(active)
        self.item_text.setEnabled(active)
        self.pdf_button.setEnabled(session is not None)
        self.wrapup_title.setText(one_on_one_title(session) if session is not None
                                  else "Start a 1:1 to wrap it up here.")

    def begin(self, session: cert.OneOnOne) -> None:
        """A new 1:1: no answer yet, its two owners to choose from, due in a week."""
        self.feedback_edit.clear()
        self.item_owner.clear()
        self.item_owner.addItems([session.seller.name, session.manager])
        due = dt.datetime.fromtimestamp(self.store.clock()) + dt.timedelta(days=7)
        self.item_due.setDate(QDate(due.year, due.month, due.day))
        self.refresh_items()

    # == action items =====================================================================
    def refresh_items(self) -> None:
        if self.session is None:
            self.items_table.setRowCount(0)
            return
        session = self.session
        items = (self.run(lambda: cert.carried_over_items(self.store, session)) or []) + \
            (self.run(lambda: cert.action_items(self.store, session.id)) or [])
        table = self.items_table
        table.setRowCount(len(items))
        for row, item in enumerate(items):
            earlier = item.one_on_one_id != session.id
            status = ("Done" if item.done else "Open") + (" (earlier 1:1)" if earlier else "")
            for col, text in enumerate((item.text, item.owner, date_text(item.due_at), status)):
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
        item = self.run(lambda: cert.add_action_item(
            self.store, session.id, self.item_text.text(), self.item_owner.currentText(),
            due))
        if item is not None:
            self.item_text.clear()
            self.clear_message()
            self.refresh_items()
            self.item_text.setFocus()

    def toggle_item_done(self) -> None:
        """Ctrl+D: mark the selected action done, or open again."""
        row = self.items_table.currentRow()
        cell = self.items_table.item(row, 0) if row >= 0 else None
        if cell is None:
            self.show_message("Select an action item first.", "info")
            return
        item_id = int(cell.data(Qt.ItemDataRole.UserRole))
        done = bool(cell.data(Qt.ItemDataRole.UserRole + 1))
        self.run(lambda: cert.complete_action_item(self.store, item_id, not done))
        self.refresh_items()
        self.items_changed.emit()
        self.items_table.selectRow(row)

    # == the closing question, the end, the PDF ===========================================
    def save_feedback(self) -> None:
        """Ctrl+Shift+S: save the seller's answer to the closing question."""
        if self.session is None:
            return
        session = self.session
        self.run(lambda: cert.record_feedback(self.store, session.id,
                                              self.feedback_edit.toPlainText()))
        self.session = self.run(lambda: cert.one_on_one(self.store, session.id)) or session
        self.session_changed.emit(self.session)

    def end_session(self) -> None:
        """Ctrl+Shift+E: save the closing answer and close the 1:1."""
        if self.session is None:
            return
        session = self.session
        ended = self.run(lambda: cert.end_one_on_one(self.store, session.id,
                                                     self.feedback_edit.toPlainText()))
        if ended is not None:
            self.session_changed.emit(ended)
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
        summary = self.run(lambda: cert.session_summary(self.store, self.library, session.id))
        if summary is None:
            return
        # Painted on the GUI thread (a one-page text layout takes milliseconds).
        if self.run(lambda: write_session_pdf(summary, path)) is not None:
            self.show_message(f"Saved the 1:1 to {path}.", "info")
            self.exported.emit(str(path))
