"""The one list of sellers on file, shared by every screen that shows or picks a seller.

Practice (the name box and its history), the Manager's team list, the story hour's roster, the
card game's players: each used to read the store when it was built, so a seller created on one
screen was missing from the others until the app restarted. ``SellerDirectory`` is the single
adapter they share. Creating a seller through it, or calling ``refresh`` after the core created
or deleted one (a story hour, a 1:1, "Delete my data"), emits ``changed`` once when the list on
file differs from the last one seen; each screen refills its list from that signal.

It holds no seller data of its own beyond the last list seen (to tell whether it changed): the
store stays the one source of truth.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QMenu, QStyle

from trainer.common.errors import StorageError
from trainer.store.database import Seller, Store


class SellerDirectory(QObject):
    """The sellers on file, and a ``changed`` signal when that list changes.

    Args:
        store: the practice history.
        parent: the Qt parent (the main window in the app).
    """

    changed = Signal()

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._seen: tuple[tuple[int, str], ...] = ()
        try:
            self._seen = self._snapshot(self.store.sellers())
        except StorageError:
            pass  # each screen reports a store it cannot read; the list starts empty

    @staticmethod
    def _snapshot(sellers: list[Seller]) -> tuple[tuple[int, str], ...]:
        return tuple((s.id, s.name) for s in sellers)

    def sellers(self) -> list[Seller]:
        """The sellers on file, by name.

        Raises:
            StorageError: the store cannot be read.
        """
        return self.store.sellers()

    def names(self) -> list[str]:
        """The names of the sellers on file (empty when the store cannot be read)."""
        try:
            return [s.name for s in self.sellers()]
        except StorageError:
            return []

    def seller(self, name: str) -> Seller:
        """The seller with this name, created (and announced) on first use.

        Raises:
            StorageError: the store cannot be written.
            ValueError: the name is blank.
        """
        seller = self.store.seller(name)
        self.refresh()
        return seller

    def picker(self, edit: QLineEdit) -> SellerPicker:
        """A button at the end of ``edit`` that lists the sellers on file."""
        return SellerPicker(self, edit)

    def refresh(self) -> bool:
        """Re-read the list; emit ``changed`` (and return True) when it differs."""
        try:
            now = self._snapshot(self.store.sellers())
        except StorageError:
            return False
        if now == self._seen:
            return False
        self._seen = now
        self.changed.emit()
        return True


class SellerPicker(QObject):
    """A button at the end of a name box listing the sellers on file; a pick fills the box.

    The list is the directory's, refilled on ``changed``, so a seller created on another
    screen is there at once. It opens only when asked (a click on the button), never while
    the seller types.
    """

    def __init__(self, directory: SellerDirectory, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.directory = directory
        self.edit = edit
        self.menu = QMenu(edit)
        self.menu.setAccessibleName("Sellers on file")
        style = edit.style()
        self.action = edit.addAction(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown),
                                     QLineEdit.ActionPosition.TrailingPosition)
        self.action.setText("Pick a seller on file")
        self.action.setToolTip("Pick a seller on file")
        self.action.triggered.connect(self.open)
        self.menu.triggered.connect(self._chosen)
        directory.changed.connect(self.fill)
        self.fill()

    def names(self) -> list[str]:
        """The names the menu offers, in order."""
        return [a.text() for a in self.menu.actions() if a.isEnabled()]

    def fill(self) -> None:
        self.menu.clear()
        names = self.directory.names()
        for name in names:
            # The name as the action's data too: "&" in a name is a mnemonic in its text.
            item = self.menu.addAction(name.replace("&", "&&"))
            item.setData(name)
        if not names:
            self.menu.addAction("No sellers on file yet").setEnabled(False)

    def open(self) -> None:
        self.menu.popup(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))

    def choose(self, name: str) -> None:
        """Fill the box with ``name``, as if typed and confirmed."""
        self.edit.setText(name)
        self.edit.editingFinished.emit()

    def _chosen(self, action: QAction) -> None:
        name = action.data()
        if isinstance(name, str):
            self.choose(name)
