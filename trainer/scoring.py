"""Rubric scoring: turn a transcript into a scorecard, criterion by criterion, with quotes.

Every point is explainable. A met criterion carries ``evidence``: the seller's own words,
quoted verbatim from the transcript, that earned it. A missed one carries the drill's coaching
tip and an example of a better sentence. Nothing here is random or learned at run time, so the
same transcript always gives the same scorecard.

How a criterion is recognised lives in the drill file (cue patterns a sales coach can read and
edit); this module supplies the two detector kinds:

- ``cues``: any cue pattern found in a sentence, after masking out the drill's *vague* phrases
  ("touch base", "see where things land") so filler talk cannot earn credit.
- ``enumeration``: the seller lays out ``min_items`` or more distinct things, either with
  ordinal markers ("first... second... finally") or as a list after a cue ("cover your process,
  the problems it causes and next steps").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from trainer.drills import Criterion, Drill, Scenario
from trainer.errors import EmptyTranscript

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MAX_EVIDENCE_WORDS = 32
_ORDINALS = (
    ("first", r"\b(?:first(?:ly)?|first off|to start(?: with)?|number one|one is)\b"),
    ("second", r"\b(?:second(?:ly)?|number two|two is)\b"),
    ("third", r"\b(?:third(?:ly)?|number three|three is)\b"),
    ("then", r"\b(?:then|next|after that|and also)\b"),
    ("last", r"\b(?:finally|lastly|last(?:ly)?,|and last)\b"),
)
_LIST_SPLIT = re.compile(r",\s*|;\s*|\s+and\s+(?:then\s+)?|\s+then\s+|\s+plus\s+", re.IGNORECASE)
_STOP_ITEMS = {"", "so", "um", "uh", "also", "then", "and", "okay", "ok", "well", "yeah"}


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # character offset in the normalised transcript


@dataclass(frozen=True)
class CriterionResult:
    id: str
    name: str
    weight: float
    met: bool
    evidence: str | None
    tip: str | None
    example: str | None


@dataclass(frozen=True)
class Scorecard:
    drill: str
    score: float
    passed: bool
    pass_threshold: float
    criteria: tuple[CriterionResult, ...]
    transcript: str
    scenario: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "score": self.score,
            "passed": self.passed,
            "pass_threshold": self.pass_threshold,
            "scenario": self.scenario,
            "criteria": [asdict(c) for c in self.criteria],
            "transcript": self.transcript,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorecard:
        return cls(
            drill=data["drill"],
            score=float(data["score"]),
            passed=bool(data["passed"]),
            pass_threshold=float(data.get("pass_threshold", 0)),
            criteria=tuple(CriterionResult(**c) for c in data["criteria"]),
            transcript=data.get("transcript", ""),
            scenario=data.get("scenario"),
        )


def normalise(text: str) -> str:
    """Typographic quotes to ASCII and runs of spaces folded; keeps words as spoken."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - ")
    return re.sub(r"[ \t]+", " ", text).strip()


def split_sentences(text: str) -> list[Sentence]:
    sentences = []
    pos = 0
    for part in _SENTENCE_END.split(text):
        idx = text.find(part, pos)
        if part.strip():
            sentences.append(Sentence(part.strip(), idx + (len(part) - len(part.lstrip()))))
        pos = idx + len(part)
    return sentences


