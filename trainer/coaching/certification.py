"""The manager's certification 1:1: review, override, certify, wrap up, and the team's standing.

A 1:1 (``one_on_ones``) starts with a seller and a manager; the seller's open action items
from earlier 1:1s are shown first, because the fundamentals say actions agreed in a 1:1 "float
into the ether" unless they come back. The seller then performs a drill (recorded by the
practice screen and tagged ``certification:<1:1 id>``); the attempts with that context are
counted against a cap. The manager reviews each criterion and may override it with a comment:
the app's judgement and the manager's are both kept (``overrides``), and the effective score
is recomputed with the drill's weights over the criteria the take was scored on (a recorded
take carries ``engaging_delivery``; a transcript-only one does not). A certificate records the
verdict against the drill's pass mark and, when passed, when to re-certify (90 days unless
configured). The wrap-up keeps action items (owner, due date, done) and the answer to the
closing question.

The team view summarises every seller x drill (certified / due / expired / not yet / never,
with the trend of their certification scores) and the team's rate of *effective* takes on the
five fundamentals of the 2018 benchmark, beside its rates. "Effective" is defined on our
scorecards, after the manager's overrides, on each seller's latest scored certification take
per drill (one vote per seller and drill, so a seller who retries often does not dominate):

- effective client story: the ``client_story`` take passes its pass mark and ``relevance`` is
  met (the benchmark counts a story effective only when it is tailored to the prospect and
  told as a narrative; the pass mark covers situation, action and result);
- engaging delivery: ``engaging_delivery`` is met on any drill's recorded take;
- clear value proposition: the ``value_prop`` take passes and both ``what_we_do`` and
  ``outcome`` are met (the benchmark: the prospect knows what the company does and the value);
- differentiation: the ``differentiation`` take passes and ``beyond_price`` is met (features
  and price do not differentiate);
- vision: the ``vision`` take passes and ``pain_relief`` is met (a vision of use that ties to
  relief of the prospect's pain).

Practice takes are the seller's own and stay out of the manager's figures. All times come
from the store's injected clock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trainer.common.errors import TrainerError
from trainer.common.formatting import Cell, format_score, passes, weight_points, write_csv
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Attempt, Seller, Store

CONTEXT_PREFIX = "certification:"
CLOSING_QUESTION = "How was this 1:1 \u2014 useful? What should we keep or change?"
DEFAULT_VALID_DAYS = 90
DEFAULT_ATTEMPT_CAP = 3
DUE_SOON_DAYS = 14  # "due" this long before the re-certification date
DAY_S = 86400.0
DEFAULT_DRILL = "value_prop"


class CertificationError(TrainerError):
    """A certification step cannot be done as asked; the message says what to do instead."""


class AttemptCapReached(CertificationError):
    """Every attempt this 1:1 allows at a drill has been used."""


# == 1:1s ===================================================================================
@dataclass(frozen=True)
class OneOnOne:
    id: int
    seller: Seller
    manager: str
    started_at: float
    ended_at: float | None
    feedback: str  # the answer to CLOSING_QUESTION ("" until recorded)

    @property
    def context(self) -> str:
        return context_for(self.id)


def context_for(one_on_one_id: int) -> str:
    """The ``attempts.context`` of a take performed in this 1:1."""
    return f"{CONTEXT_PREFIX}{one_on_one_id}"


def one_on_one_of(context: str | None) -> int | None:
    """The 1:1 id in a certification context, or ``None`` for any other context."""
    if not context or not context.startswith(CONTEXT_PREFIX):
        return None
    tail = context[len(CONTEXT_PREFIX):]
    return int(tail) if tail.isdigit() else None


def _clean(value: str) -> str:
    return " ".join(value.split())


def start_one_on_one(store: Store, seller_name: str, manager: str) -> OneOnOne:
    """A new 1:1 with this seller (created on first use) and manager."""
    seller_name, manager = _clean(seller_name), _clean(manager)
    if not seller_name:
        raise CertificationError("Choose or type the seller's name.")
    if not manager:
        raise CertificationError("Type the manager's name, so the certificate says who "
                                 "signed it.")
    seller = store.seller(seller_name)
    with store.transaction() as db:
        cur = db.execute("INSERT INTO one_on_ones (seller_id, manager, started_at) "
                         "VALUES (?, ?, ?)", (seller.id, manager, store.clock()))
        new_id = int(cur.lastrowid or 0)
    return one_on_one(store, new_id)


def one_on_one(store: Store, one_on_one_id: int) -> OneOnOne:
    rows = store.query(
        "SELECT o.*, s.name AS seller_name FROM one_on_ones o JOIN sellers s "
        "ON s.id = o.seller_id WHERE o.id = ?", (one_on_one_id,))
    if not rows:
        raise CertificationError("That 1:1 no longer exists; start a new one.")
    r = rows[0]
    return OneOnOne(r["id"], Seller(r["seller_id"], r["seller_name"]), r["manager"],
                    r["started_at"], r["ended_at"], r["feedback"] or "")


def record_feedback(store: Store, one_on_one_id: int, answer: str) -> None:
    """Save the answer to the closing question (replaces an earlier answer)."""
    with store.transaction() as db:
        db.execute("UPDATE one_on_ones SET feedback = ? WHERE id = ?",
                   (answer.strip(), one_on_one_id))


def end_one_on_one(store: Store, one_on_one_id: int, feedback: str | None = None) -> OneOnOne:
    """Close the 1:1 (and save the closing answer when given)."""
    with store.transaction() as db:
        if feedback is not None:
            db.execute("UPDATE one_on_ones SET feedback = ? WHERE id = ?",
                       (feedback.strip(), one_on_one_id))
        db.execute("UPDATE one_on_ones SET ended_at = COALESCE(ended_at, ?) WHERE id = ?",
                   (store.clock(), one_on_one_id))
    return one_on_one(store, one_on_one_id)


# == action items ===========================================================================
@dataclass(frozen=True)
class ActionItem:
    id: int
    seller_id: int
    one_on_one_id: int | None
    text: str
    owner: str
    due_at: float | None
    done_at: float | None
    created_at: float

    @property
    def done(self) -> bool:
        return self.done_at is not None


def _item(row: sqlite3.Row) -> ActionItem:
    return ActionItem(row["id"], row["seller_id"], row["one_on_one_id"], row["text"],
                      row["owner"], row["due_at"], row["done_at"], row["created_at"])


def add_action_item(store: Store, one_on_one_id: int, text: str, owner: str,
                    due_at: float | None) -> ActionItem:
    """An action agreed in this 1:1, for ``owner`` (the seller or the manager) by ``due_at``."""
    text, owner = _clean(text), _clean(owner)
    if not text:
        raise CertificationError("Say what the action is.")
    if not owner:
        raise CertificationError("Say who owns this action.")
    session = one_on_one(store, one_on_one_id)
    with store.transaction() as db:
        cur = db.execute(
            "INSERT INTO action_items (seller_id, one_on_one_id, text, owner, due_at, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session.seller.id, one_on_one_id, text, owner, due_at, store.clock()))
        item_id = int(cur.lastrowid or 0)
    return _item(store.query("SELECT * FROM action_items WHERE id = ?", (item_id,))[0])


def complete_action_item(store: Store, item_id: int, done: bool = True) -> None:
    with store.transaction() as db:
        db.execute("UPDATE action_items SET done_at = ? WHERE id = ?",
                   (store.clock() if done else None, item_id))


def action_items(store: Store, one_on_one_id: int) -> list[ActionItem]:
    """The actions agreed in this 1:1, in the order they were added."""
    rows = store.query("SELECT * FROM action_items WHERE one_on_one_id = ? ORDER BY id",
                       (one_on_one_id,))
    return [_item(r) for r in rows]


def open_action_items(store: Store, seller_id: int, *, excluding: int | None = None
                      ) -> list[ActionItem]:
    """The seller's actions still open from earlier 1:1s (soonest due first), to open the
    next 1:1 with. ``excluding``: the current 1:1, whose own items are not "earlier"."""
    rows = store.query(
        "SELECT * FROM action_items WHERE seller_id = ? AND done_at IS NULL "
        "AND (one_on_one_id IS NULL OR one_on_one_id != ?) "
        "ORDER BY due_at IS NULL, due_at, id", (seller_id, excluding if excluding else -1))
    return [_item(r) for r in rows]


def carried_over_items(store: Store, session: OneOnOne) -> list[ActionItem]:
    """Actions from earlier 1:1s this 1:1 looks at: those still open, and those marked done
    since it started (so ticking one off does not make it vanish from the wrap-up)."""
    rows = store.query(
        "SELECT * FROM action_items WHERE seller_id = ? "
        "AND (one_on_one_id IS NULL OR one_on_one_id != ?) "
        "AND (done_at IS NULL OR done_at >= ?) "
        "ORDER BY due_at IS NULL, due_at, id",
        (session.seller.id, session.id, session.started_at))
    return [_item(r) for r in rows]


# == attempts and the cap ===================================================================
def attempts_used(store: Store, one_on_one_id: int, drill_id: str) -> int:
    """Takes of this drill recorded in this 1:1. A take that failed (silence, a dead
    microphone) does not count: the seller never got to perform."""
    return int(store.query(
        "SELECT COUNT(*) FROM attempts WHERE context = ? AND drill_id = ? "
        "AND status != 'failed'", (context_for(one_on_one_id), drill_id))[0][0])


def check_attempt_allowed(store: Store, session: OneOnOne, drill_id: str, drill_title: str,
                          cap: int | None) -> int:
    """The number of the next attempt (1-based).

    Raises:
        AttemptCapReached: ``cap`` attempts at this drill are used up in this 1:1.
    """
    used = attempts_used(store, session.id, drill_id)
    if cap is not None and used >= cap:
        plural = "attempt" if cap == 1 else "attempts"
        raise AttemptCapReached(
            f"{session.seller.name} has used all {cap} {plural} at \u201c{drill_title}\u201d "
            "in this 1:1; certify the best take or continue in the next 1:1.")
    return used + 1


def certification_attempts(store: Store, one_on_one_id: int) -> list[Attempt]:
    """The scored takes of this 1:1, oldest first."""
    rows = store.query("SELECT id FROM attempts WHERE context = ? AND status = 'scored' "
                       "ORDER BY started_at, id", (context_for(one_on_one_id),))
    return [store.attempt(r["id"]) for r in rows]


# == review and overrides ===================================================================
@dataclass(frozen=True)
class CriterionReview:
    id: str
    name: str
    weight: float
    app_met: bool  # the app's judgement, never changed
    met: bool  # the manager's judgement (the app's when not overridden)
    comment: str
    evidence: str | None
    tip: str | None
    points: int = 0  # the weight as points out of 100 over the take's criteria (as briefed)

    @property
    def overridden(self) -> bool:
        return self.met != self.app_met


@dataclass(frozen=True)
class Review:
    attempt_id: int
    seller_id: int
    drill_id: str
    drill_title: str
    started_at: float
    app_score: float
    score: float
    pass_threshold: float
    criteria: tuple[CriterionReview, ...]
    transcript: str

    @property
    def passed(self) -> bool:
        return passes(self.score, self.pass_threshold)

    @property
    def app_passed(self) -> bool:
        return passes(self.app_score, self.pass_threshold)

    @property
    def score_text(self) -> str:
        """The manager's score (after overrides) as shown everywhere (``format_score``)."""
        return format_score(self.score, self.pass_threshold)

    @property
    def app_score_text(self) -> str:
        """The app's own score of the take, in the same rounding."""
        return format_score(self.app_score, self.pass_threshold)

    def criterion(self, criterion_id: str) -> CriterionReview:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


