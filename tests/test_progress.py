"""``trainer.coaching.progress``: first / best / latest per skill and the most-missed criterion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SPEECH
from trainer.coaching.practice import build_scorecard
from trainer.coaching.progress import SKILLS, delivery_score, last_scores, seller_progress
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, Word
from trainer.store.database import Seller, Store

GOOD = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")
WEAK = (SPEECH / "agenda_weak.txt").read_text(encoding="utf-8")
STORY = ("We worked with Harbor Freight Lines, a logistics company like yours. Their finance "
         "team closed the month in twelve days. We automated their invoice matching, and "
         "they now close in four days, saving two hundred hours a quarter.")


def take(store: Store, seller: Seller, library: DrillLibrary, drill_id: str, text: str,
         seconds_per_word: float = 0.4) -> int:
    drill = library.drill(drill_id)
    scenario = library.scenario("northwind-finance")
    words, t = [], 0.0
    for w in text.split():
        words.append(Word(w, t, t + 0.3))
        t += seconds_per_word + (0.8 if w.endswith((".", "?")) else 0.0)
    transcript = Transcript(text, words, t + 0.5, "scripted")
    card = build_scorecard(drill, scenario, transcript)
    attempt_id = store.begin_attempt(seller, drill_id, scenario.id, scenario.to_json(), None)
    store.save_result(attempt_id, text, transcript.words_json(), card, "scripted", t)
    return attempt_id


@pytest.fixture
def timed_store(tmp_path: Path) -> Store:
    ticks = iter(range(1_000, 100_000, 60))
    return Store(tmp_path / "s.sqlite3", clock=lambda: float(next(ticks)))


def test_first_best_latest_per_skill(timed_store: Store) -> None:
    library = DrillLibrary()
    with timed_store as store:
        ana, ben = store.seller("Ana"), store.seller("Ben")
        ids = [take(store, ana, library, "agenda", text) for text in (WEAK, GOOD, WEAK)]
        take(store, ana, library, "client_story", STORY)
        take(store, ben, library, "agenda", GOOD)  # someone else's take never counts
        failed = store.begin_attempt(ana, "agenda", None, None, None)
        store.mark_failed(failed, "We didn't hear you")
        scores = [store.attempt(i).score for i in ids]
        progress = seller_progress(store, ana, library)
    names = [s.skill for s in progress.skills]
    assert names[:5] == [skill for skill, _ in SKILLS[:5]] and names[-1] == "delivery"
    assert set(names) == {skill for skill, _ in SKILLS} | {d.id for d in library.drills()}
    agenda = progress.skill("agenda")
    assert agenda.count == 3
    assert (agenda.first, agenda.best, agenda.latest) == (scores[0], max(scores), scores[2])
    assert [p.attempt_id for p in agenda.series] == ids  # oldest first
    assert agenda.series[0].at < agenda.series[1].at
    assert scores[1] > scores[0]
    assert progress.skill("client_story").count == 1
    assert progress.skill("vision").count == 0 and progress.skill("vision").best is None
    delivery = progress.skill("delivery")
    assert delivery.count == 4  # every recorded take exercises delivery
    assert all(0 <= p.score <= 100 for p in delivery.series)


def test_most_missed_criterion_comes_with_its_tip(timed_store: Store) -> None:
    library = DrillLibrary()
    with timed_store as store:
        ana = store.seller("Ana")
        for text in (WEAK, WEAK, GOOD):
            take(store, ana, library, "agenda", text)
        progress = seller_progress(store, ana, library)
    missed = progress.most_missed
    assert missed is not None
    drill = library.drill("agenda")
    # The weak opening misses purpose, time check, topics... twice; the good one none.
    assert missed.drill_id == "agenda" and missed.missed == 2 and missed.takes == 3
    assert missed.tip == drill.criterion(missed.criterion_id).tip
    assert missed.summary() == (f"Most missed: {missed.name} (Set an agenda), missed in 2 "
                                "of 3 takes.")


def test_no_takes_no_progress(store: Store) -> None:
    progress = seller_progress(store, store.seller("Ana"), DrillLibrary())
    assert progress.most_missed is None and progress.takes == 0


def test_delivery_score_counts_good_as_full_and_watch_as_half() -> None:
    block = {"pace_wpm": {"band": "good"}, "fillers_per_min": {"band": "watch"},
             "pauses": {"band": "fix"}, "questions": {"band": "good"}, "words": 12}
    assert delivery_score(block) == 62.5
    assert delivery_score({"words": 3}) is None


def test_last_scores_lists_every_drill_with_the_latest_scored_take(timed_store: Store) -> None:
    library = DrillLibrary()
    with timed_store as store:
        ana, ben = store.seller("Ana"), store.seller("Ben")
        take(store, ana, library, "agenda", GOOD)
        latest = take(store, ana, library, "agenda", WEAK)
        take(store, ben, library, "client_story", STORY)  # Ben's, not Ana's
        failed = store.begin_attempt(ana, "vision", None, None, None)
        store.mark_failed(failed, "We didn't hear you")  # failed: not a score
        rows = last_scores(store, " ana ", library)
        nobody = last_scores(store, "Nobody Yet", library)
        sellers = [s.name for s in store.sellers()]
        expected = store.attempt(latest)
    assert [r.drill_id for r in rows] == [d.id for d in library.drills()]
    by_id = {r.drill_id: r for r in rows}
    assert by_id["agenda"].score == expected.score and by_id["agenda"].passed == expected.passed
    assert by_id["client_story"].score is None and by_id["vision"].score is None
    assert all(r.score is None for r in nobody)
    assert "Nobody Yet" not in sellers  # asking creates no seller
