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

With an embedder, a learned layer (``trainer.calibration``: small logistic models fitted offline
on the tuning data, stored in ``drills/calibration.json``) may revise a criterion's verdict from
the same evidence the rules see, plus how close in meaning a sentence is to the scenario's pains
or differentiators. Its weights are fixed data, so the judge stays deterministic, and a criterion
it credits still quotes the seller's words: the window that carried the most weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from trainer.drills import Criterion, Drill, Scenario
from trainer.errors import EmptyTranscript
from trainer.textnorm import clean_text

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MAX_EVIDENCE_WORDS = 32
_ORDINALS = (
    ("first", r"\b(?:first(?:ly)?|first off|to start with,|let's start with|number one|one is)\b"),
    ("second", r"\b(?:second(?:ly)?|number two|two is)\b"),
    ("third", r"\b(?:third(?:ly)?|number three|three is)\b"),
    ("then", r"\b(?:then|next(?! steps?| week| time| call| meeting)|after that|and also)\b"),
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


def split_sentences(text: str) -> list[Sentence]:
    sentences = []
    pos = 0
    for part in _SENTENCE_END.split(text):
        idx = text.find(part, pos)
        if part.strip():
            sentences.append(Sentence(part.strip(), idx + (len(part) - len(part.lstrip()))))
        pos = idx + len(part)
    return sentences


NUMBER = (
    r"(?:\$\s?\d[\d,.]*\s*(?:k|m|million|thousand|billion)?|\d[\d,.]*\s*(?:%|percent|x\b)?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|half|double|doubled|twice|triple|tripled"
    r"|halved|quarter)\b)"
)
_WINDOW_WORDS = 30
# Spoken fillers are blanked before matching so "they, um, moved" reads as "they moved".
# The comma before a filler goes too ("wanted to, uh, learn" reads "wanted to learn").
_FILLERS = re.compile(r",?\s*\b(?:um+|uh+|erm|er|ah)\b,?|,?\s*\byou know\b,?|(?<=,)\s*like,"
                      r"|,\s*like\b,?(?=\s)", re.IGNORECASE)
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
    from trainer.wer import spell_number

    text = re.sub(r"\d+", lambda m: " " + spell_number(int(m.group(0))) + " "
                  if len(m.group(0)) < 7 else m.group(0), text.lower())
    words = (w.removesuffix("'s") for w in re.findall(r"[a-z][a-z']+", text))
    return {_stem(w) for w in words if w not in _STOPWORDS}


@dataclass(frozen=True)
class Context:
    """What the judge knows besides the transcript: the scenario, and an optional embedder."""

    scenario: Scenario | None = None
    embedder: Any = None  # trainer.embeddings.Embedder; kept untyped to avoid the import cost

    def values(self) -> dict[str, str]:
        """Template values for cue patterns, regex-escaped (missing ones are absent)."""
        if self.scenario is None:
            return {}
        prospect, company = self.scenario.prospect, self.scenario.company
        raw = {
            "alternative": prospect.get("alternative"),
            "prospect_company": prospect.get("company"),
            # How people say it: "Northwind" for "Northwind Logistics", "Forge" for "Forge & Axle".
            "prospect_company_short": str(prospect.get("company") or "").split(" ")[0] or None,
            "prospect_name": prospect.get("name"),
            "prospect_first_name": str(prospect.get("name") or "").split(" ")[0] or None,
            "industry": prospect.get("industry"),
            "role": prospect.get("role"),
            "company_name": company.get("name"),
        }
        return {k: re.escape(str(v)) for k, v in raw.items() if isinstance(v, str) and v.strip()}

    def company_words(self) -> set[str]:
        """Content words of the seller's own offering, value points and differentiators."""
        words: set[str] = set()
        for field in ("company.offering", "company.value_points", "company.differentiators"):
            for value in self.field_values(field):
                words |= content_words(value)
        return words

    def field_values(self, field: str) -> list[str]:
        if self.scenario is None:
            return []
        section, key = field.split(".")
        source = self.scenario.prospect if section == "prospect" else self.scenario.company
        value = source.get(key)
        if isinstance(value, str):
            return [value] if value.strip() else []
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str) and v.strip()]
        return []


_TEMPLATE = re.compile(r"\{([a-z_]+)\}")


