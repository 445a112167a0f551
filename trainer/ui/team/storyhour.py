"""The story hour on the meeting-room screen: the panel that runs one, page by page.

``StoryHourPanel`` runs one story hour: the roster, each teller's take (recorded and scored by
the main window's Practice screen as a *guided* take), the listeners' 1-5 per criterion on a big
keyboard-driven grid, then the ranking board with the winner and "Save to library". Its pages
own their controls and live beside it: ``storyhour_pages`` (set-up, turn, ranking, resume) and
``rating`` (the rating grid). The team's story library is ``library.StoryLibraryPanel``.

Everything the team decides goes through ``trainer.coaching.storyhour`` and
``trainer.coaching.stories`` (no SQL here), the moment it is decided: each rating key a
listener presses, a pass, a told story. So a story hour the app did not live to end is offered
for resuming on the next start (the resume page: who has told, who rated, who is next),
rebuilt from the store by ``core.progress``. Those calls are single short SQLite statements, so
they run on the GUI thread; the slow work (recording, transcribing, scoring) is the main
window's, off the UI thread.

Type sizes are multiples of ``base_point_size``: when the application font grows (presenter
mode) every label, grid button and table grows with it (``controls.ScaledFonts``).

Names, titles, transcripts and tags are the team's own words: they are shown as plain text
(labels, list and table items, a read-only plain-text view), never as rich text, so a name
like ``<img src=...>`` is shown as typed. Symbols are ones the common UI fonts carry (a test
checks every character shown against the app's font).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from trainer.audio.playback import Player
from trainer.coaching import storyhour as core
from trainer.coaching.stories import TagVocabulary, tag_vocabulary
from trainer.coaching.storyhour import StoryHour, StoryHourError, Turn
from trainer.common.errors import StorageError, TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import Drill, DrillLibrary
from trainer.store.database import Attempt, Store
from trainer.ui.guided import Guided, GuidedTakes
from trainer.ui.style import GAP, MARGIN
from trainer.ui.team.controls import NO_PLAYER_MESSAGE, SpaceForButtons
from trainer.ui.team.rating import RatingPage
from trainer.ui.team.storyhour_pages import RankingPage, ResumePage, SetupPage, TurnPage
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory


class StoryHourPanel(QWidget):
    """The story hour for the shared screen.

    Args:
        store: the practice history.
        library: drills and scenarios (the ``client_story`` drill and the scenario choice).
        host: the main window, which records and scores each teller's take.
        player: plays a teller's story back (``None`` when there is no sound device).
    """

    turn_scored = Signal(int)  # turn id
    ratings_saved = Signal(int, str)  # turn id, listener
    ranking_shown = Signal()
    story_saved = Signal(int)  # story id
    message_shown = Signal(str)

    SETUP, TURN, RATING, RANKING, RESUME = range(5)

    def __init__(self, store: Store, library: DrillLibrary, host: GuidedTakes,
                 player: Player | None = None, parent: QWidget | None = None,
                 sellers: SellerDirectory | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.library = library
        self.host = host
        self.player = player
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self.drill: Drill = library.drill(core.DRILL_ID)
        self.criteria = core.rating_criteria(self.drill)
        self.hour: StoryHour | None = None
        self.waiting_turn: int | None = None  # the turn whose take the host is recording
        self.rating_turn: Turn | None = None
        self.listeners: list[str] = []  # everyone but the teller, in roster order
        self.to_rate: list[str] = []  # the listeners still to rate, the current one first
        self.unfinished: StoryHour | None = None  # offered for resuming
        self.standings: list[core.Standing] = []
        self._verdicts: dict[str, bool] = {}
        self._space_filter = SpaceForButtons(self)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(100)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._build()
        # The override event travels up from the focused child, so one filter here suffices.
        self.installEventFilter(self._space_filter)
        host.attempt_scored.connect(self._on_attempt_scored)
        self._refresh_history()
        self.setup_page.update_buttons()
        self._offer_resume()

    # == construction =====================================================================
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(GAP)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.setup_page = SetupPage(self.sellers, self.library.scenarios())
        self.setup_page.start_requested.connect(self.start)
        self.setup_page.problem.connect(self.show_message)
        self.setup_page.player_added.connect(lambda _: self.banner.clear())
        self.turn_page = TurnPage()
        self.turn_page.next_requested.connect(self.next_teller)
        self.turn_page.skip_requested.connect(self.skip_teller)
        self.turn_page.end_requested.connect(self.finish)
        self.rating_page = RatingPage(self.criteria)
        self.rating_page.rated.connect(self._on_rated)
        self.rating_page.save_requested.connect(self.save_ratings)
        self.rating_page.skip_requested.connect(self.skip_listener)
        self.rating_page.replay_requested.connect(self.replay)
        self.ranking_page = RankingPage()
        self.ranking_page.selection_changed.connect(self._on_ranking_selected)
        self.ranking_page.save_requested.connect(self.save_story)
        self.ranking_page.new_hour_requested.connect(self.new_hour)
        self.resume_page = ResumePage()
        self.resume_page.resume_requested.connect(self.resume)
        self.resume_page.close_requested.connect(self.close_unfinished)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        for page in (self.setup_page, self.turn_page, self.rating_page, self.ranking_page,
                     self.resume_page):  # in the order of SETUP ... RESUME
            self.stack.addWidget(page)

    # == messages =========================================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def _report(self, exc: Exception) -> None:
        self.show_message(str(exc) if isinstance(exc, TrainerError)
                          else f"Something went wrong: {type(exc).__name__}.")

    # == setup ============================================================================
    def _refresh_history(self) -> None:
        self.setup_page.clear_history()
        try:
            past = core.history(self.store)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        self.setup_page.show_history(past)

    def start(self) -> None:
        """Start the story hour with the roster (Ctrl+Enter)."""
        self.setup_page.add_pending()
        try:
            self.hour = core.start_story_hour(self.store, self.setup_page.roster(),
                                              self.setup_page.scenario_id())
        except (StoryHourError, StorageError, ValueError) as exc:
            self._report(exc)
            return
        self.sellers.refresh()  # new players are sellers now, on every screen
        self.banner.clear()
        self._show_next_turn()

    # == an unfinished story hour =========================================================
    def _offer_resume(self) -> None:
        """On start: a story hour the app did not live to end is offered for resuming."""
        try:
            hour = core.unfinished_story_hour(self.store)
            progress = None if hour is None else self._progress_of(hour)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        if hour is None or progress is None:
            return
        self.unfinished = hour
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hour.started_at))
        self.resume_page.show_offer(f"Started {when} with "
                                    f"{', '.join(p.name for p in hour.players)}.",
                                    progress.summary())
        self.stack.setCurrentIndex(self.RESUME)
        self.resume_page.take_focus()

    def resume(self) -> None:
        """Ctrl+Enter on the offer: carry on with the next rating or the next teller."""
        if self.unfinished is None:
            return
        self.hour, self.unfinished = self.unfinished, None
        try:
            for turn in core.adopt_scored_takes(self.store, self.hour.id):
                self.turn_scored.emit(turn.id)  # a take recovered and scored since
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
        self.banner.clear()
        self._continue()

    def close_unfinished(self) -> None:
        """Ctrl+E on the offer: end the unfinished story hour; its stories stay in the
        history, and its players fill the roster for the next one."""
        hour = self.unfinished
        if hour is None:
            return
        try:
            core.end_story_hour(self.store, hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.unfinished = None
        self.setup_page.fill_roster_if_empty([p.name for p in hour.players])
        self.new_hour()
        self.show_message("The unfinished story hour is closed; its stories are in Past "
                          "story hours.", "info")

    # == turns ============================================================================
    def _reload(self) -> StoryHour:
        assert self.hour is not None
        self.hour = core.story_hour(self.store, self.hour.id)
        return self.hour

    def _progress_of(self, hour: StoryHour) -> core.Progress:
        return core.progress(self.store, hour.id, [c for c, _ in self.criteria])

    def _progress(self) -> core.Progress:
        progress = self._progress_of(self._reload())
        self.hour = progress.hour
        return progress

    def _pending_turn(self) -> Turn | None:
        return self._progress().next_turn

    def _continue(self) -> None:
        """Whatever the store says comes next: a story still being rated, else the next
        teller, else the ranking."""
        try:
            turn = self._progress().rating_turn
        except StorageError as exc:
            self._report(exc)
            return
        if turn is not None:
            self._start_rating(turn)
        else:
            self._show_next_turn()

    def _show_next_turn(self) -> None:
        try:
            turn = self._pending_turn()
        except StorageError as exc:
            self._report(exc)
            return
        if turn is None:
            self.finish()
            return
        hour = self.hour
        assert hour is not None
        number = [t.id for t in hour.turns].index(turn.id) + 1
        self.turn_page.show_turn(number, len(hour.turns), turn.seller.name)
        self.stack.setCurrentIndex(self.TURN)
        self.turn_page.take_focus()

    def next_teller(self) -> None:
        """Ctrl+T: hand the next teller's take to the Practice screen."""
        turn = self._pending_turn()
        if turn is None or self.hour is None:
            self.finish()
            return
        scenario_id = self.hour.scenario_id
        guided = Guided(turn.seller.name, core.DRILL_ID, scenario_id, self.hour.context,
                        f"Story hour: {turn.seller.name}'s client story")
        self.host.start_guided_take(guided)
        if self.host.guided is not guided:  # the host refused (a take is being recorded)
            self.show_message("The Practice screen is busy with another take; finish it, then "
                              "press Next teller again.")
            return
        self.waiting_turn = turn.id
        self.turn_page.show_telling(turn.seller.name)

    def skip_teller(self) -> None:
        """Ctrl+K: this teller passes (saved, so a resumed hour does not offer them again)."""
        turn = self._pending_turn()
        if turn is None:
            return
        try:
            core.skip_turn(self.store, turn.id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        if self.waiting_turn == turn.id:
            self.waiting_turn = None
            self.host.end_guided_take()
        self._show_next_turn()

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self.hour is None or self.hour.ended:
            return
        if self.waiting_turn is None:
            self._adopt_scored_takes()
            return
        if context != self.hour.context:
            return
        turn_id, self.waiting_turn = self.waiting_turn, None
        self.host.end_guided_take()
        self.host.show_panel(self)
        try:
            turn = core.record_turn(self.store, turn_id, attempt_id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            self._show_next_turn()
            return
        self.turn_scored.emit(turn.id)
        self._start_rating(turn)

    def _adopt_scored_takes(self) -> None:
        """A teller's take scored while nobody waited for it (recovered after a crash and
        scored from History) is the story they told: it joins their turn."""
        assert self.hour is not None
        try:
            adopted = core.adopt_scored_takes(self.store, self.hour.id)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        for turn in adopted:
            self.turn_scored.emit(turn.id)
        if adopted and self.stack.currentIndex() == self.TURN:
            self._continue()

    # == rating ===========================================================================
    def _start_rating(self, turn: Turn) -> None:
        assert self.hour is not None and turn.attempt_id is not None
        self.rating_turn = turn
        attempt = self.store.attempt(turn.attempt_id)
        card = attempt.scorecard or {}
        score = float(attempt.score or 0.0)
        self._verdicts = {str(c.get("id")): bool(c.get("met")) for c in card.get("criteria", [])}
        self.listeners = [p.name for p in self.hour.players if p.id != turn.seller.id]
        self.rating_page.show_story(
            turn.seller.name, format_score(score, self.drill.pass_threshold),
            bool(attempt.passed), format_score(self.drill.pass_threshold),
            attempt.transcript or "", self.player is not None and attempt.audio_path is not None)
        self.stack.setCurrentIndex(self.RATING)
        self._show_listener()

    def current_listener(self) -> str | None:
        return self.to_rate[0] if self.to_rate else None

    def _show_listener(self) -> None:
        """The next listener still to rate this story (from the store: a listener who rated
        some criteria before a restart finds them rated), or on to what comes next."""
        turn = self.rating_turn
        try:
            progress = self._progress()
        except StorageError as exc:
            self._report(exc)
            return
        waiting = [] if turn is None else progress.to_rate(turn)
        self.to_rate = [p.name for p in waiting]
        if turn is None or not waiting:
            self.rating_turn = None
            self._stop_playback()
            self._continue()
            return
        listener = waiting[0]
        number = self.listeners.index(listener.name) + 1 \
            if listener.name in self.listeners else 1
        self.rating_page.show_listener(listener.name, turn.seller.name, number,
                                       len(self.listeners), self._verdicts,
                                       progress.begun(turn, listener))

    def _on_rated(self, criterion_id: str, value: int) -> None:
        """Each rating is saved the moment it is given, so a crash loses none of them."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        try:
            core.rate_story(self.store, turn.id, listener, {criterion_id: value},
                            [c for c, _ in self.criteria], partial=True)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)

    def save_ratings(self) -> None:
        """Ctrl+Enter: save this listener's ratings and hand the grid to the next one."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        grid = self.rating_page.grid
        missing = grid.missing()
        if missing:
            self.show_message(f"Rate every criterion before saving ({missing} left), or skip "
                              f"{listener}.")
            grid.focus_first_unrated()
            return
        try:
            core.rate_story(self.store, turn.id, listener, grid.ratings(),
                            [c for c, _ in self.criteria])
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        self.banner.clear()
        self.ratings_saved.emit(turn.id, listener)
        self._show_listener()

    def skip_listener(self) -> None:
        """Ctrl+K: this listener does not rate this story (saved, with any rating begun
        dropped)."""
        listener, turn = self.current_listener(), self.rating_turn
        if listener is None or turn is None:
            return
        try:
            core.pass_rating(self.store, turn.id, listener)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        self._show_listener()

    def replay(self) -> None:
        """Ctrl+P: play the teller's story again (again to stop)."""
        turn = self.rating_turn
        if self.player is None or turn is None or turn.attempt_id is None:
            self.show_message(NO_PLAYER_MESSAGE, "info")
            return
        if self.player.playing:
            self._stop_playback()
            return
        path = self.store.attempt(turn.attempt_id).audio_path
        if path is None or not path.exists():
            self.show_message("This story's recording is no longer on this computer.", "info")
            return
        try:
            self.player.play(path)
        except TrainerError as exc:
            self._report(exc)
            return
        self.rating_page.set_playing(True)
        self._play_timer.start()

    def _on_play_tick(self) -> None:
        if self.player is None or not self.player.playing:
            self._stop_playback()

    def _stop_playback(self) -> None:
        self._play_timer.stop()
        if self.player is not None:
            self.player.stop()
        self.rating_page.set_playing(False)

    # == ranking ==========================================================================
    def finish(self) -> None:
        """Ctrl+E: end the story hour and show the ranking board."""
        if self.hour is None:
            return
        if self.waiting_turn is not None:
            self.waiting_turn = None
            self.host.end_guided_take()
        try:
            self.hour = core.end_story_hour(self.store, self.hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.show_ranking()

    def show_ranking(self) -> None:
        assert self.hour is not None
        try:
            board = core.ranking(self.store, self.hour.id)
        except StorageError as exc:
            self._report(exc)
            return
        self.standings = board
        saved = [s.turn.attempt_id is not None
                 and bool(core.search_stories_by_attempt(self.store, s.turn.attempt_id))
                 for s in board]
        self.ranking_page.show_board(board, saved)
        self.stack.setCurrentIndex(self.RANKING)
        self.ranking_page.take_focus(bool(board))
        self._refresh_history()
        self.ranking_shown.emit()

    def selected_standing(self) -> core.Standing | None:
        row = self.ranking_page.selected_row()
        return None if row is None else self.standings[row]

    def _on_ranking_selected(self) -> None:
        standing = self.selected_standing()
        if standing is None or standing.turn.attempt_id is None:
            return
        try:
            attempt = self.store.attempt(standing.turn.attempt_id)
            tags = core.default_tags(attempt, self._vocabulary(attempt))
        except (KeyError, StorageError) as exc:
            self._report(exc)
            return
        # What the story said, blank where it said nothing: the teller fills those in.
        self.ranking_page.set_tags(core.default_title(standing.turn, tags["industry"]),
                                   tags["industry"], tags["role"], tags["pain"])

    def save_story(self) -> None:
        """Ctrl+S: save the selected story, with the title and tags shown, to the library."""
        standing = self.selected_standing()
        if standing is None:
            self.show_message("Select a story in the ranking first.")
            return
        tags = self.ranking_page.tags()
        try:
            vocabulary = None if standing.turn.attempt_id is None else \
                self._vocabulary(self.store.attempt(standing.turn.attempt_id))
            saved = core.save_to_library(
                self.store, standing.turn.id, title=tags["title"], industry=tags["industry"],
                role=tags["role"], pain=tags["pain"], vocabulary=vocabulary)
        except (StoryHourError, StorageError) as exc:
            self._report(exc)
            return
        row = self.ranking_page.current_row()
        self.show_message(f"\u201c{saved.title}\u201d is in the story library.", "info")
        self.show_ranking()
        self.ranking_page.select_row(max(row, 0))
        self.story_saved.emit(saved.id)

    def _vocabulary(self, attempt: Attempt) -> TagVocabulary:
        """The tags a told story is matched against: every scenario's, the one it was told
        to, and the library's."""
        prospects = [s.prospect for s in self.library.scenarios()]
        found = (attempt.scenario or {}).get("prospect")
        if isinstance(found, dict):
            prospects.append(found)
        return tag_vocabulary(self.store, prospects)

    def new_hour(self) -> None:
        """Back to the roster (kept, for next week's meeting)."""
        self.hour = None
        self.rating_turn = None
        self.banner.clear()
        self._refresh_history()
        self.setup_page.update_buttons()
        self.stack.setCurrentIndex(self.SETUP)
        self.setup_page.take_focus()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.stack.currentIndex() == self.RESUME:
            self.resume_page.take_focus()  # Ctrl+Enter resumes as soon as the screen is open

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._stop_playback()
        super().hideEvent(event)