def _quote(sentence: str, match_start: int, match_end: int) -> str:
    """A verbatim excerpt of ``sentence`` around a match, at most ~32 words long."""
    words = list(re.finditer(r"\S+", sentence))
    if len(words) <= _MAX_EVIDENCE_WORDS:
        return sentence
    first = next(i for i, w in enumerate(words) if w.end() > match_start)
    last = max(i for i, w in enumerate(words) if w.start() < max(match_end, match_start + 1))
    spare = max(0, _MAX_EVIDENCE_WORDS - (last - first + 1))
    lo = max(0, first - spare // 2)
    hi = min(len(words) - 1, max(last, lo + _MAX_EVIDENCE_WORDS - 1))
    excerpt = sentence[words[lo].start(): words[hi].end()]
    return ("..." if lo > 0 else "") + excerpt + ("..." if hi < len(words) - 1 else "")


def _mask(sentence: str, patterns: Iterable[re.Pattern[str]]) -> str:
    masked = sentence
    for pattern in patterns:
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    return masked


def _detect_cues(criterion: Criterion, sentences: list[Sentence]) -> str | None:
    for sentence in sentences:
        masked = _mask(sentence.text, criterion.vague)
        for cue in criterion.cues:
            match = cue.search(masked)
            if match:
                return _quote(sentence.text, match.start(), match.end())
    return None


def _list_items(tail: str) -> list[str]:
    tail = re.split(r"[?!.]", tail, maxsplit=1)[0]
    items = []
    for part in _LIST_SPLIT.split(tail):
        words = [w for w in re.findall(r"[a-z0-9']+", part.lower()) if w not in _STOP_ITEMS]
        if words:
            items.append(" ".join(words))
    return items


def _detect_enumeration(criterion: Criterion, sentences: list[Sentence]) -> str | None:
    # 1. A list after a cue in one sentence: "cover your process, the problems and pricing".
    for sentence in sentences:
        masked = _mask(sentence.text, criterion.vague)
        for cue in criterion.cues:
            match = cue.search(masked)
            if match and len(_list_items(sentence.text[match.end():])) >= criterion.min_items:
                return _quote(sentence.text, match.start(), len(sentence.text))
    # 2. Ordinal markers across consecutive sentences: "First... Second... Finally...".
    text = " ".join(s.text for s in sentences)
    found: list[tuple[int, int, str]] = []
    for kind, pattern in _ORDINALS:
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            found.append((m.start(), m.end(), kind))
    kinds = {k for _, _, k in found}
    has_start = "first" in kinds
    followers = kinds & {"second", "third", "last"}
    if has_start and (followers or ("then" in kinds)) and len(kinds) >= criterion.min_items:
        found.sort()
        start = found[0][0]
        end_ordinal = found[min(len(found), criterion.min_items + 1) - 1][1]
        sentence_end = re.search(r"[.!?](\s|$)", text[end_ordinal:])
        end = end_ordinal + (sentence_end.end() if sentence_end else len(text) - end_ordinal)
        return _quote(text[start:end].strip(), 0, 0)
    return None


def judge(criterion: Criterion, sentences: list[Sentence]) -> str | None:
    """The quoted evidence for ``criterion`` in ``sentences``, or ``None`` when missed."""
    if criterion.detector == "enumeration":
        return _detect_enumeration(criterion, sentences)
    return _detect_cues(criterion, sentences)


def score_transcript(drill: Drill, transcript: str, scenario: Scenario | None = None) -> Scorecard:
    """Score a transcript against a drill's rubric.

    Raises:
        EmptyTranscript: the transcript has no words.
    """
    text = normalise(transcript)
    if not re.search(r"\w", text):
        raise EmptyTranscript("The transcript is empty, so there is nothing to score.")
    sentences = split_sentences(text)
    results = []
    for criterion in drill.criteria:
        evidence = judge(criterion, sentences)
        results.append(
            CriterionResult(
                id=criterion.id,
                name=criterion.name,
                weight=criterion.weight,
                met=evidence is not None,
                evidence=evidence,
                tip=None if evidence else criterion.tip,
                example=None if evidence else (criterion.example or None),
            )
        )
    total = sum(c.weight for c in drill.criteria)
    earned = sum(r.weight for r in results if r.met)
    score = round(100.0 * earned / total, 1) if total else 0.0
    return Scorecard(
        drill=drill.id,
        score=score,
        passed=score >= drill.pass_threshold,
        pass_threshold=drill.pass_threshold,
        criteria=tuple(results),
        transcript=text,
        scenario=scenario.id if scenario else None,
    )