@lru_cache(maxsize=4096)
def _compile(pattern: str, values: tuple[tuple[str, str], ...]) -> re.Pattern[str] | None:
    """Fill ``{placeholders}``; ``None`` when the scenario lacks a value the pattern needs."""
    table = dict(values)
    table["number"] = NUMBER
    missing = [name for name in _TEMPLATE.findall(pattern) if name not in table]
    if missing:
        return None
    return re.compile(_TEMPLATE.sub(lambda m: table[m.group(1)], pattern), re.IGNORECASE)


def _compiled(patterns: Iterable[str], context: Context) -> list[re.Pattern[str]]:
    values = tuple(sorted(context.values().items()))
    return [p for p in (_compile(x, values) for x in patterns) if p is not None]


def _windows_and_halves(sentences: list[Sentence]) -> list[tuple[Sentence, tuple[str, ...]]]:
    """Sentences, with long run-ons (common in speech-recognition text) cut into windows; each
    window with the texts its meaning is computed from: the sentence itself, or for a window
    cut from a run-on, its two halves. Windows overlap by half, so every half is
    shared by two windows and embedded once, where embedding each window whole runs every word
    through the model twice (the model's time is most of a scorecard's)."""
    out: list[tuple[Sentence, tuple[str, ...]]] = []
    for sentence in sentences:
        words = list(re.finditer(r"\S+", sentence.text))
        if len(words) <= _WINDOW_WORDS + 10:
            out.append((sentence, (sentence.text,)))
            continue
        step = _WINDOW_WORDS // 2
        for first in range(0, len(words) - step, step):
            last = min(first + _WINDOW_WORDS, len(words)) - 1
            text = sentence.text[words[first].start(): words[last].end()]
            middle = first + step - 1
            halves = (sentence.text[words[first].start(): words[middle].end()],
                      sentence.text[words[middle + 1].start(): words[last].end()])
            out.append((Sentence(text, sentence.start + words[first].start()), halves))
    return out


def _quote(sentence: str, match_start: int, match_end: int) -> str:
    """A verbatim excerpt of ``sentence`` around a match, at most ~32 words long."""
    words = list(re.finditer(r"\S+", sentence))
    if len(words) <= _MAX_EVIDENCE_WORDS:
        return sentence
    first = next((i for i, w in enumerate(words) if w.end() > match_start), 0)
    last = max((i for i, w in enumerate(words) if w.start() < max(match_end, match_start + 1)),
               default=first)
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


_GENERIC_WORDS = frozenset(
    "day week month year twice based built tool module system process team way current existing "
    "today time people work thing things stuff program".split()
)


@lru_cache(maxsize=8192)
def _match_words(text: str) -> frozenset[str]:
    """``content_words`` with a final ``e`` dropped, so "close" and "closing" meet. Cached: a
    scenario's values are matched against every window."""
    return frozenset(w[:-1] if len(w) > 4 and w.endswith("e") else w
                     for w in content_words(text))


def _scenario_overlap(text: str, context: Context, fields: tuple[str, ...]) -> bool:
    """True when ``text`` mentions a scenario value: enough of its content words.

    For the prospect's alternative only its distinctive words count (not the seller's own
    vocabulary, not generic words), so "every shelf" is not mistaken for "manual shelf audits".
    """
    words = _match_words(text)
    for field in fields:
        for value in context.field_values(field):
            wanted = _match_words(value)
            if field == "prospect.alternative":
                wanted = wanted - (_match_words(" ".join(_GENERIC_WORDS)) | _match_words(" ".join(
                    v for f in ("company.offering", "company.value_points",
                                "company.differentiators") for v in context.field_values(f))))
                if wanted & words:
                    return True
                continue
            if not wanted:
                continue
            # Long values (a pain described in a sentence) need more shared words to count.
            needed = 1 if len(wanted) <= 2 else (2 if len(wanted) <= 5 else 3)
            if len(wanted & words) >= needed:
                return True
    return False


