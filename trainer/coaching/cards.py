"""Feature or benefit? The index-card game: the deck, the deal, the game and its record.

A sales manager's team-meeting exercise: each card holds one statement about a product, and
the player calls it a *feature* (what the product is, has or does) or a *benefit* (what the
customer gains). This module is the game without any UI:

- ``load_deck`` reads and validates ``drills/cards.json``; a malformed deck raises
  ``DrillFileError`` naming the file and the key, in one sentence.
- ``deal`` draws a seeded, reproducible hand from the deck.
- ``CardGame`` is the state machine: cards flip one at a time, players take turns in order,
  each call is right or wrong with the deck's reason, answer times come from an injected
  clock, an optional time limit turns a slow call into a miss, and per-player score, streak
  and best streak are kept. Every call is saved in the ``card_rounds`` table when a store is
  given, so ``scoreboard`` and ``player_history`` can read games back.
- Players are sellers: ``match_player`` maps a typed name onto the sellers on file ("Ana" is
  the one seller called Ana Lopez), so a game never makes a second seller for the same person.
- The spoken round: a feature card, a named prospect from a bundled scenario whose company
  sells that product, and the seller's recorded sentence, transcribed and judged by
  ``FeatureBenefitJudge`` (a benefit is a right answer) with the deck's model benefit to
  compare against (``judge_spoken``).
"""

from __future__ import annotations

import json
import math
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.audio.wavio import read_audio
from trainer.common import paths
from trainer.common.errors import DrillFileError
from trainer.rubric.classify import FeatureBenefitJudge, Verdict
from trainer.rubric.delivery import check_heard
from trainer.rubric.drills import Scenario
from trainer.speech.transcriber import SAMPLE_RATE, Transcriber, Transcript
from trainer.store.database import Seller, Store

DECK_FILE = "cards.json"
LABELS = ("feature", "benefit")
MODES = ("call", "spoken")
SPOKEN_MAX_S = 20.0  # a benefit is one sentence; the recording stops itself after this


# -- the deck -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    """One index card: a statement about a product, what it is, and why."""

    id: str
    product: str
    statement: str
    label: str  # "feature" | "benefit"
    why: str
    model_benefit: str | None  # the feature said as a benefit (every feature card has one)


@dataclass(frozen=True)
class Deck:
    title: str
    source: str
    cards: tuple[Card, ...]
    path: Path

    def card(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)


def _text(data: Mapping[str, Any], key: str, where: str, name: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DrillFileError(f"{name}: key '{where}{key}' must be a non-empty string.")
    return " ".join(value.split())


def parse_deck(data: Any, path: Path) -> Deck:
    """Validate the parsed deck JSON and build a ``Deck``."""
    name = path.name
    if not isinstance(data, dict):
        raise DrillFileError(f"{name}: the deck must be a JSON object with a 'cards' list.")
    title = data.get("title", "Feature or benefit?")
    if not isinstance(title, str):
        raise DrillFileError(f"{name}: key 'title' must be a string.")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise DrillFileError(f"{name}: key 'source' must be a string.")
    raw_cards = data.get("cards")
    if not isinstance(raw_cards, list) or not raw_cards:
        raise DrillFileError(f"{name}: key 'cards' must be a non-empty list.")
    cards: list[Card] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_cards):
        where = f"cards[{i}]."
        if not isinstance(raw, dict):
            raise DrillFileError(f"{name}: key 'cards[{i}]' must be an object.")
        card_id = _text(raw, "id", where, name)
        if card_id in seen:
            raise DrillFileError(f"{name}: key '{where}id' repeats card '{card_id}'.")
        seen.add(card_id)
        label = raw.get("label")
        if label not in LABELS:
            raise DrillFileError(f"{name}: key '{where}label' must be 'feature' or 'benefit'.")
        model_benefit = raw.get("model_benefit")
        if model_benefit is not None and (not isinstance(model_benefit, str)
                                          or not model_benefit.strip()):
            raise DrillFileError(
                f"{name}: key '{where}model_benefit' must be a sentence or null.")
        if label == "feature" and model_benefit is None:
            # The spoken round shows it next to the seller's own version.
            raise DrillFileError(
                f"{name}: key '{where}model_benefit' must say the feature as a benefit.")
        cards.append(Card(
            id=card_id,
            product=_text(raw, "product", where, name),
            statement=_text(raw, "statement", where, name),
            label=str(label),
            why=_text(raw, "why", where, name),
            model_benefit=" ".join(model_benefit.split()) if model_benefit else None,
        ))
    return Deck(title=" ".join(title.split()) or "Feature or benefit?", source=source,
                cards=tuple(cards), path=path)


