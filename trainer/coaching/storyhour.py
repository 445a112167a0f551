"""The team's weekly story hour: each player tells a client story, the others rate it.

59% of sellers tell no effective client story; the fix the fundamentals recommend is practice
in front of peers, a "story hour" in the team meeting. One story hour is a roster of players
(each a seller in the store), one turn per player in roster order, each turn a ``client_story``
take scored by the app, and the listeners' quick 1-5 per criterion on the same rubric.

Ranking (documented here because the team sees it on the shared screen):

* the **app score** is the attempt's 0-100 score;
* the **peer score** is the listeners' mean rating on a 0-100 scale, ``(mean - 1) / 4 * 100``
  (1 -> 0, 3 -> 50, 5 -> 100); each listener's ratings are averaged first, so a listener who
  rated fewer criteria does not count for less;
* the **combined score** is ``PEER_WEIGHT`` of the peer score plus the rest of the app score
  (50/50); a story nobody rated is ranked on the app score alone;
* ties go to the higher app score, then to whoever told their story first.

Rows live in ``story_hours``, ``story_turns`` and ``peer_ratings`` (schema v2). The roster
holds seller ids, never names, and ``peer_ratings.rater`` holds the rater's seller id as text:
when a seller is deleted their turns (and the ratings of them) go with them (CASCADE) and
their name is left nowhere in these tables. Saved stories go into the story library
(``trainer.coaching.stories``) with ``source='story_hour'``, tagged from what the story says
(``trainer.coaching.stories.suggest_tags``), never from the scenario it was told against.

Work in progress survives a crash: every step is written as it happens. The roster and turn
order when the hour starts, each told story when its take is scored (``record_turn``), each
listener's rating the moment it is given (``rate_story(..., partial=True)``), a teller who
passes (``skip_turn``) and a listener who passes (``pass_rating``). The two passes live in
``roster_json`` beside ``seller_ids`` and ``scenario_id``, as turn ids (``"skipped_turns"``:
tellers' turns; ``"passed"``: told turn id -> the listeners' own turn ids), so they hold no
seller id or name and a deleted seller's turn simply stops matching. Who tells next, which
story is being rated and who still rates it are derived from those rows (``progress``), so an
unfinished hour (``unfinished_story_hour``) resumes where it stopped; a take that was being
recorded is recovered like any take and joins its turn once scored (``adopt_scored_takes``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer.coaching.stories import (
    Story,
    TagVocabulary,
    add_story,
    story,
    suggest_tags,
    tag_vocabulary,
)
from trainer.common.errors import TrainerError
from trainer.rubric.drills import Drill
from trainer.store.database import Attempt, Seller, Store

DRILL_ID = "client_story"
PEER_WEIGHT = 0.5  # share of the combined score that comes from the listeners
MIN_PLAYERS = 2
RATING_MIN, RATING_MAX = 1, 5
SKIPPED_KEY = "skipped_turns"  # roster_json: turn ids of tellers who passed
PASSED_KEY = "passed"  # roster_json: told turn id -> turn ids of the listeners who passed


class StoryHourError(TrainerError):
    """A story-hour action that cannot be done; the message is one sentence for the team."""


@dataclass(frozen=True)
class Turn:
    """One player's turn: their position in the order and (once told) their attempt."""

    id: int
    story_hour_id: int
    seller: Seller
    position: int
    attempt_id: int | None

    @property
    def told(self) -> bool:
        return self.attempt_id is not None


@dataclass(frozen=True)
class StoryHour:
    id: int
    started_at: float
    ended_at: float | None
    scenario_id: str | None
    turns: tuple[Turn, ...]

    @property
    def context(self) -> str:
        """The attempt context the main window tags each take with."""
        return f"story_hour:{self.id}"

    @property
    def players(self) -> list[Seller]:
        return [t.seller for t in self.turns]

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def next_turn(self) -> Turn | None:
        """The first turn in order whose story has not been told yet."""
        return next((t for t in self.turns if not t.told), None)

    def turn_of(self, seller_id: int) -> Turn:
        for turn in self.turns:
            if turn.seller.id == seller_id:
                return turn
        raise KeyError(seller_id)


@dataclass(frozen=True)
class Standing:
    """One told story on the ranking board."""

    rank: int
    turn: Turn
    app_score: float
    peer_score: float | None  # None: no listener rated it
    raters: int
    combined: float