class _Judge:
    """Evaluates one drill's criteria over one transcript (caches shared work)."""

    def __init__(self, drill: Drill, sentences: list[Sentence], context: Context) -> None:
        self.drill = drill
        self.sentences = sentences
        cut = _windows_and_halves(sentences)
        self.windows = [window for window, _ in cut]
        self._halves = [halves for _, halves in cut]
        self.context = context
        self._vectors: Any = None

    def prefetch(self, learned: bool) -> None:
        """Start embedding the windows' pieces when some criterion will read meanings (the
        rules', or the learned layer's when ``learned``), so the patterns run while the model
        works."""
        embedder = self.context.embedder
        if embedder is None or not hasattr(embedder, "prefetch"):
            return
        if learned or any(c.exemplars or c.scenario_fields for c in self.drill.criteria):
            embedder.prefetch([text for halves in self._halves for text in halves])

    def _window_vectors(self) -> Any:
        """One unit vector per window: a sentence's own, or the normalised sum of its two
        halves'. Against embedding each cut window whole, the cosine is 0.93 at the median
        (0.85 at the 5th percentile) over the vision tuning run-ons, and held-out accuracy is
        unchanged (0.905 -> 0.904 pooled) for 25 % less model time."""
        if self._vectors is None:
            self._vectors = self._vectors_of(self._halves)
        return self._vectors

    def _similar(self, criterion: Criterion, extra_vague: tuple[str, ...] = ()) -> list[float]:
        """Each window's best cosine with the criterion's exemplars. A window holding one of the
        criterion's vague phrases is measured twice, as said and with the phrase blanked, and
        keeps the lower cosine: a vague phrase can neither earn the meaning ("they'd use it every
        day") nor hide what the rest says (blanking "licence cost" leaves no difference)."""
        embedder = self.context.embedder
        if embedder is None or not criterion.exemplars or not self.windows:
            return [0.0] * len(self.windows)
        exemplars = embedder.embed(list(criterion.exemplars))
        best = (self._window_vectors() @ exemplars.T).max(axis=1)
        vague = _compiled(criterion.vague + extra_vague, self.context)
        masked = [_mask(w.text, vague) for w in self.windows]
        changed = [i for i, (m, w) in enumerate(zip(masked, self.windows, strict=True))
                   if m != w.text]
        if changed:
            blanked = (self._vectors_of(
                [self._pieces(i, masked[i]) for i in changed]) @ exemplars.T).max(axis=1)
            best = best.copy()
            best[changed] = np.minimum(best[changed], blanked)
        return [float(x) for x in best]

    def _pieces(self, index: int, text: str) -> tuple[str, ...]:
        """Window ``index``'s embedding pieces, cut from ``text``: the window with some words
        blanked (the same length, so its halves sit where the window's do). A half with
        nothing blanked is the very text already embedded, so only changed halves cost time."""
        halves = self._halves[index]
        parts = [text] if len(halves) == 1 else [
            text[:len(halves[0])], text[len(text) - len(halves[1]):]]
        return tuple(re.sub(r"\s+", " ", part).strip() or "." for part in parts)

    def _vectors_of(self, windows_pieces: list[tuple[str, ...]]) -> Any:
        """One unit vector per window, from its pieces (the normalised sum of their vectors)."""
        embedder = self.context.embedder
        pieces = embedder.embed([text for halves in windows_pieces for text in halves])
        rows, at = [], 0
        for halves in windows_pieces:
            summed = pieces[at: at + len(halves)].sum(axis=0)
            rows.append(summed / max(float(np.linalg.norm(summed)), 1e-12))
            at += len(halves)
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)

    def _contrast(self, criterion: Criterion) -> list[float]:
        """Each window's best cosine with sentences that meet the criterion (``meets``, the
        exemplars and the example) minus its best cosine with the criterion's near misses: above
        zero when the window is closer to meeting it than to the ways of sounding close without
        meeting it. Zero for a criterion without near misses."""
        embedder = self.context.embedder
        positives = [*criterion.meets, *criterion.exemplars,
                     *([criterion.example_for(self.context.scenario)]
                       if criterion.example else [])]
        if embedder is None or not criterion.near_misses or not positives or not self.windows:
            return [0.0] * len(self.windows)
        vectors = self._window_vectors()
        near = (vectors @ embedder.embed(list(criterion.near_misses)).T).max(axis=1)
        best = (vectors @ embedder.embed(positives).T).max(axis=1)
        return [float(x) for x in best - near]

    def _scenario_similar(self, fields: tuple[str, ...]) -> list[float]:
        """Each window's best cosine with a scenario value (a pain, the alternative...)."""
        embedder = self.context.embedder
        values = [v for f in fields for v in self.context.field_values(f)]
        if embedder is None or not values or not self.windows:
            return [0.0] * len(self.windows)
        return [float(x) for x in (self._window_vectors() @ embedder.embed(values).T).max(axis=1)]

    def window_features(self, criterion: Criterion, extra_vague: tuple[str, ...] = ()
                        ) -> list[tuple[float, ...]]:
        """Per window, what each detector sees (``FEATURES[1:]`` in ``trainer.calibration``):
        a cue, the scenario's words, the exemplars' meaning, the scenario's meaning (where the
        sentence also meets ``require``), whether a vague or excluded phrase is there, and how
        much closer the window is to the exemplars than to the near misses."""
        if criterion.detector == "like" and criterion.like:
            target = self.drill.criterion(criterion.like)
            return self.window_features(target, extra_vague + criterion.vague)
        vague = [_FILLERS, *_compiled(criterion.vague + extra_vague, self.context)]
        own_vague = vague[1:]
        cues = [] if criterion.detector == "enumeration" else _compiled(criterion.cues,
                                                                         self.context)
        require = _compiled(criterion.require, self.context)
        exclude = _compiled(criterion.exclude, self.context)
        similarities = self._similar(criterion, extra_vague)
        scenario = self._scenario_similar(criterion.scenario_fields)
        contrast = self._contrast(criterion)
        rows: list[tuple[float, ...]] = []
        for window, similarity, meaning, closer in zip(self.windows, similarities, scenario,
                                                       contrast, strict=True):
            masked = _mask(window.text, vague)
            excluded = any(p.search(masked) for p in exclude)
            required = not require or any(p.search(masked) for p in require)
            ok = required and not excluded
            cue = ok and any(p.search(masked) for p in cues)
            overlap = ok and bool(criterion.scenario_fields) and _scenario_overlap(
                masked, self.context, criterion.scenario_fields)
            rows.append((float(cue), float(overlap), similarity, meaning if ok else 0.0,
                         float(any(p.search(window.text) for p in own_vague)),
                         float(excluded), closer))
        return rows

    def evidence(self, criterion: Criterion, extra_vague: tuple[str, ...] = ()) -> str | None:
        if criterion.needs and not any(
                self.evidence(self.drill.criterion(other)) for other in criterion.needs):
            return None  # e.g. a story's relevance needs a story to be relevant
        return self._evidence(criterion, extra_vague)

    def _evidence(self, criterion: Criterion, extra_vague: tuple[str, ...] = ()) -> str | None:
        if criterion.detector == "like" and criterion.like:
            target = self.drill.criterion(criterion.like)
            return self.evidence(target, extra_vague + criterion.vague)
        vague = [_FILLERS, *_compiled(criterion.vague + extra_vague, self.context)]
        if criterion.detector == "enumeration":
            return _detect_enumeration(criterion, self.sentences, vague, self.context)
        cues = _compiled(criterion.cues, self.context)
        require = _compiled(criterion.require, self.context)
        exclude = _compiled(criterion.exclude, self.context)
        similarities = self._similar(criterion, extra_vague)
        for window, similarity in zip(self.windows, similarities, strict=True):
            masked = _mask(window.text, vague)
            if any(p.search(masked) for p in exclude):
                continue
            if require and not any(p.search(masked) for p in require):
                continue
            for cue in cues:
                match = cue.search(masked)
                if match:
                    return _quote(window.text, match.start(), match.end())
            if criterion.scenario_fields and _scenario_overlap(
                    masked, self.context, criterion.scenario_fields):
                return _quote(window.text, 0, 0)
            if similarity >= criterion.similarity:
                return _quote(window.text, 0, 0)
        return None