def weighted_score(criteria: Iterable[tuple[float, bool]]) -> float:
    """0-100 from (weight, met) pairs, rounded like the scorer (one decimal)."""
    pairs = list(criteria)
    total = sum(w for w, _ in pairs)
    earned = sum(w for w, met in pairs if met)
    return round(100.0 * earned / total, 1) if total else 0.0


def _overrides(store: Store, attempt_id: int) -> dict[str, sqlite3.Row]:
    rows = store.query("SELECT * FROM overrides WHERE attempt_id = ?", (attempt_id,))
    return {r["criterion_id"]: r for r in rows}


def review(store: Store, library: DrillLibrary, attempt_id: int) -> Review:
    """The take's scorecard with the manager's overrides applied.

    Weights and the pass mark are the drill's (a criterion the drill no longer has keeps the
    weight it was scored with); the total is over the criteria the take was scored on, so a
    recorded take's ``engaging_delivery`` counts and a transcript-only take is not penalised.
    """
    attempt = store.attempt(attempt_id)
    card = attempt.scorecard
    if attempt.status != "scored" or not card:
        raise CertificationError("That take has no scorecard yet; record it again.")
    weights: dict[str, float] = {}
    title, threshold = attempt.drill_id, float(card.get("pass_threshold", 0))
    try:
        drill = library.drill(attempt.drill_id)
    except TrainerError:
        drill = None
    if drill is not None:
        title, threshold = drill.title, drill.pass_threshold
        weights = {c.id: c.weight for c in drill.criteria}
        if drill.delivery is not None:
            weights[drill.delivery.id] = drill.delivery.weight
    overrides = _overrides(store, attempt_id)
    scored = list(card.get("criteria", []))
    weight_of = [float(weights.get(c["id"], c.get("weight", 0))) for c in scored]
    criteria = []
    for c, weight, points in zip(scored, weight_of, weight_points(weight_of), strict=True):
        app_met = bool(c.get("met"))
        row = overrides.get(c["id"])
        criteria.append(CriterionReview(
            id=c["id"], name=c.get("name", c["id"]), weight=weight,
            app_met=app_met, met=bool(row["met"]) if row is not None else app_met,
            comment=row["comment"] if row is not None else "",
            evidence=c.get("evidence"), tip=c.get("tip"), points=points))
    return Review(
        attempt_id=attempt.id, seller_id=attempt.seller_id, drill_id=attempt.drill_id,
        drill_title=title, started_at=attempt.started_at,
        app_score=weighted_score((c.weight, c.app_met) for c in criteria),
        score=weighted_score((c.weight, c.met) for c in criteria),
        pass_threshold=threshold, criteria=tuple(criteria),
        transcript=attempt.transcript or "")