@dataclass(frozen=True)
class HourSummary:
    """A past story hour for the history list."""

    id: int
    started_at: float
    ended_at: float | None
    players: list[str]
    winner: str | None
    stories_told: int


def rating_criteria(drill: Drill) -> list[tuple[str, str]]:
    """The (id, name) pairs listeners rate: the drill's rubric, then its delivery criterion."""
    criteria = list(drill.criteria) + ([drill.delivery] if drill.delivery else [])
    return [(c.id, c.name) for c in criteria]


def clean_name(name: str) -> str:
    return " ".join(name.split())


def validate_roster(names: Sequence[str]) -> list[str]:
    """The roster's names, cleaned; ``StoryHourError`` (one sentence) when it can't be played."""
    cleaned = [clean_name(n) for n in names]
    if any(not n for n in cleaned):
        raise StoryHourError("Every player needs a name.")
    seen: dict[str, str] = {}
    for name in cleaned:
        key = name.casefold()
        if key in seen:
            raise StoryHourError(f"{name} is on the roster twice; each player tells one story.")
        seen[key] = name
    if len(cleaned) < MIN_PLAYERS:
        raise StoryHourError("A story hour needs at least two players, so someone can listen.")
    return cleaned


# -- writing ----------------------------------------------------------------------------------
def start_story_hour(store: Store, names: Sequence[str], scenario_id: str | None = None
                     ) -> StoryHour:
    """Start a story hour: one turn per player, in roster order.

    Each name becomes (or finds) a seller in the store. One story hour runs at a time: an
    unfinished one (left by a crash and not resumed) is ended first, its stories kept.
    """
    roster = validate_roster(names)
    sellers = [store.seller(name) for name in roster]
    with store.transaction() as db:
        db.execute("UPDATE story_hours SET ended_at = ? WHERE ended_at IS NULL", (store.clock(),))
        cur = db.execute(
            "INSERT INTO story_hours (started_at, roster_json) VALUES (?, ?)",
            (store.clock(), json.dumps({"seller_ids": [s.id for s in sellers],
                                        "scenario_id": scenario_id})),
        )
        hour_id = int(cur.lastrowid or 0)
        for position, seller in enumerate(sellers):
            db.execute("INSERT INTO story_turns (story_hour_id, seller_id, position) "
                       "VALUES (?, ?, ?)", (hour_id, seller.id, position))
    return story_hour(store, hour_id)


def record_turn(store: Store, turn_id: int, attempt_id: int) -> Turn:
    """Attach a scored ``client_story`` attempt to a turn.

    A turn told again takes the new attempt and drops the ratings of the old one.
    """
    turn = _turn(store, turn_id)
    hour = story_hour(store, turn.story_hour_id)
    if hour.ended:
        raise StoryHourError("This story hour has ended; start a new one to tell more stories.")
    try:
        attempt = store.attempt(attempt_id)
    except KeyError:
        raise StoryHourError("That take is no longer in the history.") from None
    if attempt.seller_id != turn.seller.id:
        raise StoryHourError(f"That take is not {turn.seller.name}'s, so it can't be their "
                             "story.")
    if attempt.drill_id != DRILL_ID:
        raise StoryHourError("A story-hour turn must be a client story take.")
    if attempt.status != "scored" or attempt.score is None:
        raise StoryHourError(f"{turn.seller.name}'s take has not been scored yet.")
    with store.transaction() as db:
        if turn.attempt_id != attempt_id:
            db.execute("DELETE FROM peer_ratings WHERE turn_id = ?", (turn_id,))
            _edit_roster(db, hour.id, lambda r: r.get(PASSED_KEY, {}).pop(str(turn_id), None))
        db.execute("UPDATE story_turns SET attempt_id = ? WHERE id = ?", (attempt_id, turn_id))
    return _turn(store, turn_id)


def skip_turn(store: Store, turn_id: int) -> None:
    """The teller passes: their turn is not offered again in this story hour."""
    turn = _turn(store, turn_id)
    if story_hour(store, turn.story_hour_id).ended:
        raise StoryHourError("This story hour has ended; start a new one to tell more stories.")
    with store.transaction() as db:
        _edit_roster(db, turn.story_hour_id, lambda r: _add_to(r, SKIPPED_KEY, turn_id))


