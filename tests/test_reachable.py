"""Every action of every screen can be reached at 1024x700, the smallest window we support.

The real ``MainWindow`` with every screen, shown at 1024x700 (offscreen). Every tab, every
sub-tab and every page of a stacked screen (the practice result, the story hour's rating, the
card table...) is brought up in turn, and every button on it that is not hidden must be
reachable: fully inside the window and inside every parent that clips it, or inside a scroll
area that can scroll it into view by scrolling down (not sideways: a horizontal scroll bar at
the foot of a page is not something people look for). Disabled buttons count too (Certify is
disabled until a take is reviewed, and was off-screen then). The window must also stay
1024x700: a page whose layout needs more would make it grow. Checked with the screens holding
content (a scorecard, a reviewed take, a dealt card game) and again in presenter mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.fakes import FakeSoundDevice
from tests.test_ui import AGENDA_WAV, FAST, Answers, ScriptedTranscriber
from trainer.coaching.compare import compare_takes
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.seller.practice import State
from trainer.ui.shell import MainWindow
from trainer.ui.tasks import SyncPool

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SMALLEST = QSize(1024, 700)
# Buttons that belong to another widget's own machinery, not to a screen's actions.
MACHINERY = (QTabBar, QLineEdit, QAbstractSpinBox, QComboBox, QScrollBar)


@pytest.fixture
def window(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[MainWindow]:
    win = MainWindow(DrillLibrary(), store, FakeSoundDevice(source=AGENDA_WAV, speed=FAST),
                     ScriptedTranscriber(), user_dirs, pool=SyncPool(), confirm=Answers())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.model_state == "ready", timeout=30000)
    win.practice.name_edit.setText("Ana Lopez")
    win.resize(SMALLEST)
    yield win
    if win.practice.state is State.RECORDING:
        win.close()
    win.wait_for_background()


def _is_machinery(button: QAbstractButton) -> bool:
    parent = button.parentWidget()
    while parent is not None:
        if isinstance(parent, MACHINERY):
            return True
        parent = parent.parentWidget()
    return False


def _name(button: QAbstractButton) -> str:
    text = button.text() or button.accessibleName() or button.toolTip()
    return f"{type(button).__name__} {text!r}"


def _visible_part(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` a person can see: its rectangle clipped by every parent up to
    the window, in window coordinates."""
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(QRect(parent.mapTo(window, parent.rect().topLeft()),
                                      parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(window.rect())


def _scroll_areas(widget: QWidget) -> list[QScrollArea]:
    """The scroll areas holding ``widget``, innermost first."""
    areas, parent = [], widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            areas.append(parent)
        parent = parent.parentWidget()
    return areas


def _unreachable(window: MainWindow, page: QWidget) -> list[str]:
    problems = []
    for button in page.findChildren(QAbstractButton):
        if not isinstance(button, (QPushButton, QToolButton)) or _is_machinery(button):
            continue
        if not button.isVisibleTo(window) or not button.isVisible():
            continue  # hidden on purpose, or on a page not shown now
        QApplication.processEvents()  # layouts settle before scrolling
        for area in _scroll_areas(button):  # scroll it into view, innermost area first
            area.ensureWidgetVisible(button, 0, 0)
            # Down, not sideways: a horizontal scroll bar under a long page is not found
            # (Certify sat past the right edge behind one).
            area.horizontalScrollBar().setValue(area.horizontalScrollBar().minimum())
        QApplication.processEvents()
        full = QRect(button.mapTo(window, button.rect().topLeft()), button.size())
        seen = _visible_part(button, window)
        if seen != full:
            problems.append(f"{_name(button)}: at {full.getRect()}, visible {seen.getRect()}")
    return problems


def _pages(window: MainWindow) -> Iterator[str]:
    """Bring up every page of every tab widget and stacked screen in turn; yield its name."""
    tabs = window.screens
    for t in range(tabs.count()):
        tabs.setCurrentIndex(t)
        top = tabs.widget(t)
        assert top is not None
        yield tabs.tabText(t)
        for sub in top.findChildren(QTabWidget):
            for s in range(sub.count()):
                sub.setCurrentIndex(s)
                yield f"{tabs.tabText(t)} / {sub.tabText(s)}"
        stacks = [w for w in top.findChildren(QStackedWidget)
                  if not isinstance(w.parentWidget(), QTabWidget)]
        if isinstance(top, QStackedWidget):
            stacks.insert(0, top)
        for stack in stacks:
            current = stack.currentIndex()
            for p in range(stack.count()):
                stack.setCurrentIndex(p)
                yield f"{tabs.tabText(t)} / {type(stack.parentWidget()).__name__} page {p}"
            stack.setCurrentIndex(current)


def _fill(window: MainWindow, store: Store) -> None:
    """Content on the screens, as after a while of use: a scored take on the Practice screen
    and in History, a 1:1 with a reviewed take (its criteria rows), a card game dealt."""
    from tests.test_certification import take

    seller = store.seller("Ana Lopez")
    practised = take(store, window.library, seller, None)
    card = store.attempt(practised).scorecard
    assert card is not None
    window.practice.scorecard_view.show_card(card)
    window.practice.compare_view.show_comparison(compare_takes(card, card), card, card)
    window.screens.setCurrentIndex(1)
    window.history.history_table.selectRow(0)
    manager = window.manager_panel
    one_on_one, wrapup = manager.certification, manager.wrapup
    one_on_one.seller_combo.setEditText("Ben Okafor")
    one_on_one.manager_edit.setText("Maria Chen")
    one_on_one.start_session()
    session = manager.session
    assert session is not None
    one_on_one._on_attempt_scored(take(store, window.library, session.seller, session.context),
                                  session.context)
    assert one_on_one.override_rows and one_on_one.certify_button.isEnabled()
    wrapup.item_text.setText("Send Dana the close checklist")
    wrapup.add_action_item()
    window.cards_panel.setup_page.players_edit.setText("Ana, Ben")
    window.cards_panel.start_game()
    window.screens.setCurrentIndex(0)


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
def test_every_button_is_reachable_at_1024_by_700(qtbot: QtBot, window: MainWindow,
                                                  store: Store, presenter: bool) -> None:
    _fill(window, store)
    if presenter:  # large type for a meeting-room screen: the same window, 1.6x the text
        window.toggle_presenter()
    problems: dict[str, list[str]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for page in _pages(window):
        window.resize(SMALLEST)
        QApplication.processEvents()
        if window.size() != SMALLEST:
            sizes[page] = (window.width(), window.height())
        found = _unreachable(window, window.centralWidget())
        if found:
            problems[page] = found
    assert not sizes, f"pages that make the window grow past 1024x700: {sizes}"
    assert not problems, "\n".join(f"{page}:\n  " + "\n  ".join(p)
                                   for page, p in problems.items())


def test_the_check_finds_a_button_off_screen(qtbot: QtBot, window: MainWindow) -> None:
    """The check itself: the manager's Certify button, pushed past the right edge, is found."""
    manager = window.manager_panel
    window.screens.setCurrentWidget(manager)
    manager.show_view(1)
    manager.certification.certify_button.setMinimumWidth(3000)
    QApplication.processEvents()
    found = _unreachable(window, window.centralWidget())
    assert any("'Certify'" in p for p in found), found