def set_override(store: Store, library: DrillLibrary, attempt_id: int, criterion_id: str,
                 met: bool, comment: str, manager: str) -> Review:
    """The manager's judgement of one criterion, with a comment; returns the new review.

    Both judgements are kept: the row holds the app's (``app_met``) beside the manager's.
    Agreeing with the app and saying nothing removes the override.
    """
    current = review(store, library, attempt_id)
    try:
        app_met = current.criterion(criterion_id).app_met
    except KeyError:
        raise CertificationError(
            f"This take was not scored on \u201c{criterion_id}\u201d.") from None
    comment = comment.strip()
    with store.transaction() as db:
        if met == app_met and not comment:
            db.execute("DELETE FROM overrides WHERE attempt_id = ? AND criterion_id = ?",
                       (attempt_id, criterion_id))
        else:
            db.execute(
                "INSERT INTO overrides (attempt_id, criterion_id, app_met, met, comment, "
                "manager, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(attempt_id, criterion_id) DO UPDATE SET met = excluded.met, "
                "comment = excluded.comment, manager = excluded.manager, "
                "created_at = excluded.created_at",
                (attempt_id, criterion_id, int(app_met), int(met), comment, _clean(manager),
                 store.clock()))
    return review(store, library, attempt_id)


# == certificates ===========================================================================
@dataclass(frozen=True)
class Certificate:
    id: int
    seller_id: int
    seller_name: str
    drill_id: str
    one_on_one_id: int | None
    attempt_id: int | None
    manager: str
    app_score: float | None
    score: float
    passed: bool
    comments: str
    certified_at: float
    due_at: float | None  # re-certify by; None for "not yet"


