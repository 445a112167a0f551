"""The judge holds when the words are written differently (issue 15, point 5).

Each test scores real transcripts twice, as written and changed in one way, and compares the
verdicts with each other (never with the labels, so no measuring batch teaches anyone where
the judge is wrong): how a speech recogniser writes (lowercase, no punctuation), the same
answer to an unrelated prospect, and the same answer with fillers and false starts. The
transcripts are the measuring batch ``tests/data/rubric/m6``: text the shipped judge never
learned from (m1-m5 are training data since sessions 10 and 12), by a hand that never saw it.
Each test fails on a judge that reads surface form (capitals for names, full stops for
sentences, no eye for the buyer's facts). The changes and the measures are
``trainer.bench.robustness``'s, so ``uv run python -m trainer.bench rubric --robustness --sets
S [--models DIR]`` gives the same figures for any batch and any candidate judge.

The bounds hold what the shipped judge reaches, with a margin for another CPU's int8
arithmetic, so it cannot get worse unnoticed, and name issue 15's targets. On m6 the shipped
judge (session 12: the model of ``tools/train_judge.py --rank-weight 1.0``, reading each
transcript as written and as heard) changes 3.0% of its verdicts when lowercased without
punctuation (target at most 3%; 5.9% when it read the words as written only), 3.0% with
fillers and false starts, and an unrelated prospect turns 78% of its relevance verdicts off
(target: all; 34% before the ranking term of session 10, docs/judge-v2-log.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pytest

from trainer.bench.robustness import (
    filler_changes,
    lowercase_changes,
    recogniser_style,
    unrelated_scenario,
    unrelated_turned_off,
    with_disfluencies,
)
from trainer.bench.rubric import Labelled, labelled
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.judge import Judge
from trainer.rubric.scoring import default_judge


@pytest.fixture(scope="module")
def library() -> DrillLibrary:
    return DrillLibrary()


@pytest.fixture(scope="module")
def judge() -> Judge:
    found = default_judge()
    found.load()
    return found


def transcripts(library: DrillLibrary, every: int = 1) -> Iterator[Labelled]:
    """Every ``every``-th transcript of the measuring batch the shipped judge never trained
    on (270 in all)."""
    yield from list(labelled("m6", library))[::every]


def test_the_changes_keep_the_words_and_are_repeatable() -> None:
    """The measures compare like with like: a changed transcript says the same words."""
    text = "At St. Luke's, Dr. Ames cut month-end from 9 days to 4. We'd do that for you."
    assert recogniser_style(text) == (
        "at st luke's dr ames cut month end from 9 days to 4 we'd do that for you")
    messy = with_disfluencies(text, 3)
    assert messy == with_disfluencies(text, 3)
    kept = [w for w in messy.split() if w.rstrip(",") not in {"um", "uh", "erm"}
            and not w.endswith("-")]
    assert " ".join(dict.fromkeys(kept)) == " ".join(dict.fromkeys(text.split()))


def test_an_unrelated_prospect_shares_no_industry_and_no_pain(library: DrillLibrary) -> None:
    scenarios = library.scenarios()
    for scenario in scenarios:
        other = unrelated_scenario(scenario, scenarios)
        assert other is not None
        assert other.industry.lower() != scenario.industry.lower()
        assert not set(other.prospect.get("pains", [])) & set(scenario.prospect.get("pains", []))


def test_lowercase_without_punctuation_changes_at_most_three_percent(
        library: DrillLibrary, judge: Judge) -> None:
    rate = lowercase_changes(library, judge, transcripts(library))
    assert rate.total > 1000
    # Target 0.03; the shipped judge changes 0.030 (36 of 1,215).
    assert rate.share <= 0.04, f"{rate} of verdicts changed"


def test_fillers_and_false_starts_keep_the_verdicts(library: DrillLibrary, judge: Judge) -> None:
    rate = filler_changes(library, judge, transcripts(library, every=2))
    assert rate.total > 600
    # The shipped judge changes 0.030 (18 of 608).
    assert rate.share <= 0.04, f"{rate} of verdicts changed"


def test_an_unrelated_prospect_turns_the_relevance_criteria_off(
        library: DrillLibrary, judge: Judge) -> None:
    """The same answer, said to a buyer in another industry with other pains, is no longer
    about that buyer."""
    rate = unrelated_turned_off(library, judge, transcripts(library))
    assert rate.total >= 40
    # Target: every one; the shipped judge turns off 0.78 (52 of 67).
    assert rate.share >= 0.70, f"{rate} turned off"


def test_bench_prints_the_three_measures_for_a_batch(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``bench rubric --robustness`` measures any batch with the tests' own measures (here on
    a batch's first 12 transcripts, to keep the test short)."""
    from trainer.bench import robustness
    from trainer.bench.__main__ import main

    monkeypatch.setattr(robustness, "labelled",
                        lambda name, library: islice(labelled(name, library), 12))
    assert main(["rubric", "--robustness", "--sets", "t1-asr"]) == 0
    out = capsys.readouterr().out
    for words in ("t1-asr: ", "lowercase, no punctuation: ", "fillers and false starts: ",
                  "an unrelated prospect: "):
        assert words in out
    assert main(["rubric", "--robustness", "--sets", "t1", "--lowercase-weight", "0.5"]) == 0
    assert "read as written and as heard (lowercase weight 0.5)" in capsys.readouterr().out
    assert main(["rubric", "--robustness", "--sets", "t1", "--uncalibrated"]) == 0
    assert "no calibration" in capsys.readouterr().out
    assert main(["rubric", "--robustness", "--sets", "m99"]) == 2
    assert "There is no batch m99" in capsys.readouterr().err
    assert main(["rubric", "--robustness", "--sets", "t1", "--lowercase-weight", "2"]) == 2
    assert "a share from 0 to 1" in capsys.readouterr().err
