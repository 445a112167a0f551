"""Roleplay that talks back: a short conversation with a buyer who reacts to what you said.

The conversation engine, without any UI or audio. A roleplay is 2-4 turns over one drill, one
scenario and one buyer persona (friendly, busy, skeptical):

1. The buyer opens with the drill's line (or the persona's wording of it; for the ``objection``
   drill, one of its objection variants).
2. The seller answers; the answer is scored with the drill's own rubric.
3. The buyer reacts to what that answer *missed* (``drills/roleplay/conversations.toml``): an
   agenda without a time check gets "I have a hard stop in twenty minutes.", a price-only
   difference gets "So you're just the cheaper option?".
4. Every buyer line declares what its answer is judged on (``judged_on``, ``criteria``): the
   answer to "And what do you expect to get out of this by the end?" is scored on the agenda's
   "Names the outcome" alone, the answer to "We're not really like them, though." on the
   objection criteria. The card of such a turn holds those criteria only (``focus``).
5. The buyer follows up on what *that* answer missed under its own criteria, or raises another
   gap of the first answer, until the persona's turn limit; then a closing line.

Everything is deterministic: the same transcript, persona and seed give the same reaction (the
seed only breaks ties between reactions that could all fire, and is recorded with each turn).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import DrillFileError
from trainer.rubric.drills import Drill, DrillLibrary, Scenario, fill_template
from trainer.rubric.scoring import content_words, normalise, score_transcript

OBJECTION_DRILL = "objection"
SCRIPT_FILE = Path("roleplay") / "conversations.toml"
PERSONAS = ("friendly", "busy", "skeptical")
MIN_TURNS, MAX_TURNS = 2, 4
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Persona:
    """How a buyer talks: pace, patience and which gaps they call out."""

    id: str
    title: str
    description: str
    rate: float  # speaking-rate multiplier for the voice (1.0 = a normal pace)
    max_turns: int
    fallback_objection: str
    closing_good: str
    closing_weak: str


@dataclass(frozen=True)
class Reaction:
    """A buyer line that fires when the seller's last answer missed ``when_missed``.

    ``after`` is the drill whose criteria the missed answer was judged on; ``judged_on`` and
    ``criteria`` say what the seller's answer to *this* line is judged on (``None``: all of
    that drill's criteria).
    """

    id: str
    when_missed: str
    line: str
    wording: Mapping[str, str] = field(default_factory=dict)  # persona id -> line
    personas: tuple[str, ...] = PERSONAS
    when_said: str | None = None
    after: str = OBJECTION_DRILL
    judged_on: str = OBJECTION_DRILL
    criteria: tuple[str, ...] | None = None
    kind: str = "followup"  # "reaction" (to the first answer) or "followup"

    def line_for(self, persona: str) -> str:
        return self.wording.get(persona, self.line)

    def fires(self, persona: str, missed: set[str], transcript: str) -> bool:
        if persona not in self.personas or self.when_missed not in missed:
            return False
        return self.when_said is None or re.search(self.when_said, transcript,
                                                   re.IGNORECASE) is not None


@dataclass(frozen=True)
class Script:
    """Everything in the conversations file, validated."""

    personas: Mapping[str, Persona]
    followups: tuple[Reaction, ...]
    openings: Mapping[str, Mapping[str, str]]  # drill id -> persona id -> line
    reactions: Mapping[str, tuple[Reaction, ...]]  # drill id -> reactions to its rubric
    source: Path

    def persona(self, persona_id: str) -> Persona:
        if persona_id not in self.personas:
            known = ", ".join(self.personas)
            raise DrillFileError(f"No buyer persona called '{persona_id}'; available: {known}.")
        return self.personas[persona_id]


@dataclass(frozen=True)
class BuyerLine:
    """One thing the buyer says, why they said it, and what the answer to it is judged on."""

    text: str
    kind: str  # "opening", "reaction", "followup", "objection" or "closing"
    reaction: str | None = None  # the reaction's id
    because: str | None = None  # the criterion the answer in turn ``reacts_to`` missed
    judged_on: str = ""  # the drill whose criteria judge the answer ("" for the closing)
    criteria: tuple[str, ...] | None = None  # only these of them; None: all
    reacts_to: int | None = None  # the turn whose answer missed ``because``

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "reaction": self.reaction,
                "because": self.because, "judged_on": self.judged_on,
                "criteria": list(self.criteria) if self.criteria is not None else None,
                "reacts_to": self.reacts_to}


@dataclass(frozen=True)
class Turn:
    """One exchange: the buyer's line, the seller's answer and its scorecard."""

    index: int  # 1-based
    buyer: BuyerLine
    rubric: str  # the drill whose criteria scored the answer
    transcript: str
    card: dict[str, Any]


# == loading =============================================================================
def _text(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DrillFileError(f"{path.name}: key '{key}' must be a non-empty string.")
    return value


def _drill_named(value: Any, key: str, path: Path,
                 drills: Mapping[str, Drill] | None) -> tuple[str, Drill | None]:
    name = _text(value, key, path)
    if drills is None:
        return name, None
    if name not in drills:
        raise DrillFileError(f"{path.name}: key '{key}' names no drill ('{name}').")
    return name, drills[name]


def _criterion_ids(drill: Drill) -> set[str]:
    """Every criterion an answer can be judged on, the delivery one included."""
    ids = {c.id for c in drill.criteria}
    return ids | {drill.delivery.id} if drill.delivery is not None else ids


def _reaction(raw: Any, key: str, path: Path, drills: Mapping[str, Drill] | None,
              after: str | None = None) -> Reaction:
    """One ``[[followups]]`` entry, or (``after`` given) one of a drill's ``reactions``."""
    if not isinstance(raw, dict):
        raise DrillFileError(f"{path.name}: key '{key}' must be a table.")
    rid = _text(raw.get("id"), f"{key}.id", path)
    kind = "reaction" if after is not None else "followup"
    if after is None:
        after, after_drill = _drill_named(raw.get("after", OBJECTION_DRILL), f"{key}.after",
                                          path, drills)
    else:
        after_drill = drills.get(after) if drills is not None else None
    when = _text(raw.get("when_missed"), f"{key}.when_missed", path)
    if after_drill is not None and when not in _criterion_ids(after_drill):
        raise DrillFileError(f"{path.name}: key '{key}.when_missed' names no criterion of the "
                             f"'{after}' drill ('{when}').")
    judged_on, judged = _drill_named(raw.get("judged_on"), f"{key}.judged_on", path, drills)
    criteria: tuple[str, ...] | None = None
    if "criteria" in raw:
        listed = raw["criteria"]
        if (not isinstance(listed, list) or not listed
                or not all(isinstance(c, str) and c.strip() for c in listed)
                or len(set(listed)) != len(listed)):
            raise DrillFileError(f"{path.name}: key '{key}.criteria' must list one or more "
                                 "criterion ids, each once.")
        if judged is not None:
            strange = [c for c in listed if c not in _criterion_ids(judged)]
            if strange:
                raise DrillFileError(f"{path.name}: key '{key}.criteria' names no criterion "
                                     f"of the '{judged_on}' drill ('{strange[0]}').")
        criteria = tuple(listed)
    personas = raw.get("personas", list(PERSONAS))
    if (not isinstance(personas, list) or not personas
            or not all(p in PERSONAS for p in personas)):
        raise DrillFileError(f"{path.name}: key '{key}.personas' must list some of "
                             f"{', '.join(PERSONAS)}.")
    said = raw.get("when_said")
    if said is not None:
        try:
            re.compile(_text(said, f"{key}.when_said", path))
        except re.error as exc:
            raise DrillFileError(f"{path.name}: key '{key}.when_said' is not a valid pattern "
                                 f"({exc}).") from exc
    wording = {p: _text(raw[p], f"{key}.{p}", path) for p in PERSONAS if p in raw}
    known = {"id", "when_missed", "personas", "when_said", "line", "judged_on", "criteria",
             *PERSONAS}
    if kind == "followup":
        known.add("after")
    unknown = set(raw) - known
    if unknown:
        raise DrillFileError(f"{path.name}: key '{key}.{sorted(unknown)[0]}' is not known.")
    return Reaction(rid, when, _text(raw.get("line"), f"{key}.line", path), wording,
                    tuple(personas), said, after, judged_on, criteria, kind)