def _certificate(row: sqlite3.Row) -> Certificate:
    return Certificate(
        row["id"], row["seller_id"], row["seller_name"], row["drill_id"], row["one_on_one_id"],
        row["attempt_id"], row["manager"], row["app_score"], row["score"], bool(row["passed"]),
        row["comments"], row["certified_at"], row["due_at"])


_CERT_SELECT = ("SELECT c.*, s.name AS seller_name FROM certifications c "
                "JOIN sellers s ON s.id = c.seller_id")


def certify(store: Store, library: DrillLibrary, one_on_one_id: int, attempt_id: int, *,
            comments: str = "", valid_days: int = DEFAULT_VALID_DAYS) -> Certificate:
    """Record the verdict on a take of this 1:1: pass (with a re-certification date
    ``valid_days`` from now) or not yet. Certifying the same take again replaces its record
    (the manager changed a judgement after signing)."""
    if not 1 <= valid_days <= 3650:
        raise CertificationError("A certificate lasts between 1 and 3650 days.")
    session = one_on_one(store, one_on_one_id)
    attempt = store.attempt(attempt_id)
    if one_on_one_of(attempt.context) != one_on_one_id:
        raise CertificationError("Only a take recorded in this 1:1 can be certified here.")
    result = review(store, library, attempt_id)
    silent = [c.name for c in result.criteria if c.overridden and not c.comment]
    if silent:
        raise CertificationError(
            "Say in a comment why you changed the app's judgement of "
            + ", ".join(f"\u201c{n}\u201d" for n in silent) + " before certifying.")
    now = store.clock()
    due = now + valid_days * DAY_S if result.passed else None
    values = (session.seller.id, attempt.drill_id, one_on_one_id, attempt_id,
              session.manager, result.app_score, result.score, int(result.passed),
              comments.strip(), now, due)
    with store.transaction() as db:
        row = db.execute("SELECT id FROM certifications WHERE attempt_id = ?",
                         (attempt_id,)).fetchone()
        if row is None:
            cur = db.execute(
                "INSERT INTO certifications (seller_id, drill_id, one_on_one_id, attempt_id, "
                "manager, app_score, score, passed, comments, certified_at, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            cert_id = int(cur.lastrowid or 0)
        else:
            cert_id = int(row["id"])
            db.execute(
                "UPDATE certifications SET seller_id=?, drill_id=?, one_on_one_id=?, "
                "attempt_id=?, manager=?, app_score=?, score=?, passed=?, comments=?, "
                "certified_at=?, due_at=? WHERE id=?", (*values, cert_id))
    return _certificate(store.query(f"{_CERT_SELECT} WHERE c.id = ?", (cert_id,))[0])


def certificates(store: Store, *, seller_id: int | None = None,
                 one_on_one_id: int | None = None) -> list[Certificate]:
    """Certificate records, oldest first."""
    clauses, params = [], []
    if seller_id is not None:
        clauses.append("c.seller_id = ?")
        params.append(seller_id)
    if one_on_one_id is not None:
        clauses.append("c.one_on_one_id = ?")
        params.append(one_on_one_id)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.query(f"{_CERT_SELECT}{where} ORDER BY c.certified_at, c.id", tuple(params))
    return [_certificate(r) for r in rows]


# == the session, for the one-page export ===================================================
@dataclass(frozen=True)
class SessionTake:
    review: Review
    certificate: Certificate | None
    attempts_used: int


@dataclass(frozen=True)
class SessionSummary:
    session: OneOnOne
    takes: tuple[SessionTake, ...]  # per drill performed: the certified take, else the latest
    action_items: tuple[ActionItem, ...]  # agreed in this 1:1
    carried_over: tuple[ActionItem, ...]  # from earlier 1:1s: still open, or done in this one
    closing_question: str = CLOSING_QUESTION


def session_summary(store: Store, library: DrillLibrary, one_on_one_id: int
                    ) -> SessionSummary:
    session = one_on_one(store, one_on_one_id)
    certs = {c.attempt_id: c for c in certificates(store, one_on_one_id=one_on_one_id)}
    chosen: dict[str, Attempt] = {}
    for attempt in certification_attempts(store, one_on_one_id):
        # The certified take of a drill wins; otherwise the latest take of it.
        if attempt.drill_id not in chosen or chosen[attempt.drill_id].id not in certs \
                or attempt.id in certs:
            chosen[attempt.drill_id] = attempt
    takes = tuple(
        SessionTake(review(store, library, a.id), certs.get(a.id),
                    attempts_used(store, one_on_one_id, a.drill_id))
        for a in chosen.values())
    return SessionSummary(session, takes, tuple(action_items(store, one_on_one_id)),
                          tuple(carried_over_items(store, session)))


# == the team ===============================================================================
STATUSES = ("certified", "due", "expired", "not yet", "never")


@dataclass(frozen=True)
class StatusRow:
    seller: Seller
    drill_id: str
    drill_title: str
    status: str  # one of STATUSES
    score: float | None  # the latest certificate's score
    certified_at: float | None  # the latest passing certificate
    due_at: float | None
    manager: str
    certificates: int
    trend: tuple[float, ...]  # reviewed scores of every certification take, oldest first

    @property
    def trend_word(self) -> str:
        """"up", "down" or "steady" between the last two takes; "" with fewer than two."""
        if len(self.trend) < 2:
            return ""
        change = self.trend[-1] - self.trend[-2]
        return "up" if change > 2 else ("down" if change < -2 else "steady")


def _status(passing: Certificate | None, tried: bool, now: float, due_soon_days: int) -> str:
    if passing is None:
        return "not yet" if tried else "never"
    if passing.due_at is None or now >= passing.due_at:
        return "expired"
    return "due" if now >= passing.due_at - due_soon_days * DAY_S else "certified"


def team_status(store: Store, library: DrillLibrary, *,
                due_soon_days: int = DUE_SOON_DAYS) -> list[StatusRow]:
    """Every seller x drill, sellers by name, drills in library order."""
    now = store.clock()
    certs = certificates(store)
    scores: dict[tuple[int, str], list[float]] = {}
    for attempt in _certification_takes(store):
        scores.setdefault((attempt.seller_id, attempt.drill_id), []).append(
            review(store, library, attempt.id).score)
    rows = []
    for seller in store.sellers():
        for drill in library.drills():
            mine = [c for c in certs if c.seller_id == seller.id and c.drill_id == drill.id]
            passing = next((c for c in reversed(mine) if c.passed), None)
            latest = mine[-1] if mine else None
            trend = tuple(scores.get((seller.id, drill.id), []))
            rows.append(StatusRow(
                seller=seller, drill_id=drill.id, drill_title=drill.title,
                status=_status(passing, bool(mine) or bool(trend), now, due_soon_days),
                score=latest.score if latest else None,
                certified_at=passing.certified_at if passing else None,
                due_at=passing.due_at if passing else None,
                manager=latest.manager if latest else "", certificates=len(mine),
                trend=trend))
    return rows


def _certification_takes(store: Store) -> list[Attempt]:
    rows = store.query("SELECT id FROM attempts WHERE context LIKE ? AND status = 'scored' "
                       "ORDER BY started_at, id", (f"{CONTEXT_PREFIX}%",))
    return [store.attempt(r["id"]) for r in rows]


@dataclass(frozen=True)
class Fundamental:
    id: str
    label: str
    drill_id: str | None  # None: any drill's recorded take
    key_criteria: tuple[str, ...]
    must_pass: bool
    benchmark: float  # share of the 32,000 calls of the 2018 benchmark that were effective


# The 2018 Sales Team Performance Benchmark (reference/sales-fundamentals-articles.txt):
# 59% no effective client story, 56% not engaging, 50% unclear value proposition, 47% no
# clear differentiation, 43% no vision of use.
FUNDAMENTALS = (
    Fundamental("client_story", "Effective client story", "client_story", ("relevance",),
                True, 0.41),
    Fundamental("engaging_delivery", "Engaging delivery", None, ("engaging_delivery",),
                False, 0.44),
    Fundamental("value_prop", "Clear value proposition", "value_prop",
                ("what_we_do", "outcome"), True, 0.50),
    Fundamental("differentiation", "Differentiation", "differentiation", ("beyond_price",),
                True, 0.53),
    Fundamental("vision", "Vision", "vision", ("pain_relief",), True, 0.57),
)


@dataclass(frozen=True)
class TeamRate:
    fundamental: Fundamental
    effective: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.effective / self.total if self.total else None


def is_effective(fundamental: Fundamental, take: Review) -> bool | None:
    """Whether a reviewed take counts as effective on this fundamental (``None``: the take
    says nothing about it, e.g. another drill, or no recording for delivery)."""
    if fundamental.drill_id is not None and take.drill_id != fundamental.drill_id:
        return None
    met = {c.id: c.met for c in take.criteria}
    if fundamental.drill_id is None and not all(k in met for k in fundamental.key_criteria):
        return None
    if fundamental.must_pass and not take.passed:
        return False
    return all(met.get(k, False) for k in fundamental.key_criteria)


def team_rates(store: Store, library: DrillLibrary) -> list[TeamRate]:
    """The team's effective rate per fundamental, over each seller's latest scored
    certification take per drill (overrides applied)."""
    latest: dict[tuple[int, str], Attempt] = {}
    for attempt in _certification_takes(store):
        latest[(attempt.seller_id, attempt.drill_id)] = attempt  # oldest first: last wins
    reviews = [review(store, library, a.id) for a in latest.values()]
    out = []
    for fundamental in FUNDAMENTALS:
        verdicts = [v for v in (is_effective(fundamental, r) for r in reviews) if v is not None]
        out.append(TeamRate(fundamental, sum(verdicts), len(verdicts)))
    return out


# == export =================================================================================
CSV_HEADER = ("seller", "drill", "status", "latest_score", "certified_on", "recertify_by",
              "manager", "certificates", "trend", "scores")


def iso_date(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts)) if ts is not None else ""


def status_csv_rows(rows: Iterable[StatusRow]) -> list[list[Cell]]:
    """The CSV's rows, header first. Names are the users' own text (``write_csv`` keeps a
    spreadsheet from running them); scores are the stored numbers (one decimal), written as
    numbers for a spreadsheet to compute with."""
    out: list[list[Cell]] = [list(CSV_HEADER)]
    for r in rows:
        out.append([r.seller.name, r.drill_id, r.status, r.score, iso_date(r.certified_at),
                    iso_date(r.due_at), r.manager, r.certificates, r.trend_word,
                    " ".join(f"{s:g}" for s in r.trend)])
    return out


def write_status_csv(rows: Iterable[StatusRow], path: Path) -> Path:
    """Write the team's certification status as CSV (through
    ``trainer.common.formatting.write_csv``:
    formula-safe cells, UTF-8 with a BOM, never half-written).

    Raises:
        StorageError: the file cannot be written, in one sentence.
    """
    return write_csv(path, status_csv_rows(rows))


def export_team_csv(store: Store, library: DrillLibrary, path: Path) -> Path:
    return write_status_csv(team_status(store, library), path)
