"""A roleplay in progress, kept across a crash: saved after every turn, offered on restart.

After each completed turn the roleplay screen saves where the conversation stands to
``<data>/in_progress/roleplay-<seller>.json`` (atomically, owner-only;
``trainer.store.inprogress``):
the conversation's id, drill, buyer persona, seed and scenario (as it was pitched), the seller,
and every turn so far with its transcript, scorecard, attempt id and recording. The file is
removed when the roleplay ends or the seller discards it.

On the next start the screen asks "Resume the roleplay you were in (turn 2 of 3 with Priya
Shah)?". Resuming rebuilds the conversation by replaying the saved turns through
``Conversation.record``: the same transcripts, cards and seed give the same buyer lines, and
each replayed line is checked against the saved one, so a conversations file edited since is
caught and said, never silently mixed in. A file that cannot be resumed is set aside, not
deleted; each turn is also a scored attempt in the history, so nothing is lost either way.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.coaching.roleplay import Conversation, Script
from trainer.common.errors import TrainerError
from trainer.rubric.drills import DrillLibrary, parse_scenario
from trainer.store import inprogress
from trainer.store.database import Seller

FOLDER = "in_progress"
PREFIX = "roleplay-"
FORMAT = "trainer.roleplay-in-progress"
VERSION = 1
WHAT = "The roleplay you were in"
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class SavedTurn:
    """One answered turn, as saved."""

    buyer: str  # the buyer line the seller answered
    transcript: str
    card: dict[str, Any]
    attempt_id: int | None = None
    audio: str | None = None  # the seller's recording


@dataclass(frozen=True)
class SavedRoleplay:
    """A roleplay in progress, read back from its file."""

    path: Path
    seller_name: str
    seller_id: int | None
    conversation_id: str
    drill: str
    persona: str
    seed: int
    scenario: dict[str, Any] | None
    max_turns: int
    turns: tuple[SavedTurn, ...]
    buyer_audio: Mapping[str, str] = field(default_factory=dict)
    saved_at: float = 0.0

    @property
    def prospect(self) -> str:
        """Who the seller was talking to: the prospect's name, else their company."""
        prospect = (self.scenario or {}).get("prospect")
        if isinstance(prospect, dict):
            for key in ("name", "company"):
                value = prospect.get(key)
                if isinstance(value, str) and value.strip():
                    return " ".join(value.split())
        return "the buyer"

    def question(self) -> str:
        """The offer, in one sentence (plain text: it holds the prospect's name)."""
        return (f"Resume the roleplay you were in (turn {len(self.turns) + 1} of "
                f"{self.max_turns} with {self.prospect})?")


# == where ===============================================================================
def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def seller_key(seller: Seller) -> str:
    """A file-name-safe key that no other seller shares.

    The seller's stable ``uid`` where the store has one; otherwise a hash of the name (ids
    restart at 1 after a damaged history is set aside, so an id could name someone else).
    """
    uid = getattr(seller, "uid", None)
    if isinstance(uid, str) and _SAFE.fullmatch(uid):
        return uid
    return "n" + hashlib.sha256(seller.name.encode("utf-8")).hexdigest()[:24]


def state_path(data_dir: Path, seller: Seller) -> Path:
    return folder(data_dir) / f"{PREFIX}{seller_key(seller)}.json"


# == saving ==============================================================================
def save(data_dir: Path, seller: Seller, conversation: Conversation,
         takes: Sequence[tuple[int | None, Path | None]],
         buyer_audio: Mapping[str, Path] | None = None,
         clock: Callable[[], float] = time.time) -> Path:
    """Save ``conversation`` (not finished) for ``seller``; returns the file.

    Args:
        takes: per turn, in order, the attempt id and the recording of the seller's answer.
        buyer_audio: the buyer's spoken lines (caption -> WAV), so a replay can play them.

    Raises:
        StorageError: the data folder cannot be written.
    """
    turns = []
    for i, turn in enumerate(conversation.turns):
        attempt_id, audio = takes[i] if i < len(takes) else (None, None)
        turns.append({"buyer": turn.buyer.text, "transcript": turn.transcript,
                      "card": turn.card, "attempt_id": attempt_id,
                      "audio": str(audio) if audio is not None else None})
    state = {
        "format": FORMAT, "version": VERSION, "saved_at": clock(),
        "seller": {"name": seller.name, "id": seller.id},
        "conversation": {
            "id": conversation.id, "drill": conversation.drill.id,
            "persona": conversation.persona.id, "seed": conversation.seed,
            "scenario": conversation.scenario.to_json() if conversation.scenario else None,
            "max_turns": conversation.persona.max_turns},
        "turns": turns,
        "buyer_audio": {text: str(path) for text, path in (buyer_audio or {}).items()},
    }
    path = state_path(data_dir, seller)
    inprogress.write_json_atomic(path, state)
    return path


def clear(path: Path) -> None:
    """Forget a saved roleplay (it ended, or the seller discarded it).

    Raises:
        StorageError: the file exists but cannot be removed.
    """
    inprogress.remove(path)


