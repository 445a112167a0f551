"""The story hour and the story library, driven like a team drives them, with pytest-qt.

The real ``MainWindow`` is the host that records and scores each teller's take: the real
``Recorder`` fed by ``FakeSoundDevice`` from the synthetic client stories in
``tests/data/speech/story_*.wav``, the real scorer and a real ``Store`` under ``tmp_path``.
Only speech recognition is scripted: each take "hears" the text of the WAV it was fed.
Waits are on signals or conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from tests.test_storyhour import told
from trainer.audio.wavio import read_audio
from trainer.coaching.stories import add_story, search_stories
from trainer.coaching.storyhour import (
    progress,
    rate_story,
    ratings_of,
    record_turn,
    start_story_hour,
    unfinished_story_hour,
)
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, Word
from trainer.store.database import Store
from trainer.ui.seller.practice import State
from trainer.ui.shell import MainWindow
from trainer.ui.style import base_point_size
from trainer.ui.tasks import SyncPool
from trainer.ui.team.controls import NO_PLAYER_MESSAGE
from trainer.ui.team.library import StoryLibraryPanel
from trainer.ui.team.storyhour import StoryHourPanel

GOOD_WAV, WEAK_WAV = SPEECH / "story_good.wav", SPEECH / "story_weak.wav"
TEXTS = {GOOD_WAV: (SPEECH / "story_good.txt").read_text(encoding="utf-8"),
         WEAK_WAV: (SPEECH / "story_weak.txt").read_text(encoding="utf-8")}
SCENARIO_ID = "mercy-health"
CRITERIA = ["client", "situation", "action", "result", "quantified", "relevance",
            "engaging_delivery"]
FAST = 20.0
CTRL = Qt.KeyboardModifier.ControlModifier


class StorySound(FakeSoundDevice):
    """The fake microphone, switched to the next teller's WAV between takes."""

    def hear(self, wav: Path) -> None:
        self.source = wav
        self._cache.clear()  # the resampled signal of the previous WAV


