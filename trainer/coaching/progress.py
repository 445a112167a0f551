"""A seller's progress per skill, from their stored takes.

Six skills: the five drills (agenda, value proposition, client story, differentiation,
vision) and delivery, which every recorded take exercises (any other drill in the library
joins before delivery). For each: the first, best and
latest score and the series over time. A drill's score is the take's scorecard score. The
delivery score of a take is the share of its delivery metrics in the good band, a "watch"
counting half (100 = every metric good), so it moves as the seller works on pace, fillers or
pauses even before the ``engaging_delivery`` criterion flips.

``most_missed`` finds the criterion the seller misses most often across all their takes, with
its coaching tip from the drill file, so the Progress tab can say what to work on next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainer.common.errors import TrainerError
from trainer.rubric.bands import METRIC_ORDER
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Attempt, Seller, Store

DELIVERY = "delivery"
SKILLS: tuple[tuple[str, str], ...] = (
    ("agenda", "Agenda"),
    ("value_prop", "Value proposition"),
    ("client_story", "Client story"),
    ("differentiation", "Differentiation"),
    ("vision", "Vision"),
    (DELIVERY, "Delivery"),
)
_BAND_POINTS = {"good": 1.0, "watch": 0.5, "fix": 0.0}


@dataclass(frozen=True)
class Point:
    at: float  # when the take started (epoch seconds)
    score: float
    attempt_id: int


@dataclass(frozen=True)
class SkillProgress:
    skill: str
    label: str
    series: tuple[Point, ...]  # oldest first

    @property
    def count(self) -> int:
        return len(self.series)

    @property
    def first(self) -> float | None:
        return self.series[0].score if self.series else None

    @property
    def best(self) -> float | None:
        return max(p.score for p in self.series) if self.series else None

    @property
    def latest(self) -> float | None:
        return self.series[-1].score if self.series else None


@dataclass(frozen=True)
class MissedCriterion:
    drill_id: str
    drill_title: str
    criterion_id: str
    name: str
    missed: int
    takes: int  # takes that were judged on it
    tip: str

    def summary(self) -> str:
        return (f"Most missed: {self.name} ({self.drill_title}), missed in {self.missed} of "
                f"{self.takes} takes.")


@dataclass(frozen=True)
class Progress:
    skills: tuple[SkillProgress, ...]
    most_missed: MissedCriterion | None

    def skill(self, skill: str) -> SkillProgress:
        return next(s for s in self.skills if s.skill == skill)

    @property
    def takes(self) -> int:
        return max((s.count for s in self.skills), default=0)


def delivery_score(block: Mapping[str, Any]) -> float | None:
    """0-100 from a scorecard's delivery block; None when it has no banded metric."""
    bands = [block[m].get("band") for m in METRIC_ORDER if isinstance(block.get(m), Mapping)]
    points = [_BAND_POINTS[b] for b in bands if b in _BAND_POINTS]
    if not points:
        return None
    return round(100.0 * sum(points) / len(points), 1)


def _scored(store: Store, seller: Seller) -> list[Attempt]:
    attempts = [a for a in store.attempts(seller, limit=100_000)
                if a.status == "scored" and a.scorecard is not None and a.score is not None]
    return sorted(attempts, key=lambda a: (a.started_at, a.id))


def seller_progress(store: Store, seller: Seller, library: DrillLibrary) -> Progress:
    """Every skill's series for this seller, and the criterion they miss most."""
    attempts = _scored(store, seller)
    # The five fundamentals, any drill added since (e.g. objections), then delivery.
    skills_list = list(SKILLS[:-1])
    try:
        known = {skill for skill, _ in SKILLS}
        skills_list += [(d.id, d.title) for d in library.drills() if d.id not in known]
    except TrainerError:
        pass  # a broken drill file: the fundamentals still show
    skills_list.append(SKILLS[-1])
    series: dict[str, list[Point]] = {skill: [] for skill, _ in skills_list}
    for attempt in attempts:
        if attempt.drill_id in series and attempt.score is not None:
            series[attempt.drill_id].append(Point(attempt.started_at, float(attempt.score),
                                                  attempt.id))
        delivery = (attempt.scorecard or {}).get("delivery")
        if isinstance(delivery, Mapping):
            score = delivery_score(delivery)
            if score is not None:
                series[DELIVERY].append(Point(attempt.started_at, score, attempt.id))
    skills = tuple(SkillProgress(skill, label, tuple(series[skill]))
                   for skill, label in skills_list)
    return Progress(skills, most_missed(attempts, library))


def most_missed(attempts: list[Attempt], library: DrillLibrary) -> MissedCriterion | None:
    """The criterion missed in the most takes (ties: the higher miss rate, then the most
    recent miss), with the drill file's tip."""
    missed: Counter[tuple[str, str]] = Counter()
    judged: Counter[tuple[str, str]] = Counter()
    last_miss: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], str] = {}
    tips: dict[tuple[str, str], str] = {}
    for order, attempt in enumerate(attempts):
        for c in (attempt.scorecard or {}).get("criteria", []):
            key = (attempt.drill_id, str(c.get("id")))
            judged[key] += 1
            names[key] = str(c.get("name") or key[1])
            if not c.get("met"):
                missed[key] += 1
                last_miss[key] = order
                if c.get("tip"):
                    tips[key] = str(c["tip"])
    if not missed:
        return None
    key = max(missed, key=lambda k: (missed[k], missed[k] / judged[k], last_miss[k]))
    drill_id, criterion_id = key
    drill_title, tip = drill_id, tips.get(key, "")
    try:
        drill = library.drill(drill_id)
        drill_title = drill.title
        criterion = (drill.delivery if drill.delivery is not None
                     and drill.delivery.id == criterion_id else drill.criterion(criterion_id))
        # The drill file's tip is the general advice; a delivery miss's saved tip is about
        # one take's worst metric, so the file's wins.
        tip = criterion.tip or tip
    except (TrainerError, KeyError):
        pass  # a drill or criterion since removed: the saved tip still helps
    return MissedCriterion(drill_id, drill_title, criterion_id, names[key], missed[key],
                           judged[key], tip)


@dataclass(frozen=True)
class LastTake:
    """A drill as the home screen lists it: the seller's latest scored take, if any."""

    drill_id: str
    title: str
    pass_mark: float
    score: float | None  # None: not tried yet
    passed: bool | None
    when: float | None  # seconds since the epoch


def last_scores(store: Store, seller_name: str, library: DrillLibrary) -> list[LastTake]:
    """Every drill of the library with ``seller_name``'s latest scored take on it (in the
    library's order). A name not on file has tried nothing; nothing is created for it."""
    seller = store.find_seller(seller_name) if seller_name.strip() else None
    # Oldest first, so each drill's last take is the one left.
    latest = {a.drill_id: a for a in _scored(store, seller)} if seller is not None else {}
    rows = []
    for drill in library.drills():
        take = latest.get(drill.id)
        rows.append(LastTake(drill.id, drill.title, drill.pass_threshold,
                             take.score if take else None, take.passed if take else None,
                             take.started_at if take else None))
    return rows