def parse_script(data: Mapping[str, Any], path: Path,
                 drills: Mapping[str, Drill] | None = None) -> Script:
    """Validate the conversations file; ``drills`` (when given) checks criterion ids.

    Raises:
        DrillFileError: naming the file and the key.
    """
    raw_personas = data.get("personas")
    if not isinstance(raw_personas, dict) or set(raw_personas) != set(PERSONAS):
        raise DrillFileError(f"{path.name}: key 'personas' must define "
                             f"{', '.join(PERSONAS)}.")
    personas: dict[str, Persona] = {}
    for pid in PERSONAS:
        raw = raw_personas[pid]
        where = f"personas.{pid}"
        if not isinstance(raw, dict):
            raise DrillFileError(f"{path.name}: key '{where}' must be a table.")
        rate = raw.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.5 <= rate <= 2:
            raise DrillFileError(f"{path.name}: key '{where}.rate' must be a number from 0.5 "
                                 "to 2.")
        turns = raw.get("max_turns", 3)
        if isinstance(turns, bool) or not isinstance(turns, int) \
                or not MIN_TURNS <= turns <= MAX_TURNS:
            raise DrillFileError(f"{path.name}: key '{where}.max_turns' must be a whole number "
                                 f"from {MIN_TURNS} to {MAX_TURNS}.")
        personas[pid] = Persona(
            id=pid, title=_text(raw.get("title", pid.title()), f"{where}.title", path),
            description=str(raw.get("description", "")), rate=float(rate), max_turns=turns,
            fallback_objection=_text(raw.get("fallback_objection"),
                                     f"{where}.fallback_objection", path),
            closing_good=_text(raw.get("closing_good"), f"{where}.closing_good", path),
            closing_weak=_text(raw.get("closing_weak"), f"{where}.closing_weak", path))
    raw_followups = data.get("followups", [])
    if not isinstance(raw_followups, list):
        raise DrillFileError(f"{path.name}: key 'followups' must be a list of tables.")
    followups = tuple(_reaction(r, f"followups[{i}]", path, drills)
                      for i, r in enumerate(raw_followups))
    raw_drills = data.get("drills", {})
    if not isinstance(raw_drills, dict):
        raise DrillFileError(f"{path.name}: key 'drills' must be a table.")
    openings: dict[str, dict[str, str]] = {}
    reactions: dict[str, tuple[Reaction, ...]] = {}
    for drill_id, raw in raw_drills.items():
        where = f"drills.{drill_id}"
        if not isinstance(raw, dict):
            raise DrillFileError(f"{path.name}: key '{where}' must be a table.")
        if drills is not None and drill_id not in drills:
            raise DrillFileError(f"{path.name}: key '{where}' names no drill.")
        openings[drill_id] = {p: _text(raw[p], f"{where}.{p}", path)
                              for p in PERSONAS if p in raw}
        raw_reactions = raw.get("reactions", [])
        if not isinstance(raw_reactions, list):
            raise DrillFileError(f"{path.name}: key '{where}.reactions' must be a list.")
        reactions[drill_id] = tuple(
            _reaction(r, f"{where}.reactions[{i}]", path, drills, after=drill_id)
            for i, r in enumerate(raw_reactions))
    return Script(personas, followups, openings, reactions, path)


