"""The shell's navigation: screens grouped by the three people who use the app.

A side bar lists the screens under "Seller", "Manager" and "Team"; the chosen screen fills the
rest of the window. An entry shows a screen, and may also pick a view inside it (the
manager's certification, team and company are three entries on one screen). The page API
mirrors ``QTabWidget`` (``addTab``, ``indexOf``, ``setCurrentWidget``, ``currentChanged``...)
so the shell and its tests address screens the same way whatever the navigation looks like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QWidget,
)

from trainer.ui.style import GAP, MUTED, SIDEBAR_WIDTH

# "home" is the welcome screen, listed first without a heading.
JOURNEYS = {"home": "", "seller": "Seller", "manager": "Manager", "team": "Team"}
_ENTRY = Qt.ItemDataRole.UserRole


@dataclass
class Entry:
    """One line of the side bar: a screen and, optionally, the view inside it to show."""

    title: str
    page: QWidget
    journey: str
    show: Callable[[], None] | None = None
    item: QListWidgetItem | None = None
    tip: str = ""


class SideBar(QListWidget):
    """The list of screens, as wide as its longest entry in the current font (presenter mode
    enlarges the font, and the bar grows with it rather than clip "Certification 1:1")."""

    def fit_width(self) -> None:
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(self.item(i).text())
                      for i in range(self.count())), default=0)
        self.setFixedWidth(max(SIDEBAR_WIDTH, widest + 4 * GAP))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit_width()


class JourneyNavigation(QWidget):
    """Side bar + stacked screens. Signals ``currentChanged(page index)`` like a tab widget."""

    currentChanged = Signal(int)  # noqa: N815 - the QTabWidget name, so callers read the same

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = SideBar()
        self.side.setAccessibleName("Screens")
        self.side.setFrameShape(QFrame.Shape.NoFrame)
        self.side.setStyleSheet(
            "QListWidget { background: transparent; }"
            "QListWidget::item { padding: 5px 8px; border-radius: 4px; }"
            "QListWidget::item:selected { background: #dce8f7; color: #1f2933; }")
        self.stack = QStackedWidget()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.side)
        layout.addWidget(self.stack, 1)
        self._entries: list[Entry] = []
        self._headers: dict[str, QListWidgetItem] = {}
        self._syncing = False
        self.side.currentItemChanged.connect(self._on_item_changed)
        self.stack.currentChanged.connect(self._on_page_changed)

    # -- building -------------------------------------------------------------------------
    def addTab(self, page: QWidget, title: str, journey: str = "seller",  # noqa: N802
               show: Callable[[], None] | None = None) -> int:
        """Add ``page`` (if new) and a side-bar entry for it; returns the page's index."""
        if journey not in JOURNEYS:
            raise ValueError(f"unknown journey {journey!r}")
        index = self.stack.indexOf(page)
        if index < 0:
            index = self.stack.addWidget(page)
        entry = Entry(title, page, journey, show)
        self._entries.append(entry)
        self._rebuild()
        return index

    def _rebuild(self) -> None:
        current = self.current_entry()
        self._syncing = True
        try:
            self.side.clear()
            self._headers.clear()
            for journey, label in JOURNEYS.items():
                entries = [e for e in self._entries if e.journey == journey]
                if not entries:
                    continue
                if not label:
                    for entry in entries:
                        self._add_item(entry)
                    continue
                header = QListWidgetItem(label.upper())
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = header.font()
                font.setBold(True)
                font.setPointSizeF(max(font.pointSizeF(), 9.0) * 0.85)
                header.setFont(font)
                header.setForeground(QBrush(QColor(MUTED)))
                self.side.addItem(header)
                self._headers[journey] = header
                for entry in entries:
                    self._add_item(entry, indent="   ")
            if current is not None and current.item is not None:
                self.side.setCurrentItem(current.item)
        finally:
            self._syncing = False
        self.side.fit_width()

    def _add_item(self, entry: Entry, indent: str = "") -> None:
        item = QListWidgetItem(indent + entry.title)
        item.setData(_ENTRY, self._entries.index(entry))
        item.setToolTip(entry.tip or entry.title)
        entry.item = item
        self.side.addItem(item)

    def set_entry_tooltip(self, title: str, text: str) -> None:
        for entry in self._entries:
            if entry.title == title:
                entry.tip = text
                if entry.item is not None:
                    entry.item.setToolTip(text)

    # -- the QTabWidget-like page API -----------------------------------------------------
    def count(self) -> int:
        return self.stack.count()

    def widget(self, index: int) -> QWidget | None:
        return self.stack.widget(index)

    def indexOf(self, page: QWidget) -> int:  # noqa: N802
        return self.stack.indexOf(page)

    def currentIndex(self) -> int:  # noqa: N802
        return self.stack.currentIndex()

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        return self.stack.currentWidget()

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self.stack.setCurrentIndex(index)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        if self.stack.indexOf(page) >= 0:
            self.stack.setCurrentWidget(page)

    def tabText(self, index: int) -> str:  # noqa: N802
        page = self.stack.widget(index)
        return next((e.title for e in self._entries if e.page is page), "")

    def titles(self, journey: str) -> list[str]:
        """The side bar's entries under one journey, in order."""
        return [e.title for e in self._entries if e.journey == journey]

    def select(self, title: str) -> None:
        """Show the entry called ``title`` (its screen, and its view inside the screen)."""
        entry = next(e for e in self._entries if e.title == title)
        if entry.item is not None:
            self.side.setCurrentItem(entry.item)

    def current_entry(self) -> Entry | None:
        item = self.side.currentItem()
        if item is None or item.data(_ENTRY) is None:
            return None
        return self._entries[int(item.data(_ENTRY))]

    # -- keeping the side bar and the page in step ----------------------------------------
    def _on_item_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if self._syncing or item is None or item.data(_ENTRY) is None:
            return
        entry = self._entries[int(item.data(_ENTRY))]
        self._syncing = True
        try:
            self.stack.setCurrentWidget(entry.page)
        finally:
            self._syncing = False
        if entry.show is not None:
            entry.show()
        self.currentChanged.emit(self.stack.currentIndex())

    def _on_page_changed(self, index: int) -> None:
        if not self._syncing:
            page = self.stack.widget(index)
            current = self.current_entry()
            if current is None or current.page is not page:
                entry = next((e for e in self._entries if e.page is page), None)
                if entry is not None and entry.item is not None:
                    self._syncing = True
                    try:
                        self.side.setCurrentItem(entry.item)
                    finally:
                        self._syncing = False
            self.currentChanged.emit(index)

