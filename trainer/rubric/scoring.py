"""Rubric scoring: turn a transcript into a scorecard, criterion by criterion, with quotes.

Every point is explainable. A met criterion carries ``evidence``: the seller's own words,
quoted verbatim from the transcript, that earned it. A missed one carries the drill's coaching
tip and an example of a better sentence. Nothing here is random or learned at run time, so the
same transcript always gives the same scorecard.

What a criterion means lives in the drill file, in words a sales manager writes: its name and
definition, a few sentences that meet it, a few near misses and the scenario facts it depends
on. The judge (``trainer.rubric.judge``) reads those words and the transcript's meaning, window by
window; this module turns its verdicts into the scorecard.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

from trainer.common.errors import EmptyTranscript
from trainer.common.textnorm import clean_text
from trainer.rubric.drills import Criterion, Drill, Scenario
from trainer.rubric.judge import CriterionText, Judge


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


# Speech-recognition text often drops apostrophes ("arent", "nobodys"). Only forms that are
# not also words of their own are restored ("were", "well", "its", "lets" and "id" are).
_CONTRACTIONS = {
    f"{stem}nt": f"{stem}n't" for stem in (
        "do", "does", "did", "is", "are", "was", "were", "ca", "could", "should", "would",
        "have", "has", "had", "wo", "must", "need")
} | {
    "im": "i'm", "ive": "i've", "youre": "you're", "youve": "you've", "youll": "you'll",
    "youd": "you'd", "theyre": "they're", "theyve": "they've", "theyll": "they'll",
    "theyd": "they'd", "weve": "we've", "itll": "it'll", "thats": "that's", "whats": "what's",
    "theres": "there's", "heres": "here's", "hes": "he's", "shes": "she's",
    "nobodys": "nobody's", "everybodys": "everybody's", "everyones": "everyone's",
    "someones": "someone's", "wholl": "who'll", "thatll": "that'll", "therell": "there'll",
}
_CONTRACTION = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b", re.IGNORECASE)


def _restore_apostrophe(match: re.Match[str]) -> str:
    word = match.group(0)
    restored = _CONTRACTIONS[word.lower()]
    return restored.capitalize() if word[0].isupper() else restored


def normalise(text: str) -> str:
    """Typographic quotes to ASCII, apostrophes restored where recognition dropped them
    ("dont" -> "don't"), runs of spaces folded; otherwise keeps words as spoken."""
    text = clean_text(text)  # invisible characters must not change a verdict (issue 14)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - ")
    text = _CONTRACTION.sub(_restore_apostrophe, text)
    return re.sub(r"[ \t]+", " ", text).strip()



_STOPWORDS = frozenset(
    "a an the and or but so of to in on at for with from by as is are was were be been being it "
    "its this that these those we our us you your they their them i me my he she his her not no "
    "do does did have has had will would can could should may might just really very more most "
    "less than then there here what which who whom how when where why all any some each every "
    "into out up down over about after before because if while also too get got".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_words(text: str) -> set[str]:
    """Lower-case word stems minus stop words, with digits spelled out ("12" -> "twelve")."""
    from trainer.speech.wer import spell_number

    text = re.sub(r"\d+", lambda m: " " + spell_number(int(m.group(0))) + " "
                  if len(m.group(0)) < 7 else m.group(0), text.lower())
    words = (w.removesuffix("'s") for w in re.findall(r"[a-z][a-z']+", text))
    return {_stem(w) for w in words if w not in _STOPWORDS}



def criterion_text(drill_id: str, criterion: Criterion, scenario: Scenario | None
                   ) -> CriterionText:
    """What the judge reads about ``criterion``: its words, its example (about this
    prospect), the scenario facts it uses and the language detector it asks for."""
    example = criterion.example_for(scenario)
    meets = tuple(dict.fromkeys([*criterion.meets, *([example] if example else [])]))
    return CriterionText(id=criterion.id, name=criterion.name,
                         definition=criterion.definition, meets=meets,
                         near_misses=tuple(criterion.near_misses), uses=criterion.uses,
                         detector=criterion.detector if criterion.detector in (
                             "quantity", "price") else None,
                         key=f"{drill_id}/{criterion.id}")


_DEFAULT: Judge | None = None
_DEFAULT_LOCK = threading.Lock()


def default_judge() -> Judge:
    """The process's judge: its models load once, on first use, and its window cache is
    shared by every caller (practice, roleplay, the card game, the CLI)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Judge()
        return _DEFAULT


def warm_judge(transcript: str) -> None:
    """Start judging a transcript that is still growing (``LiveTake``'s ``prefetch``): its
    windows are embedded on the judge's workers, so scoring at Stop only embeds the last."""
    default_judge().prefetch(normalise(transcript))


def warm_rubric(drill: Drill, scenario: Scenario | None) -> None:
    """A take of ``drill`` on ``scenario`` starts: embed its criteria in the background, so
    scoring at Stop embeds only the last words said. Nothing until the judge is loaded (a
    warm-up must never load models on the caller's thread)."""
    judge = default_judge()
    if judge.loaded:
        judge.prefetch_criteria([criterion_text(drill.id, c, scenario) for c in drill.criteria],
                                scenario)


def score_transcript(drill: Drill, transcript: str, scenario: Scenario | None = None,
                     judge: Judge | None = None) -> Scorecard:
    """Score a transcript against a drill's rubric.

    Args:
        drill: the rubric.
        transcript: what the seller said (speech-recognition text is fine).
        scenario: the prospect; criteria about relevance and the alternative need it.
        judge: the rubric judge; the process's shared one by default.

    Raises:
        EmptyTranscript: the transcript has no words.
        ModelMissing: the judge's model files are not installed.
    """
    text = normalise(transcript)
    if not re.search(r"\w", text):
        raise EmptyTranscript("The transcript is empty, so there is nothing to score.")
    judge = judge or default_judge()
    judged = [c for c in drill.criteria if c.detector != "delivery"]
    verdicts = judge.judge(text, [criterion_text(drill.id, c, scenario) for c in judged],
                           scenario)
    results = []
    for criterion in judged:
        verdict = verdicts[criterion.id]
        evidence = verdict.evidence if verdict.met else None
        results.append(
            CriterionResult(
                id=criterion.id,
                name=criterion.name,
                weight=criterion.weight,
                met=evidence is not None,
                evidence=evidence,
                tip=None if evidence else criterion.tip,
                example=None if evidence else (criterion.example_for(scenario) or None),
            )
        )
    total = sum(c.weight for c in judged)
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


def with_delivery(card: Scorecard, criterion: Criterion, met: bool, evidence: str,
                  tip: str | None) -> Scorecard:
    """``card`` with the drill's delivery criterion added and its score and verdict recomputed.

    Only a recording has a delivery to judge: ``score_transcript`` never includes this
    criterion, so a transcript-only score is over the transcript criteria alone (unchanged),
    and a recorded take's score is over all of them. The evidence is the delivery numbers.
    """
    from dataclasses import replace

    result = CriterionResult(
        id=criterion.id,
        name=criterion.name,
        weight=criterion.weight,
        met=met,
        evidence=evidence,
        tip=None if met else (tip or criterion.tip),
        example=None if met else (criterion.example_for(None) or None),
    )
    results = tuple(r for r in card.criteria if r.id != criterion.id) + (result,)
    total = sum(r.weight for r in results)
    earned = sum(r.weight for r in results if r.met)
    score = round(100.0 * earned / total, 1) if total else 0.0
    return replace(card, score=score, passed=score >= card.pass_threshold, criteria=results)