def load_deck(path: Path | None = None) -> Deck:
    """The card deck (``drills/cards.json`` by default).

    Raises:
        DrillFileError: the file is missing, not JSON, or a card is malformed.
    """
    path = path or paths.drills_dir() / DECK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DrillFileError(f"{path.name}: not UTF-8 text ({exc.reason}).") from exc
    except OSError as exc:
        raise DrillFileError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DrillFileError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    return parse_deck(data, path)


def deal(cards: Sequence[Card], count: int, seed: int | str) -> list[Card]:
    """``count`` distinct cards in a shuffled order that depends only on ``seed``.

    Asking for more cards than there are deals them all.
    """
    if count < 1:
        raise ValueError("deal at least one card")
    return random.Random(seed).sample(list(cards), min(count, len(cards)))


# -- prospects for the spoken round --------------------------------------------------------
def _brand(text: str) -> str:
    match = re.match(r"\W*(\w+)", text)
    return match.group(1).casefold() if match else ""


def prospect_for(card: Card, scenarios: Iterable[Scenario]) -> Scenario | None:
    """The bundled scenario whose company sells the card's product ("Ledgerly close
    software" -> the Ledgerly scenario), or None."""
    brand = _brand(card.product)
    return next((s for s in scenarios
                 if brand and _brand(str(s.company.get("name", ""))) == brand), None)


def spoken_cards(deck: Deck, scenarios: Sequence[Scenario]) -> list[Card]:
    """Feature cards a seller can turn into a benefit for a named prospect."""
    return [c for c in deck.cards if c.label == "feature" and c.model_benefit
            and prospect_for(c, scenarios) is not None]


def prospect_line(scenario: Scenario) -> str:
    """"Dana Ruiz, finance director at Northwind Logistics"."""
    p = scenario.prospect
    name = str(p.get("name") or "the buyer")
    role = str(p.get("role") or "")
    company = str(p.get("company") or "")
    if role and company:
        return f"{name}, {role} at {company}"
    return f"{name}, {role or company}" if role or company else name


# -- the game -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One card called by one player.

    ``answer`` is "feature"/"benefit" in a call round (None when time ran out) and what the
    seller said in a spoken round. ``reason`` says why the card is what it is (the deck's
    words), or for a spoken round why the judge heard a feature or a benefit.
    """

    player: str
    card: Card
    mode: str
    answer: str | None
    correct: bool
    response_s: float
    reason: str
    timed_out: bool = False
    verdict: Verdict | None = None


@dataclass(frozen=True)
class Standing:
    """A player's line on the scoreboard."""

    player: str
    score: int  # right calls
    answered: int
    streak: int
    best_streak: int
    total_s: float  # answer time over all calls

    @property
    def accuracy(self) -> float:
        return self.score / self.answered if self.answered else 0.0

    @property
    def mean_s(self) -> float:
        return self.total_s / self.answered if self.answered else math.inf


def rank(standings: Iterable[Standing]) -> list[Standing]:
    """Most right calls first; a tie goes to the faster average answer (then play order)."""
    return sorted(standings, key=lambda s: (-s.score, s.mean_s))


def result_sentence(standings: Sequence[Standing]) -> str:
    """The end-of-game line: the winner (or a solo player's result), in one sentence."""
    ranked = rank(standings)
    if not ranked or all(s.answered == 0 for s in ranked):
        return "No cards were called."
    first = ranked[0]
    if len(ranked) == 1:
        return (f"{first.player}: {first.score} of {first.answered} right, "
                f"best streak {first.best_streak}.")
    second = ranked[1]
    if first.score == second.score:
        if first.mean_s == second.mean_s:
            names = [s.player for s in ranked if s.score == first.score
                     and s.mean_s == first.mean_s]
            return f"A tie: {' and '.join(names)} with {first.score} right each."
        return (f"{first.player} wins on speed: {first.score} right like {second.player}, "
                f"answering in {first.mean_s:.1f} s on average against {second.mean_s:.1f} s.")
    return f"{first.player} wins with {first.score} of {first.answered} right."