# List parts that are not things to cover: the call's ending ("and by the end we decide...",
# "then next steps"), questions time, or an open end ("and we'll see").
_LIST_END = re.compile(
    r"\b(?:by the end|at the end|before we (?:hang up|wrap|finish)|(?:we|i) can wrap"
    r"|wrap(?:ping)? up|so we can|if (?:it|this|that|there's time|we have time))\b", re.IGNORECASE)
_NOT_ITEM = re.compile(
    r"^(?:(?:and |yeah |maybe |some |any |your |a few )*(?:questions?|q and a|q&a|next steps?)\b"
    r"|(?:we'll|we will|let's|we can|i'll|we'd) (?:see|go from there|take it from there)\b"
    r"|see (?:where|what|how) (?:it|things|that) (?:goes|go|lands?)"
    r"|(?:anything|whatever) (?:else )?(?:you|comes)"
    r"|you know$|so on$|stuff$|things$|whatever$)", re.IGNORECASE)


def _list_items(tail: str) -> list[str]:
    tail = re.split(r"[?!.]", tail, maxsplit=1)[0]
    tail = _LIST_END.split(tail, maxsplit=1)[0]
    items = []
    for part in _LIST_SPLIT.split(tail):
        words = [w for w in re.findall(r"[a-z0-9'&]+", part.lower()) if w not in _STOP_ITEMS]
        if words and not _NOT_ITEM.match(" ".join(words)):
            items.append(" ".join(words))
    return items


