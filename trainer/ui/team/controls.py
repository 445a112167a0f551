"""Building blocks the team's meeting-room screens share: big type, key-bound buttons, colours.

The story hour, the story library and the card game are read from across a meeting room, so
their type runs larger than the rest of the app. Every size is still a multiple of the base
font (``trainer.ui.style``): ``ScaledFonts`` remembers each widget's factor, marked with
``style.FONT_REL`` as the shell's presenter mode expects, and a ``ScaledWidget`` re-applies
them whenever its font changes (presenter mode, a larger application font). Buttons
carry their own shortcut, scoped to their page (``shortcut_button``), and Space stays with the
focused button rather than the main window's Record (``SpaceForButtons``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from trainer.ui.style import TITLE, base_point_size, make_label, set_relative_font

# The meeting-room type scale: a screen's title a step above the app's (2.0 x the base size).
ROOM_TITLE = TITLE * 1.25

# The team screens' own colours, beside the app's palette in ``trainer.ui.style``.
FOCUS_RING = "#f5c542"  # the keyboard focus on a rating row or a big button
FOCUS_FILL = "#fffbea"
CHOSEN = "#1f6feb"  # a rating button that is checked
OUTLINE = "#b8c2cc"
SLATE = "#37474f"  # the "Feature" call, and the record button while it records
DISABLED = "#c5cbd3"
CARD_PAPER = "#fffdf5"  # the index card
CARD_EDGE = "#d8cfa8"
CARD_RULE = "#c94f4f"
PROMPT_BLUE = "#1d4f91"  # the spoken round's prompt and the model benefit

NO_PLAYER_MESSAGE = ("There is no sound device on this computer, so stories can't be played "
                     "here; read the transcript instead.")

W = TypeVar("W", bound=QWidget)


class ScaledFonts:
    """Type sized as multiples of ``owner``'s font, re-applied when that font changes.

    ``scale`` sizes a widget at ``factor`` x the owner's point size now; ``apply_all`` sizes
    them all again, which ``ScaledWidget`` does on every ``FontChange``.
    """

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner
        self._scaled: list[tuple[QWidget, float, bool]] = []

    def scale(self, widget: W, factor: float, bold: bool = False) -> W:
        self._scaled.append((widget, factor, bold))
        self._apply(widget, factor, bold)
        return widget

    def label(self, text: str = "", factor: float = 1.0, *, bold: bool = False,
              color: str | None = None, wrap: bool = True) -> QLabel:
        """A plain-text label (``style.make_label``) at ``factor`` x the base size."""
        return self.scale(make_label(text, color=color, wrap=wrap), factor, bold)

    def _apply(self, widget: QWidget, factor: float, bold: bool) -> None:
        set_relative_font(widget, factor, base_point_size(self.owner), bold=bold)

    def apply_all(self) -> None:
        for widget, factor, bold in self._scaled:
            self._apply(widget, factor, bold)


class ScaledWidget(QWidget):
    """A screen or page whose big type (``self.fonts``) follows its font.

    A font change reaches every child widget that has no font of its own, so each page of a
    screen keeps the sizes of its own controls.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fonts = ScaledFonts(self)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FontChange:
            self.fonts.apply_all()
        super().changeEvent(event)


def shortcut_button(text: str, keys: str, tip: str, slot: Callable[[], Any], scope: QWidget
                    ) -> QPushButton:
    """A button whose shortcut works while focus is anywhere in ``scope`` (its page)."""
    button = QPushButton(text)
    native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
    button.setToolTip(f"{tip} ({native})")
    button.clicked.connect(slot)
    shortcut = QShortcut(QKeySequence(keys), scope)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def press() -> None:
        if button.isEnabled() and button.isVisible():
            button.click()

    shortcut.activated.connect(press)
    return button


class SpaceForButtons(QObject):
    """Keeps Space for the focused button: the main window binds Space to Record window-wide,
    and a listener pressing Space on a rating button must not start a recording."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Space:
            event.accept()
        return False