# -- players are sellers on file ----------------------------------------------------------
@dataclass(frozen=True)
class PlayerMatch:
    """What a typed player name means among the sellers on file.

    ``seller`` is the seller it names: the same name in any case, or, for a single word, the
    one seller whose first name it is ("Ana" for "Ana Lopez"). ``candidates`` lists the
    sellers a first name could mean when several share it. Neither: a new seller.
    """

    typed: str
    seller: Seller | None = None
    candidates: tuple[Seller, ...] = ()

    @property
    def is_new(self) -> bool:
        return self.seller is None and not self.candidates

    @property
    def ambiguous(self) -> bool:
        return self.seller is None and bool(self.candidates)

    @property
    def by_first_name(self) -> bool:
        """The name was completed to a seller on file ("Ana" -> "Ana Lopez")."""
        return self.seller is not None and self.seller.name.casefold() != self.typed.casefold()

    @property
    def name(self) -> str:
        """The name to play under: the seller's own when on file, else as typed."""
        return self.seller.name if self.seller is not None else self.typed


def match_player(typed: str, sellers: Sequence[Seller]) -> PlayerMatch:
    """Map a typed player name onto the sellers on file (see ``PlayerMatch``)."""
    name = " ".join(typed.split())
    key = name.casefold()
    for seller in sellers:
        if " ".join(seller.name.split()).casefold() == key:
            return PlayerMatch(name, seller)
    if name and " " not in name:
        same = tuple(s for s in sellers if s.name.split() and s.name.split()[0].casefold() == key)
        if len(same) == 1:
            return PlayerMatch(name, same[0])
        return PlayerMatch(name, None, same)
    return PlayerMatch(name)


