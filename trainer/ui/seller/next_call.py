"""The scenario picker and 'my next call': the prospect the seller practises on.

The picker lists the bundled scenarios, then this seller's saved calls, then "My next call…"
(an action: it opens the dialog). With 'my next call' the seller types the prospect they are
meeting next and practises on it.

The dialog (``trainer.ui.seller.call_dialog``) collects the fields; ``trainer.coaching.calls``
validates them, builds the scenario and saves it under the seller. Saved calls join the
Practice screen's scenario picker, where the chosen one can also be deleted.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QToolButton, QWidget

from trainer.coaching.calls import (
    build_scenario,
    delete_call,
    save_call,
    saved_calls,
    validate_call,
)
from trainer.coaching.company import CompanyProfile, apply_company, usable_company
from trainer.common.errors import StorageError
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.store.database import Seller, Store
from trainer.ui.seller.call_dialog import CallDialog, CallFields
from trainer.ui.shared import Confirm
from trainer.ui.style import base_point_size, rescale_fonts
from trainer.ui.widgets.sellers import SellerDirectory


class CallsScreen(Protocol):
    """The Practice screen, as the call flow uses it."""

    store: Store
    library: DrillLibrary
    sellers: SellerDirectory
    confirm: Confirm
    delete_call_button: QToolButton
    name_edit: QLineEdit
    scenario_combo: QComboBox
    record_button: QPushButton

    def window(self) -> QWidget: ...

    def message(self, text: str, kind: str) -> None: ...

    def seller_name(self) -> str: ...

    def find_seller(self) -> Seller | None: ...

    def on_choice_changed(self) -> None: ...

    def can_change_choices(self) -> bool: ...

    def recording(self) -> bool: ...

    def presenter(self) -> bool: ...

    @property
    def restoring(self) -> bool: ...


class NextCallFlow(QObject):
    """Opens the call dialog, saves the call, deletes a saved one; ``saved(scenario id)``."""

    saved = Signal(str)

    def __init__(self, screen: CallsScreen) -> None:
        super().__init__()
        self.screen = screen
        self.dialog: CallDialog | None = None
        self.calls: dict[str, Scenario] = {}  # this seller's saved calls, by id
        self.scenario_index = 0  # the picker's choice before "My next call…" was picked

    def fill(self, select: str | None = None) -> None:
        """The bundled scenarios, this seller's saved calls, then "My next call…"."""
        screen = self.screen
        combo = screen.scenario_combo
        keep = select if select is not None else str(combo.currentData() or "")
        try:
            seller = screen.find_seller()
            calls = saved_calls(screen.store, seller) if seller is not None else []
        except StorageError as exc:
            screen.message(str(exc), "error")
            calls = []
        self.calls = {c.id: c for c in calls}
        combo.blockSignals(True)
        try:
            combo.clear()
            for scenario in screen.library.scenarios():
                combo.addItem(scenario.title, scenario.id)
            for call in calls:
                combo.addItem(call.title, call.id)
            if combo.count() == 0:
                combo.addItem("No scenario", None)
            combo.addItem("My next call\u2026", NEW_CALL)
            combo.setItemData(combo.count() - 1, "Type the prospect you are meeting next "
                              "(Ctrl+Shift+N)", Qt.ItemDataRole.ToolTipRole)
            index = combo.findData(keep) if keep else -1
            combo.setCurrentIndex(index if index >= 0 else 0)
            self.scenario_index = combo.currentIndex()
        finally:
            combo.blockSignals(False)
        screen.delete_call_button.setVisible(combo.currentData() in self.calls)
        if keep and combo.currentData() != keep and not screen.restoring:
            screen.on_choice_changed()  # the chosen call was another seller's: show the new one

    def current(self) -> Scenario | None:
        """The scenario chosen in the picker (a saved call, or a bundled prospect)."""
        scenario_id = self.screen.scenario_combo.currentData()
        if not scenario_id or scenario_id == NEW_CALL:
            return None
        if scenario_id in self.calls:
            return self.calls[scenario_id]
        # Once the manager has set up the company, the bundled prospects hear our pitch.
        return apply_company(self.screen.library.scenario(scenario_id), self.company())

    def company(self) -> CompanyProfile | None:
        return usable_company(self.screen.store)


    def open(self) -> None:
        """Ctrl+Shift+N / "My next call…": type the prospect, save it, practise on it."""
        if not self.screen.can_change_choices():
            return
        if not self.screen.seller_name():
            self.screen.message("Type your name first, so the call is saved under it.", "info")
            self.screen.name_edit.setFocus()
            return
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return
        current = self.current()
        ours = str(current.company.get("name", "")) if current is not None else ""
        window = self.screen.window()
        dialog = CallDialog(self._save_call, self._call_companies(), window, company=ours)
        dialog.finished.connect(lambda _: self._on_call_dialog_finished(dialog))
        self.dialog = dialog
        if self.screen.presenter():
            rescale_fonts(dialog, base_point_size(window))
        dialog.open()  # window-modal, not exec(): the event loop (and timers) keep running

    def _call_companies(self) -> dict[str, dict[str, Any]]:
        """Our side of the call to choose from: the bundled scenarios' companies."""
        companies: dict[str, dict[str, Any]] = {}
        profile = self.company()
        if profile is not None:
            companies[profile.name] = profile.to_json()
        for scenario in self.screen.library.scenarios():
            name = str(scenario.company.get("name") or scenario.title)
            companies.setdefault(name, dict(scenario.company))
        return companies

    def _save_call(self, fields: CallFields) -> Scenario:
        call = validate_call(fields["company"], fields["industry"], fields["role"],
                             fields["pains"], fields["alternative"], fields["name"],
                             fields["interaction"])
        seller = self.screen.sellers.seller(self.screen.seller_name())
        return save_call(self.screen.store, seller, build_scenario(call, fields["our_company"]))

    def _on_call_dialog_finished(self, dialog: CallDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        scenario = dialog.saved_scenario
        dialog.deleteLater()
        self.screen.window().activateWindow()  # Space and the other shortcuts are the window's
        if scenario is None:
            return
        self.fill(scenario.id)
        self.screen.on_choice_changed()
        self.screen.message(f"Saved \u201c{scenario.title}\u201d; press Space to practise on "
                          "it.", "info")
        self.screen.record_button.setFocus()
        self.saved.emit(scenario.id)

    def delete_current(self) -> None:
        """Delete the saved call chosen in the picker (after a confirmation)."""
        scenario_id = self.screen.scenario_combo.currentData()
        calls = self.calls
        if self.screen.recording() or scenario_id not in calls:
            return
        seller = self.screen.find_seller()
        if seller is None:
            return
        title = calls[scenario_id].title
        if not self.screen.confirm("Delete this call", f"Delete \u201c{title}\u201d from your "
                            "calls? Takes you recorded with it stay in History.", "Delete",
                            True):
            return
        try:
            delete_call(self.screen.store, seller, scenario_id)
        except StorageError as exc:
            self.screen.message(str(exc), "error")
            return
        self.fill("")
        self.screen.on_choice_changed()


NEW_CALL = "__my_next_call__"  # the scenario picker's "My next call…" entry
