"""The shell navigated by journey (issue 16): seller, manager and team screens in a side bar,
the Practice controls only on Practice, and a first-run home that asks who is practising and
shows every drill with that seller's last score. Real window, real store, real drills; the
microphone is a fake playing a real WAV and the transcriber is scripted (recognition is not
what is tested here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fakes import FakeSoundDevice
from tests.test_seller_ui import AGENDA_WAV, FAST, Scripted, record_take, yes
from tests.windows import close_windows
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.home import describe
from trainer.ui.shell import MainWindow
from trainer.ui.tasks import SyncPool


@pytest.fixture
def window(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[MainWindow]:
    win = MainWindow(DrillLibrary(), store, FakeSoundDevice(source=AGENDA_WAV, speed=FAST),
                     Scripted(), user_dirs, pool=SyncPool(), confirm=yes, start_on_home=True)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitUntil(lambda: win.model_state == "ready", timeout=30000)
    yield win
    close_windows([win])


def test_the_side_bar_groups_screens_by_who_uses_them(window: MainWindow) -> None:
    nav = window.screens
    assert nav.titles("seller") == ["Practice", "History", "Progress", "Written agenda",
                                    "Roleplay"]
    assert nav.titles("manager") == ["Certification 1:1", "Team", "Company"]
    assert nav.titles("team") == ["Story hour", "Story library", "Cards"]
    headers = [nav.side.item(i).text() for i in range(nav.side.count())
               if not nav.side.item(i).flags() & Qt.ItemFlag.ItemIsSelectable]
    assert headers == ["SELLER", "MANAGER", "TEAM"]


def test_a_manager_entry_opens_its_view_of_the_manager_screen(qtbot: QtBot,
                                                             window: MainWindow) -> None:
    window.go_to("Team")
    assert window.screens.currentWidget() is window.manager_panel
    assert window.manager_panel.views.currentIndex() == 3
    window.go_to("Company")
    assert window.manager_panel.views.currentIndex() == 0
    window.go_to("Certification 1:1")
    assert window.manager_panel.views.currentIndex() == 1


def test_the_practice_bar_shows_only_on_practice(qtbot: QtBot, window: MainWindow) -> None:
    window.go_to("Practice")
    qtbot.waitUntil(lambda: window.practice.drill_combo.isVisible())
    for title in ("History", "Story hour", "Certification 1:1", "Cards", "Home"):
        window.go_to(title)
        practice = window.practice
        assert not practice.drill_combo.isVisible(), title
        assert not practice.scenario_combo.isVisible(), title


def test_first_run_home_asks_who_and_shows_the_last_score_on_each_drill(
        qtbot: QtBot, window: MainWindow) -> None:
    assert window.screens.currentWidget() is window.home
    home = window.home
    assert set(home.rows) == {d.id for d in window.library.drills()}
    assert all(status.text() == "Not tried yet" for _, status, _ in home.rows.values())

    qtbot.keyClicks(home.name_edit, "Ana Lopez")
    qtbot.mouseClick(home.rows["agenda"][2], Qt.MouseButton.LeftButton)
    assert window.screens.currentIndex() == 0  # Practice
    assert window.seller_name() == "Ana Lopez"
    drill = window.practice.current_drill()
    assert drill is not None and drill.id == "agenda"

    card = record_take(qtbot, window)
    window.go_to("Home")
    status = home.rows["agenda"][1].text()
    assert status.startswith("Last score ") and "today" in status
    assert str(round(card["score"])) in status
    assert home.rows["vision"][1].text() == "Not tried yet"


def test_a_journey_button_carries_the_name_to_its_screen(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    qtbot.keyClicks(window.home.name_edit, "Ben Okafor")
    qtbot.mouseClick(window.home.journey_buttons["Story hour"], Qt.MouseButton.LeftButton)
    assert window.screens.currentWidget() is window.story_hour_panel
    assert window.seller_name() == "Ben Okafor"


def test_describe_says_pass_or_the_mark_and_when() -> None:
    from trainer.coaching.progress import LastTake

    day = 86400.0
    assert describe(LastTake("agenda", "Set an agenda", 70, None, None, None))[0] == \
        "Not tried yet"
    text, _ = describe(LastTake("agenda", "Set an agenda", 70, 81.6, True, 0.0), now=2 * day)
    assert text == "Last score 82 \u00b7 pass \u00b7 2 days ago"
    text, _ = describe(LastTake("agenda", "Set an agenda", 70, 55.0, False, day), now=day + 5)
    assert text == "Last score 55 \u00b7 below the pass mark of 70 \u00b7 today"
    text, _ = describe(LastTake("agenda", "Set an agenda", 70, 55.0, False, 0.0), now=day)
    assert "yesterday" in text


