"""Two takes side by side: what changed between a take and the one before it.

"Try again" keeps both takes; this module reads their scorecards (the core's JSON shape) and
says what the second one gained or lost: the score change, each criterion that flipped, each
delivery metric whose band moved (good / watch / fix), and the agenda coverage when both have
one. It only reads the two dicts, so it works for any two stored takes of the same drill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainer.common.formatting import format_score
from trainer.rubric.bands import METRIC_ORDER

_BAND_RANK = {"fix": 0, "watch": 1, "good": 2}


@dataclass(frozen=True)
class CriterionChange:
    id: str
    name: str
    before: bool  # met in the first take
    after: bool  # met in the second take
    evidence: str | None  # the second take's quote when met, else the first's
    tip: str | None  # the second take's tip when missed

    @property
    def change(self) -> str:
        """"gained", "lost", "kept" (met both times) or "missed" (missed both times)."""
        if self.before == self.after:
            return "kept" if self.after else "missed"
        return "gained" if self.after else "lost"


@dataclass(frozen=True)
class MetricChange:
    key: str
    label: str
    unit: str
    before: float | None
    after: float | None
    band_before: str | None
    band_after: str | None

    @property
    def change(self) -> str:
        """"better", "worse" or "same", judged by the band (good > watch > fix)."""
        a = _BAND_RANK.get(self.band_before or "")
        b = _BAND_RANK.get(self.band_after or "")
        if a is None or b is None or a == b:
            return "same"
        return "better" if b > a else "worse"


@dataclass(frozen=True)
class Comparison:
    score_before: float
    score_after: float
    passed_before: bool
    passed_after: bool
    criteria: tuple[CriterionChange, ...]
    delivery: tuple[MetricChange, ...]
    agenda_before: float | None = None
    agenda_after: float | None = None
    pass_mark: float | None = None  # the drill's, so scores read as on the scorecard

    @property
    def score_change(self) -> float:
        return round(self.score_after - self.score_before, 1)

    @property
    def gained(self) -> list[CriterionChange]:
        return [c for c in self.criteria if c.change == "gained"]

    @property
    def lost(self) -> list[CriterionChange]:
        return [c for c in self.criteria if c.change == "lost"]

    def summary(self) -> str:
        """One sentence: the score change and the criteria gained and lost."""
        delta = self.score_change
        step = format_score(abs(delta)) if abs(delta) >= 0.5 else f"{abs(delta):g}"
        moved = (f"up {step} points" if delta > 0 else
                 f"down {step} points" if delta < 0 else "unchanged")
        parts = [f"Score {format_score(self.score_before, self.pass_mark)} \u2192 "
                 f"{format_score(self.score_after, self.pass_mark)} ({moved})"]
        if self.gained:
            parts.append("gained: " + ", ".join(c.name for c in self.gained))
        if self.lost:
            parts.append("lost: " + ", ".join(c.name for c in self.lost))
        if not self.gained and not self.lost:
            parts.append("the same criteria met")
        return "; ".join(parts) + "."


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def compare_takes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Comparison:
    """Compare two scorecards of the same drill (``before`` is the earlier take)."""
    first = {str(c.get("id")): c for c in before.get("criteria", [])}
    criteria = []
    seen: set[str] = set()
    for c in after.get("criteria", []):
        cid = str(c.get("id"))
        seen.add(cid)
        old = first.get(cid, {})
        met = bool(c.get("met"))
        criteria.append(CriterionChange(
            id=cid, name=str(c.get("name") or cid), before=bool(old.get("met")), after=met,
            evidence=(c.get("evidence") if met else old.get("evidence")) or None,
            tip=None if met else (c.get("tip") or None)))
    for cid, old in first.items():  # a criterion only the first take had (older drill file)
        if cid not in seen:
            criteria.append(CriterionChange(cid, str(old.get("name") or cid),
                                            bool(old.get("met")), False,
                                            old.get("evidence") or None, None))
    d_before = before.get("delivery") or {}
    d_after = after.get("delivery") or {}
    delivery = []
    for key in METRIC_ORDER:
        a, b = d_before.get(key), d_after.get(key)
        if not isinstance(a, Mapping) and not isinstance(b, Mapping):
            continue
        a = a if isinstance(a, Mapping) else {}
        b = b if isinstance(b, Mapping) else {}
        delivery.append(MetricChange(
            key=key, label=str(b.get("label") or a.get("label") or key),
            unit=str(b.get("unit", a.get("unit", ""))),
            before=_number(a.get("value")), after=_number(b.get("value")),
            band_before=a.get("band"), band_after=b.get("band")))
    agenda_a = (before.get("agenda_coverage") or {}).get("percent")
    agenda_b = (after.get("agenda_coverage") or {}).get("percent")
    return Comparison(
        score_before=float(before.get("score", 0.0)),
        score_after=float(after.get("score", 0.0)),
        passed_before=bool(before.get("passed")),
        passed_after=bool(after.get("passed")),
        criteria=tuple(criteria),
        delivery=tuple(delivery),
        agenda_before=_number(agenda_a),
        agenda_after=_number(agenda_b),
        pass_mark=_number(after.get("pass_threshold")),
    )
