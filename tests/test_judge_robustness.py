"""The judge holds when the words are written differently (issue 15, point 5).

Each test scores real transcripts twice, as written and changed in one way, and compares the
verdicts with each other (never with the labels, so no measuring batch teaches anyone where
the judge is wrong): how a speech recogniser writes (lowercase, no punctuation), the same
answer to an unrelated prospect, and the same answer with fillers and false starts. The
transcripts are the measuring batch ``tests/data/rubric/m4``: text the shipped judge never
learned from (m1-m3 became training data in session 10), by a hand that never saw it. Each
test fails on a judge that reads surface form (capitals for names, full stops for sentences,
no eye for the buyer's facts).

Where the shipped judge falls short of issue 15's target the test holds what it reaches, so it
cannot get worse unnoticed, and says the target. On m4 the shipped judge changes 5.3% of its
verdicts when lowercased without punctuation (target at most 3%), 1.8% with fillers and false
starts, and an unrelated prospect turns 74% of its relevance verdicts off (target: all of
them; the judge before it turned 34% off). The step came from a ranking term in training: a
met answer must outscore the same words read with another buyer's facts
(docs/judge-v2-log.md, session 10).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest

from trainer.bench.rubric import Labelled, labelled
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.rubric.judge import Judge
from trainer.rubric.scoring import default_judge, score_transcript

RELEVANCE = {("value_prop", "relevance"), ("client_story", "relevance"),
             ("vision", "pain_relief")}


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
    yield from list(labelled("m4", library))[::every]


def verdicts(library: DrillLibrary, judge: Judge, item: Labelled, text: str,
             scenario: Scenario | None = None) -> dict[str, bool]:
    card = score_transcript(library.drill(item.drill), text, scenario or item.scenario, judge)
    return {c.id: c.met for c in card.criteria}


def recogniser_style(text: str) -> str:
    """Lowercase, no punctuation (apostrophes kept, as recognisers keep them)."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def with_disfluencies(text: str, seed: int) -> str:
    """Fillers, stutters and restarted words, about one every eight words."""
    rng = random.Random(seed)
    out: list[str] = []
    for word in text.split():
        roll = rng.random()
        if roll < 0.06:
            out.append(rng.choice(["um", "uh", "erm", "um,", "uh,"]))
        elif roll < 0.10 and word[-1:].isalpha():
            out.append(word)  # a stutter: "the the"
        elif roll < 0.125 and len(word) > 3 and word.isalpha():
            out.append(word[:2] + "-")  # a false start: "ma- manager"
        out.append(word)
    return " ".join(out)


def test_lowercase_without_punctuation_changes_at_most_three_percent(
        library: DrillLibrary, judge: Judge) -> None:
    changed = total = 0
    for item in transcripts(library):
        plain = verdicts(library, judge, item, item.transcript)
        asr = verdicts(library, judge, item, recogniser_style(item.transcript))
        changed += sum(plain[k] != asr[k] for k in plain)
        total += len(plain)
    assert total > 1000
    # Target 0.03; the shipped judge changes 0.053 (64 of 1,215).
    assert changed / total <= 0.065, f"{changed} of {total} verdicts changed"


def test_fillers_and_false_starts_keep_the_verdicts(library: DrillLibrary, judge: Judge) -> None:
    changed = total = 0
    for n, item in enumerate(transcripts(library, every=2)):
        plain = verdicts(library, judge, item, item.transcript)
        messy = verdicts(library, judge, item, with_disfluencies(item.transcript, n))
        changed += sum(plain[k] != messy[k] for k in plain)
        total += len(plain)
    assert total > 600
    assert changed / total <= 0.03, f"{changed} of {total} verdicts changed"


def test_an_unrelated_prospect_turns_the_relevance_criteria_off(
        library: DrillLibrary, judge: Judge) -> None:
    """The same answer, said to a buyer in another industry with other pains, is no longer
    about that buyer."""
    scenarios = library.scenarios()
    relevant = turned_off = 0
    for item in transcripts(library, every=1):
        asked = {c for d, c in RELEVANCE if d == item.drill}
        if not asked or item.scenario is None:
            continue
        own = verdicts(library, judge, item, item.transcript)
        if not any(own[c] for c in asked):
            continue
        industry = item.scenario.industry.lower()
        other = next(s for s in scenarios if s.industry.lower() != industry
                     and not set(s.prospect.get("pains", [])) & set(
                         item.scenario.prospect.get("pains", [])))
        swapped = verdicts(library, judge, item, item.transcript, other)
        for c in asked:
            if own[c]:
                relevant += 1
                turned_off += not swapped[c]
    assert relevant >= 40
    # Target: every one; the shipped judge turns off 0.74 (57 of 77).
    assert turned_off / relevant >= 0.65, f"{turned_off} of {relevant} turned off"