def pass_rating(store: Store, turn_id: int, rater: str) -> None:
    """A listener does not rate this story: any ratings they began are dropped."""
    turn, hour, listener = _rating_context(store, turn_id, rater)
    listener_turn = hour.turn_of(listener.id).id
    with store.transaction() as db:
        db.execute("DELETE FROM peer_ratings WHERE turn_id = ? AND rater = ?",
                   (turn_id, str(listener.id)))
        _edit_roster(db, hour.id, lambda r: _add_to(
            r.setdefault(PASSED_KEY, {}), str(turn.id), listener_turn))


def rate_story(store: Store, turn_id: int, rater: str, ratings: Mapping[str, int],
               criteria: Sequence[str], *, partial: bool = False) -> None:
    """Save one listener's ratings of a story.

    Args:
        rater: the listener's name; they must be another player of this story hour.
        ratings: criterion id -> a whole number from 1 to 5.
        criteria: the criterion ids that may be rated (``rating_criteria``).
        partial: add these to the ratings the listener has given so far (one criterion at a
            time, as they press the keys); otherwise they replace all of them.

    Raises:
        StoryHourError: one sentence saying what is wrong; nothing is saved then.
    """
    turn, hour, listener = _rating_context(store, turn_id, rater)
    if not ratings:
        raise StoryHourError("Give at least one rating from 1 to 5.")
    allowed = set(criteria)
    for criterion, value in ratings.items():
        if criterion not in allowed:
            raise StoryHourError(f"'{criterion}' is not one of the story criteria.")
        if isinstance(value, bool) or not isinstance(value, int) \
                or not RATING_MIN <= value <= RATING_MAX:
            raise StoryHourError("Each rating is a whole number from 1 to 5.")
    listener_turn = hour.turn_of(listener.id).id
    with store.transaction() as db:
        if not partial:
            db.execute("DELETE FROM peer_ratings WHERE turn_id = ? AND rater = ?",
                       (turn_id, str(listener.id)))
        db.executemany(
            "INSERT INTO peer_ratings (turn_id, rater, criterion_id, rating) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (turn_id, rater, criterion_id) DO UPDATE SET rating = excluded.rating",
            [(turn_id, str(listener.id), c, v) for c, v in ratings.items()],
        )
        _edit_roster(db, hour.id, lambda r: _remove_from(
            r.get(PASSED_KEY, {}), str(turn_id), listener_turn))


def _rating_context(store: Store, turn_id: int, rater: str) -> tuple[Turn, StoryHour, Seller]:
    """The turn, its hour and the listener, when ``rater`` may rate this story now."""
    turn = _turn(store, turn_id)
    hour = story_hour(store, turn.story_hour_id)
    name = clean_name(rater)
    listener = next((s for s in hour.players if s.name.casefold() == name.casefold()), None)
    if listener is None:
        raise StoryHourError(f"{name or 'Nobody'} is not a player in this story hour, so they "
                             "can't rate.")
    if listener.id == turn.seller.id:
        raise StoryHourError(f"{listener.name} can't rate their own story.")
    if not turn.told:
        raise StoryHourError(f"{turn.seller.name} hasn't told a story yet, so there is nothing "
                             "to rate.")
    if hour.ended:
        raise StoryHourError("This story hour has ended; its ratings are final.")
    return turn, hour, listener


def end_story_hour(store: Store, hour_id: int) -> StoryHour:
    """Close the story hour (ratings become final); ending twice keeps the first end time."""
    with store.transaction() as db:
        db.execute("UPDATE story_hours SET ended_at = COALESCE(ended_at, ?) WHERE id = ?",
                   (store.clock(), hour_id))
    return story_hour(store, hour_id)


def save_to_library(store: Store, turn_id: int, *, title: str = "", industry: str | None = None,
                    role: str | None = None, pain: str | None = None,
                    vocabulary: TagVocabulary | None = None) -> Story:
    """Save a told story into the team's story library.

    The tags default to what the story itself says (``default_tags``: the industry, role and
    pain its transcript names, blank when it names none); the title defaults to
    ``default_title``. The transcript is the story's text; the audio and attempt go with it.

    Args:
        vocabulary: the tags to match the story against (``trainer.coaching.stories.tag_vocabulary``
            with every scenario's prospect); by default the library's tags and the prospect
            the story was told to.
    """
    turn = _turn(store, turn_id)
    if turn.attempt_id is None:
        raise StoryHourError(f"{turn.seller.name} hasn't told a story yet, so there is nothing "
                             "to save.")
    attempt = store.attempt(turn.attempt_id)
    if not (attempt.transcript or "").strip():
        raise StoryHourError(f"{turn.seller.name}'s take has no transcript to save.")
    if search_stories_by_attempt(store, attempt.id):
        raise StoryHourError(f"{turn.seller.name}'s story is already in the library.")
    if vocabulary is None:
        found = (attempt.scenario or {}).get("prospect")
        vocabulary = tag_vocabulary(store, [found] if isinstance(found, Mapping) else [])
    tags = default_tags(attempt, vocabulary)
    try:
        return add_story(
            store, title=title.strip() or default_title(turn, tags["industry"]),
            text=attempt.transcript or "",
            industry=tags["industry"] if industry is None else industry,
            role=tags["role"] if role is None else role,
            pain=tags["pain"] if pain is None else pain,
            source="story_hour", seller_id=turn.seller.id, attempt_id=attempt.id,
            audio_path=attempt.audio_path,
        )
    except ValueError as exc:
        raise StoryHourError(str(exc)) from exc


