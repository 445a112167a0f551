"""The story-hour core on a real SQLite store with real drills and real scorecards.

Attempts are scored by the real scorer (``build_scorecard``) from the texts of the story
WAVs in ``tests/data/speech``, so the app scores in the ranking are the app's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SPEECH
from trainer.coaching.practice import build_scorecard
from trainer.coaching.stories import search_stories, suggest_tags, tag_values, tag_vocabulary
from trainer.coaching.storyhour import (
    DRILL_ID,
    StoryHourError,
    Turn,
    adopt_scored_takes,
    combined_score,
    end_story_hour,
    history,
    pass_rating,
    peer_score,
    progress,
    rank,
    ranking,
    rate_story,
    rating_criteria,
    ratings_of,
    record_turn,
    save_to_library,
    skip_turn,
    start_story_hour,
    story_hour,
    unfinished_story_hour,
    validate_roster,
    winner,
)
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, Word
from trainer.store.database import Seller, Store

GOOD = (SPEECH / "story_good.txt").read_text(encoding="utf-8")
WEAK = (SPEECH / "story_weak.txt").read_text(encoding="utf-8")
SCENARIO_ID = "mercy-health"


@pytest.fixture(scope="module")
def library() -> DrillLibrary:
    return DrillLibrary()


def criteria_ids(library: DrillLibrary) -> list[str]:
    return [c for c, _ in rating_criteria(library.drill(DRILL_ID))]


def told(store: Store, library: DrillLibrary, name: str, text: str, tmp_path: Path,
         context: str = "", drill_id: str = DRILL_ID) -> int:
    """A scored attempt of ``name`` telling ``text``, as the main window would store it."""
    seller = store.seller(name)
    drill, scenario = library.drill(drill_id), library.scenario(SCENARIO_ID)
    wav = tmp_path / f"{name}-{len(store.attempts())}.wav"
    attempt_id = store.begin_attempt(seller, drill.id, scenario.id, scenario.to_json(), wav,
                                     context)
    words = [Word(w, 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(text.split())]
    transcript = Transcript(text, words, duration_s=0.4 * len(words), model="scripted")
    card = build_scorecard(drill, scenario, transcript)
    store.save_result(attempt_id, text, transcript.words_json(), card, "scripted")
    return attempt_id


def test_the_roster_needs_two_distinct_named_players(store: Store) -> None:
    assert validate_roster(["  Ana   Lopez ", "Ben"]) == ["Ana Lopez", "Ben"]
    with pytest.raises(StoryHourError, match="at least two players"):
        start_story_hour(store, ["Ana"])
    with pytest.raises(StoryHourError, match="ana is on the roster twice"):
        start_story_hour(store, ["Ana", "Ben", "ana"])
    with pytest.raises(StoryHourError, match="Every player needs a name"):
        start_story_hour(store, ["Ana", " "])
    assert store.sellers() == []  # nothing was written by a refused roster
    hour = start_story_hour(store, ["Ben", "Ana", "Cy"], SCENARIO_ID)
    assert [p.name for p in hour.players] == ["Ben", "Ana", "Cy"]  # turn order = roster order
    assert hour.next_turn() is not None and hour.next_turn().seller.name == "Ben"  # type: ignore[union-attr]
    assert hour.scenario_id == SCENARIO_ID and hour.context == f"story_hour:{hour.id}"
    assert {s.name for s in store.sellers()} == {"Ana", "Ben", "Cy"}


def test_a_turn_takes_only_its_tellers_scored_story(store: Store, library: DrillLibrary,
                                                    tmp_path: Path) -> None:
    hour = start_story_hour(store, ["Ana", "Ben"])
    ana, ben = hour.turns
    bens = told(store, library, "Ben", GOOD, tmp_path)
    with pytest.raises(StoryHourError, match="not Ana's"):
        record_turn(store, ana.id, bens)
    agenda = told(store, library, "Ana", GOOD, tmp_path, drill_id="agenda")
    with pytest.raises(StoryHourError, match="client story"):
        record_turn(store, ana.id, agenda)
    unscored = store.begin_attempt(store.seller("Ana"), DRILL_ID, None, None, None)
    with pytest.raises(StoryHourError, match="not been scored"):
        record_turn(store, ana.id, unscored)
    turn = record_turn(store, ana.id, told(store, library, "Ana", GOOD, tmp_path))
    assert turn.told
    hour = story_hour(store, hour.id)
    assert hour.next_turn() == ben


def test_ratings_are_validated_in_one_sentence(store: Store, library: DrillLibrary,
                                               tmp_path: Path) -> None:
    ids = criteria_ids(library)
    assert ids == ["client", "situation", "action", "result", "quantified", "relevance",
                   "engaging_delivery"]
    hour = start_story_hour(store, ["Ana", "Ben", "Cy"])
    ana = hour.turns[0]
    with pytest.raises(StoryHourError, match="hasn't told a story yet"):
        rate_story(store, ana.id, "Ben", {"client": 4}, ids)
    record_turn(store, ana.id, told(store, library, "Ana", GOOD, tmp_path))
    cases = [
        ("Ana", {"client": 4}, "Ana can't rate their own story."),
        ("Dee", {"client": 4}, "Dee is not a player in this story hour, so they can't rate."),
        ("Ben", {"client": 6}, "Each rating is a whole number from 1 to 5."),
        ("Ben", {"client": 0}, "Each rating is a whole number from 1 to 5."),
        ("Ben", {"client": True}, "Each rating is a whole number from 1 to 5."),
        ("Ben", {"charisma": 3}, "'charisma' is not one of the story criteria."),
        ("Ben", {}, "Give at least one rating from 1 to 5."),
    ]
    for rater, ratings, message in cases:
        with pytest.raises(StoryHourError) as error:
            rate_story(store, ana.id, rater, ratings, ids)  # type: ignore[arg-type]
        assert str(error.value) == message
    assert store.query("SELECT COUNT(*) FROM peer_ratings")[0][0] == 0
    rate_story(store, ana.id, " ben ", {"client": 2, "result": 4}, ids)
    rate_story(store, ana.id, "Ben", {"client": 5}, ids)  # a listener's new ratings replace
    rows = store.query("SELECT rater, criterion_id, rating FROM peer_ratings")
    assert [tuple(r) for r in rows] == [(str(store.seller("Ben").id), "client", 5)]
    end_story_hour(store, hour.id)
    with pytest.raises(StoryHourError, match="ended"):
        rate_story(store, ana.id, "Cy", {"client": 3}, ids)


def test_peer_and_combined_score_math() -> None:
    assert peer_score({}) is None
    assert peer_score({1: {"a": 1, "b": 1}}) == 0.0
    assert peer_score({1: {"a": 5}}) == 100.0
    # Each listener is averaged first: (mean 2, one rating) and (mean 4, four ratings) -> 3.
    assert peer_score({1: {"a": 2}, 2: {"a": 4, "b": 4, "c": 4, "d": 4}}) == 50.0
    assert combined_score(80.0, 50.0) == 65.0
    assert combined_score(80.0, None) == 80.0  # nobody rated: the app's score alone


def test_ranking_blends_app_and_listeners_and_breaks_ties(store: Store, library: DrillLibrary,
                                                          tmp_path: Path) -> None:
    ids = criteria_ids(library)
    hour = start_story_hour(store, ["Ana", "Ben", "Cy"])
    ana, ben, cy = hour.turns
    record_turn(store, ana.id, told(store, library, "Ana", WEAK, tmp_path))
    record_turn(store, ben.id, told(store, library, "Ben", GOOD, tmp_path))
    record_turn(store, cy.id, told(store, library, "Cy", GOOD, tmp_path))
    app = {t.seller.name: store.attempt(t.attempt_id or 0).score or 0.0
           for t in story_hour(store, hour.id).turns}
    assert app["Ben"] == app["Cy"] > app["Ana"]
    all_fives = dict.fromkeys(ids, 5)
    all_ones = dict.fromkeys(ids, 1)
    rate_story(store, ana.id, "Ben", all_fives, ids)
    rate_story(store, ana.id, "Cy", all_fives, ids)
    rate_story(store, ben.id, "Ana", all_ones, ids)
    rate_story(store, ben.id, "Cy", dict.fromkeys(ids, 3), ids)
    # Cy is not rated at all: ranked on the app's score alone.
    board = ranking(store, hour.id)
    by_name = {s.turn.seller.name: s for s in board}
    assert by_name["Ana"].peer_score == 100.0 and by_name["Ana"].raters == 2
    assert by_name["Ana"].combined == pytest.approx(0.5 * app["Ana"] + 50.0)
    assert by_name["Ben"].peer_score == 25.0  # mean rating 2 -> 25 on 0-100
    assert by_name["Cy"].peer_score is None and by_name["Cy"].combined == app["Cy"]
    assert [s.turn.seller.name for s in board] == sorted(
        by_name, key=lambda n: -by_name[n].combined)
    assert [s.rank for s in board] == [1, 2, 3]
    assert winner(store, hour.id) == board[0]


def test_equal_combined_scores_go_to_the_higher_app_score_then_the_first_teller(
        store: Store, library: DrillLibrary, tmp_path: Path) -> None:
    ids = criteria_ids(library)
    hour = start_story_hour(store, ["Ana", "Ben", "Cy"])
    ana, ben, cy = hour.turns
    for turn in (ana, ben, cy):
        record_turn(store, turn.id, told(store, library, turn.seller.name, GOOD, tmp_path))
    # Same story, same app score, nobody rated: equal combined scores; told first wins.
    assert [s.turn.seller.name for s in ranking(store, hour.id)] == ["Ana", "Ben", "Cy"]
    rate_story(store, ana.id, "Cy", dict.fromkeys(ids, 1), ids)
    assert [s.turn.seller.name for s in ranking(store, hour.id)] == ["Ben", "Cy", "Ana"]
    # Equal combined scores, 0.5 * 40 + 0.5 * 75 = 0.5 * 60 + 0.5 * 55 = 57.5: the higher
    # app score goes first, whatever order the rows come in.
    first, second = (Turn(i, 1, Seller(i, n), i, i) for i, n in ((1, "Ana"), (2, "Ben")))
    low_app = (first, 40.0, {9: {"a": 4, "b": 5, "c": 3, "d": 4}})  # mean 4 -> 75
    high_app = (second, 60.0, {9: {"a": 3, "b": 3, "c": 3, "d": 3, "e": 4}})  # 3.2 -> 55
    for rows in ([low_app, high_app], [high_app, low_app]):
        board = rank(rows)
        assert board[0].combined == pytest.approx(board[1].combined) == pytest.approx(57.5)
        assert [s.turn.seller.name for s in board] == ["Ben", "Ana"]


def test_best_stories_go_into_the_library_tagged_with_what_they_told(
        store: Store, library: DrillLibrary, tmp_path: Path) -> None:
    hour = start_story_hour(store, ["Ana", "Ben"], SCENARIO_ID)
    ana, ben = hour.turns
    with pytest.raises(StoryHourError, match="nothing to save"):
        save_to_library(store, ana.id)
    attempt_id = told(store, library, "Ana", GOOD, tmp_path, hour.context)
    record_turn(store, ana.id, attempt_id)
    saved = save_to_library(store, ana.id)
    attempt = store.attempt(attempt_id)
    # A hospital story: healthcare. It never names the buyer's role (Mercy's chief nursing
    # officer), so the role is left for the teller to fill.
    assert (saved.title, saved.industry, saved.role) == (
        "Ana's healthcare story", "healthcare", "")
    # It names two of Mercy's pains; all the words of the agency-spend one.
    assert saved.pain == "agency nurse spend is over budget"
    assert (saved.text, saved.audio_path, saved.attempt_id, saved.seller_id, saved.source) == (
        GOOD, attempt.audio_path, attempt_id, ana.seller.id, "story_hour")
    assert [s.id for s in search_stories(store, industry="health")] == [saved.id]
    assert [s.id for s in search_stories(store, "Lakeview")] == [saved.id]
    with pytest.raises(StoryHourError, match="already in the library"):
        save_to_library(store, ana.id)
    record_turn(store, ben.id, told(store, library, "Ben", WEAK, tmp_path, hour.context))
    custom = save_to_library(store, ben.id, title="Short one", pain="call-outs", role="")
    assert (custom.title, custom.pain, custom.role, custom.industry) == (
        "Short one", "call-outs", "", "healthcare")


def test_history_lists_past_hours_with_their_winner(store: Store, library: DrillLibrary,
                                                    tmp_path: Path) -> None:
    first = start_story_hour(store, ["Ana", "Ben"])
    record_turn(store, first.turns[1].id, told(store, library, "Ben", GOOD, tmp_path))
    ended = end_story_hour(store, first.id)
    assert ended.ended and end_story_hour(store, first.id).ended_at == ended.ended_at
    with pytest.raises(StoryHourError, match="has ended"):
        record_turn(store, first.turns[0].id, told(store, library, "Ana", GOOD, tmp_path))
    second = start_story_hour(store, ["Cy", "Dee"])
    past = history(store)
    assert [h.id for h in past] == [second.id, first.id]
    assert (past[1].players, past[1].winner, past[1].stories_told) == (["Ana", "Ben"], "Ben", 1)
    assert (past[0].winner, past[0].stories_told, past[0].ended_at) == (None, 0, None)


def test_deleting_a_seller_removes_their_turns_ratings_and_name(
        store: Store, library: DrillLibrary, tmp_path: Path) -> None:
    ids = criteria_ids(library)
    hour = start_story_hour(store, ["Ana", "Ben", "Cy", "Dee"])
    ana, ben, cy, _ = hour.turns
    record_turn(store, ana.id, told(store, library, "Ana", GOOD, tmp_path))
    record_turn(store, ben.id, told(store, library, "Ben", WEAK, tmp_path))
    rate_story(store, ana.id, "Ben", dict.fromkeys(ids, 4), ids)
    rate_story(store, ben.id, "Ana", dict.fromkeys(ids, 2), ids)
    pass_rating(store, ben.id, "Dee")
    skip_turn(store, cy.id)
    save_to_library(store, ana.id)
    store.delete_seller(store.seller("Ana"))
    hour = story_hour(store, hour.id)
    assert [p.name for p in hour.players] == ["Ben", "Cy", "Dee"]
    assert [s.turn.seller.name for s in ranking(store, hour.id)] == ["Ben"]
    assert search_stories(store) == []  # her saved story went with her
    # The ratings she gave go too (a later seller with her id must not inherit them), and
    # nothing left in these tables names her.
    dump = "".join(str(tuple(r)) for table in ("story_hours", "story_turns", "peer_ratings")
                   for r in store.query(f"SELECT * FROM {table}"))
    assert "Ana" not in dump
    assert ranking(store, hour.id)[0].peer_score is None
    # The passes of the others (kept beside the roster) survive her deletion.
    now = progress(store, hour.id, ids)
    assert now.skipped == {cy.id}
    assert [p.name for p in now.to_rate(hour.turns[0])] == ["Cy"]  # Dee passed on Ben's


DISTRIBUTOR = (
    "A freight distributor in Portland, Cascade Freight, had a month-end close that took "
    "twelve days, and their finance director spent every close chasing reconciliations in "
    "spreadsheets. They moved the close onto Ledgerly across four warehouses, and within two "
    "quarters the close took five days and the auditors stopped asking for extra evidence.")


def test_a_story_about_another_industry_is_tagged_with_its_own_words(
        store: Store, library: DrillLibrary, tmp_path: Path) -> None:
    """Told to Mercy's chief nursing officer, a story about a freight distributor is a
    logistics story: none of the scenario's tags are given to it."""
    hour = start_story_hour(store, ["Ana", "Ben", "Cy"], SCENARIO_ID)
    ana, ben, cy = hour.turns
    record_turn(store, ana.id, told(store, library, "Ana", DISTRIBUTOR, tmp_path, hour.context))
    mercy = library.scenario(SCENARIO_ID).prospect
    # With only what the core knows by itself (the library and the scenario it was told to).
    saved = save_to_library(store, ana.id)
    assert (saved.title, saved.industry, saved.role, saved.pain) == (
        "Ana's logistics story", "logistics", "", "")
    # With every scenario known, as the app saves it: the role and pain the story names.
    vocabulary = tag_vocabulary(store, [s.prospect for s in library.scenarios()])
    assert suggest_tags(DISTRIBUTOR, vocabulary) == {
        "industry": "logistics", "role": "finance director",
        "pain": "month-end close takes twelve days"}
    for value in (mercy["industry"], mercy["role"], *mercy["pains"]):
        assert value not in saved.tags
    # A story that names no industry, role or pain gets blanks, never the scenario's.
    vague = "They were unhappy, they tried us, and now they are happy with how it went."
    record_turn(store, ben.id, told(store, library, "Ben", vague, tmp_path, hour.context))
    blank = save_to_library(store, ben.id, vocabulary=vocabulary)
    assert (blank.title, blank.tags) == ("Ben's client story", [])
    # A story in the library's own spelling joins that filter ("Logistics", not "logistics").
    vocabulary = tag_vocabulary(store, [])
    record_turn(store, cy.id, told(store, library, "Cy", DISTRIBUTOR, tmp_path, hour.context))
    assert save_to_library(store, cy.id, vocabulary=vocabulary).industry == "logistics"
    assert tag_values(store)["industry"] == ["logistics"]


