"""The feature-or-benefit card game, for one seller or a team meeting on the big screen.

``CardGamePanel`` runs the game over three pages, each a widget that owns its controls:
``card_setup.CardSetup`` (players, cards each, timer, call or spoken round), the table
``card_table.CardTable`` (a big index card, whose turn, the timer, streaks, the scoreboard,
and after each call the verdict with the deck's reason), and ``card_scores.CardSummary`` (the
end-of-game summary with the winner and each player's record). The pages say what was pressed;
this panel plays the game and tells them what to show.

Keyboard first: F / B call the card, N or Enter flips the next one, R records and stops a
spoken answer, Esc ends the game. The shortcuts are scoped to this panel
(``WidgetWithChildrenShortcut``), so they never fire on another screen, and none of them is Space
(the app-wide record key of the Practice screen).

Players are the sellers on file (shared with every other screen through ``SellerDirectory``);
the set-up page matches the names typed to them, asking the host before it adds anyone.

The game itself (``trainer.coaching.cards.CardGame``) and its record live in the core; this
module only shows them. The spoken round records with ``Recorder`` (polled by a ``QTimer`` like
the Practice screen's meter) and transcribes and judges off the UI thread with
``run_in_background`` on the injected pool, so the speech model is never used by two jobs at
once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.coaching.cards import (
    SPOKEN_MAX_S,
    Call,
    Card,
    CardGame,
    Deck,
    SpokenResult,
    deal,
    judge_spoken,
    load_deck,
    player_history,
    prospect_for,
    prospect_line,
    spoken_audio_path,
    spoken_cards,
)
from trainer.common.errors import SILENT_MESSAGE, SilentRecording, StorageError, TrainerError
from trainer.common.formatting import clock
from trainer.rubric.classify import FeatureBenefitJudge
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.rubric.scoring import default_judge
from trainer.store.database import Store
from trainer.ui.style import GAP, MARGIN
from trainer.ui.tasks import Pool, run_in_background
from trainer.ui.team.card_scores import CardSummary
from trainer.ui.team.card_setup import SAME_NAME_MESSAGE, CardSetup, Confirm
from trainer.ui.team.card_table import CardTable
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

log = logging.getLogger(__name__)

TICK_MS = 50  # the timer, the countdown and the microphone meter
NO_SOUND_MESSAGE = (
    "Recording needs the audio library PortAudio, which is missing; install it "
    "(on Linux: sudo apt install libportaudio2) and restart the app."
)
NO_MODEL_MESSAGE = ("No speech model is installed, so spoken answers cannot be judged; "
                    "reinstall the app.")
NEED_PLAYERS_MESSAGE = "Type a name to play alone, or several names separated by commas."

class CardGamePanel(QWidget):
    """The card game. The shell adds it as a screen.

    Args:
        store: where every call is saved (``card_rounds``) and players' records are read.
        library: the drills folder: the deck (``cards.json``) and the scenarios whose
            prospects the spoken round names.
        sound: the ``sounddevice`` module (or a fake), or ``None`` when PortAudio is missing.
        transcriber: a ``Transcriber`` for the spoken round, or ``None`` when no model is
            installed (the call game still works).
        pool: where transcription and judging run (the app's one-thread pool, so the model is
            never used by two jobs at once; a ``SyncPool`` in tests).
        data_dir: the data folder; spoken answers are recorded under its ``recordings``.
        clock: monotonic seconds for answer times and the timer.
        seed: the deal's seed (a fresh one per game by default).
        input_device: returns the microphone to record from (the app's choice); default device
            when omitted.
        sellers: the app's one list of sellers (a private one by default).
        confirm: asks the host before new sellers are added (a dialog by default).
    """

    card_shown = Signal(object)  # Card
    answered = Signal(object)  # Call
    game_over = Signal(object)  # list[Standing], best first
    spoken_judged = Signal(object)  # SpokenResult
    message_shown = Signal(str)
    recording_started = Signal()
    recording_stopped = Signal(str)  # the WAV's path

    SETUP, TABLE, SUMMARY = range(3)  # the pages, in the stack

    def __init__(self, store: Store, library: DrillLibrary, sound: Any, transcriber: Any,
                 pool: Pool, data_dir: Path, *, clock: Callable[[], float] = time.monotonic,
                 seed: int | None = None,
                 input_device: Callable[[], int | None] | None = None,
                 sellers: SellerDirectory | None = None, confirm: Confirm | None = None) -> None:
        super().__init__()
        self.store = store
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self._confirm = confirm  # the set-up page asks it before it adds players
        self.library = library
        self.sound = sound
        self.transcriber = transcriber
        self.pool = pool
        self.data_dir = data_dir
        self.clock = clock
        self.seed = seed
        self.input_device = input_device or (lambda: None)
        self.recorder = Recorder(sound, block_s=0.05) if sound is not None else None
        self.game: CardGame | None = None
        self.last_call: Call | None = None
        self.judging = False
        self._judge: FeatureBenefitJudge | None = None  # built on the pool, on first use
        self._wav: Path | None = None
        self._answer_s = 0.0
        self.deck: Deck | None = None
        self.scenarios: list[Scenario] = []
        self.deck_error: str | None = None
        try:
            self.deck = load_deck(library.folder / "cards.json")
            self.scenarios = library.scenarios()
        except TrainerError as exc:
            self.deck_error = str(exc)

        self._build()
        self._bind_keys()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        if self.deck_error:
            self.show_message(self.deck_error)
            self.setup_page.start_button.setEnabled(False)

    # == construction =====================================================================
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(GAP)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.setup_page = CardSetup(self.deck, self.sellers, self._confirm)
        self.setup_page.start_requested.connect(self.start_game)
        self.setup_page.problem.connect(self.show_message)
        self.table_page = CardTable()
        self.table_page.called.connect(self.call)
        self.table_page.record_requested.connect(self.toggle_recording)
        self.table_page.next_requested.connect(self.next_card)
        self.table_page.end_requested.connect(self.end_game)
        self.summary_page = CardSummary()
        self.summary_page.new_game_requested.connect(self.new_game)
        self.stack = QStackedWidget()
        for page in (self.setup_page, self.table_page, self.summary_page):
            self.stack.addWidget(page)  # in the order of SETUP, TABLE, SUMMARY
        outer.addWidget(self.stack, 1)

    def _bind_keys(self) -> None:
        # Scoped to this panel and its children: on another screen these keys do nothing, and a
        # text field still gets its letters (Qt lets it override single-key shortcuts).
        for keys, slot in (("F", lambda: self.call("feature")),
                           ("B", lambda: self.call("benefit")),
                           ("N", self.next_card),
                           ("Return", self.advance),
                           ("Enter", self.advance),
                           ("R", self.toggle_recording),
                           ("Esc", self.back)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        # The shortcuts need focus inside the panel; arriving from the side bar leaves it there.
        super().showEvent(event)
        QTimer.singleShot(0, self._focus_page)

    def _focus_page(self) -> None:
        focus = self.focusWidget()
        if focus is not None and self.isAncestorOf(focus) and focus.isVisible():
            return
        pages = (self.setup_page, self.table_page, self.summary_page)
        pages[self.stack.currentIndex()].take_focus()

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, TrainerError):
            self.show_message(str(exc))
        else:
            log.error("Unexpected error in the card game", exc_info=exc)
            self.show_message(f"Something went wrong: {type(exc).__name__}; the game goes on.")

    # == set-up ===========================================================================
    def start_game(self) -> None:
        """Enter / "Start game": deal and flip the first card."""
        setup = self.setup_page
        if self.deck is None:
            self.show_message(self.deck_error or "The card deck is missing; reinstall the app.")
            return
        players = setup.players()
        if not players:
            self.show_message(NEED_PLAYERS_MESSAGE, "info")
            setup.take_focus()
            return
        if len({p.casefold() for p in players}) != len(players):
            self.show_message(SAME_NAME_MESSAGE, "info")
            setup.take_focus()
            return
        mode = setup.mode()
        pool = spoken_cards(self.deck, self.scenarios) if mode == "spoken" else self.deck.cards
        if not pool:
            self.show_message("No feature card matches a scenario's product, so there is "
                              "nothing to say as a benefit; check drills/scenarios.")
            return
        resolved = setup.players_on_file(players)
        if resolved is None:
            setup.take_focus()
            return
        players = resolved
        seed = self.seed if self.seed is not None else random.randrange(2**31)
        # Each player gets the same number of cards, so turns stay fair.
        per_player = max(1, min(setup.cards_each(), len(pool) // len(players)))
        hand = deal(pool, per_player * len(players), seed)
        self.game = CardGame(hand, players, mode=mode, time_limit_s=setup.time_limit_s(),
                             clock=self.clock, store=self.store)
        self.last_call = None
        self.banner.clear()
        self.table_page.set_mode(mode, len(players))
        self.stack.setCurrentIndex(self.TABLE)
        self._timer.start()
        self.next_card()

    # == playing ==========================================================================
    def advance(self) -> None:
        """Enter: start on the set-up page, the next card at the table, a new game at the
        end."""
        page = self.stack.currentIndex()
        if page == self.SETUP:
            self.start_game()
        elif page == self.TABLE:
            self.next_card()
        else:
            self.new_game()

    def back(self) -> None:
        """Esc: end the game at the table; back to the set-up from the summary."""
        page = self.stack.currentIndex()
        if page == self.TABLE:
            self.end_game()
        elif page == self.SUMMARY:
            self.new_game()

    def _at_table(self) -> bool:
        return self.stack.currentIndex() == self.TABLE

    def next_card(self) -> None:
        """N / Enter: flip the next card once this one is called (or end the game)."""
        game = self.game
        if game is None or not self._at_table() or self.judging:
            return
        if game.state == "showing" or self._recording():
            return
        card = game.flip()
        if card is None:
            self._finish()
            return
        self.banner.clear()
        self._show_card(card)
        self.card_shown.emit(card)

    def _show_card(self, card: Card) -> None:
        game = self.game
        assert game is not None
        prompt = None
        if game.mode == "spoken":
            prospect = prospect_for(card, self.scenarios)
            who = prospect_line(prospect) if prospect else "the buyer"
            prompt = f"Say it as a benefit for {who}."
        self.table_page.show_card(card, prompt)
        self._update_record_button()
        self._update_status()
        self.table_page.take_focus()

    def call(self, answer: str) -> None:
        """F / B: call the card on the table."""
        game = self.game
        if (game is None or not self._at_table() or game.mode != "call"
                or game.state != "showing"):
            return
        try:
            result = game.call(answer)
        except StorageError as exc:
            self.show_message(str(exc))  # not saved: the card is still waiting for a call
            return
        self._show_verdict(result)

    def _on_tick(self) -> None:
        game = self.game
        if game is None or not self._at_table():
            return
        if self._recording():
            self._on_record_tick()
        if game.state != "showing":
            return
        remaining = game.remaining_s()
        if remaining is None:
            self.table_page.set_timer(clock(game.elapsed_s()))
            return
        self.table_page.set_timer(f"{remaining:.0f} s" if remaining >= 1 else "0 s",
                                  urgent=remaining <= 3)
        if remaining <= 0:
            try:
                result = game.time_up()
            except StorageError as exc:
                # Not retried every tick: the message stays, and Esc ends the game.
                self._timer.stop()
                self.show_message(str(exc))
                return
            self._show_verdict(result)

    def _show_verdict(self, result: Call, spoken: SpokenResult | None = None) -> None:
        game = self.game
        assert game is not None
        self.last_call = result
        self.table_page.show_verdict(result, spoken, game.has_next)
        self._update_record_button()
        self._update_status()
        self.answered.emit(result)

    def _update_status(self) -> None:
        if self.game is not None:
            self.table_page.show_status(self.game)

    def end_game(self) -> None:
        """Esc: stop now and see the scores (a card not yet called does not count)."""
        game = self.game
        if game is None or not self._at_table():
            return
        if self._recording():
            self._stop_recorder()
        game.end()
        self._finish()

    def _finish(self) -> None:
        game = self.game
        assert game is not None
        self._timer.stop()
        standings = game.standings()
        try:
            lines = [player_history(self.store, p).sentence() for p in game.players]
        except StorageError as exc:
            lines = [str(exc)]
        self.summary_page.show_result(game.result(), standings, lines)
        self.stack.setCurrentIndex(self.SUMMARY)
        self.summary_page.take_focus()
        self.game_over.emit(standings)

    def new_game(self) -> None:
        """Back to the set-up with the same players."""
        if self._recording() or self.judging:
            return
        self._timer.stop()
        self.game = None
        self.banner.clear()
        self.stack.setCurrentIndex(self.SETUP)
        self.setup_page.take_focus()

    # == the spoken round =================================================================
    def _recording(self) -> bool:
        return self.recorder is not None and self.recorder.recording

    def _update_record_button(self) -> None:
        game = self.game
        self.table_page.set_record_state(
            self._recording(),
            enabled=game is not None and game.state == "showing" and not self.judging,
            judging=self.judging)

    def toggle_recording(self) -> None:
        """R: record the spoken answer, or stop and have it judged."""
        game = self.game
        if game is None or game.mode != "spoken" or not self._at_table() or self.judging:
            return
        if self._recording():
            self.stop_recording()
        elif game.state == "showing":
            self.start_recording()

    def start_recording(self) -> None:
        game = self.game
        card = game.current_card if game is not None else None
        if game is None or card is None:
            return
        if self.sound is None or self.recorder is None:
            self.show_message(NO_SOUND_MESSAGE)
            return
        if self.transcriber is None:
            self.show_message(NO_MODEL_MESSAGE)
            return
        if not input_devices(self.sound):
            self.show_message(NO_MIC_MESSAGE)
            return
        try:
            seller = self.store.seller(game.current_player)
            wav = spoken_audio_path(self.data_dir, seller, card)
            self.recorder.start(wav, self.input_device())
        except Exception as exc:
            self._report(exc)
            return
        self._wav = wav
        self.banner.clear()
        self._update_record_button()
        self.recording_started.emit()

    def _on_record_tick(self) -> None:
        recorder = self.recorder
        assert recorder is not None
        self.table_page.show_level(recorder.level_db, recorder.clipping, recorder.elapsed_s)
        # One sentence is enough: stop by itself, as if the seller pressed R.
        if recorder.elapsed_s >= SPOKEN_MAX_S or recorder.error is not None:
            self.stop_recording()

    def _stop_recorder(self) -> Any:
        assert self.recorder is not None
        recording = self.recorder.stop()
        self.table_page.reset_meter()
        self._update_record_button()
        return recording

    def stop_recording(self) -> None:
        game = self.game
        card = game.current_card if game is not None else None
        if not self._recording() or game is None or card is None or self._wav is None:
            return
        self._answer_s = game.elapsed_s()
        try:
            recording = self._stop_recorder()
        except Exception as exc:
            self._report(exc)
            return
        self.table_page.set_elapsed(recording.duration_s)
        self.recording_stopped.emit(str(recording.path))
        if recording.error is not None:
            self.show_message(str(recording.error))
            return
        prospect = prospect_for(card, self.scenarios)
        context = prospect_line(prospect) if prospect else None
        self.judging = True
        self._update_record_button()
        run_in_background(partial(self._judge_take, card, recording.path, context),
                          partial(self._on_judged, game, card),
                          partial(self._on_judge_failed, game, card), self.pool, context=self)

    def _judge_take(self, card: Card, wav: Path, context: str | None) -> SpokenResult:
        """On the pool: transcribe and judge (the judge and its embedder load on first use)."""
        if self._judge is None:
            self._judge = FeatureBenefitJudge(default_judge())
        return judge_spoken(card, wav, self.transcriber, self._judge, context)

    def _on_judged(self, game: CardGame, card: Card, result: SpokenResult) -> None:
        self.judging = False
        if game is not self.game or game.current_card is not card or game.state != "showing":
            self._update_record_button()
            return  # the game moved on (ended) while the take was judged
        try:
            call = game.record_spoken(result.transcript.text, result.verdict, self._answer_s)
        except StorageError as exc:
            self._update_record_button()
            self.show_message(str(exc))
            return
        self._show_verdict(call, result)
        self.spoken_judged.emit(result)

    def _on_judge_failed(self, game: CardGame, card: Card, exc: Exception) -> None:
        self.judging = False
        self._update_record_button()
        if game is not self.game:
            return
        if isinstance(exc, SilentRecording):
            # No verdict: the card stays on the table for another try.
            self.show_message(SILENT_MESSAGE)
            return
        self._report(exc)

    # == shutdown =========================================================================
    def shutdown(self) -> None:
        """Stop a recording in progress (the app calls this when the window closes)."""
        self._timer.stop()
        if self._recording():
            self._stop_recorder()