class HeardTranscriber:
    """"Hears" the text of the WAV the fake microphone is playing (recognition is not what
    these tests are about; ``tests/test_ui.py`` runs the real model)."""

    name = "scripted"

    def __init__(self, sound: StorySound) -> None:
        self.sound = sound

    def load(self) -> float:
        return 0.0

    def transcribe(self, audio: Any) -> Transcript:
        assert self.sound.source is not None
        text = TEXTS[self.sound.source]
        words = [Word(w, 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(text.split())]
        return Transcript(text, words, duration_s=len(audio) / 16000, model=self.name)


@pytest.fixture
def app(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[dict[str, Any]]:
    """The main window with the two panels added as tabs, as the app adds them."""
    library = DrillLibrary()
    sound = StorySound(source=GOOD_WAV, speed=FAST)
    window = MainWindow(library, store, sound, HeardTranscriber(sound), user_dirs,
                        pool=SyncPool(), confirm=lambda *_: True)
    qtbot.addWidget(window)
    panel = StoryHourPanel(store, library, window, window.player)
    shelf = StoryLibraryPanel(store, window, window.player)
    window.screens.addTab(panel, "Story hour")
    window.screens.addTab(shelf, "Story library")
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.waitUntil(lambda: window.model_state == "ready", timeout=30000)
    # The manager's own name on the Practice screen (Return saves it, as a seller does).
    qtbot.keyClicks(window.practice.name_edit, "Dana Ruiz")
    qtbot.keyClick(window.practice.name_edit, Qt.Key.Key_Return)
    yield {"window": window, "panel": panel, "shelf": shelf, "sound": sound}
    if window.practice.state is State.RECORDING:
        window.close()
    window.wait_for_background()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_keys(qtbot: QtBot, *keys: Qt.Key) -> None:
    """Each key to whatever has the focus now, as a person typing."""
    for key in keys:
        qtbot.keyClick(focused(), key)


DIGITS = {n: getattr(Qt.Key, f"Key_{n}") for n in range(1, 6)}


def tell(qtbot: QtBot, window: MainWindow, sound: StorySound, wav: Path) -> int:
    """The teller presses Space, tells the story in the WAV, presses Space; the attempt id."""
    sound.hear(wav)
    seconds = len(read_audio(wav)) / 16000
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    recorder = window.recorder
    assert recorder is not None
    qtbot.waitUntil(lambda: recorder.elapsed_s >= seconds, timeout=60000)
    with qtbot.waitSignal(window.attempt_scored, timeout=30000) as scored:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    return int(scored.args[0])


def test_a_three_player_story_hour_from_roster_to_library(qtbot: QtBot, app: dict[str, Any],
                                                          store: Store) -> None:
    window: MainWindow = app["window"]
    panel: StoryHourPanel = app["panel"]
    shelf: StoryLibraryPanel = app["shelf"]
    sound: StorySound = app["sound"]
    window.screens.setCurrentWidget(panel)

    # Roster by keyboard: a name, Enter; a duplicate gets one sentence.
    panel.setup_page.name_edit.setFocus()
    for name in ("Ana", "Ben", "Cy", "ana"):
        qtbot.keyClicks(panel.setup_page.name_edit, name)
        qtbot.keyClick(panel.setup_page.name_edit, Qt.Key.Key_Return)
    assert panel.setup_page.roster() == ["Ana", "Ben", "Cy"]
    assert panel.banner.label.text() == "ana is already on the roster."
    panel.setup_page.name_edit.clear()
    panel.setup_page.scenario_combo.setCurrentIndex(panel.setup_page.scenario_combo.findData(SCENARIO_ID))
    qtbot.keyClick(panel.setup_page.name_edit, Qt.Key.Key_Return, CTRL)  # Ctrl+Enter starts
    assert panel.stack.currentIndex() == panel.TURN
    assert panel.turn_page.teller_label.text() == "Up next: Ana"

    # Ana's turn: Ctrl+T hands the take to the Practice screen, locked to Ana and the drill.
    type_keys_ctrl(qtbot, Qt.Key.Key_T)
    assert window.screens.currentIndex() == 0
    assert (window.seller_name(), window.practice.drill_combo.currentData(),
            window.practice.scenario_combo.currentData()) == ("Ana", "client_story", SCENARIO_ID)
    assert not window.practice.name_edit.isEnabled()
    with qtbot.waitSignal(panel.turn_scored, timeout=60000):
        ana_attempt = tell(qtbot, window, sound, GOOD_WAV)
    assert window.screens.currentWidget() is panel and window.guided is None
    assert store.attempt(ana_attempt).context == f"story_hour:{panel.hour.id}"  # type: ignore[union-attr]
    assert panel.stack.currentIndex() == panel.RATING
    ana_score = store.attempt(ana_attempt).score
    assert panel.rating_page.card_score.text() == f"{ana_score:.0f}"
    assert panel.rating_page.listener_label.text().startswith("Ben, rate Ana's story")
    assert [r.verdict.text() for r in panel.rating_page.grid.rows][:2] == ["\u2713", "\u2713"]
    # The story as told, beside the grid, for the listeners to check before they rate.
    assert panel.rating_page.transcript_view.isVisible()
    assert panel.rating_page.transcript_view.isReadOnly()
    assert panel.rating_page.transcript_view.toPlainText() == TEXTS[GOOD_WAV]
    assert panel.rating_page.transcript_title.text() == "What Ana said"

    # Ben rates with digits: each one rates the highlighted row and moves down.
    assert focused() is panel.rating_page.grid.rows[0]
    type_keys(qtbot, *(DIGITS[5] for _ in range(6)), DIGITS[4])
    assert focused() is panel.rating_page.save_ratings_button
    assert panel.rating_page.grid.ratings()["engaging_delivery"] == 4
    # Each key's rating is in the store already, before Save: a crash now loses none.
    ana_turn = panel.hour.turns[0]  # type: ignore[union-attr]
    assert ratings_of(store, ana_turn.id) == {
        store.seller("Ben").id: panel.rating_page.grid.ratings()}
    # Space on a focused button is the button's, never the main window's Record.
    with qtbot.waitSignal(panel.ratings_saved, timeout=5000) as saved:
        qtbot.keyClick(panel.rating_page.save_ratings_button, Qt.Key.Key_Space)
    assert saved.args[1] == "Ben" and window.practice.state is not State.RECORDING

    # Cy uses the arrows: the first arrow on an unrated row gives 3, the next one moves it;
    # Down goes to the next criterion.
    assert panel.rating_page.listener_label.text().startswith("Cy, rate Ana's story")
    type_keys(qtbot, Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Left)
    assert [r.rating for r in panel.rating_page.grid.rows[:3]] == [4, 3, None]
    type_keys_ctrl(qtbot, Qt.Key.Key_Return)
    assert panel.banner.label.text() == (
        "Rate every criterion before saving (5 left), or skip Cy.")
    assert focused() is panel.rating_page.grid.rows[2]
    type_keys(qtbot, *(DIGITS[4] for _ in range(5)))
    with qtbot.waitSignal(panel.ratings_saved, timeout=5000):
        type_keys_ctrl(qtbot, Qt.Key.Key_Return)

    # Ben tells the weak story; Ana and Cy rate it low.
    assert panel.turn_page.teller_label.text() == "Up next: Ben"
    type_keys_ctrl(qtbot, Qt.Key.Key_T)
    with qtbot.waitSignal(panel.turn_scored, timeout=60000):
        ben_attempt = tell(qtbot, window, sound, WEAK_WAV)
    assert (store.attempt(ben_attempt).score or 0) < (ana_score or 0)
    for _ in ("Ana", "Cy"):
        type_keys(qtbot, *(DIGITS[2] for _ in range(7)))
        with qtbot.waitSignal(panel.ratings_saved, timeout=5000):
            type_keys_ctrl(qtbot, Qt.Key.Key_Return)

    # Cy passes (Ctrl+K); the story hour ends and the ranking board shows the winner.
    assert panel.turn_page.teller_label.text() == "Up next: Cy"
    with qtbot.waitSignal(panel.ranking_shown, timeout=5000):
        type_keys_ctrl(qtbot, Qt.Key.Key_K)
    cy_turn = panel.hour.turns[2]  # type: ignore[union-attr]
    assert progress(store, panel.hour.id, CRITERIA).skipped == {cy_turn.id}  # type: ignore[union-attr]
    assert panel.ranking_page.winner_label.text() == "Winner: Ana"
    assert panel.ranking_page.winner_label.font().pointSizeF() >= 3 * base_point_size(panel) - 0.01
    table = panel.ranking_page.ranking_table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["Ana", "Ben"]
    # Ben gave 5,5,5,5,5,5,4 and Cy 4,3,4,4,4,4,4: mean 61/14 -> 84 on 0-100.
    assert table.item(0, 3).text() == "84 (2)"
    assert table.item(1, 3).text() == "25 (2)"

    # Save the winning story with the tags it told: a hospital story naming the agency
    # spend, but never the buyer's role (the scenario's chief nursing officer): left blank.
    assert panel.ranking_page.title_edit.text() == "Ana's healthcare story"
    assert panel.ranking_page.industry_edit.text() == "healthcare"
    assert panel.ranking_page.pain_edit.text() == "agency nurse spend is over budget"
    assert panel.ranking_page.role_edit.text() == ""
    with qtbot.waitSignal(panel.story_saved, timeout=5000):
        type_keys_ctrl(qtbot, Qt.Key.Key_S)
    assert table.item(0, 5).text() == "saved"
    type_keys_ctrl(qtbot, Qt.Key.Key_S)
    assert panel.banner.label.text() == "Ana's story is already in the library."
    assert "winner Ana" in panel.setup_page.history_list.item(0).text()

    # The library finds it by industry and by a word of the story.
    window.screens.setCurrentWidget(shelf)
    shelf.industry_combo.setCurrentIndex(shelf.industry_combo.findData("healthcare"))
    assert [s.title for s in shelf.stories] == ["Ana's healthcare story"]
    shelf.industry_combo.setCurrentIndex(0)
    qtbot.keyClick(shelf, Qt.Key.Key_F, CTRL)
    assert focused() is shelf.word_edit
    qtbot.keyClicks(shelf.word_edit, "zebra")
    assert shelf.results.count() == 0 and shelf.title_label.text() == "No stories found"
    shelf.word_edit.clear()
    qtbot.keyClicks(shelf.word_edit, "Lakeview")
    assert shelf.results.count() == 1
    assert "Lakeview Health" in shelf.text_label.text()
    assert "told by Ana" in shelf.tags_label.text()


def type_keys_ctrl(qtbot: QtBot, key: Qt.Key) -> None:
    qtbot.keyClick(focused(), key, CTRL)


def test_the_library_plays_a_story_and_practises_it(qtbot: QtBot, app: dict[str, Any],
                                                    store: Store) -> None:
    window: MainWindow = app["window"]
    shelf: StoryLibraryPanel = app["shelf"]
    sound: StorySound = app["sound"]
    add_story(store, title="Distributor close", industry="Logistics", role="Controller",
              pain="slow month-end close", text="A distributor closed the books in 4 days.")
    saved = add_story(store, title="Mercy-like hospital", industry="healthcare",
                      role="chief nursing officer", pain="agency spend",
                      text=TEXTS[GOOD_WAV], audio_path=GOOD_WAV)
    window.screens.setCurrentWidget(shelf)  # shown: the list is refreshed
    assert shelf.results.count() == 2
    shelf.role_combo.setCurrentIndex(shelf.role_combo.findData("chief nursing officer"))
    assert [s.id for s in shelf.stories] == [saved.id]

    shelf.results.setFocus()
    qtbot.keyClick(shelf.results, Qt.Key.Key_P, CTRL)
    assert window.player is not None and window.player.playing
    assert shelf.play_button.text().endswith("Stop")
    qtbot.waitUntil(lambda: shelf.play_button.text().endswith("Play"), timeout=20000)
    assert sound.played_audio().size >= read_audio(GOOD_WAV).size

    # Practise telling it: a client-story take for the seller named on the Practice screen,
    # with the scenario of the story's industry; the scorecard stays on the Practice screen.
    qtbot.keyClick(shelf.results, Qt.Key.Key_T, CTRL)
    assert window.screens.currentIndex() == 0
    practice = window.practice
    assert (window.seller_name(), practice.drill_combo.currentData(),
            practice.scenario_combo.currentData()) == ("Dana Ruiz", "client_story", SCENARIO_ID)
    with qtbot.waitSignal(shelf.practice_scored, timeout=60000) as scored:
        tell(qtbot, window, sound, GOOD_WAV)
    attempt = store.attempt(scored.args[0])
    assert (attempt.context, attempt.drill_id) == (f"story_library:{saved.id}", "client_story")
    assert window.guided is None and window.practice.name_edit.isEnabled()
    assert window.practice.state is State.SCORED


def test_without_a_sound_device_the_library_says_so(qtbot: QtBot, store: Store) -> None:
    host = MainWindow(DrillLibrary(), store, None, None, store.path.parent, pool=SyncPool(),
                      confirm=lambda *_: True)
    qtbot.addWidget(host)
    add_story(store, title="Approved", industry="retail", text="A grocer cut out-of-stocks.")
    shelf = StoryLibraryPanel(store, host, None)
    qtbot.addWidget(shelf)
    with qtbot.waitSignal(shelf.message_shown, timeout=2000) as shown:
        shelf.play()
    assert shown.args == [NO_PLAYER_MESSAGE]


def test_presenter_mode_scales_the_story_hour(qtbot: QtBot, store: Store) -> None:
    """A larger application font (presenter mode) grows every scaled label and button."""
    host = MainWindow(DrillLibrary(), store, None, None, store.path.parent, pool=SyncPool(),
                      confirm=lambda *_: True)
    qtbot.addWidget(host)
    panel = StoryHourPanel(store, DrillLibrary(), host)
    qtbot.addWidget(panel)
    before = panel.turn_page.teller_label.font().pointSizeF()
    row_before = panel.rating_page.grid.rows[0].buttons[0].font().pointSizeF()
    big = QFont(panel.font())
    big.setPointSizeF(base_point_size(panel) * 2)
    panel.setFont(big)
    assert panel.turn_page.teller_label.font().pointSizeF() == pytest.approx(2 * before)
    assert panel.rating_page.grid.rows[0].buttons[0].font().pointSizeF() == pytest.approx(
        2 * row_before)


def test_roster_and_start_need_two_players(qtbot: QtBot, store: Store) -> None:
    _, panel = open_panel(qtbot, store)
    panel.setup_page.name_edit.setFocus()
    qtbot.keyClicks(panel.setup_page.name_edit, "Ana")
    # Ctrl+Enter with a name typed but not added: added.
    qtbot.keyClick(panel.setup_page.name_edit, Qt.Key.Key_Return, CTRL)
    assert panel.setup_page.roster() == ["Ana"]
    assert panel.banner.label.text() == (
        "A story hour needs at least two players, so someone can listen.")
    assert panel.hour is None and store.query("SELECT COUNT(*) FROM story_hours")[0][0] == 0
    start_story_hour(store, ["Old", "Timer"])
    panel.new_hour()
    assert "Old, Timer" in panel.setup_page.history_list.item(0).text()
    assert search_stories(store) == []


# -- a story hour the app did not live to end ------------------------------------------------
def open_panel(qtbot: QtBot, store: Store) -> tuple[MainWindow, StoryHourPanel]:
    """The app started again on ``store``: the main window with the Story hour tab shown."""
    host = MainWindow(DrillLibrary(), store, None, None, store.path.parent, pool=SyncPool(),
                      confirm=lambda *_: True)
    qtbot.addWidget(host)
    panel = StoryHourPanel(store, DrillLibrary(), host)
    host.screens.addTab(panel, "Story hour")
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow, timeout=5000)
    host.screens.setCurrentWidget(panel)
    return host, panel


def unrenderable(root: QWidget) -> list[str]:
    """Every character shown in ``root`` (labels, buttons, tooltips, fields, list and table
    items) that its widget's font has no glyph for, as "<char> U+XXXX in '<text>'"."""
    texts: list[tuple[QWidget, str]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append((widget, widget.text()))
        if isinstance(widget, QLineEdit):
            texts += [(widget, widget.text()), (widget, widget.placeholderText())]
        if isinstance(widget, QPlainTextEdit):
            texts.append((widget, widget.toPlainText()))
        if isinstance(widget, QComboBox):
            texts += [(widget, widget.itemText(i)) for i in range(widget.count())]
        if isinstance(widget, QListWidget):
            texts += [(widget, widget.item(i).text()) for i in range(widget.count())]
        if isinstance(widget, QTableWidget):
            items = [widget.item(r, c) for r in range(widget.rowCount())
                     for c in range(widget.columnCount())]
            items += [widget.horizontalHeaderItem(c) for c in range(widget.columnCount())]
            texts += [(widget, item.text()) for item in items if item is not None]
        texts.append((widget, html.unescape(re.sub(r"<[^>]*>", "", widget.toolTip()))))
    missing = []
    for widget, text in texts:
        metrics = QFontMetrics(widget.font())
        missing += [f"{ch} U+{ord(ch):04X} in {text!r}" for ch in text
                    if not ch.isspace() and not metrics.inFontUcs4(ord(ch))]
    return missing


def test_an_unfinished_story_hour_is_offered_and_resumed_after_a_crash(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Ana told her story, Ben rated it, Cy had given two ratings when the app died. On the
    next start the Story hour screen says so and Ctrl+Enter carries on with Cy's grid."""
    path = tmp_path / "store" / "trainer.sqlite3"
    store = Store(path)
    hour = start_story_hour(store, ["Ana", "Ben", "Cy"], SCENARIO_ID)
    ana = hour.turns[0]
    record_turn(store, ana.id, told(store, DrillLibrary(), "Ana", TEXTS[GOOD_WAV], tmp_path,
                                    hour.context))
    rate_story(store, ana.id, "Ben", dict.fromkeys(CRITERIA, 4), CRITERIA)
    rate_story(store, ana.id, "Cy", {"client": 5, "situation": 3}, CRITERIA, partial=True)
    store.close()  # the app dies: nothing ended the story hour

    store = Store(path)
    host, panel = open_panel(qtbot, store)
    assert panel.stack.currentIndex() == panel.RESUME
    assert panel.resume_page.resume_when.text().endswith("with Ana, Ben, Cy.")
    assert panel.resume_page.resume_summary.toPlainText().splitlines() == [
        "Ana told their story: rated by Ben; begun by Cy (2 of 7).",
        "Ben has not told their story yet.",
        "Cy has not told their story yet.",
        "Next: Cy rates Ana's story.",
    ]
    assert unrenderable(panel) == []
    qtbot.keyClick(focused(), Qt.Key.Key_Return, CTRL)  # Resume
    assert panel.stack.currentIndex() == panel.RATING
    assert panel.rating_page.listener_label.text() == "Cy, rate Ana's story (2 of 2)"
    assert [r.rating for r in panel.rating_page.grid.rows] == [5, 3, None, None, None, None, None]
    assert focused() is panel.rating_page.grid.rows[2]
    assert panel.rating_page.transcript_view.toPlainText() == TEXTS[GOOD_WAV]
    assert unrenderable(panel) == []
    type_keys(qtbot, DIGITS[4], DIGITS[2])
    cy = store.seller("Cy").id
    assert ratings_of(store, ana.id)[cy] == {"client": 5, "situation": 3, "action": 4,
                                             "result": 2}
    host.close()
    store.close()  # and dies again, mid-grid

    with Store(path) as store:
        host, panel = open_panel(qtbot, store)
        assert "begun by Cy (4 of 7)" in panel.resume_page.resume_summary.toPlainText()
        qtbot.keyClick(focused(), Qt.Key.Key_Return, CTRL)
        assert [r.rating for r in panel.rating_page.grid.rows][:4] == [5, 3, 4, 2]
        type_keys(qtbot, DIGITS[3], DIGITS[3], DIGITS[3])
        with qtbot.waitSignal(panel.ratings_saved, timeout=5000):
            type_keys_ctrl(qtbot, Qt.Key.Key_Return)
        assert panel.stack.currentIndex() == panel.TURN
        assert panel.turn_page.teller_label.text() == "Up next: Ben"
        assert unrenderable(panel) == []
        host.close()


def test_an_unfinished_story_hour_can_be_closed_instead(qtbot: QtBot, store: Store,
                                                        tmp_path: Path) -> None:
    hour = start_story_hour(store, ["Ana", "Ben"], SCENARIO_ID)
    record_turn(store, hour.turns[0].id, told(store, DrillLibrary(), "Ana", TEXTS[GOOD_WAV],
                                              tmp_path, hour.context))
    host, panel = open_panel(qtbot, store)
    assert panel.stack.currentIndex() == panel.RESUME
    qtbot.keyClick(focused(), Qt.Key.Key_E, CTRL)  # Close it
    assert panel.stack.currentIndex() == panel.SETUP
    assert unfinished_story_hour(store) is None
    assert panel.setup_page.roster() == ["Ana", "Ben"]  # ready for the next one
    assert "winner Ana" in panel.setup_page.history_list.item(0).text()
    assert panel.banner.label.text().startswith("The unfinished story hour is closed")
    assert unrenderable(panel) == []
    _, again = open_panel(qtbot, store)
    assert again.stack.currentIndex() == again.SETUP  # nothing to offer any more


def test_a_take_recovered_after_a_crash_joins_its_turn_when_scored(
        qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    """Ben's take was being recorded when the app died: History scores it after the restart
    (its context is the story hour's), and the resumed story hour takes it as his story."""
    hour = start_story_hour(store, ["Ben", "Ana"], SCENARIO_ID)
    host, panel = open_panel(qtbot, store)
    qtbot.keyClick(focused(), Qt.Key.Key_Return, CTRL)  # Resume
    assert panel.turn_page.teller_label.text() == "Up next: Ben"
    take = told(store, DrillLibrary(), "Ben", TEXTS[WEAK_WAV], tmp_path, hour.context)
    with qtbot.waitSignal(panel.turn_scored, timeout=5000):
        host.attempt_scored.emit(take, "")  # "Score now" on the recovered take
    assert panel.stack.currentIndex() == panel.RATING
    assert panel.rating_page.listener_label.text() == "Ana, rate Ben's story (1 of 1)"
    assert panel.rating_page.transcript_view.toPlainText() == TEXTS[WEAK_WAV]


def test_names_titles_transcripts_and_tags_are_shown_as_typed(
        qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    """Rich text would render ``<img src=...>`` (and fetch it); every string the team typed
    or said is plain text in the story hour and the library, tooltips included."""
    hostile = ["<img src='file:///etc/x.png'>Al", "<b>Bo</b>"]
    hour = start_story_hour(store, hostile, SCENARIO_ID)
    story = f"<h1>{TEXTS[GOOD_WAV]}</h1><a href='http://x.example'>more</a>"
    record_turn(store, hour.turns[0].id, told(store, DrillLibrary(), hostile[0], story,
                                              tmp_path, hour.context))
    host, panel = open_panel(qtbot, store)
    assert hostile[0] in panel.resume_page.resume_summary.toPlainText()
    qtbot.keyClick(focused(), Qt.Key.Key_Return, CTRL)
    assert panel.rating_page.transcript_view.toPlainText() == story
    shown = [label for label in panel.findChildren(QLabel) if "<" in label.text()]
    assert {label.text() for label in shown} >= {
        f"{hostile[1]}, rate {hostile[0]}'s story (1 of 1)", f"{hostile[0]}'s story"}
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in shown)
    assert unrenderable(panel) == []


def test_the_library_shows_titles_tags_and_stories_as_typed(qtbot: QtBot, store: Store
                                                             ) -> None:
    host = MainWindow(DrillLibrary(), store, None, None, store.path.parent, pool=SyncPool(),
                      confirm=lambda *_: True)
    qtbot.addWidget(host)
    story = f"<h1>{TEXTS[GOOD_WAV]}</h1><a href='http://x.example'>more</a>"
    add_story(store, title="<img src=x>Big win", industry="<i>retail</i>", text=story)
    shelf = StoryLibraryPanel(store, host, None)
    qtbot.addWidget(shelf)
    item = shelf.results.item(0)
    assert item.text() == "<img src=x>Big win\n<i>retail</i>"
    # A tooltip that looks like HTML is rendered as HTML: ours is escaped, so it reads as typed.
    assert "<h1>" not in item.toolTip()
    assert html.unescape(re.sub(r"<[^>]*>", "", item.toolTip())) == story[:300]
    labels = [shelf.title_label, shelf.tags_label, shelf.text_label]
    assert [label.text() for label in labels][:1] == ["<img src=x>Big win"]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert unrenderable(shelf) == []


def test_the_glyph_check_catches_a_symbol_the_font_lacks(qtbot: QtBot) -> None:
    """The check above is only as good as this: an emoji or a rare symbol (the card game's
    old stopwatch U+23F1 drew an empty box) is reported."""
    box = QWidget()
    qtbot.addWidget(box)
    QLabel("Time's up \u23f1", box)
    QLabel("On fire \U0001f525", box)
    assert [m.split(" in ")[0] for m in unrenderable(box)] == [
        "\u23f1 U+23F1", "\U0001f525 U+1F525"]
