"""Invisible characters never change a verdict: ``clean_text`` at the judges' entry."""

from __future__ import annotations

import pytest

from tests.conftest import SPEECH
from trainer.common.textnorm import clean_text
from trainer.rubric.classify import FeatureBenefitJudge
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.scoring import default_judge, score_transcript

GOOD = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad",
             "\u202a", "\u2066"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_format_characters_are_dropped(mark: str) -> None:
    assert clean_text(f"to{mark}day we have{mark} 20 minutes") == "today we have 20 minutes"


def test_look_alikes_fold_and_nothing_unprintable_is_left() -> None:
    assert clean_text("\uff37e have \ufb01ve minutes\u00a0left") == "We have five minutes left"
    assert clean_text("a\ud800b") == "a\ufffdb"  # a lone surrogate cannot be printed
    assert clean_text("a\x00b\x1bc\td\n") == "a b c\td\n"
    cleaned = clean_text("\udcff\u200b" * 3)
    cleaned.encode("utf-8")  # would raise UnicodeEncodeError on a surrogate


def test_plain_text_is_returned_as_is() -> None:
    assert clean_text(GOOD) == GOOD


def _hidden(text: str) -> str:
    """Every word with a zero-width space after its second letter and a soft hyphen after its
    first: the text looks the same on screen."""
    return " ".join(w[:1] + "\u00ad" + w[1:2] + "\u200b" + w[2:] for w in text.split(" "))


def test_zero_width_characters_do_not_change_the_scorecard() -> None:
    """Issue 14: zero-width characters in a transcript changed a score from 40 to 0 (here:
    100 to 0 before the fix, on the bundled good agenda)."""
    library = DrillLibrary()
    drill, scenario = library.drill("agenda"), library.scenario("northwind-finance")
    judge = default_judge()  # as the CLI and the app score
    plain = score_transcript(drill, GOOD, scenario, judge)
    hidden = score_transcript(drill, "\ufeff" + _hidden(GOOD), scenario, judge)
    assert [c.met for c in hidden.criteria] == [c.met for c in plain.criteria]
    assert hidden.score == plain.score and hidden.transcript == plain.transcript


def test_zero_width_characters_do_not_change_a_feature_or_benefit_verdict() -> None:
    judge = FeatureBenefitJudge(default_judge())
    for text in ("Your team closes the books three days sooner.",
                 "It integrates with SAP and Oracle out of the box."):
        assert judge.classify(_hidden(text)) == judge.classify(text)