def load_script(library: DrillLibrary | None = None, path: Path | None = None) -> Script:
    """Read and validate the conversations file (beside the drills by default)."""
    library = library or DrillLibrary()
    path = path or library.folder / SCRIPT_FILE
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise DrillFileError(f"{path.name}: not valid TOML ({exc}).") from exc
    except OSError as exc:
        raise DrillFileError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    return parse_script(data, path, {d.id: d for d in library.drills()})


def objection_variants(drill: Drill) -> list[tuple[str, str]]:
    """The objection drill's ``[[variants]]`` as (id, line); the buyer line alone if none."""
    try:
        with open(drill.source, "rb") as f:
            raw = tomllib.load(f).get("variants", [])
    except (OSError, tomllib.TOMLDecodeError):
        raw = []
    variants = [(str(v["id"]), str(v["line"])) for v in raw
                if isinstance(v, dict) and isinstance(v.get("id"), str)
                and isinstance(v.get("line"), str) and v["line"].strip()]
    return variants or [("default", drill.buyer_line)]


# == the conversation ====================================================================
def _stable(*parts: object) -> int:
    """A hash that is the same in every process (``hash()`` is salted per run)."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8],
                          "big")


def _transcript_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", normalise(text).lower()))


def fill(text: str, scenario: Scenario | None, said: str = "") -> str:
    """Fill a buyer line's ``{placeholders}`` from the scenario.

    ``{pain}`` is the prospect's pain the seller's words overlap least (the one they ignored).
    A placeholder the scenario cannot fill is replaced by a neutral phrase, never left raw.
    """
    if scenario is None:
        return _PLACEHOLDER.sub(lambda m: _NEUTRAL.get(m.group(1), "that"), text)
    prospect, company = scenario.prospect, scenario.company
    pains = [p for p in prospect.get("pains", []) if isinstance(p, str) and p.strip()]
    spoken = content_words(said)
    pain = min(pains, key=lambda p: len(content_words(p) & spoken)) if pains else ""
    name = str(prospect.get("name") or "")
    values = {"pain": pain, "first_name": name.split(" ")[0], "industry":
              str(prospect.get("industry") or ""), "prospect_company":
              str(prospect.get("company") or ""), "company_name": str(company.get("name") or "")}
    text = _PLACEHOLDER.sub(lambda m: values[m.group(1)] if values.get(m.group(1))
                            else m.group(0), text)
    text = fill_template(text, scenario)
    return _PLACEHOLDER.sub(lambda m: _NEUTRAL.get(m.group(1), "that"), text)


_NEUTRAL = {"pain": "the problem we talked about", "industry": "business",
            "alternative": "what we use today", "prospect_company": "us", "name": "",
            "first_name": "", "company_name": "your company"}


def focus(card: Mapping[str, Any], criteria: Iterable[str] | None) -> dict[str, Any]:
    """``card`` judged on ``criteria`` only: the others are dropped, score and verdict redone.

    A buyer who asks "what do you expect to get out of this by the end?" asked for an outcome,
    not for a whole agenda: the answer is scored on what the line asked for. The score follows
    the same rule as ``scoring.score_transcript`` (met weight over total weight, one decimal).
    ``None``, or a list the card has none of, leaves the card as it is. Idempotent.
    """
    out = dict(card)
    if criteria is None:
        return out
    wanted = list(criteria)
    kept = [c for c in card.get("criteria", []) if c.get("id") in wanted]
    if not kept:
        return out
    total = sum(float(c["weight"]) for c in kept)
    earned = sum(float(c["weight"]) for c in kept if c.get("met"))
    score = round(100.0 * earned / total, 1) if total else 0.0
    out.update(criteria=kept, score=score,
               passed=score >= float(card.get("pass_threshold", 0.0)), asked_for=wanted)
    return out


class Conversation:
    """One roleplay: the buyer's lines, the seller's scored turns, and what comes next.

    Args:
        library: drills and the ``objection`` drill used to score reaction turns.
        script: the conversations file (``load_script``).
        drill: the drill being practised.
        scenario: the prospect (fills the buyer's lines; relevance criteria need it).
        persona: ``friendly``, ``busy`` or ``skeptical``.
        seed: breaks ties between reactions that could all fire; recorded with each turn.
        conversation_id: a name for the store (``context="roleplay:<id>"``).
    """

    def __init__(self, library: DrillLibrary, script: Script, drill: Drill,
                 scenario: Scenario | None, persona: str, seed: int = 0,
                 conversation_id: str | None = None) -> None:
        self.library = library
        self.script = script
        self.drill = drill
        self.scenario = scenario
        self.persona = script.persona(persona)
        self.seed = int(seed)
        self.id = conversation_id or f"{drill.id}-{persona}-{self.seed}"
        self.objection = library.drill(OBJECTION_DRILL)
        self._drills = {drill.id: drill, OBJECTION_DRILL: self.objection}
        self.turns: list[Turn] = []
        self.variant: str | None = None
        self._used: set[str] = set()
        self._pending: list[Reaction] = []  # first-turn gaps not yet raised
        self.opening = self._opening()
        self.current: BuyerLine | None = self.opening
        self.closing: BuyerLine | None = None

    # -- state --------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.current is None

    def context(self) -> str:
        """The store's ``context`` for every turn of this conversation."""
        return f"roleplay:{self.id}"

    def _drill(self, drill_id: str) -> Drill:
        if drill_id not in self._drills:
            self._drills[drill_id] = self.library.drill(drill_id)
        return self._drills[drill_id]

    def rubric(self) -> Drill:
        """The drill whose criteria score the seller's next answer (the current line's)."""
        line = self.current
        if line is None:  # finished: the last answer's
            return self._drill(self.turns[-1].rubric) if self.turns else self.drill
        return self._drill(line.judged_on or self.drill.id)

    def asked_for(self) -> tuple[str, ...] | None:
        """Which of ``rubric()``'s criteria the current line asks for (``None``: all)."""
        return self.current.criteria if self.current is not None else None

    def _reactions_for(self, rubric: Drill, first: bool) -> tuple[Reaction, ...]:
        """The lines that may react to an answer judged on ``rubric``.

        The first answer gets its drill's reactions; any later answer gets the reactions and
        follow-ups keyed on the drill it was judged on (so a line can only react to what that
        answer was asked for). A drill without reactions of its own (the objection drill) is
        followed up from its first answer.
        """
        own = self.script.reactions.get(rubric.id, ())
        if first and own:
            return own
        return (*own, *(f for f in self.script.followups if f.after == rubric.id))

    # -- lines --------------------------------------------------------------------------
    def _opening(self) -> BuyerLine:
        if self.drill.id == OBJECTION_DRILL:
            variants = objection_variants(self.drill)
            key = self.scenario.id if self.scenario else ""
            self.variant, line = variants[_stable(self.seed, key) % len(variants)]
            self._used.add(f"objection:{self.variant}")
            return BuyerLine(fill(line, self.scenario), "opening", self.variant,
                             judged_on=OBJECTION_DRILL)
        wording = self.script.openings.get(self.drill.id, {})
        line = wording.get(self.persona.id, self.drill.buyer_line)
        return BuyerLine(fill(line, self.scenario), "opening", judged_on=self.drill.id)

    def candidates(self, card: Mapping[str, Any], transcript: str,
                   rubric: Drill | None = None, first: bool | None = None) -> list[Reaction]:
        """Every reaction that fires for an answer scored as ``card`` (in file order).

        Only criteria on the card count: a focused card (``focus``) has only those its line
        asked for, so the buyer never complains about something the answer wasn't asked.
        ``first`` (default: no turn yet) says whether this is the first answer.
        """
        rubric = rubric or self.rubric()
        first = not self.turns if first is None else first
        missed = {c["id"] for c in card.get("criteria", []) if not c.get("met")}
        return [r for r in self._reactions_for(rubric, first)
                if r.fires(self.persona.id, missed, transcript)]

    def _choose(self, options: list[Reaction], transcript: str) -> Reaction:
        key = _stable(self.seed, self.persona.id, len(self.turns), _transcript_key(transcript))
        return options[key % len(options)]

    def _fallback(self) -> BuyerLine:
        """An objection from the persona, so that no roleplay ends after one turn."""
        variants = dict(objection_variants(self.objection))
        wanted = self.persona.fallback_objection
        order = [wanted] + [v for v in variants if v != wanted]
        choice = next((v for v in order if v in variants
                       and f"objection:{v}" not in self._used), order[0])
        self._used.add(f"objection:{choice}")
        return BuyerLine(fill(variants.get(choice, self.objection.buyer_line), self.scenario),
                         "objection", choice, judged_on=OBJECTION_DRILL)

    def _closing(self, card: Mapping[str, Any]) -> BuyerLine:
        good = bool(card.get("passed"))
        text = self.persona.closing_good if good else self.persona.closing_weak
        return BuyerLine(fill(text, self.scenario), "closing")

    def possible_lines(self) -> list[str]:
        """Every line the buyer could say next (for synthesising speech ahead of time)."""
        lines: list[str] = []
        sources = [*self._reactions_for(self.rubric(), not self.turns), *self._pending,
                   *self.script.reactions.get(self.drill.id, ())]
        for reaction in sources:
            if reaction.id not in self._used and self.persona.id in reaction.personas:
                lines.append(fill(reaction.line_for(self.persona.id), self.scenario))
        for _, line in objection_variants(self.objection):
            lines.append(fill(line, self.scenario))
        lines += [self.persona.closing_good, self.persona.closing_weak]
        return list(dict.fromkeys(lines))

    # -- turns --------------------------------------------------------------------------
    def record(self, transcript: str, card: dict[str, Any]) -> BuyerLine:
        """Add the seller's answer to the current line; returns the buyer's next line.

        ``card`` is the answer's scorecard under ``rubric()`` (the core's JSON shape); it is
        narrowed here to the criteria the current line asked for (``focus``), so the full
        drill's card may be passed. When the conversation is over, the returned line is the
        buyer's closing (``kind="closing"``) and ``finished`` is true.

        Raises:
            RuntimeError: the conversation has already finished.
        """
        line = self.current
        if line is None:
            raise RuntimeError("The roleplay has finished; start a new one.")
        rubric = self.rubric()
        card = focus(card, line.criteria)
        index = len(self.turns) + 1
        self.turns.append(Turn(index, line, rubric.id, transcript,
                               self.annotate(card, index, line)))
        options = [r for r in self.candidates(card, transcript, rubric, first=index == 1)
                   if r.id not in self._used]
        if index == 1:
            # Gaps of the first answer the buyer may still raise later.
            self._pending = list(options)
        if index >= self.persona.max_turns:
            return self._finish(card)
        reacts_to = index
        if not options:
            options = [r for r in self._pending if r.id not in self._used]
            reacts_to = 1
        if options:
            chosen = self._choose(options, transcript)
            self._used.add(chosen.id)
            self._pending = [r for r in self._pending if r.id != chosen.id]
            said = self.turns[reacts_to - 1].transcript  # {pain}: the one that answer skipped
            self.current = BuyerLine(
                fill(chosen.line_for(self.persona.id), self.scenario, said),
                chosen.kind, chosen.id, chosen.when_missed, chosen.judged_on, chosen.criteria,
                reacts_to)
            return self.current
        if len(self.turns) < MIN_TURNS:
            self.current = self._fallback()
            return self.current
        return self._finish(card)

    def respond(self, transcript: str) -> BuyerLine:
        """Score ``transcript`` with ``rubric()`` (text only, no delivery) and ``record`` it.

        Raises:
            EmptyTranscript: the answer has no words.
        """
        card = score_transcript(self.rubric(), transcript, self.scenario).to_json()
        return self.record(transcript, card)

    def _finish(self, card: Mapping[str, Any]) -> BuyerLine:
        self.closing = self._closing(card)
        self.current = None
        return self.closing

    def annotate(self, card: Mapping[str, Any], index: int, line: BuyerLine) -> dict[str, Any]:
        """``card`` with the roleplay it belongs to (saved with the attempt in the store)."""
        out = dict(card)
        out["roleplay"] = {"id": self.id, "turn": index, "drill": self.drill.id,
                           "persona": self.persona.id, "seed": self.seed,
                           "buyer": line.to_json()}
        return out

    # -- the whole conversation ----------------------------------------------------------
    def score(self) -> float:
        """The roleplay's score: the mean of its turns' scores (0 before any turn)."""
        if not self.turns:
            return 0.0
        return round(sum(float(t.card["score"]) for t in self.turns) / len(self.turns), 1)

    def scorecard(self) -> dict[str, Any]:
        """The whole conversation: each turn's buyer line, answer, criteria, evidence, tips."""
        score = self.score()
        return {
            "roleplay": self.id,
            "drill": self.drill.id,
            "scenario": self.scenario.id if self.scenario else None,
            "persona": self.persona.id,
            "seed": self.seed,
            "score": score,
            "passed": bool(self.turns) and score >= self.drill.pass_threshold,
            "pass_threshold": self.drill.pass_threshold,
            "finished": self.finished,
            "opening": self.opening.to_json(),
            "turns": [{
                "turn": t.index,
                "buyer": t.buyer.to_json(),
                "rubric": t.rubric,
                "asked_for": list(t.buyer.criteria) if t.buyer.criteria is not None else None,
                "transcript": t.transcript,
                "score": t.card["score"],
                "passed": t.card["passed"],
                "criteria": t.card.get("criteria", []),
            } for t in self.turns],
            "closing": self.closing.to_json() if self.closing else None,
        }


def start(library: DrillLibrary, drill_id: str, scenario_id: str | None, persona: str,
          seed: int = 0, script: Script | None = None) -> Conversation:
    """A new conversation by ids (the CLI and benchmark's entry point)."""
    scenario = library.scenario(scenario_id) if scenario_id else None
    return Conversation(library, script or load_script(library), library.drill(drill_id),
                        scenario, persona, seed)


def script_path() -> Path:
    return paths.drills_dir() / SCRIPT_FILE


def describe_turns(conversation: Conversation) -> Iterable[str]:
    """The conversation as plain lines ("Buyer: ...", "You: ..."), for logs and the CLI."""
    yield f"Buyer: {conversation.opening.text}"
    for turn in conversation.turns:
        if turn.index > 1:
            yield f"Buyer: {turn.buyer.text}"
        yield f"You: {turn.transcript}  [{turn.card['score']:.0f}/100]"
    if conversation.closing is not None:
        yield f"Buyer: {conversation.closing.text}"
