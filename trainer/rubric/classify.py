"""Feature or benefit? The judge behind the card game and ``trainer classify``.

A feature says what the product is, has or does; a benefit says what the customer gains.
Sellers default to features, and features do not differentiate, so the card game trains the
ear. Whether a statement is a benefit is one more criterion for the rubric judge
(``trainer.rubric.judge``), written as text like every other: ``BENEFIT`` below, its definition, a
few statements that meet it and a few near misses. The judge was trained on labelled
statements (``tools/train_judge.py``), so it reads what a statement *means*: "cuts a
week off the close" is a benefit with no "you" in it, "you get a dashboard" a feature phrased
at the customer, and "the engine matches 90% of lines, so your team only touches exceptions"
a feature with a benefit tacked on (a statement is judged by what it leads with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trainer.common.errors import EmptyTranscript
from trainer.common.textnorm import clean_text
from trainer.rubric.judge import CriterionText, Judge

BENEFIT = CriterionText(
    id="benefit",
    key="cards/benefit",
    name="Says what the customer gains",
    definition=("A benefit: what changes for the customer (time, money, risk, effort, growth, "
                "peace of mind), said first, rather than what the product is, has or does."),
    meets=(
        "Your team could wrap up month-end by the fifth working day instead of the twelfth.",
        "Cuts a week off the close.",
        "Units stay fully staffed even when someone calls out at five in the morning.",
        "maintenance budgets stop getting eaten by overnight shipped spare parts",
        "Store associates stop spending two hours a day walking the aisles with a clipboard.",
        "New reps start closing deals in their second month instead of their fourth.",
        "Fewer chargebacks, so more of every sale stays in the bank.",
        "Your IT team stops getting paged at two in the morning for false alarms.",
    ),
    near_misses=(
        "You get a live close dashboard showing every open reconciliation.",
        "It's a powerful, AI-driven reconciliation engine.",
        "The auto-match engine clears about ninety percent of bank lines, so your team only "
        "touches the exceptions.",
        "Union and credential rules are built into every schedule.",
        "um it's got like a mobile app and an outlook plug-in and stuff",
        "The platform is certified under SOC 2 Type II and ISO 27001.",
        "You can export the hours to QuickBooks with one button.",
        "Honestly, it's super easy to use.",
    ),
)


@dataclass(frozen=True)
class Verdict:
    label: str  # "feature" | "benefit"
    confidence: float
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": round(self.confidence, 3), "why": self.why}


class FeatureBenefitJudge:
    """Classifies one statement as a feature or a benefit, with a reason.

    Args:
        judge: the rubric judge (shared with the scorecards); the shipped model by default.
    """

    def __init__(self, judge: Judge | None = None) -> None:
        self.judge = judge or Judge()

    def classify(self, text: str, context: str | None = None) -> Verdict:
        """``context`` (what is being sold) is accepted for the record; the statement alone
        decides, as it does for a listener."""
        clean = " ".join(clean_text(text).split())  # invisible characters removed (issue 14)
        if not re.search(r"\w", clean):
            raise EmptyTranscript("The statement is empty, so there is nothing to classify.")
        verdict = self.judge.judge(clean, [BENEFIT], None)[BENEFIT.id]
        if verdict.met:
            return Verdict("benefit", verdict.probability,
                           "It says what the customer gains.")
        return Verdict("feature", 1.0 - verdict.probability,
                       "It describes what the product is, has or does; say what that changes "
                       "for the customer to make it a benefit.")