# -- reading ----------------------------------------------------------------------------------
def story_hour(store: Store, hour_id: int) -> StoryHour:
    rows = store.query("SELECT * FROM story_hours WHERE id = ?", (hour_id,))
    if not rows:
        raise KeyError(hour_id)
    row = rows[0]
    roster: dict[str, Any] = json.loads(row["roster_json"])
    turns = store.query(
        "SELECT t.id, t.story_hour_id, t.seller_id, t.position, t.attempt_id, s.name "
        "FROM story_turns t JOIN sellers s ON s.id = t.seller_id "
        "WHERE t.story_hour_id = ? ORDER BY t.position, t.id", (hour_id,))
    return StoryHour(
        id=row["id"], started_at=row["started_at"], ended_at=row["ended_at"],
        scenario_id=roster.get("scenario_id"),
        turns=tuple(_row_to_turn(t) for t in turns),
    )


def unfinished_story_hour(store: Store) -> StoryHour | None:
    """The newest story hour that was never ended (the app closed while it ran), if any."""
    rows = store.query("SELECT id FROM story_hours WHERE ended_at IS NULL "
                       "ORDER BY started_at DESC, id DESC LIMIT 1")
    return story_hour(store, int(rows[0]["id"])) if rows else None


@dataclass(frozen=True)
class Progress:
    """Where a story hour stands, all of it read back from the store.

    ``ratings`` is told turn id -> listener's seller id -> criterion id -> rating (complete or
    begun); ``passed`` is told turn id -> the seller ids of listeners who passed on it.
    """

    hour: StoryHour
    criteria: tuple[str, ...]
    skipped: frozenset[int]  # turn ids of tellers who passed
    passed: Mapping[int, frozenset[int]]
    ratings: Mapping[int, Mapping[int, Mapping[str, int]]]

    def listeners(self, turn: Turn) -> list[Seller]:
        return [p for p in self.hour.players if p.id != turn.seller.id]

    def has_rated(self, turn: Turn, listener: Seller) -> bool:
        given = self.ratings.get(turn.id, {}).get(listener.id, {})
        return set(self.criteria) <= set(given)

    def done_rating(self, turn: Turn, listener: Seller) -> bool:
        return listener.id in self.passed.get(turn.id, frozenset()) \
            or self.has_rated(turn, listener)

    def to_rate(self, turn: Turn) -> list[Seller]:
        """The listeners still to rate a told story, in roster order."""
        if not turn.told:
            return []
        return [p for p in self.listeners(turn) if not self.done_rating(turn, p)]

    @property
    def rating_turn(self) -> Turn | None:
        """The told story whose listeners are still rating it (the first, if several)."""
        return next((t for t in self.hour.turns if t.told and self.to_rate(t)), None)

    @property
    def next_turn(self) -> Turn | None:
        """The next teller: the first turn neither told nor passed."""
        return next((t for t in self.hour.turns
                     if not t.told and t.id not in self.skipped), None)

    def begun(self, turn: Turn, listener: Seller) -> dict[str, int]:
        """The ratings a listener has given a story so far."""
        return dict(self.ratings.get(turn.id, {}).get(listener.id, {}))

    def summary(self) -> list[str]:
        """One line per player (told and who rated it, passed, or still to tell), then what
        comes next: the offer to resume an unfinished story hour."""
        lines = []
        for turn in self.hour.turns:
            name = turn.seller.name
            if not turn.told:
                lines.append(f"{name} passed." if turn.id in self.skipped
                             else f"{name} has not told their story yet.")
                continue
            rated = [p.name for p in self.listeners(turn) if self.has_rated(turn, p)]
            begun = [f"{p.name} ({len(self.begun(turn, p))} of {len(self.criteria)})"
                     for p in self.listeners(turn)
                     if self.begun(turn, p) and not self.has_rated(turn, p)]
            passed = [p.name for p in self.listeners(turn)
                      if p.id in self.passed.get(turn.id, frozenset())]
            parts = [f"rated by {_names(rated)}" if rated else "nobody has rated it yet"]
            if begun:
                parts.append(f"begun by {_names(begun)}")
            if passed:
                parts.append(f"{_names(passed)} passed")
            lines.append(f"{name} told their story: {'; '.join(parts)}.")
        rating = self.rating_turn
        upcoming = self.next_turn
        if rating is not None:
            lines.append(f"Next: {self.to_rate(rating)[0].name} rates "
                         f"{rating.seller.name}'s story.")
        elif upcoming is not None:
            lines.append(f"Next: {upcoming.seller.name} tells their story.")
        else:
            lines.append("Every story is told: the ranking is next.")
        return lines


