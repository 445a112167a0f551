"""Measure the rubric judge against labelled transcripts (``tests/data/rubric/*.jsonl``).

The corpus was written and labelled from the criterion definitions alone, then split once:
item ``<drill>-N`` is held out when N % 3 == 0. Items added later for tuning carry a letter from
``v`` to ``z`` in their number (``<drill>-x001``) and always belong to the ``tune`` part, so
adding them never changes the held-out set. A later batch written only to measure with, and
never scored before it was added, carries an ``h`` (``<drill>-h001``) and is always held out.
Tuning looks only at the ``tune`` part; the figures we quote come from the ``heldout`` part.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.common import paths

CORPUS_DIR = paths.resource_root() / "tests" / "data" / "rubric"
# The drills judged from a transcript alone (the card game has its own judge).
RUBRIC_DRILLS = ("agenda", "value_prop", "client_story", "differentiation", "vision",
                 "objection")


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    def merge(self, other: Confusion) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.tn += other.tn
        self.fn += other.fn

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else 0.0

    @property
    def balanced_accuracy(self) -> float:
        """Mean of the true-positive and true-negative rates (1.0 when a class is absent)."""
        tpr = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        tnr = self.tn / (self.tn + self.fp) if self.tn + self.fp else 1.0
        return (tpr + tnr) / 2


@dataclass
class Report:
    per_criterion: dict[tuple[str, str], Confusion] = field(default_factory=dict)
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def per_drill(self) -> dict[str, Confusion]:
        drills: dict[str, Confusion] = {}
        for (drill, _), confusion in self.per_criterion.items():
            drills.setdefault(drill, Confusion()).merge(confusion)
        return drills

    def overall(self) -> Confusion:
        total = Confusion()
        for confusion in self.per_criterion.values():
            total.merge(confusion)
        return total

    def macro_balanced_accuracy(self) -> float:
        values = [c.balanced_accuracy for c in self.per_criterion.values()]
        return sum(values) / len(values) if values else 0.0


_NUMBERED = re.compile(r"[a-z_]+-(\d+)")
_MEASURING_ONLY = re.compile(r"[a-z_]+-h\d+")


def expected_split(item_id: str) -> str:
    """The fixed split rule: ``<drill>-N`` is held out when N % 3 == 0, and ``<drill>-hNNN``
    (a batch written for measuring only) always; anything else (the ``<drill>-xNNN`` items
    added for tuning) is tuning data."""
    if _MEASURING_ONLY.fullmatch(item_id):
        return "heldout"
    match = _NUMBERED.fullmatch(item_id)
    return "heldout" if match and int(match.group(1)) % 3 == 0 else "tune"


def load_corpus(drill: str, split: str | None = None, folder: Path = CORPUS_DIR
                ) -> list[dict[str, Any]]:
    path = folder / f"{drill}.jsonl"
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [i for i in items if split is None or i["split"] == split]


def evaluate(items: Iterable[dict[str, Any]],
             predict: Callable[[dict[str, Any]], dict[str, tuple[bool, str | None]]]) -> Report:
    """Compare ``predict(item)`` (criterion -> (met, evidence)) with each item's labels."""
    report = Report()
    for item in items:
        predicted = predict(item)
        for criterion, truth in item["labels"].items():
            met, evidence = predicted[criterion]
            report.per_criterion.setdefault((item["drill"], criterion), Confusion()).add(
                bool(truth), met)
            if met != truth:
                report.mistakes.append({"id": item["id"], "criterion": criterion,
                                        "truth": truth, "evidence": evidence})
    return report