def _detect_enumeration(criterion: Criterion, sentences: list[Sentence],
                        vague: list[re.Pattern[str]], context: Context) -> str | None:
    # 1. A list after a cue in one sentence: "cover your process, the problems and pricing".
    cues = _compiled(criterion.cues, context)
    for sentence in sentences:
        masked = _mask(sentence.text, vague)
        for cue in cues:
            match = cue.search(masked)
            if match and len(_list_items(masked[match.end():])) >= criterion.min_items:
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


def judge(criterion: Criterion, sentences: list[Sentence], drill: Drill | None = None,
          context: Context | None = None) -> str | None:
    """The quoted evidence for ``criterion`` in ``sentences``, or ``None`` when missed."""
    owner = drill or Drill("", "", "", "", "", "", (0, 0), 0, (criterion,), Path())
    return _Judge(owner, sentences, context or Context()).evidence(criterion)


def _calibrated(judge_: _Judge, found: dict[str, str | None], models: dict[str, Any]
                ) -> dict[str, str | None]:
    """The plain judge's verdicts revised by the fitted per-criterion models (where one exists).

    A criterion the model newly credits quotes the window that carried the most weight; one
    it takes away loses its quote. A criterion that ``needs`` another, or is ``like`` another,
    is never met without it.
    """
    revised = dict(found)
    for criterion in judge_.drill.criteria:
        model = models.get(criterion.id)
        if model is None:
            continue
        rows = judge_.window_features(criterion)
        if model.met(found[criterion.id] is not None, rows):
            if found[criterion.id] is None and rows:
                best = model.best_window(rows)
                window = judge_.windows[best]
                revised[criterion.id] = _quote(window.text, 0, 0)
        else:
            revised[criterion.id] = None
    for criterion in judge_.drill.criteria:
        if criterion.needs and not any(revised[o] for o in criterion.needs):
            revised[criterion.id] = None
        if criterion.like and not revised[criterion.like]:
            revised[criterion.id] = None
    return revised


def judge_features(drill: Drill, transcript: str, scenario: Scenario | None, embedder: Any
                   ) -> dict[str, tuple[bool, list[tuple[float, ...]]]]:
    """For fitting the learned layer: per criterion, the plain judge's verdict and the
    per-window detector features (``_Judge.window_features``)."""
    text = normalise(transcript)
    judge_ = _Judge(drill, split_sentences(text), Context(scenario, embedder))
    return {c.id: (judge_.evidence(c) is not None, judge_.window_features(c))
            for c in drill.criteria}


def score_transcript(drill: Drill, transcript: str, scenario: Scenario | None = None,
                     embedder: Any = None) -> Scorecard:
    """Score a transcript against a drill's rubric.

    Args:
        drill: the rubric.
        transcript: what the seller said (speech-recognition text is fine).
        scenario: the prospect; criteria about relevance and the alternative need it.
        embedder: an ``Embedder`` for paraphrase matching; without one only cues count.

    Raises:
        EmptyTranscript: the transcript has no words.
    """
    text = normalise(transcript)
    if not re.search(r"\w", text):
        raise EmptyTranscript("The transcript is empty, so there is nothing to score.")
    judge_ = _Judge(drill, split_sentences(text), Context(scenario, embedder))
    models: dict[str, Any] = {}
    if embedder is not None:  # the learned layer was fitted with the embedder's features
        from trainer.calibration import models_for

        models = models_for(drill)
    judge_.prefetch(learned=bool(models))
    found = {c.id: judge_.evidence(c) for c in drill.criteria}
    if models:
        found = _calibrated(judge_, found, models)
    results = []
    for criterion in drill.criteria:
        evidence = found[criterion.id]
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
