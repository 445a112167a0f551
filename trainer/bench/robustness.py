"""Does the judge hold when the same answer is written differently? (issue 15, point 5)

Each measure scores real transcripts twice, as written and changed in one way, and compares
the verdicts with each other, never with the labels, so a figure teaches nobody where the
judge is wrong:

- **lowercase**: as a speech recogniser writes (lowercase, no punctuation); the share of
  verdicts that change (target: at most 3%).
- **fillers**: fillers, stutters and false starts, about one every eight words; the share of
  verdicts that change.
- **unrelated prospect**: the same answer scored for a buyer in another industry with other
  pains; the share of met relevance verdicts that turn off (target: all of them).

``uv run python -m trainer.bench rubric --robustness --sets m6 [--models DIR]`` prints the
three for any batch and any judge; ``tests/test_judge_robustness.py`` holds the shipped
judge to them on a batch it never learned from.
"""

from __future__ import annotations

import platform
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trainer.bench.rubric import (
    AS_THE_APP,
    JudgeChoice,
    Labelled,
    bad_request,
    bench_judge,
    describe,
    heading,
    labelled,
)
from trainer.rubric.drills import DrillLibrary, Scenario
from trainer.rubric.judge import Judge
from trainer.rubric.scoring import score_transcript

# The criteria about *this* buyer: said to another buyer, the same words don't meet them.
RELEVANCE = frozenset({("value_prop", "relevance"), ("client_story", "relevance"),
                       ("vision", "pain_relief")})


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total`` verdicts (changed, or turned off)."""

    count: int
    total: int

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.share:.1%} ({self.count:,}/{self.total:,})"


def verdicts(library: DrillLibrary, judge: Judge, item: Labelled, text: str,
             scenario: Scenario | None = None) -> dict[str, bool]:
    """Criterion id → met, for ``text`` answering ``item``'s drill (for ``scenario``, or the
    item's own buyer)."""
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


def unrelated_scenario(scenario: Scenario, scenarios: Sequence[Scenario]) -> Scenario | None:
    """The first buyer in another industry who shares none of ``scenario``'s pains."""
    industry = scenario.industry.lower()
    pains = set(scenario.prospect.get("pains", []))
    return next((s for s in scenarios if s.industry.lower() != industry
                 and not set(s.prospect.get("pains", [])) & pains), None)


def lowercase_changes(library: DrillLibrary, judge: Judge, items: Iterable[Labelled]) -> Rate:
    changed = total = 0
    for item in items:
        plain = verdicts(library, judge, item, item.transcript)
        asr = verdicts(library, judge, item, recogniser_style(item.transcript))
        changed += sum(plain[k] != asr[k] for k in plain)
        total += len(plain)
    return Rate(changed, total)


def filler_changes(library: DrillLibrary, judge: Judge, items: Iterable[Labelled]) -> Rate:
    """The n-th item gets seed n, so a run is repeatable."""
    changed = total = 0
    for n, item in enumerate(items):
        plain = verdicts(library, judge, item, item.transcript)
        messy = verdicts(library, judge, item, with_disfluencies(item.transcript, n))
        changed += sum(plain[k] != messy[k] for k in plain)
        total += len(plain)
    return Rate(changed, total)


def unrelated_turned_off(library: DrillLibrary, judge: Judge, items: Iterable[Labelled]) -> Rate:
    """Of the relevance verdicts met for the item's own buyer, how many an unrelated buyer
    turns off."""
    scenarios = library.scenarios()
    relevant = turned_off = 0
    for item in items:
        asked = {c for d, c in RELEVANCE if d == item.drill}
        if not asked or item.scenario is None:
            continue
        own = verdicts(library, judge, item, item.transcript)
        if not any(own[c] for c in asked):
            continue
        other = unrelated_scenario(item.scenario, scenarios)
        if other is None:
            continue
        swapped = verdicts(library, judge, item, item.transcript, other)
        for c in asked:
            if own[c]:
                relevant += 1
                turned_off += not swapped[c]
    return Rate(turned_off, relevant)


def report(sets: Sequence[str], choice: JudgeChoice = AS_THE_APP) -> None:
    """Print the three measures per batch: lowercase and the unrelated prospect on every
    transcript, fillers on every other one (as the tests read them)."""
    library = DrillLibrary()
    judge = bench_judge(choice)
    judge.load()
    print(f"robustness of the rubric judge ({describe(judge, choice)}; "
          f"{platform.machine()}): verdicts against verdicts, no labels")
    for name in sets:
        items = list(labelled(name, library))
        if not items:
            continue
        print(f"\n{heading(name, choice.models)}: {len(items)} transcripts")
        print(f"  lowercase, no punctuation: {lowercase_changes(library, judge, items)} "
              "of verdicts change (target at most 3%)", flush=True)
        print(f"  fillers and false starts: "
              f"{filler_changes(library, judge, items[::2])} of verdicts change", flush=True)
        print(f"  an unrelated prospect: {unrelated_turned_off(library, judge, items)} of met "
              "relevance verdicts turn off (target all)", flush=True)


def main(sets: Sequence[str], choice: JudgeChoice = AS_THE_APP) -> int:
    problem = bad_request(tuple(sets), choice)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    report(sets, choice)
    return 0