# == reading =============================================================================
class _Bad(Exception):
    """The file is JSON but not a saved roleplay."""


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise _Bad(key)
    if not isinstance(value, kind):
        raise _Bad(key)
    return value


def parse(data: Any, path: Path) -> SavedRoleplay:
    """A saved roleplay from its JSON.

    Raises:
        ValueError: it is not one (the key at fault is the message).
    """
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _Bad("format")
        if data.get("version") != VERSION:
            raise _Bad("version")
        seller = _get(data, "seller", dict)
        conv = _get(data, "conversation", dict)
        scenario = conv.get("scenario")
        if scenario is not None and not isinstance(scenario, dict):
            raise _Bad("conversation.scenario")
        seller_id = seller.get("id")
        if seller_id is not None and (isinstance(seller_id, bool)
                                      or not isinstance(seller_id, int)):
            raise _Bad("seller.id")
        turns = []
        for raw in _get(data, "turns", list):
            if not isinstance(raw, dict):
                raise _Bad("turns")
            attempt_id = raw.get("attempt_id")
            audio = raw.get("audio")
            if (attempt_id is not None and (isinstance(attempt_id, bool)
                                            or not isinstance(attempt_id, int))) \
                    or (audio is not None and not isinstance(audio, str)):
                raise _Bad("turns")
            turns.append(SavedTurn(_get(raw, "buyer", str), _get(raw, "transcript", str),
                                   _get(raw, "card", dict), attempt_id, audio))
        if not turns:
            raise _Bad("turns")
        audio_map = data.get("buyer_audio", {})
        if not isinstance(audio_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in audio_map.items()):
            raise _Bad("buyer_audio")
        name = " ".join(_get(seller, "name", str).split())
        if not name:
            raise _Bad("seller.name")
        return SavedRoleplay(
            path=path, seller_name=name, seller_id=seller_id,
            conversation_id=_get(conv, "id", str), drill=_get(conv, "drill", str),
            persona=_get(conv, "persona", str), seed=_get(conv, "seed", int),
            scenario=scenario, max_turns=_get(conv, "max_turns", int), turns=tuple(turns),
            buyer_audio=dict(audio_map), saved_at=float(_get(data, "saved_at", (int, float))))
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def saved_files(data_dir: Path) -> list[Path]:
    """Every roleplay state file (set-aside copies are not: they don't end in .json)."""
    try:
        return sorted(p for p in folder(data_dir).glob(f"{PREFIX}*.json"))
    except OSError:
        return []


def find(data_dir: Path, seller_name: str = "",
         clock: Callable[[], float] = time.time) -> tuple[SavedRoleplay | None, list[str]]:
    """The roleplay in progress to offer, and a sentence for each file that was set aside.

    With a seller's name, theirs only; without one, the most recently saved of anyone's.
    Never raises for a file's content: a damaged file is set aside and said.
    """
    wanted = " ".join(seller_name.split())
    found: list[SavedRoleplay] = []
    messages: list[str] = []
    for path in saved_files(data_dir):
        try:
            data = inprogress.read_json_or_set_aside(path, WHAT, clock)
        except TrainerError as exc:  # damaged (set aside) or unreadable (left alone)
            messages.append(str(exc))
            continue
        if data is None:
            continue
        try:
            saved = parse(data, path)
        except ValueError as exc:
            messages.append(str(inprogress.set_aside(
                path, WHAT, f"it is not a saved roleplay: key '{exc}'", clock)))
            continue
        if not wanted or saved.seller_name == wanted:
            found.append(saved)
    found.sort(key=lambda s: s.saved_at, reverse=True)
    return (found[0] if found else None), messages


def restore(saved: SavedRoleplay, library: DrillLibrary, script: Script,
            clock: Callable[[], float] = time.time) -> Conversation:
    """Rebuild the conversation by replaying its turns; the buyer's next line is waiting.

    Raises:
        DamagedFile: it cannot be resumed (a drill, persona or scenario no longer valid, or
            the conversations file changed so the buyer would now say something else); the
            file has been set aside and the message says so.
    """
    try:
        scenario = (parse_scenario(saved.scenario, "the saved roleplay")
                    if saved.scenario is not None else None)
        conversation = Conversation(library, script, library.drill(saved.drill), scenario,
                                    saved.persona, saved.seed, saved.conversation_id)
        for turn in saved.turns:
            line = conversation.current
            if line is None or line.text != turn.buyer:
                raise _Bad("the buyer's lines have changed since it was saved")
            conversation.record(turn.transcript, turn.card)
        if conversation.finished:
            raise _Bad("it had already ended")
    except _Bad as exc:
        raise _unresumable(saved, str(exc), clock) from None
    except TrainerError as exc:
        raise _unresumable(saved, str(exc).rstrip("."), clock) from None
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise _unresumable(saved, "its turns are damaged", clock) from None
    return conversation


def _unresumable(saved: SavedRoleplay, reason: str,
                 clock: Callable[[], float]) -> inprogress.DamagedFile:
    error = inprogress.set_aside(saved.path, WHAT, reason, clock, problem="could not be resumed")
    if error.moved is None:
        return error
    return inprogress.DamagedFile(f"{error} Its turns are still in your history.", error.moved)