def progress(store: Store, hour_id: int, criteria: Sequence[str]) -> Progress:
    """Read back where a story hour stands (see ``Progress``).

    Args:
        criteria: the criterion ids each listener rates (``rating_criteria``): a listener who
            gave all of them is done with that story.
    """
    hour = story_hour(store, hour_id)
    roster = _roster(store, hour_id)
    seller_of_turn = {t.id: t.seller.id for t in hour.turns}
    passed: dict[int, frozenset[int]] = {}
    for turn_key, listener_turns in dict(roster.get(PASSED_KEY) or {}).items():
        passed[int(turn_key)] = frozenset(seller_of_turn[t] for t in listener_turns
                                          if t in seller_of_turn)
    return Progress(
        hour=hour, criteria=tuple(criteria),
        skipped=frozenset(int(t) for t in roster.get(SKIPPED_KEY) or []),
        passed=passed,
        ratings={t.id: ratings_of(store, t.id) for t in hour.turns if t.told},
    )


def adopt_scored_takes(store: Store, hour_id: int) -> list[Turn]:
    """Give each untold turn its teller's scored take of this story hour, if there is one.

    A take being recorded when the app closed is recovered and scored later (from History);
    its attempt carries the story hour's context, so it is the story that teller told.
    """
    hour = story_hour(store, hour_id)
    if hour.ended:
        return []
    adopted = []
    for turn in hour.turns:
        if turn.told:
            continue
        rows = store.query(
            "SELECT id FROM attempts WHERE context = ? AND seller_id = ? AND drill_id = ? "
            "AND status = 'scored' AND score IS NOT NULL ORDER BY started_at DESC, id DESC "
            "LIMIT 1", (hour.context, turn.seller.id, DRILL_ID))
        if rows:
            adopted.append(record_turn(store, turn.id, int(rows[0]["id"])))
    return adopted


def ratings_of(store: Store, turn_id: int) -> dict[int, dict[str, int]]:
    """A turn's ratings: rater's seller id -> criterion id -> rating."""
    result: dict[int, dict[str, int]] = {}
    for row in store.query("SELECT rater, criterion_id, rating FROM peer_ratings "
                           "WHERE turn_id = ?", (turn_id,)):
        result.setdefault(int(row["rater"]), {})[row["criterion_id"]] = int(row["rating"])
    return result


def peer_score(ratings: Mapping[int, Mapping[str, int]]) -> float | None:
    """The listeners' mean rating on 0-100 (each listener averaged first), or None."""
    means = [sum(r.values()) / len(r) for r in ratings.values() if r]
    if not means:
        return None
    mean = sum(means) / len(means)
    return (mean - RATING_MIN) / (RATING_MAX - RATING_MIN) * 100.0


def combined_score(app_score: float, peer: float | None) -> float:
    if peer is None:
        return app_score
    return (1.0 - PEER_WEIGHT) * app_score + PEER_WEIGHT * peer


def ranking(store: Store, hour_id: int) -> list[Standing]:
    """The told stories, best first (see the module docstring for the blend and tie-breaks)."""
    hour = story_hour(store, hour_id)
    rows: list[tuple[Turn, float, dict[int, dict[str, int]]]] = []
    for turn in hour.turns:
        if turn.attempt_id is None:
            continue
        try:
            attempt = store.attempt(turn.attempt_id)
        except KeyError:
            continue
        if attempt.score is not None:
            rows.append((turn, float(attempt.score), ratings_of(store, turn.id)))
    return rank(rows)


