"""The "Written agenda" screen: the seller writes their agenda once per type of call.

A type picker (discovery, demo, follow-up, or a type of their own: the combo is editable), a
text box with one item per line, and Save (Ctrl+S). The widget holds no store: it shows the
agendas it is given and emits ``save_requested(interaction, text)``; the window saves through
``trainer.coaching.agendas`` and calls ``saved`` or shows the error.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.agendas import (
    INTERACTIONS,
    TARGET_PERCENT,
    agenda_items,
    normalise_interaction,
)
from trainer.ui.style import INK, MUTED, base_point_size, make_label

PLACEHOLDER = ("One item per line, as you would say it, e.g.\n"
               "The purpose of today's call\n"
               "Check we still have thirty minutes\n"
               "Your current process and what it costs you\n"
               "Anything you would like to add\n"
               "Agree on a next step")


class AgendaEditor(QWidget):
    """Pick a call type, write its agenda, save it."""

    save_requested = Signal(str, str)  # interaction type, text
    interaction_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(make_label("Your written agenda", size=base * 1.4, bold=True, color=INK))
        layout.addWidget(make_label(
            "Write your agenda once for each type of call and keep it about "
            f"{TARGET_PERCENT:.0f}% the same every time. Your spoken takes of the "
            "\u201cSet an agenda\u201d drill are compared with it, item by item.", color=MUTED))
        row = QHBoxLayout()
        type_label = QLabel("Call &type")
        type_label.setStyleSheet(f"color: {MUTED};")
        self.type_combo = QComboBox()
        self.type_combo.setEditable(True)  # type a new kind of call ("renewal", "QBR")
        self.type_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.type_combo.setMinimumWidth(200)
        self.type_combo.setAccessibleName("Call type")
        self.type_combo.setToolTip("The type of call this agenda is for; type a new one to add "
                                   "it (Alt+T)")
        type_label.setBuddy(self.type_combo)
        row.addWidget(type_label)
        row.addWidget(self.type_combo)
        row.addStretch(1)
        layout.addLayout(row)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(PLACEHOLDER)
        self.editor.setAccessibleName("Agenda text")
        self.editor.setTabChangesFocus(True)
        layout.addWidget(self.editor, 1)
        self.items_label = make_label(color=MUTED)
        layout.addWidget(self.items_label)
        buttons = QHBoxLayout()
        self.status = make_label(color=MUTED)
        self.save_button = QPushButton("Save agenda")
        self.save_button.setToolTip("Save this agenda for this type of call (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        save = QShortcut(QKeySequence("Ctrl+S"), self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)

        self.agendas: dict[str, str] = {}
        self._loading = False
        self.type_combo.currentTextChanged.connect(self._on_type_changed)
        self.editor.textChanged.connect(self._on_text_changed)
        self.set_agendas({}, INTERACTIONS[0])

    def set_agendas(self, agendas: dict[str, str], current: str = "") -> None:
        """Show this seller's agendas (by type) and select ``current``."""
        self._loading = True
        try:
            self.agendas = dict(agendas)
            chosen = (normalise_interaction(current) or self.selected_type()
                      or INTERACTIONS[0])
            self.type_combo.clear()
            for kind in [*INTERACTIONS, *[k for k in agendas if k not in INTERACTIONS]]:
                self.type_combo.addItem(kind, kind)
            index = self.type_combo.findData(chosen)
            if index < 0:
                self.type_combo.addItem(chosen, chosen)
                index = self.type_combo.count() - 1
            self.type_combo.setCurrentIndex(index)
            self._show(chosen)
        finally:
            self._loading = False

    def _on_type_changed(self, text: str) -> None:
        if self._loading:
            return
        kind = normalise_interaction(text)
        self._show(kind)
        self.interaction_changed.emit(kind)

    def _show(self, kind: str) -> None:
        was = self._loading
        self._loading = True
        try:
            self.editor.setPlainText(self.agendas.get(kind, ""))
        finally:
            self._loading = was
        self.status.setText("" if kind in self.agendas else
                            "Not written yet for this type of call.")
        self._update_items()

    def _on_text_changed(self) -> None:
        if not self._loading:
            self.status.setText("Not saved yet (Ctrl+S).")
        self._update_items()

    def _update_items(self) -> None:
        count = len(agenda_items(self.editor.toPlainText()))
        self.items_label.setText(f"{count} item{'s' if count != 1 else ''}" if count else "")

    def selected_type(self) -> str:
        return normalise_interaction(self.type_combo.currentText())

    def save(self) -> None:
        self.save_requested.emit(self.selected_type(), self.editor.toPlainText())

    def saved(self, kind: str, text: str) -> None:
        """The window saved it: remember it and say so."""
        if text.strip():
            self.agendas[kind] = text.strip()
        else:
            self.agendas.pop(kind, None)
        self.set_agendas(self.agendas, kind)
        self.status.setText(f"Saved your {kind} agenda." if text.strip()
                            else f"Deleted your {kind} agenda.")