def test_a_story_hour_in_progress_survives_a_crash(library: DrillLibrary,
                                                    tmp_path: Path) -> None:
    """Every step is in the store as it happens: a reopened store gives back the roster, the
    told stories, every rating given (a listener's half-done grid too), the passes, and so
    who rates next and who tells next."""
    path = tmp_path / "store" / "trainer.sqlite3"
    ids = criteria_ids(library)
    store = Store(path)
    hour = start_story_hour(store, ["Ana", "Ben", "Cy", "Dee"], SCENARIO_ID)
    ana, ben, cy, dee = hour.turns
    ana_take = told(store, library, "Ana", GOOD, tmp_path, hour.context)
    record_turn(store, ana.id, ana_take)
    for criterion in ids:  # Ben rates key by key, as the grid saves them
        rate_story(store, ana.id, "Ben", {criterion: 4}, ids, partial=True)
    pass_rating(store, ana.id, "Cy")
    rate_story(store, ana.id, "Dee", dict.fromkeys(ids, 3), ids)
    ben_take = told(store, library, "Ben", WEAK, tmp_path, hour.context)
    record_turn(store, ben.id, ben_take)
    rate_story(store, ben.id, "Ana", {"client": 2}, ids, partial=True)
    rate_story(store, ben.id, "Ana", {"situation": 1}, ids, partial=True)
    before = {t.id: ratings_of(store, t.id) for t in (ana, ben)}
    store.close()  # the app dies: nothing ended the story hour

    store = Store(path)
    try:
        resumed = unfinished_story_hour(store)
        assert resumed is not None and resumed.id == hour.id
        assert [p.name for p in resumed.players] == ["Ana", "Ben", "Cy", "Dee"]
        assert [t.attempt_id for t in resumed.turns] == [ana_take, ben_take, None, None]
        assert {t.id: ratings_of(store, t.id) for t in (ana, ben)} == before
        now = progress(store, hour.id, ids)
        assert now.rating_turn == resumed.turns[1]  # Ben's story is still being rated
        assert [p.name for p in now.to_rate(resumed.turns[1])] == ["Ana", "Cy", "Dee"]
        assert now.begun(resumed.turns[1], resumed.players[0]) == {"client": 2, "situation": 1}
        assert now.to_rate(resumed.turns[0]) == []  # Ben rated, Cy passed, Dee rated
        assert now.next_turn == resumed.turns[2]  # Cy tells next
        assert now.summary() == [
            "Ana told their story: rated by Ben and Dee; Cy passed.",
            "Ben told their story: nobody has rated it yet; begun by Ana (2 of 7).",
            "Cy has not told their story yet.",
            "Dee has not told their story yet.",
            "Next: Ana rates Ben's story.",
        ]
        # Carry on: the rest of Ben's listeners, then Cy passes too; the app dies again.
        rate_story(store, ben.id, "Ana", dict.fromkeys(ids, 2), ids)
        pass_rating(store, ben.id, "Cy")
        rate_story(store, ben.id, "Dee", {"client": 5}, ids, partial=True)
        pass_rating(store, ben.id, "Dee")  # a pass drops the rating begun
        skip_turn(store, cy.id)
    finally:
        store.close()

    with Store(path) as store:
        now = progress(store, hour.id, ids)
        assert now.rating_turn is None
        assert now.next_turn is not None and now.next_turn.id == dee.id
        assert set(ratings_of(store, ben.id)) == {store.seller("Ana").id}
        assert now.summary()[2:] == ["Cy passed.", "Dee has not told their story yet.",
                                     "Next: Dee tells their story."]
        end_story_hour(store, hour.id)
        assert unfinished_story_hour(store) is None


