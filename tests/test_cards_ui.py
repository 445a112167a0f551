"""The card game panel, played the way a team plays it: keys first, a click now and then.

Everything real except the microphone and the clock: the shipped deck and scenarios, a real
``Store`` under ``tmp_path``, the real ``Recorder`` fed by ``FakeSoundDevice`` from a real
speech WAV, the real tiny.en Whisper model and the real judge for the spoken round, on a real
one-thread ``QThreadPool`` like the app's. The clock is injected so the timer is exact. Waiting
is always on a signal or a condition with a timeout, never a sleep.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from tests.windows import Answers
from trainer.audio.wavio import read_audio
from trainer.coaching.cards import Call, Card, scoreboard
from trainer.common.errors import SILENT_MESSAGE
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import WhisperTranscriber
from trainer.store.database import Store
from trainer.ui.tasks import SyncPool
from trainer.ui.team.card_setup import NOTHING_ADDED_MESSAGE, SAME_NAME_MESSAGE
from trainer.ui.team.cards import NEED_PLAYERS_MESSAGE, CardGamePanel

BENEFIT_WAV = SPEECH / "cards_benefit.wav"
BENEFIT_TEXT = (SPEECH / "cards_benefit.txt").read_text(encoding="utf-8")
FAST = 8.0  # the fake microphone plays the 7 s sentence in under a second
LEDGERLY_SEED = 1  # deals a Ledgerly feature first in a spoken round (the WAV talks to Dana)

# The panel is a top-level window here (a tab in the app): as its layout grows, Qt passes the
# new minimum size to the platform, which the offscreen plugin cannot do and says so. Harmless.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_panel(qtbot: QtBot, store: Store, user_dirs: Path, clock: FakeClock
               ) -> Iterator[Any]:
    pools: list[Any] = []
    panels: list[CardGamePanel] = []

    def make(sound: Any = None, transcriber: Any = None, pool: Any = None,
             library: DrillLibrary | None = None, seed: int | None = 7,
             confirm: Any = None, sellers: Any = None) -> CardGamePanel:
        pool = pool if pool is not None else SyncPool()
        pools.append(pool)
        # New players are added as sellers when the host says yes (a real modal dialog would
        # block the test): yes unless a test brings its own answers.
        panel = CardGamePanel(store, library or DrillLibrary(), sound, transcriber, pool,
                              user_dirs, clock=clock, seed=seed,
                              confirm=confirm or (lambda *_: True), sellers=sellers)
        qtbot.addWidget(panel)
        panels.append(panel)
        panel.resize(1100, 760)
        panel.show()
        qtbot.waitExposed(panel)
        panel.activateWindow()
        qtbot.waitUntil(panel.isActiveWindow, timeout=5000)  # shortcuts need it
        qtbot.waitUntil(lambda: panel.setup_page.players_edit.hasFocus(), timeout=5000)
        return panel

    yield make
    for panel in panels:
        panel.shutdown()
    for pool in pools:
        pool.waitForDone(60000)


def key(qtbot: QtBot, panel: CardGamePanel, k: Qt.Key,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the user's focus is (inside the panel)."""
    target = panel.focusWidget() or panel
    qtbot.keyClick(target, k, modifier)