class CardGame:
    """One game: a hand of cards, one or more players taking turns, and their scores.

    Card ``i`` belongs to player ``i % len(players)``. ``flip()`` shows the next card and
    starts its clock; ``call()`` (or ``time_up()``, or ``record_spoken()`` in a spoken round)
    judges it; ``flip()`` after the last card ends the game.

    Args:
        cards: the hand, in play order (see ``deal``).
        players: names in turn order (one for a solo game); blank or repeated names are refused.
        mode: "call" (say feature or benefit) or "spoken" (say the feature as a benefit).
        time_limit_s: seconds to answer each card; a later (or no) call is a miss.
        clock: monotonic seconds, for answer times.
        store: where each call is saved (``card_rounds``); None keeps the game in memory.
        game_id: the id calls are saved under (a fresh random one by default).
    """

    def __init__(self, cards: Sequence[Card], players: Sequence[str], *, mode: str = "call",
                 time_limit_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 store: Store | None = None, game_id: str | None = None) -> None:
        names = [" ".join(p.split()) for p in players]
        if not names or not all(names):
            raise ValueError("a game needs named players")
        if len({n.casefold() for n in names}) != len(names):
            raise ValueError("each player needs a different name")
        if not cards:
            raise ValueError("a game needs cards")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if time_limit_s is not None and not time_limit_s > 0:
            raise ValueError("the time limit must be positive")
        self.cards = tuple(cards)
        self.players = tuple(names)
        self.mode = mode
        self.time_limit_s = time_limit_s
        self.clock = clock
        self.store = store
        self.game_id = game_id or uuid.uuid4().hex
        self.calls: list[Call] = []
        self._index = -1
        self._shown_at = 0.0
        self._state = "ready"  # ready -> showing <-> revealed -> over
        self._sellers: dict[str, Seller] = {}
        self._stats = {n: [0, 0, 0, 0, 0.0] for n in self.players}  # score/answered/streak/best/s

    # -- where the game is ------------------------------------------------------------------
    @property
    def state(self) -> str:
        """"ready" (nothing flipped), "showing" (waiting for a call), "revealed" (called),
        or "over"."""
        return self._state

    @property
    def solo(self) -> bool:
        return len(self.players) == 1

    @property
    def card_number(self) -> int:
        """1-based number of the card on the table (0 before the first flip)."""
        return self._index + 1

    @property
    def total(self) -> int:
        return len(self.cards)

    @property
    def current_card(self) -> Card | None:
        return self.cards[self._index] if self._state in ("showing", "revealed") else None

    @property
    def current_player(self) -> str:
        """Whose turn it is: the player of the card on the table, or of the next one."""
        index = self._index if self._state in ("showing", "revealed") else self._index + 1
        return self.players[max(index, 0) % len(self.players)]

    @property
    def has_next(self) -> bool:
        return self._index + 1 < len(self.cards)

    def remaining_s(self) -> float | None:
        """Seconds left to call the card on the table (None without a time limit)."""
        if self.time_limit_s is None or self._state != "showing":
            return None
        return max(0.0, self.time_limit_s - (self.clock() - self._shown_at))

    def elapsed_s(self) -> float:
        """Seconds since the card on the table was flipped."""
        return self.clock() - self._shown_at if self._state == "showing" else 0.0

    # -- moves -------------------------------------------------------------------------------
    def flip(self) -> Card | None:
        """Show the next card and start its clock; after the last card, end the game."""
        if self._state == "showing":
            raise RuntimeError("call the card on the table first")
        if self._state == "over":
            return None
        if not self.has_next:
            self._state = "over"
            return None
        self._index += 1
        self._state = "showing"
        self._shown_at = self.clock()
        return self.cards[self._index]

    def end(self) -> None:
        """Stop early: the card on the table (if any) is not counted."""
        self._state = "over"

    def call(self, answer: str) -> Call:
        """The player calls the card "feature" or "benefit"."""
        if answer not in LABELS:
            raise ValueError("answer 'feature' or 'benefit'")
        if self.mode != "call":
            raise RuntimeError("a spoken round is judged from what the seller says")
        card = self._showing()
        response = self.clock() - self._shown_at
        late = self.time_limit_s is not None and response > self.time_limit_s
        right = answer == card.label and not late
        return self._record(Call(self.current_player, card, self.mode, answer, right, response,
                                 self._reason(card), timed_out=late))

    def time_up(self) -> Call:
        """Time ran out before a call: a miss (the reason still teaches the card)."""
        card = self._showing()
        response = self.clock() - self._shown_at
        if self.time_limit_s is not None:
            response = max(response, self.time_limit_s)
        return self._record(Call(self.current_player, card, self.mode, None, False, response,
                                 self._reason(card), timed_out=True))

    def record_spoken(self, transcript: str, verdict: Verdict,
                      response_s: float | None = None) -> Call:
        """A spoken answer and the judge's verdict: saying a benefit is right.

        ``response_s`` is how long the seller took (flip to the end of the recording); by
        default, the time until now, which would also count the transcription.
        """
        if self.mode != "spoken":
            raise RuntimeError("only a spoken round takes spoken answers")
        card = self._showing()
        response = self.clock() - self._shown_at if response_s is None else response_s
        right = verdict.label == "benefit"
        return self._record(Call(self.current_player, card, self.mode, transcript, right,
                                 response, verdict.why, verdict=verdict))

    def _showing(self) -> Card:
        if self._state != "showing":
            raise RuntimeError("no card is waiting for a call")
        return self.cards[self._index]

    @staticmethod
    def _reason(card: Card) -> str:
        # The same teaching line whether the call was right, wrong or too late: the verdict
        # itself is ``correct`` / ``timed_out``.
        return f"It's a {card.label}: {card.why}"

    def _record(self, call: Call) -> Call:
        # Saved first: if the disk refuses, the game has not moved on and the call can be
        # made again.
        if self.store is not None:
            save_call(self.store, self.game_id, call, self._seller(call.player))
        stats = self._stats[call.player]
        stats[1] += 1
        stats[4] += call.response_s
        if call.correct:
            stats[0] += 1
            stats[2] += 1
            stats[3] = max(stats[3], stats[2])
        else:
            stats[2] = 0
        self.calls.append(call)
        self._state = "revealed"
        return call

    def _seller(self, player: str) -> Seller:
        if player not in self._sellers:
            assert self.store is not None
            self._sellers[player] = self.store.seller(player)
        return self._sellers[player]

    # -- scores ------------------------------------------------------------------------------
    def standing(self, player: str) -> Standing:
        score, answered, streak, best, total = self._stats[player]
        return Standing(player, int(score), int(answered), int(streak), int(best), float(total))

    def standings(self) -> list[Standing]:
        """The scoreboard, best first (see ``rank``)."""
        return rank(self.standing(p) for p in self.players)

    def result(self) -> str:
        return result_sentence([self.standing(p) for p in self.players])

    @property
    def winner(self) -> str | None:
        """The leader once the game is over (None if nobody called a card)."""
        if self._state != "over" or not self.calls:
            return None
        return self.standings()[0].player


