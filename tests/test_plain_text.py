"""Every string a user typed is shown as the text they typed, never as rich text.

The real ``MainWindow`` with every screen, a real store, the real recorder on a fake microphone
playing a real speech WAV and a scripted transcriber (what it "hears" carries markup too).
Sellers, a "my next call" prospect, the company profile, an approved story, a 1:1 with its
manager, comments and action items, story-hour players and card players all get names like
``<b>bold</b>`` or ``<img src=x>``; the journeys are walked until those names are on screen
(practice result, history, progress, written agenda, manager 1:1, wrap-up and team, story
hour, story library, cards, roleplay), and at each stop every label, text view and tooltip of
the window is checked: one that shows a hostile string must not render it as rich text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.fakes import FakeSoundDevice
from tests.test_ui import AGENDA_WAV, FAST, Answers, ScriptedTranscriber, record_whole_clip
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.seller.practice import State
from trainer.ui.shared import ask_in_dialog
from trainer.ui.shell import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

# Each hostile string with the word it would show if it were rendered as rich text.
BOLD, LINK, BIG, IMG = "<b>bold</b>", "<a href='x'>link</a>", "<h1>big</h1>", "<img src=x>"
VISIBLE = {BOLD: "bold", LINK: "link", BIG: "big", IMG: None}
SELLER = f"{BOLD} Ana {IMG}"
OTHER = f"{BIG} Ben"
MANAGER = f"{LINK} Boss"
HEARD = ("Ledgerly makes close-management software - it automates the month-end "
         f"reconciliations that most finance teams still do in spreadsheets {BOLD} {IMG}. We "
         "work with finance directors and controllers at mid-sized companies. What they get "
         f"is a faster close and an audit trail for every adjustment {LINK}.")


def _hostile(text: str) -> list[str]:
    return [h for h in VISIBLE if h in text]


def _renders_rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    return fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGui.mightBeRichText(label.text()))


def _rich_in_document(view: QTextEdit) -> list[str]:
    """Hostile strings a text view rendered as formatting: their tags are gone from the
    text a reader sees while their words (or an image) are there."""
    plain, html = view.toPlainText(), view.toHtml()
    found = [h for h, word in VISIBLE.items() if word and word in plain and h not in plain]
    if '<img src="x"' in html:
        found.append(IMG)
    return found


def _item_tooltips(model: QAbstractItemModel | None) -> list[str]:
    if model is None:
        return []
    tips = []
    root = QModelIndex()
    try:
        columns = model.columnCount(root)
    except TypeError:  # a list model keeps columnCount private: one column
        columns = 1
    for row in range(model.rowCount(root)):
        for col in range(columns):
            tip = model.data(model.index(row, col), Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str):
                tips.append(tip)
    return tips


class Walk:
    """Every stop's offences (a hostile string shown as rich text) and what was shown."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.offences: dict[str, str] = {}
        self.shown: set[str] = set()  # names of widgets that showed a hostile string

    def _names(self) -> dict[int, str]:
        """Widget -> "Owner.attribute", to say which label it is."""
        # The window, its screens and their parts (a screen's scorecard view...): three levels.
        owners: list[Any] = [self.window]
        for _ in range(2):
            owners += [v for o in list(owners) for v in vars(o).values()
                       if isinstance(v, QWidget) and v not in owners]
        names: dict[int, str] = {}
        for owner in owners:
            for key, value in vars(owner).items():
                if isinstance(value, QWidget):
                    names.setdefault(id(value), f"{type(owner).__name__}.{key}")
        return names

    def _name(self, widget: QWidget, names: dict[int, str]) -> str:
        chain, w = [], widget
        while w is not None:
            if id(w) in names:
                chain.append(names[id(w)])
                break
            w = w.parentWidget()
        where = chain[0] if chain else "?"
        own = names.get(id(widget)) or widget.objectName() or widget.accessibleName()
        return f"{type(widget).__name__} {own or ''} (in {where})".replace("  ", " ")

    def stop(self, where: str) -> None:
        names = self._names()
        roots = [self.window] + [w for w in QApplication.topLevelWidgets()
                                 if w.isVisible() and w is not self.window]
        for root in roots:
            for widget in [root, *root.findChildren(QWidget)]:
                name = self._name(widget, names)
                problems: list[str] = []
                if isinstance(widget, QLabel) and _hostile(widget.text()):
                    self.shown.add(name)
                    if _renders_rich(widget):
                        problems.append(f"text {widget.text()!r}")
                if isinstance(widget, QLabel) and any(
                        h.replace("<", "&lt;") in widget.text() for h in VISIBLE):
                    self.shown.add(name)  # escaped inside our own rich text: fine
                if isinstance(widget, QTextEdit):
                    if _hostile(widget.toPlainText()):
                        self.shown.add(name)
                    rich = _rich_in_document(widget)
                    if rich:
                        self.shown.add(name)
                        problems.append(f"document renders {rich}")
                tips = [widget.toolTip()]
                if isinstance(widget, QAbstractItemView) and not isinstance(widget,
                                                                            QHeaderView):
                    tips += _item_tooltips(widget.model())
                if isinstance(widget, QComboBox):
                    tips += _item_tooltips(widget.model())
                for tip in tips:
                    if _hostile(tip) and QtGui.mightBeRichText(tip):
                        problems.append(f"tooltip {tip[:80]!r}")
                for problem in problems:
                    self.offences.setdefault(f"{name}: {problem}", where)


