"""``trainer.coaching.compare``: two takes' scorecards, what changed between them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SPEECH
from trainer.coaching.compare import compare_takes
from trainer.coaching.practice import build_scorecard
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, Word

GOOD = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")
WEAK = (SPEECH / "agenda_weak.txt").read_text(encoding="utf-8")


def card(text: str, seconds_per_word: float = 0.4) -> dict:
    library = DrillLibrary()
    words, t = [], 0.0
    for w in text.split():
        words.append(Word(w, t, t + 0.3))
        t += seconds_per_word + (0.8 if w.endswith((".", "?")) else 0.0)  # a beat per sentence
    transcript = Transcript(text, words, t + 0.5, "scripted")
    return build_scorecard(library.drill("agenda"), library.scenario("northwind-finance"),
                           transcript)


def test_weak_then_good_gains_criteria_and_score() -> None:
    weak, good = card(WEAK), card(GOOD)
    comparison = compare_takes(weak, good)
    assert comparison.score_before == weak["score"] and comparison.score_after == good["score"]
    assert comparison.score_change > 0
    gained = {c.id for c in comparison.gained}
    assert {"purpose", "time_check", "topics"} <= gained
    assert comparison.lost == []
    purpose = next(c for c in comparison.criteria if c.id == "purpose")
    assert purpose.change == "gained" and purpose.evidence and purpose.evidence in GOOD
    assert comparison.summary().startswith(
        f"Score {weak['score']:.0f} \u2192 {good['score']:.0f} (up ")
    assert "gained: " in comparison.summary()


def test_the_other_way_round_loses_them() -> None:
    comparison = compare_takes(card(GOOD), card(WEAK))
    assert {c.id for c in comparison.lost} >= {"purpose", "time_check", "topics"}
    assert comparison.score_change < 0
    lost = next(c for c in comparison.lost if c.id == "purpose")
    assert lost.tip  # the second take's coaching for what it dropped


def test_delivery_metric_changes_follow_the_bands() -> None:
    slow, normal = card(GOOD, seconds_per_word=1.2), card(GOOD, seconds_per_word=0.4)
    comparison = compare_takes(slow, normal)
    pace = next(m for m in comparison.delivery if m.key == "pace_wpm")
    assert pace.before is not None and pace.after is not None and pace.after > pace.before
    assert slow["delivery"]["pace_wpm"]["band"] != "good"
    assert normal["delivery"]["pace_wpm"]["band"] == "good"
    assert pace.change == "better"
    assert compare_takes(normal, slow).delivery[0].change == "worse"
    same = compare_takes(normal, normal)
    assert all(m.change == "same" for m in same.delivery)
    assert all(c.change in ("kept", "missed") for c in same.criteria)
    assert "the same criteria met" in same.summary()


def test_agenda_coverage_is_compared_when_both_have_it(tmp_path: Path) -> None:
    a = card(GOOD) | {"agenda_coverage": {"percent": 50.0}}
    b = card(GOOD) | {"agenda_coverage": {"percent": 100.0}}
    comparison = compare_takes(a, b)
    assert (comparison.agenda_before, comparison.agenda_after) == (50.0, 100.0)
    assert compare_takes(card(GOOD), card(GOOD)).agenda_after is None