def rank(rows: Sequence[tuple[Turn, float, Mapping[int, Mapping[str, int]]]]
         ) -> list[Standing]:
    """Order (turn, app score, ratings) rows: combined score (to 0.01), then the app score,
    then the turn's position, so the order never depends on the database's row order."""
    scored = [(turn, app, peer_score(ratings), len(ratings)) for turn, app, ratings in rows]
    scored.sort(key=lambda r: (-round(combined_score(r[1], r[2]), 2), -r[1], r[0].position))
    return [Standing(rank=i + 1, turn=t, app_score=app, peer_score=peer, raters=n,
                     combined=combined_score(app, peer))
            for i, (t, app, peer, n) in enumerate(scored)]


def winner(store: Store, hour_id: int) -> Standing | None:
    board = ranking(store, hour_id)
    return board[0] if board else None


def history(store: Store, limit: int = 50) -> list[HourSummary]:
    """Past story hours, newest first, with their players and winner."""
    rows = store.query("SELECT id FROM story_hours ORDER BY started_at DESC, id DESC LIMIT ?",
                       (limit,))
    summaries = []
    for row in rows:
        hour = story_hour(store, row["id"])
        best = winner(store, hour.id)
        summaries.append(HourSummary(
            id=hour.id, started_at=hour.started_at, ended_at=hour.ended_at,
            players=[s.name for s in hour.players],
            winner=best.turn.seller.name if best else None,
            stories_told=sum(1 for t in hour.turns if t.told),
        ))
    return summaries


def search_stories_by_attempt(store: Store, attempt_id: int) -> list[Story]:
    """Library stories saved from this attempt (so one take is saved once)."""
    rows = store.query("SELECT id FROM stories WHERE attempt_id = ? ORDER BY id", (attempt_id,))
    return [story(store, int(r[0])) for r in rows]


def default_tags(attempt: Attempt, vocabulary: TagVocabulary) -> dict[str, str]:
    """Industry, role and pain as the story's transcript tells them (blank where it doesn't).

    Never the scenario's values for their own sake: a story told to a hospital buyer about a
    freight distributor is a logistics story.
    """
    return suggest_tags(attempt.transcript or "", vocabulary)


def default_title(turn: Turn, industry: str) -> str:
    return f"{turn.seller.name}'s {industry} story" if industry else \
        f"{turn.seller.name}'s client story"


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _roster(store: Store, hour_id: int) -> dict[str, Any]:
    rows = store.query("SELECT roster_json FROM story_hours WHERE id = ?", (hour_id,))
    if not rows:
        raise KeyError(hour_id)
    found = json.loads(rows[0]["roster_json"])
    return found if isinstance(found, dict) else {}


def _edit_roster(db: sqlite3.Connection, hour_id: int,
                 edit: Callable[[dict[str, Any]], object]) -> None:
    """Change ``roster_json`` inside the caller's transaction, keeping every other key."""
    row = db.execute("SELECT roster_json FROM story_hours WHERE id = ?", (hour_id,)).fetchone()
    if row is None:
        return
    before = row[0]
    roster = json.loads(before)
    edit(roster)
    after = json.dumps(roster)
    if after != before:
        db.execute("UPDATE story_hours SET roster_json = ? WHERE id = ?", (after, hour_id))


def _add_to(container: dict[str, Any], key: str, value: int) -> None:
    values = container.setdefault(key, [])
    if value not in values:
        values.append(value)


def _remove_from(container: dict[str, Any], key: str, value: int) -> None:
    values = container.get(key)
    if values and value in values:
        values.remove(value)
        if not values:
            del container[key]


def _row_to_turn(row: Any) -> Turn:
    return Turn(id=row["id"], story_hour_id=row["story_hour_id"],
                seller=Seller(row["seller_id"], row["name"]), position=row["position"],
                attempt_id=row["attempt_id"])


def _turn(store: Store, turn_id: int) -> Turn:
    rows = store.query(
        "SELECT t.id, t.story_hour_id, t.seller_id, t.position, t.attempt_id, s.name "
        "FROM story_turns t JOIN sellers s ON s.id = t.seller_id WHERE t.id = ?", (turn_id,))
    if not rows:
        raise StoryHourError("That turn is no longer in the story hour (was the player "
                             "deleted?).")
    return _row_to_turn(rows[0])
