"""What every view of the manager's screen shares: messages, quick store calls, actions, dates.

A view (company, certification 1:1, wrap-up, team) owns its controls and never touches the
banner: it says what happened through ``message`` / ``message_cleared`` and the panel shows it.
A quick store call on the GUI thread goes through ``run``, which turns a named failure into the
banner's one sentence. Every action is a button with a shortcut scoped to its view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QBoxLayout, QFileDialog, QPushButton, QWidget

from trainer.coaching import certification as cert
from trainer.common.errors import TrainerError
from trainer.store.database import Store
from trainer.ui.style import GAP, MARGIN, base_point_size

# (title, suggested file name, filter) -> the chosen path, or None when cancelled
AskPath = Callable[[str, str, str], "Path | None"]


def date_text(ts: float | None) -> str:
    """A day as the manager reads it ("07 Mar 2025"), or a dash for none."""
    return time.strftime("%d %b %Y", time.localtime(ts)) if ts is not None else "\u2014"


def one_on_one_title(session: cert.OneOnOne) -> str:
    """The 1:1 as its views head it: who, the manager, the day, and whether it is over."""
    state = "ended" if session.ended_at is not None else "in progress"
    return (f"1:1 with {session.seller.name} \u2014 {session.manager}, "
            f"{date_text(session.started_at)} ({state})")


def ask_save_path(parent: QWidget, start: Path) -> AskPath:
    """A save-file dialog starting in ``start``: where an export goes."""
    def ask(title: str, name: str, filter_: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start / name), filter_)
        return Path(chosen) if chosen else None
    return ask


def spaced(layout: QBoxLayout) -> QBoxLayout:
    """``layout`` with the screen's margin around it and the gap between its controls."""
    layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
    layout.setSpacing(GAP)
    return layout


class ManagerView(QWidget):
    """One view of the manager's screen.

    Args:
        store: the practice history and the 1:1s.
    """

    message = Signal(str, str)  # one sentence, and its kind ("error" or "info")
    message_cleared = Signal()

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.base = base_point_size(self)

    def show_message(self, text: str, kind: str = "error") -> None:
        self.message.emit(text, kind)

    def clear_message(self) -> None:
        self.message_cleared.emit()

    def run(self, func: Callable[[], Any]) -> Any:
        """A quick store call on the GUI thread; a named failure becomes the banner's one
        sentence (returns None then)."""
        try:
            return func()
        except TrainerError as exc:
            self.show_message(str(exc))
        except ValueError as exc:  # trainer.coaching.stories' one-sentence validation
            self.show_message(str(exc))
        return None

    def action(self, text: str, keys: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        """A button and its shortcut, active while focus is in this view."""
        shown = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        button = QPushButton(text)
        button.setToolTip(f"{tip} ({shown})")
        button.clicked.connect(slot)
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        return button

    def focus_first(self) -> None:
        """Put the focus where the manager starts in this view."""
        self.setFocus()
