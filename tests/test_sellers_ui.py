"""One seller list, refreshed everywhere (issue 14 §6).

A seller created in Practice was missing from the Manager's list until the app restarted, and
card-game players "Ana" and "Ben" became new sellers beside Ana Lopez and Ben Carter. Every
screen that lists sellers now subscribes to the window's one ``SellerDirectory``: the real
window, real widgets, a real store under ``tmp_path``; only the microphone and the recogniser
are fakes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fakes import FakeSoundDevice
from tests.test_ui import AGENDA_WAV, FAST, Answers, ScriptedTranscriber
from tests.windows import close_windows, ready_window
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.shell import MainWindow
from trainer.ui.tasks import SyncPool

NEW = "Nadia Park"


@pytest.fixture
def window(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[MainWindow]:
    store.seller("Ana Lopez")
    store.seller("Ben Carter")
    win = MainWindow(DrillLibrary(), store, FakeSoundDevice(source=AGENDA_WAV, speed=FAST),
                     ScriptedTranscriber(), user_dirs, pool=SyncPool(), confirm=Answers())
    yield ready_window(qtbot, win, NEW)
    close_windows([win])


def lists(window: MainWindow) -> dict[str, list[str]]:
    """The seller names each screen offers right now."""
    manager = window.manager_panel.certification.seller_combo
    players = window.cards_panel.setup_page.players_combo
    return {
        "manager": [manager.itemText(i) for i in range(manager.count())],
        "card players": [players.itemText(i) for i in range(players.count())],
        "story hour": window.story_hour_panel.setup_page.name_picker.names(),
        "practice": window.practice.name_picker.names(),
    }


def test_a_seller_created_in_practice_is_on_every_screen_at_once(
        qtbot: QtBot, window: MainWindow, store: Store) -> None:
    on_file = ["Ana Lopez", "Ben Carter"]
    assert set(map(tuple, lists(window).values())) == {tuple(on_file)}
    # Space records a take: the seller typed in Practice is created now...
    with qtbot.waitSignal(window.sellers.changed, timeout=5000), \
            qtbot.waitSignal(window.recording_started, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert [s.name for s in store.sellers()] == ["Ana Lopez", "Ben Carter", NEW]
    # ...and every screen lists them, with no restart and no tab switch.
    for screen, names in lists(window).items():
        assert names == ["Ana Lopez", "Ben Carter", NEW], screen
    with qtbot.waitSignal(window.recording_stopped, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.history.history_table.rowCount() == 1, timeout=10000)


def test_card_players_ana_and_ben_are_the_sellers_on_file(
        qtbot: QtBot, window: MainWindow, store: Store) -> None:
    cards = window.cards_panel
    window.screens.setCurrentWidget(cards)
    cards.setup_page.players_edit.setText("Ana, Ben")
    with qtbot.waitSignal(cards.card_shown, timeout=5000):
        cards.start_game()
    assert cards.game is not None and cards.game.players == ("Ana Lopez", "Ben Carter")
    cards.call("feature")
    assert [s.name for s in store.sellers()] == ["Ana Lopez", "Ben Carter"]
    assert lists(window)["manager"] == ["Ana Lopez", "Ben Carter"]


def test_a_player_added_in_the_card_game_reaches_the_manager(
        qtbot: QtBot, window: MainWindow, store: Store) -> None:
    cards = window.cards_panel
    window.screens.setCurrentWidget(cards)
    cards.setup_page.players_edit.setText("Chris Doe")
    with qtbot.waitSignal(window.sellers.changed, timeout=5000):
        cards.start_game()  # the window's confirm says yes to the new seller
    assert "Chris Doe" in lists(window)["manager"]
    assert "Chris Doe" in lists(window)["practice"]


def test_a_story_hour_roster_reaches_the_other_screens(
        qtbot: QtBot, window: MainWindow, store: Store) -> None:
    hour = window.story_hour_panel
    window.screens.setCurrentWidget(hour)
    for name in ("Eve Stone", "Finn Hale"):
        hour.setup_page.name_edit.setText(name)
        hour.setup_page.add_player()
    with qtbot.waitSignal(window.sellers.changed, timeout=5000):
        hour.start()
    for screen in ("manager", "card players", "practice"):
        assert {"Eve Stone", "Finn Hale"} <= set(lists(window)[screen]), screen


def test_picking_a_seller_fills_the_name_box(qtbot: QtBot, window: MainWindow) -> None:
    picker = window.practice.name_picker
    assert picker.names() == ["Ana Lopez", "Ben Carter"]
    picker.choose("Ben Carter")
    assert window.seller_name() == "Ben Carter"


def test_deleted_data_leaves_every_list(qtbot: QtBot, window: MainWindow,
                                       store: Store) -> None:
    window.practice.name_edit.setText("Ben Carter")
    window.screens.setCurrentIndex(1)  # History, where "Delete my data" is
    with qtbot.waitSignal(window.sellers.changed, timeout=5000):
        window.history.forget_my_data()  # the window's confirm says yes
    assert [s.name for s in store.sellers()] == ["Ana Lopez"]
    for screen, names in lists(window).items():
        assert names == ["Ana Lopez"], screen


def test_the_directory_is_one_object_shared_by_every_screen(window: MainWindow) -> None:
    shared: list[Any] = [window.manager_panel.sellers, window.story_hour_panel.sellers,
                         window.cards_panel.sellers]
    assert all(s is window.sellers for s in shared)