def test_a_take_recorded_when_the_app_died_joins_its_turn_once_scored(
        store: Store, library: DrillLibrary, tmp_path: Path) -> None:
    hour = start_story_hour(store, ["Ana", "Ben"], SCENARIO_ID)
    ana, ben = hour.turns
    # Not this story hour's, or not a client story: never adopted.
    told(store, library, "Ana", GOOD, tmp_path, "story_hour:999")
    told(store, library, "Ana", GOOD, tmp_path, hour.context, drill_id="agenda")
    unscored = store.begin_attempt(store.seller("Ben"), DRILL_ID, None, None, None,
                                   hour.context)  # still "recording" when the app died
    assert adopt_scored_takes(store, hour.id) == []
    take = told(store, library, "Ana", GOOD, tmp_path, hour.context)  # scored from History
    assert [t.id for t in adopt_scored_takes(store, hour.id)] == [ana.id]
    assert story_hour(store, hour.id).turns[0].attempt_id == take
    assert adopt_scored_takes(store, hour.id) == []  # once
    assert story_hour(store, hour.id).turns[1].attempt_id is None
    assert store.attempt(unscored).status == "recording"
    assert ben.attempt_id is None


def test_starting_a_story_hour_ends_one_left_unfinished(store: Store) -> None:
    stale = start_story_hour(store, ["Ana", "Ben"])
    fresh = start_story_hour(store, ["Cy", "Dee"])
    assert story_hour(store, stale.id).ended and not story_hour(store, fresh.id).ended
    assert unfinished_story_hour(store) == story_hour(store, fresh.id)