# -- the record -----------------------------------------------------------------------------
def save_call(store: Store, game_id: str, call: Call, seller: Seller | None) -> None:
    """One row in ``card_rounds``; a seller's rows go when the seller is deleted."""
    with store.transaction() as db:
        db.execute(
            "INSERT INTO card_rounds (game_id, player, seller_id, mode, card_id, answer, "
            "correct, response_s, played_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (game_id, call.player, seller.id if seller is not None else None, call.mode,
             call.card.id, call.answer, int(call.correct), call.response_s, store.clock()),
        )


def _standings_from_rows(rows: Iterable[Any]) -> dict[str, Standing]:
    """Per-player standings from ``card_rounds`` rows (``sqlite3.Row`` or dicts) in play
    order; a streak is counted within one game."""
    stats: dict[str, list[float]] = {}
    last_game: dict[str, str] = {}
    for row in rows:
        player = row["player"]
        s = stats.setdefault(player, [0, 0, 0, 0, 0.0])
        if last_game.get(player) != row["game_id"]:
            s[2] = 0  # a streak does not carry over into the next game
            last_game[player] = row["game_id"]
        s[1] += 1
        s[4] += row["response_s"] or 0.0
        if row["correct"]:
            s[0] += 1
            s[2] += 1
            s[3] = max(s[3], s[2])
        else:
            s[2] = 0
    return {p: Standing(p, int(v[0]), int(v[1]), int(v[2]), int(v[3]), float(v[4]))
            for p, v in stats.items()}


def scoreboard(store: Store, game_id: str) -> list[Standing]:
    """A saved game's scoreboard, best first."""
    rows = store.query("SELECT game_id, player, correct, response_s FROM card_rounds "
                       "WHERE game_id = ? ORDER BY id", (game_id,))
    return rank(_standings_from_rows(rows).values())


@dataclass(frozen=True)
class PlayerHistory:
    """Every card a player has called on this computer."""

    player: str
    games: int
    answered: int
    correct: int
    best_streak: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    def sentence(self) -> str:
        if not self.answered:
            return f"{self.player} has not played yet."
        games = "game" if self.games == 1 else "games"
        cards = "card" if self.answered == 1 else "cards"
        return (f"{self.player}, all time: {self.accuracy:.0%} right over {self.answered} "
                f"{cards} in {self.games} {games}, best streak {self.best_streak}.")


def player_history(store: Store, player: str, mode: str | None = None) -> PlayerHistory:
    """A player's record across games (any case and spacing of the name), optionally for one
    mode."""
    name = " ".join(player.split())
    sql = ("SELECT game_id, player, correct, response_s FROM card_rounds "
           "WHERE player = ? COLLATE NOCASE")
    params: tuple[Any, ...] = (name,)
    if mode is not None:
        sql += " AND mode = ?"
        params += (mode,)
    rows = [dict(r) | {"player": name} for r in store.query(sql + " ORDER BY id", params)]
    standing = _standings_from_rows(rows).get(name)
    if standing is None:
        return PlayerHistory(name, 0, 0, 0, 0)
    return PlayerHistory(name, len({r["game_id"] for r in rows}), standing.answered,
                         standing.score, standing.best_streak)


# -- the spoken round -----------------------------------------------------------------------
@dataclass(frozen=True)
class SpokenResult:
    """What the seller said for a card, and the judge's verdict on it."""

    card: Card
    transcript: Transcript
    verdict: Verdict

    @property
    def correct(self) -> bool:
        return self.verdict.label == "benefit"


def spoken_audio_path(data_dir: Path, seller: Seller, card: Card) -> Path:
    """Where a spoken card answer is recorded: beside the seller's practice takes (so
    "Delete my data" removes it), never over an earlier one."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = data_dir / "recordings" / seller.folder
    path = folder / f"{stamp}-card-{card.id}.wav"
    n = 2
    while path.exists():
        path = folder / f"{stamp}-card-{card.id}-{n}.wav"
        n += 1
    return path


def judge_spoken(card: Card, audio_path: Path, transcriber: Transcriber,
                 judge: FeatureBenefitJudge, context: str | None = None) -> SpokenResult:
    """Transcribe a spoken answer offline and judge it feature or benefit.

    Raises:
        AudioFileError: the recording cannot be read.
        SilentRecording: too little speech to judge ("We didn't hear you...").
    """
    audio = read_audio(audio_path, SAMPLE_RATE)
    transcript = transcriber.transcribe(audio)
    check_heard(audio, transcript.words, SAMPLE_RATE)
    return SpokenResult(card, transcript, judge.classify(transcript.text, context))