def set_up(qtbot: QtBot, panel: CardGamePanel, players: str, cards_each: int,
           spoken: bool = False, timer: bool = False) -> None:
    """Fill the set-up page with the keyboard (mnemonics, typing), as a host would."""
    qtbot.keyClicks(panel.setup_page.players_edit, players)
    key(qtbot, panel, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # "Cards &each"
    assert panel.setup_page.count_spin.hasFocus()
    key(qtbot, panel, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.setup_page.count_spin, str(cards_each))
    assert panel.setup_page.count_spin.value() == cards_each
    # A button's mnemonic "animates" the click: it lands a moment later.
    if spoken:
        key(qtbot, panel, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(panel.setup_page.spoken_radio.isChecked, timeout=5000)
    if timer:
        key(qtbot, panel, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(panel.setup_page.timer_check.isChecked, timeout=5000)


def start(qtbot: QtBot, panel: CardGamePanel) -> Card:
    with qtbot.waitSignal(panel.card_shown, timeout=5000) as shown:
        key(qtbot, panel, Qt.Key.Key_Return)
    assert panel.stack.currentIndex() == 1
    card: Card = shown.args[0]
    return card


def call_with_key(qtbot: QtBot, panel: CardGamePanel, answer: str) -> Call:
    with qtbot.waitSignal(panel.answered, timeout=5000) as blocker:
        key(qtbot, panel, Qt.Key.Key_F if answer == "feature" else Qt.Key.Key_B)
    result: Call = blocker.args[0]
    return result


def wrong(card: Card) -> str:
    return "benefit" if card.label == "feature" else "feature"


def table_rows(panel: CardGamePanel, table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


# -- a solo game, keyboard only --------------------------------------------------------------
def test_a_solo_game_played_with_the_keyboard_to_the_end(qtbot: QtBot, make_panel: Any,
                                                         store: Store, clock: FakeClock
                                                         ) -> None:
    panel = make_panel()
    set_up(qtbot, panel, "Ana Lopez", 4)
    card = start(qtbot, panel)
    assert panel.table_page.statement_label.text() == card.statement
    assert panel.table_page.product_label.text() == card.product
    assert panel.table_page.turn_label.text() == "Your card"
    assert panel.table_page.counter_label.text() == "Card 1 of 4"
    assert not panel.table_page.scoreboard.isVisible()  # one player: the header is the scoreboard

    seen = [card]
    plan = [True, True, False, True]
    for i, right in enumerate(plan):
        clock.advance(2.0)
        result = call_with_key(qtbot, panel, card.label if right else wrong(card))
        assert result.correct is right and result.response_s == 2.0
        assert panel.table_page.verdict_label.text() == ("\u2713  Right!" if right
                                                         else "\u2717  Not quite")
        # The reason, from the deck, is on screen the instant the card is called.
        assert panel.table_page.reason_label.text() == result.reason
        assert result.reason == f"It's a {card.label}: {card.why}"
        assert panel.table_page.timer_label.text() == "2.0 s"  # the answer time
        # A second call on the same card changes nothing.
        key(qtbot, panel, Qt.Key.Key_F)
        assert panel.game is not None and len(panel.game.calls) == i + 1
        if i < len(plan) - 1:
            with qtbot.waitSignal(panel.card_shown, timeout=5000) as shown:
                key(qtbot, panel, Qt.Key.Key_N)
            card = shown.args[0]
            seen.append(card)
            assert panel.table_page.counter_label.text() == f"Card {i + 2} of 4"
            assert not panel.table_page.feedback.isVisible()
    assert panel.table_page.streak_label.text() == "3 right \u00b7 streak 1 \u00b7 best 2"
    assert panel.table_page.next_button.text() == "See the scores  (N)"

    with qtbot.waitSignal(panel.game_over, timeout=5000) as over:
        key(qtbot, panel, Qt.Key.Key_Return)
    standings = over.args[0]
    assert [(s.player, s.score, s.answered, s.best_streak) for s in standings] == [
        ("Ana Lopez", 3, 4, 2)]
    assert panel.stack.currentIndex() == 2
    assert panel.summary_page.winner_label.text() == "Ana Lopez: 3 of 4 right, best streak 2."
    assert table_rows(panel, panel.summary_page.final_table) == [["Ana Lopez", "3", "4", "1", "2"]]
    assert panel.summary_page.history_label.text() == (
        "Ana Lopez, all time: 75% right over 4 cards in 1 game, best streak 2.")

    rows = store.query("SELECT * FROM card_rounds ORDER BY id")
    assert [r["card_id"] for r in rows] == [c.id for c in seen]
    assert [r["correct"] for r in rows] == [1, 1, 0, 1]
    assert {r["player"] for r in rows} == {"Ana Lopez"}

    # Enter again: a new game with the same player.
    key(qtbot, panel, Qt.Key.Key_Return)
    assert panel.stack.currentIndex() == 0
    assert panel.setup_page.players_edit.text() == "Ana Lopez"


def test_the_timer_turns_a_slow_card_into_a_miss(qtbot: QtBot, make_panel: Any,
                                                 clock: FakeClock) -> None:
    panel = make_panel()
    set_up(qtbot, panel, "Ana", 2, timer=True)
    assert panel.setup_page.seconds_spin.value() == 10
    card = start(qtbot, panel)
    qtbot.waitUntil(lambda: panel.table_page.timer_label.text() == "10 s", timeout=5000)
    clock.advance(7.5)
    qtbot.waitUntil(lambda: panel.table_page.timer_label.text() == "2 s", timeout=5000)
    clock.advance(3.0)  # past the limit: the panel's own timer calls it
    with qtbot.waitSignal(panel.answered, timeout=5000) as blocker:
        pass
    missed: Call = blocker.args[0]
    assert missed.timed_out and missed.answer is None and not missed.correct
    assert panel.table_page.verdict_label.text() == "Time's up"
    metrics = QFontMetrics(panel.table_page.verdict_label.font())  # no glyph drawn as an empty box
    assert all(metrics.inFontUcs4(ord(c)) for c in panel.table_page.verdict_label.text()
               if c != " ")
    assert panel.table_page.reason_label.text() == f"It's a {card.label}: {card.why}"
    assert not panel.table_page.feature_button.isEnabled()


# -- a team game ---------------------------------------------------------------------------
def test_two_players_take_turns_and_the_scoreboard_names_the_winner(
        qtbot: QtBot, make_panel: Any, store: Store, clock: FakeClock) -> None:
    panel = make_panel()
    set_up(qtbot, panel, "Ana, Ben", 2)
    card = start(qtbot, panel)
    assert panel.table_page.scoreboard.isVisible()
    turns = []
    for i in range(4):
        turns.append(panel.table_page.turn_label.text())
        clock.advance(3.0 if i % 2 else 2.0)
        answer = wrong(card) if i == 3 else card.label  # Ben misses his second card
        if i == 2:  # the host clicks for Ana this time
            with qtbot.waitSignal(panel.answered, timeout=5000):
                button = (panel.table_page.feature_button if answer == "feature"
                          else panel.table_page.benefit_button)
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        else:
            call_with_key(qtbot, panel, answer)
        if i == 1:
            assert table_rows(panel, panel.table_page.scoreboard) == [
                ["Ana", "1", "1", "1", "1"], ["\u25b6 Ben", "1", "1", "1", "1"]]
        if i < 3:
            with qtbot.waitSignal(panel.card_shown, timeout=5000) as shown:
                key(qtbot, panel, Qt.Key.Key_N)
            card = shown.args[0]
    assert turns == ["Ana\u2019s turn", "Ben\u2019s turn"] * 2
    assert table_rows(panel, panel.table_page.scoreboard) == [
        ["Ana", "2", "2", "2", "2"], ["\u25b6 Ben", "1", "2", "0", "1"]]

    with qtbot.waitSignal(panel.game_over, timeout=5000) as over:
        key(qtbot, panel, Qt.Key.Key_N)
    assert [s.player for s in over.args[0]] == ["Ana", "Ben"]
    assert panel.summary_page.winner_label.text() == "Ana wins with 2 of 2 right."
    assert table_rows(panel, panel.summary_page.final_table) == [
        ["Ana", "2", "2", "2", "2"], ["Ben", "1", "2", "0", "1"]]
    assert panel.game is not None
    assert scoreboard(store, panel.game.game_id) == over.args[0]
    assert "Ben, all time: 50% right over 2 cards" in panel.summary_page.history_label.text()


def test_esc_ends_a_game_early_with_the_cards_called_so_far(qtbot: QtBot, make_panel: Any,
                                                            clock: FakeClock) -> None:
    panel = make_panel()
    set_up(qtbot, panel, "Ana, Ben", 3)
    card = start(qtbot, panel)
    clock.advance(1.0)
    call_with_key(qtbot, panel, card.label)
    with qtbot.waitSignal(panel.game_over, timeout=5000) as over:
        key(qtbot, panel, Qt.Key.Key_Escape)
    assert [(s.player, s.answered) for s in over.args[0]] == [("Ana", 1), ("Ben", 0)]
    assert panel.summary_page.winner_label.text() == "Ana wins with 1 of 1 right."


# -- the set-up refuses what it cannot play -----------------------------------------------
def test_setup_says_what_is_missing(qtbot: QtBot, make_panel: Any, tmp_path: Path) -> None:
    panel = make_panel()
    with qtbot.waitSignal(panel.message_shown, timeout=5000) as said:
        key(qtbot, panel, Qt.Key.Key_Return)
    assert said.args[0] == NEED_PLAYERS_MESSAGE
    qtbot.keyClicks(panel.setup_page.players_edit, "Ana, ana")
    with qtbot.waitSignal(panel.message_shown, timeout=5000) as said:
        key(qtbot, panel, Qt.Key.Key_Return)
    assert said.args[0] == SAME_NAME_MESSAGE
    assert panel.stack.currentIndex() == 0

    folder = tmp_path / "drills"
    shutil.copytree(DrillLibrary().folder, folder)
    deck = folder / "cards.json"
    deck.write_text(deck.read_text("utf-8").replace('"label": "feature"', '"label": "feat"',
                                                    1), "utf-8")
    broken = make_panel(library=DrillLibrary(folder))
    assert broken.banner.label.text() == (
        "cards.json: key 'cards[0].label' must be 'feature' or 'benefit'.")
    assert not broken.setup_page.start_button.isEnabled()


# -- keys stay in the panel; presenter mode scales the type ---------------------------------
def test_keys_are_scoped_to_the_panel_and_type_follows_the_app_font(
        qtbot: QtBot, store: Store, user_dirs: Path, clock: FakeClock) -> None:
    host = QWidget()
    layout = QVBoxLayout(host)
    outside = QLineEdit()
    outside.setReadOnly(True)  # a widget elsewhere in the window that ignores letters
    panel = CardGamePanel(store, DrillLibrary(), None, None, SyncPool(), user_dirs,
                          clock=clock, seed=3, confirm=lambda *_: True)
    layout.addWidget(outside)
    layout.addWidget(panel)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow, timeout=5000)
    qtbot.keyClicks(panel.setup_page.players_edit, "Ana")
    start(qtbot, panel)
    assert panel.game is not None and panel.game.state == "showing"

    outside.setFocus()
    qtbot.keyClick(outside, Qt.Key.Key_F)
    qtbot.keyClick(outside, Qt.Key.Key_B)
    assert panel.game.state == "showing"  # the panel's F and B did not fire out there
    panel.table_page.card_frame.setFocus()
    call_with_key(qtbot, panel, "feature")

    # Presenter mode: a larger application font makes every sized label larger with it.
    before = panel.table_page.statement_label.font().pointSizeF()
    ratio = before / panel.font().pointSizeF()
    big = QFont(panel.font())
    big.setPointSizeF(panel.font().pointSizeF() * 2)
    host.setFont(big)
    assert panel.table_page.statement_label.font().pointSizeF() == pytest.approx(2 * before)
    assert panel.table_page.statement_label.font().pointSizeF() == pytest.approx(
        ratio * panel.font().pointSizeF())
    panel.shutdown()


# -- the spoken round, with the real model ------------------------------------------------
def play_spoken(qtbot: QtBot, panel: CardGamePanel, sound: FakeSoundDevice,
                seconds: float) -> None:
    """R to record, wait until the microphone has played ``seconds``, R to stop."""
    with qtbot.waitSignal(panel.recording_started, timeout=5000):
        key(qtbot, panel, Qt.Key.Key_R)
    assert panel.recorder is not None
    recorder = panel.recorder
    assert panel.table_page.record_button.text() == "\u25a0  Stop  (R)"
    qtbot.waitUntil(lambda: recorder.elapsed_s >= seconds, timeout=60000)
    with qtbot.waitSignal(panel.recording_stopped, timeout=5000):
        key(qtbot, panel, Qt.Key.Key_R)


@pytest.mark.model
def test_a_spoken_benefit_is_transcribed_and_judged(qtbot: QtBot, make_panel: Any,
                                                     store: Store, user_dirs: Path,
                                                     tiny: WhisperTranscriber) -> None:
    sound = FakeSoundDevice(source=BENEFIT_WAV, speed=FAST)
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # the app's: the model is never used by two jobs at once
    panel = make_panel(sound, tiny, pool=pool, seed=LEDGERLY_SEED)
    set_up(qtbot, panel, "Ana", 1, spoken=True)
    assert not panel.setup_page.timer_check.isEnabled()  # the recording has its own limit
    card = start(qtbot, panel)
    assert card.label == "feature" and card.product.startswith("Ledgerly")
    assert panel.table_page.prompt_label.text() == (
        "Say it as a benefit for Dana Ruiz, finance director at Northwind Logistics.")
    assert not panel.table_page.feature_button.isVisible()

    with qtbot.waitSignal(panel.spoken_judged, timeout=120000) as judged:
        play_spoken(qtbot, panel, sound, len(read_audio(BENEFIT_WAV)) / 16000 + 0.3)
        # Judged off the UI thread, with progress shown meanwhile.
        assert panel.judging and panel.table_page.busy.isVisible()
        assert not panel.table_page.record_button.isEnabled()
    result = judged.args[0]
    assert result.verdict.label == "benefit" and result.correct
    assert "sooner" in result.transcript.text and "home on time" in result.transcript.text
    assert panel.table_page.verdict_label.text() == "\u2713  Right!  \u2014 that's a benefit"
    assert panel.table_page.reason_label.text() == result.verdict.why
    assert panel.table_page.transcript_label.text() == (
        f"You said: \u201c{result.transcript.text}\u201d")
    assert panel.table_page.model_label.text() == f"Model benefit: {card.model_benefit}"
    assert not panel.table_page.busy.isVisible()

    rows = store.query("SELECT * FROM card_rounds")
    assert len(rows) == 1
    assert (rows[0]["mode"], rows[0]["card_id"], rows[0]["correct"]) == ("spoken", card.id, 1)
    assert rows[0]["answer"] == result.transcript.text
    seller = store.find_seller("Ana")
    assert seller is not None and rows[0]["seller_id"] == seller.id
    takes = list((user_dirs / "recordings" / seller.folder).glob("*.wav"))
    assert len(takes) == 1 and takes[0].name.endswith(f"-card-{card.id}.wav")

    with qtbot.waitSignal(panel.game_over, timeout=5000):
        key(qtbot, panel, Qt.Key.Key_N)
    assert panel.summary_page.winner_label.text() == "Ana: 1 of 1 right, best streak 1."


@pytest.mark.model
def test_a_silent_take_gets_no_verdict(qtbot: QtBot, make_panel: Any, store: Store,
                                       tiny: WhisperTranscriber) -> None:
    sound = FakeSoundDevice(source=None, speed=FAST)  # a microphone that hears nothing
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    panel = make_panel(sound, tiny, pool=pool, seed=LEDGERLY_SEED)
    set_up(qtbot, panel, "Ana", 1, spoken=True)
    card = start(qtbot, panel)
    judged: list[Any] = []
    panel.spoken_judged.connect(judged.append)
    with qtbot.waitSignal(panel.message_shown, timeout=120000) as said:
        play_spoken(qtbot, panel, sound, 2.0)
    assert said.args[0] == SILENT_MESSAGE
    assert said.args[0].startswith("We didn't hear you \u2014 check the microphone")
    assert panel.banner.label.text() == SILENT_MESSAGE
    assert judged == [] and not panel.table_page.feedback.isVisible()
    assert store.query("SELECT COUNT(*) FROM card_rounds")[0][0] == 0
    # The card is still on the table, ready for another try.
    assert panel.game is not None and panel.game.current_card is card
    assert panel.game.state == "showing" and panel.table_page.record_button.isEnabled()


# -- players are the sellers on file -----------------------------------------------------------
def test_a_first_name_plays_as_the_seller_on_file_never_as_a_new_one(
        qtbot: QtBot, make_panel: Any, store: Store, clock: FakeClock) -> None:
    """Issue 14: players "Ana" and "Ben" became new sellers beside Ana Lopez and Ben Carter."""
    ana, ben = store.seller("Ana Lopez"), store.seller("Ben Carter")
    answers = Answers(True)
    panel = make_panel(confirm=answers)
    # The players box lists the sellers on file to pick from.
    combo = panel.setup_page.players_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Ana Lopez", "Ben Carter"]
    set_up(qtbot, panel, "Ana, ben", 1)
    card = start(qtbot, panel)
    assert len(answers.asked) == 1  # offered, not silently taken
    question = answers.asked[0][1]
    assert "\u201cAna\u201d is Ana Lopez, already on file." in question
    assert "\u201cben\u201d is Ben Carter, already on file." in question
    assert "new seller" not in question
    assert panel.game is not None and panel.game.players == ("Ana Lopez", "Ben Carter")
    assert panel.setup_page.players_edit.text() == "Ana Lopez, Ben Carter"
    clock.advance(1.0)
    call_with_key(qtbot, panel, card.label)
    assert store.sellers() == [ana, ben]  # nobody new
    rows = store.query("SELECT player, seller_id FROM card_rounds")
    assert [(r["player"], r["seller_id"]) for r in rows] == [("Ana Lopez", ana.id)]


def test_a_new_player_is_added_only_when_the_host_says_yes(
        qtbot: QtBot, make_panel: Any, store: Store) -> None:
    store.seller("Ana Lopez")
    answers = Answers(False, True)
    panel = make_panel(confirm=answers)
    qtbot.keyClicks(panel.setup_page.players_edit, "Chris Doe")
    with qtbot.waitSignal(panel.message_shown, timeout=5000) as said:
        key(qtbot, panel, Qt.Key.Key_Return)
    assert said.args[0] == NOTHING_ADDED_MESSAGE
    assert "Chris Doe is not on file and will be added as a new seller." in answers.asked[0][1]
    assert panel.stack.currentIndex() == 0 and panel.game is None
    assert [s.name for s in store.sellers()] == ["Ana Lopez"]  # declined: nothing created

    # Yes: the seller is created, and every list that subscribes hears of it at once.
    with qtbot.waitSignal(panel.sellers.changed, timeout=5000), \
            qtbot.waitSignal(panel.card_shown, timeout=5000):
        key(qtbot, panel, Qt.Key.Key_Return)
    assert [s.name for s in store.sellers()] == ["Ana Lopez", "Chris Doe"]
    assert panel.setup_page.players_combo.findText("Chris Doe") >= 0


def test_a_first_name_shared_by_two_sellers_asks_for_the_full_name(
        qtbot: QtBot, make_panel: Any, store: Store) -> None:
    store.seller("Ana Lopez")
    store.seller("Ana Ruiz")
    answers = Answers()
    panel = make_panel(confirm=answers)
    qtbot.keyClicks(panel.setup_page.players_edit, "Ana")
    with qtbot.waitSignal(panel.message_shown, timeout=5000) as said:
        key(qtbot, panel, Qt.Key.Key_Return)
    assert said.args[0] == "\u201cAna\u201d could be Ana Lopez or Ana Ruiz: type the full name."
    assert answers.asked == [] and panel.game is None
    assert [s.name for s in store.sellers()] == ["Ana Lopez", "Ana Ruiz"]


def test_picking_sellers_from_the_list_builds_the_team(
        qtbot: QtBot, make_panel: Any, store: Store) -> None:
    for name in ("Ana Lopez", "Ben Carter", "Chris Doe"):
        store.seller(name)
    answers = Answers()
    panel = make_panel(confirm=answers)
    qtbot.keyClicks(panel.setup_page.players_edit, "Ana Lopez, Be")  # a name half typed...
    combo = panel.setup_page.players_combo
    combo.activated.emit(combo.findText("Ben Carter"))
    # ...is completed by the pick
    assert panel.setup_page.players_edit.text() == "Ana Lopez, Ben Carter"
    combo.activated.emit(combo.findText("Chris Doe"))
    assert panel.setup_page.players_edit.text() == "Ana Lopez, Ben Carter, Chris Doe"
    start(qtbot, panel)
    assert answers.asked == []  # all on file: nothing to ask
    assert panel.game is not None
    assert panel.game.players == ("Ana Lopez", "Ben Carter", "Chris Doe")


def test_a_streak_is_shown_in_characters_the_font_draws(qtbot: QtBot, make_panel: Any,
                                                         clock: FakeClock) -> None:
    # The streak marker was a fire emoji (U+1F525), an empty box in the app's default font.
    from tests.test_storyhour_ui import unrenderable

    panel = make_panel()
    set_up(qtbot, panel, "Ana Lopez", 4)
    card = start(qtbot, panel)
    for i in range(3):
        clock.advance(1.0)
        call_with_key(qtbot, panel, card.label)
        if i < 2:
            with qtbot.waitSignal(panel.card_shown, timeout=5000) as shown:
                key(qtbot, panel, Qt.Key.Key_N)
            card = shown.args[0]
    assert "streak 3" in panel.table_page.streak_label.text()
    assert unrenderable(panel) == []
