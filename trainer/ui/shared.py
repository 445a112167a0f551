"""Small types every screen shares: how a screen shows a sentence and asks a question."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox, QWidget

Message = Callable[[str, str], None]
"""``message(text, kind)``: one sentence in the shell's banner; ``kind`` "error" or "info"."""

Confirm = Callable[[str, str, str, bool], bool]
"""``confirm(title, text, accept_label, destructive) -> accepted``; tests pass their own."""


def ask_in_dialog(parent: QWidget, title: str, text: str, accept_label: str,
                  destructive: bool) -> bool:
    """A modal question with an accept button and Cancel (the default when destructive)."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Information,
                      title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the text may quote a name the seller typed
    accept = box.addButton(accept_label, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else accept)
    box.exec()
    return box.clickedButton() is accept


def unexpected_message(exc: BaseException) -> str:
    """The apology shown for an error the core could not name (it is logged in full)."""
    return f"Something went wrong: {type(exc).__name__}; your recording is kept."


def select_data(combo: QComboBox, value: str) -> None:
    """Choose the item of ``combo`` whose data is ``value`` (nothing changes if none is)."""
    index = combo.findData(value) if value else -1
    if index >= 0:
        combo.setCurrentIndex(index)