@pytest.fixture
def window(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[MainWindow]:
    win = MainWindow(DrillLibrary(), store, FakeSoundDevice(source=AGENDA_WAV, speed=FAST),
                     ScriptedTranscriber(HEARD), user_dirs, pool=_sync_pool(),
                     confirm=Answers())
    qtbot.addWidget(win)
    win.resize(1400, 950)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    qtbot.waitUntil(lambda: win.model_state == "ready", timeout=30000)
    yield win
    if win.practice.state is State.RECORDING:
        win.close()
    win.wait_for_background()


def _sync_pool() -> Any:
    from trainer.ui.tasks import SyncPool

    return SyncPool()


def _take(qtbot: QtBot, window: MainWindow, walk: Walk | None = None) -> int:
    """Record the whole clip on the Practice screen (walking the window while it records) and
    wait for its scorecard."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    record_whole_clip(qtbot, window)
    if walk is not None:
        walk.stop("recording")
    with qtbot.waitSignal(window.attempt_scored, timeout=30000) as scored:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    return int(scored.args[0])


def test_user_text_is_never_rendered_as_rich_text(qtbot: QtBot, window: MainWindow,
                                                  store: Store) -> None:
    walk = Walk(window)

    # Practice: a hostile seller practises on a hostile "my next call".
    window.practice.name_edit.setText(SELLER)
    window.practice.next_call.open()
    dialog = window.practice.next_call.dialog
    assert dialog is not None
    dialog.company_edit.setText(f"{BIG} Freight")
    dialog.industry_edit.setText(f"{BOLD} logistics")
    dialog.role_edit.setText(f"{LINK} controller")
    dialog.name_edit.setText(f"{IMG} Dana")
    dialog.pains_edit.setPlainText(f"{BOLD} close takes ten days")
    dialog.alternative_edit.setText(f"{BIG} spreadsheets")
    walk.stop("the call dialog")
    dialog.try_save()
    qtbot.waitUntil(lambda: window.practice.next_call.dialog is None, timeout=5000)
    window.practice.drill_combo.setCurrentIndex(window.practice.drill_combo.findData("value_prop"))
    assert "Freight" in window.practice.scenario_combo.currentText()
    walk.stop("the brief")
    _take(qtbot, window, walk)
    walk.stop("the practice result")
    window.practice.try_again()
    _take(qtbot, window)
    window.practice.show_comparison()
    walk.stop("the comparison")
    window.practice.hide_comparison()

    # History, progress, the written agenda.
    window.screens.setCurrentIndex(1)
    window.history.history_table.selectRow(0)
    walk.stop("history")
    window.refresh_progress()
    window.screens.setCurrentWidget(window.progress_view)
    walk.stop("progress")
    window.screens.setCurrentWidget(window.agenda_editor)
    window.agenda_editor.type_combo.setEditText(f"{BOLD} demo")
    window.agenda_editor.editor.setPlainText(f"{BIG} purpose\n{LINK} time check")
    window.agenda_editor.save()
    walk.stop("the written agenda")

    # The manager: company, an approved story, a 1:1 with a take, the wrap-up, the team.
    manager = window.manager_panel
    company, one_on_one, wrapup = manager.company, manager.certification, manager.wrapup
    window.screens.setCurrentWidget(manager)
    manager.show_view(0)
    company.company_name.setText(f"{BIG} Co")
    company.company_offering.setText(f"{BOLD} close software")
    company.value_points.setPlainText(f"{LINK} faster close")
    company.differentiators.setPlainText(f"{IMG} one-day setup")
    company.save_company()
    company.story_title.setText(f"{BIG} Harbor")
    company.story_industry.setText(f"{BOLD} logistics")
    company.story_role.setText(f"{LINK} controller")
    company.story_pain.setText(f"{IMG} slow close")
    company.story_text.setPlainText(f"Harbor {BOLD} closed in six days, not eleven {BIG}.")
    company.add_story()
    walk.stop("the company view")
    manager.show_view(1)
    one_on_one.seller_combo.setEditText(OTHER)
    one_on_one.manager_edit.setText(MANAGER)
    one_on_one.start_session()
    assert manager.session is not None
    one_on_one.record_seller()
    with qtbot.waitSignal(manager.review_changed, timeout=30000):
        _take(qtbot, window)
    row = next(iter(one_on_one.override_rows.values()))
    row.met_box.setChecked(not row.met_box.isChecked())
    row.comment.setText(f"{BOLD} heard it")
    one_on_one.cert_comments.setText(f"{LINK} ready")
    one_on_one.certify()
    walk.stop("the 1:1 review")
    manager.show_view(2)
    wrapup.item_text.setText(f"{IMG} send the checklist")
    wrapup.add_action_item()
    wrapup.feedback_edit.setPlainText(f"{BIG} useful")
    wrapup.end_session()
    walk.stop("the wrap-up")
    with qtbot.waitSignal(manager.team_refreshed, timeout=5000):
        manager.show_view(3)
    walk.stop("the team view")

    # The story hour: two hostile players, one story told, then the ranking and the library.
    hour = window.story_hour_panel
    window.screens.setCurrentWidget(hour)
    for name in (SELLER, OTHER):
        hour.setup_page.name_edit.setText(name)
        hour.setup_page.add_player()
    walk.stop("the story-hour roster")
    hour.start()
    walk.stop("the first teller")
    hour.next_teller()
    with qtbot.waitSignal(hour.turn_scored, timeout=30000):
        _take(qtbot, window)
    walk.stop("the story-hour rating")
    hour.finish()
    walk.stop("the story-hour ranking")
    hour.ranking_page.title_edit.setText(f"{BIG} story")
    hour.save_story()
    shelf = window.story_library_panel
    window.screens.setCurrentWidget(shelf)
    shelf.refresh()
    walk.stop("the story library")

    # The card game with hostile players, through to its summary.
    cards = window.cards_panel
    window.screens.setCurrentWidget(cards)
    cards.setup_page.players_edit.setText(f"{SELLER}, {OTHER}")
    cards.start_game()
    walk.stop("the card table")
    cards.call("feature")
    walk.stop("a called card")
    cards.end_game()
    walk.stop("the card summary")

    # The roleplay tab takes the seller's name.
    window.screens.setCurrentWidget(window.roleplay_panel)
    walk.stop("the roleplay")

    # The journeys did put the names on screen (a walk that saw none would prove nothing).
    for expected in ("PracticeScreen.result_title", "HistoryScreen.history_title",
                     "PracticeScreen.record_hint",
                     "CertificationView.session_label", "ScorecardView.transcript_label"):
        assert any(expected in s for s in walk.shown), (expected, sorted(walk.shown))
    assert not walk.offences, "\n".join(f"{k}  [at {v}]" for k, v in walk.offences.items())


def test_questions_to_the_seller_are_plain_text(qtbot: QtBot) -> None:
    """A question that quotes the seller's name (e.g. "Delete my data") shows it as typed."""
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[tuple[Qt.TextFormat, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.textFormat(), box.text()))
        box.reject()

    QTimer.singleShot(0, answer)
    ask_in_dialog(parent, "Delete my data", f"Delete every take of {SELLER}?", "Delete", True)
    assert seen == [(Qt.TextFormat.PlainText, f"Delete every take of {SELLER}?")]
