""""My next call…": a dialog where the seller types the prospect they are about to meet.

The fields are the ones a bundled scenario has (company, industry, role, pains, alternative,
optional name), plus which of our offerings the call is about and the type of call. Save
hands them to ``save`` (the window's function: ``trainer.coaching.calls`` validates, builds and
stores
the scenario); a problem comes back as one sentence under the form and the dialog stays open.
The dialog is opened with ``open()``, not ``exec()``, so the window (and its tests) keep
running while it is up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.calls import INTERACTIONS
from trainer.common.errors import TrainerError
from trainer.rubric.drills import Scenario
from trainer.ui.style import MUTED, RED, base_point_size, make_label

CallFields = dict[str, Any]
SaveCall = Callable[[CallFields], Scenario]


class CallDialog(QDialog):
    """Type the next call; ``saved_scenario`` holds it once saved.

    Args:
        save: validates and stores the fields, returns the scenario; raises ``TrainerError``
            with one sentence for bad input.
        companies: our side of the call to choose from, name -> company block (from the
            bundled scenarios or the company profile).
    """

    def __init__(self, save: SaveCall, companies: Mapping[str, Mapping[str, Any]],
                 parent: QWidget | None = None, company: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("My next call")
        self.setMinimumWidth(560)
        self._save = save
        self.saved_scenario: Scenario | None = None
        base = base_point_size(self)
        layout = QVBoxLayout(self)
        layout.addWidget(make_label("Who are you meeting next?", size=base * 1.3, bold=True))
        layout.addWidget(make_label("Practise on the real prospect: the buyer's lines and the "
                                "scoring use what you type here.", color=MUTED))
        form = QFormLayout()
        self.company_edit = QLineEdit()
        self.company_edit.setPlaceholderText("e.g. Acme Freight")
        self.industry_edit = QLineEdit()
        self.industry_edit.setPlaceholderText("e.g. logistics")
        self.role_edit = QLineEdit()
        self.role_edit.setPlaceholderText("e.g. Head of finance operations")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional, e.g. Priya Shah")
        self.pains_edit = QPlainTextEdit()
        self.pains_edit.setPlaceholderText("One per line, e.g.\ninvoices are matched by hand\n"
                                           "month-end close takes ten days")
        self.pains_edit.setTabChangesFocus(True)
        self.pains_edit.setMinimumHeight(int(base * 7))
        self.alternative_edit = QLineEdit()
        self.alternative_edit.setPlaceholderText("What they use today, e.g. spreadsheets")
        self.ours_combo = QComboBox()
        for name, block in companies.items():
            self.ours_combo.addItem(name, dict(block))
        if not companies:
            self.ours_combo.addItem("(our company profile)", None)
        if company:
            index = self.ours_combo.findText(company)
            if index >= 0:
                self.ours_combo.setCurrentIndex(index)
        self.type_combo = QComboBox()
        for kind in INTERACTIONS:
            self.type_combo.addItem(kind)
        for label, widget in (("&Company", self.company_edit),
                              ("&Industry", self.industry_edit),
                              ("&Role", self.role_edit),
                              ("Their &name", self.name_edit),
                              ("&Pains", self.pains_edit),
                              ("&Alternative", self.alternative_edit),
                              ("&Our offering", self.ours_combo),
                              ("Call &type", self.type_combo)):
            widget.setAccessibleName(label.replace("&", ""))
            form.addRow(label, widget)
        layout.addLayout(form)
        self.error_label = make_label(color=RED)
        self.error_label.setAccessibleName("Problem")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save and practise")
        self.save_button.setToolTip("Save this call and practise on it (Ctrl+S or Ctrl+Enter)")
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for keys in ("Ctrl+S", "Ctrl+Return"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self.try_save)
        self.company_edit.setFocus()

    def fields(self) -> CallFields:
        return {
            "company": self.company_edit.text(),
            "industry": self.industry_edit.text(),
            "role": self.role_edit.text(),
            "pains": self.pains_edit.toPlainText(),
            "alternative": self.alternative_edit.text(),
            "name": self.name_edit.text(),
            "interaction": self.type_combo.currentText(),
            "our_company": self.ours_combo.currentData(),
        }

    def try_save(self) -> None:
        try:
            self.saved_scenario = self._save(self.fields())
        except TrainerError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        self.accept()
