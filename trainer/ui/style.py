"""One visual language for every screen: the palette, the type scale and the spacing.

Colour always comes with a word (PASS, "good"), never alone. Text sizes are relative to the
base font: a label made larger than the base remembers its factor (``FONT_REL``), so presenter
mode can set a new base on the window and ``rescale_fonts`` brings every such label along.
Spacing: every screen uses ``MARGIN`` around its content and ``GAP`` between controls, and puts
its primary action at the bottom right.
"""

from __future__ import annotations

import html

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

# One palette for the whole app: colour always comes with a word (PASS, "good"), never alone.
GREEN = "#1e7b34"
AMBER = "#9a6700"
RED = "#b42318"
MUTED = "#5f6b7a"
INK = "#1f2933"
BANDS = {"good": GREEN, "watch": AMBER, "fix": RED}
# Charts: the seller's pace and pitch lines, the team against the bench, the replayed word.
PACE_COLOR = "#1f6feb"
PITCH_COLOR = "#b35900"
TEAM_COLOUR = "#2463b4"
BENCH_COLOUR = "#9aa5b1"
HIGHLIGHT = "#ffd54a"

# The type scale, as multiples of the base font: body 1.0, section title 1.3, screen title 1.6.
TITLE = 1.6
HEADING = 1.3
# Spacing in pixels: around a screen's content, and between controls.
MARGIN = 16
GAP = 10
SIDEBAR_WIDTH = 150  # the journey navigation's least width; it grows with the font
FONT_REL = "font_rel"  # a widget property: its point size as a multiple of the base size
_FONT_REL_BYTES = FONT_REL.encode()
PRESENTER_SCALE = 1.6


def make_label(text: str = "", *, size: float | None = None, bold: bool = False,
           color: str | None = None, wrap: bool = True, selectable: bool = False,
           italic: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    if size is not None:
        label.setProperty(FONT_REL, size / base_point_size(label))
        font.setPointSizeF(size)
    font.setBold(bold)
    font.setItalic(italic)
    label.setFont(font)
    if color:
        label.setStyleSheet(f"color: {color};")
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as typed. Qt renders a tooltip that looks like markup as
    rich text, so user text that does (a name like ``<b>Ana</b>``) is escaped into a paragraph
    of its own; anything else is left as it is."""
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space: pre-wrap'>{html.escape(text, quote=False)}</p>"


def base_point_size(widget: QWidget) -> float:
    size = widget.font().pointSizeF()
    return size if size > 0 else 11.0


def set_relative_font(widget: QWidget, factor: float, base: float | None = None,
                      bold: bool | None = None) -> None:
    """Size ``widget``'s text at ``factor`` times the base size, and remember the factor."""
    widget.setProperty(FONT_REL, factor)
    font = widget.font()
    font.setPointSizeF((base if base is not None else base_point_size(widget)) * factor)
    if bold is not None:
        font.setBold(bold)
    widget.setFont(font)


def font_factor(widget: QWidget) -> float | None:
    """The ``FONT_REL`` factor remembered on ``widget``, or None if it has none.

    The property is read only when the widget has it: asking a ``QObject`` for a property it
    lacks returns None, and PySide6 6.12.0 dropped a reference to None on every such call
    (the app aborted with "deallocating None" after minutes of use; see pyproject.toml).
    """
    if _FONT_REL_BYTES not in (bytes(name.data()) for name in widget.dynamicPropertyNames()):
        return None
    factor = widget.property(FONT_REL)
    if isinstance(factor, (int, float)) and factor > 0:
        return float(factor)
    return None


def rescale_fonts(root: QWidget, base: float, old_base: float | None = None) -> None:
    """Give every widget under ``root`` (and ``root``) its text size for a new ``base``.

    A widget's size relative to the base is its ``FONT_REL`` property, or else its current
    size over ``old_base`` (default: the application's font size, the size a new widget
    starts with), remembered from then on. Every widget is set explicitly because a widget
    with a style sheet no longer inherits font changes from its parent. The factors are all
    read before any font changes, since a change propagates to children at once.
    """
    old = old_base or QApplication.font().pointSizeF() or 11.0
    widgets = [root, *root.findChildren(QWidget)]
    factors = []
    for widget in widgets:
        factor = font_factor(widget)
        if factor is None:
            size = widget.font().pointSizeF()
            factor = size / old if size > 0 else 1.0
        factors.append(float(factor))
    for widget, factor in zip(widgets, factors, strict=True):
        widget.setProperty(FONT_REL, factor)
        font = widget.font()
        font.setPointSizeF(base * factor)
        widget.setFont(font)
