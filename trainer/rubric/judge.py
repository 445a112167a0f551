"""The rubric judge (v2): a learned model that reads a criterion's meaning, not its keywords.

A criterion is text a sales manager writes: its name and definition, a few sentences that meet
it, a few near misses that sound close but don't, and the scenario facts it depends on (the
prospect's pains, the alternative, our offering, who the prospect is). The transcript is cut
into overlapping windows of a sentence or two (a run-on from speech recognition is cut by
words). Each window is embedded once by the judge's encoder (all-MiniLM-L6-v2 fine-tuned on
the labelled corpus, ``assets/models/judge-encoder.onnx``); for each criterion the judge
compares the window's meaning with the criterion's texts and the scenario's facts, and a small
learned head (``assets/models/judge-head.onnx``) turns those comparisons into the probability
that the window meets the criterion. Both are trained by ``tools/train_judge.py``; a criterion
the head was trained on also has a learned vector, used only while its name and definition are
unchanged (``criterion_key``), so an edited or new criterion is judged from its words alone.

The transcript meets a criterion when its best window does; the evidence is that window's
verbatim words, so every point still quotes the seller. The transcript is also read as a
speech recogniser writes it (lowercase, no punctuation), and the two best windows' logits are
averaged (``LOWERCASE_WEIGHT``), so capitals and full stops sway a verdict less. A criterion
the judge was calibrated for then has its offset added (``trainer.rubric.calibration``:
where its line between met and unmet sits on text by hands it never trained on). Nothing is
random or learned at run time: the same transcript, scenario and drill give the same verdicts.

Two small detectors are facts of language, not tuning, and the model sees them as inputs: a
number, percentage, duration or money amount (for criteria that ask for one), and price words
(for criteria that are about going beyond price).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from trainer.common import paths
from trainer.common.errors import ModelMissing
from trainer.common.textnorm import clean_text
from trainer.rubric.calibration import Calibration
from trainer.rubric.embeddings import DIMENSIONS

FloatArray = npt.NDArray[np.float32]

HEAD_MODEL = Path("models") / "judge-head.onnx"
ENCODER_MODEL = Path("models") / "judge-encoder.onnx"
MAX_TOKENS = 64  # as the encoder was trained (tools/train_judge.py)
FACT_KINDS = ("pains", "alternative", "offering", "prospect")
DETECTORS = ("quantity", "price")

# Words a speaker says while thinking; they carry no meaning a coach would credit.
_FILLERS = frozenset({"um", "uh", "uhm", "umm", "erm", "er", "hmm", "mm", "ah", "eh"})
# A full stop after these does not end a sentence ("St. Luke's", "Dr. Patel", "Acme Inc. is").
_ABBREVIATIONS = frozenset({
    "st", "dr", "mr", "mrs", "ms", "jr", "sr", "inc", "co", "corp", "ltd", "llc", "vs", "etc",
    "no", "approx", "dept", "mt", "ft", "prof", "gen", "u.s", "e.g", "i.e", "a.m", "p.m",
})
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n+")
_WORD = re.compile(r"\S+")
_MAX_SENTENCE_WORDS = 30
_CHUNK_WORDS = 20
_CHUNK_STRIDE = 10
_MAX_PAIR_WORDS = 45
# Share of a verdict's logit that comes from reading the transcript as a speech recogniser
# writes it (lowercase, no punctuation); see ``Judge``. 0 reads the words as written only.
LOWERCASE_WEIGHT = 0.5
_NOT_HEARD = re.compile(r"[^\w\s'%$€£]")

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|half|a third|a quarter|dozen|double|"
    r"twice|triple|tripled|doubled|halved)"
)
_UNITS = (
    r"(?:percent|per cent|%|points?|x|times|fold|days?|weeks?|months?|years?|hours?|minutes?|"
    r"seconds?|shifts?|dollars?|euros?|pounds?|bucks|grand|k|m|bn|people|staff|hires|"
    r"customers?|clients?|sites?|stores?|locations?|units?|orders?|calls?|tickets?|claims?|"
    r"beds?|patients?|trucks?|loads?|invoices?)"
)
_QUANTITY = re.compile(
    r"(?:[$€£]\s?\d|\d+(?:[.,]\d+)?\s?(?:%|k\b|m\b|bn\b)|\b\d+(?:[.,]\d+)?\s*" + _UNITS + r"\b"
    r"|\b" + _NUMBER_WORDS + r"(?:[\s-]+" + _NUMBER_WORDS + r")*\s+" + _UNITS + r"\b"
    r"|\b(?:doubled|tripled|halved|cut in half)\b|\b\d{2,}\b)",
    re.IGNORECASE,
)
_PRICE = re.compile(
    r"\b(?:price[sd]?|pricing|cheaper|cheapest|cost(?:s|ing)?|less expensive|discount(?:s|ed)?|"
    r"fee[s]?|budget|afford(?:able)?|per (?:seat|user|licen[cs]e|month)|save money|"
    r"lower (?:price|cost|rate)|rates?)\b",
    re.IGNORECASE,
)


def has_quantity(text: str) -> bool:
    """A number, percentage, duration, count or money amount is said ("18%", "two weeks",
    "$40k", "three hundred claims", "doubled")."""
    return bool(_QUANTITY.search(text))


def mentions_price(text: str) -> bool:
    """Price, cost or discount words are said."""
    return bool(_PRICE.search(text))


class Embeds(Protocol):
    """What the judge needs of a sentence model (``trainer.rubric.embeddings.Embedder``)."""

    def embed(self, sentences: list[str]) -> FloatArray: ...

    def prefetch(self, sentences: list[str], background: bool = False) -> None: ...


@dataclass(frozen=True)
class Window:
    """A stretch of the transcript: ``text`` is verbatim (``start``/``end`` index the
    prepared transcript); ``plain`` is what the model reads (fillers and stutters removed)."""

    text: str
    start: int
    end: int
    plain: str


@dataclass(frozen=True)
class CriterionText:
    """Everything the judge reads about one criterion."""

    id: str
    name: str
    definition: str
    meets: tuple[str, ...]
    near_misses: tuple[str, ...]
    uses: tuple[str, ...] = ()
    detector: str | None = None
    key: str = ""  # "drill/criterion": where the criterion lives (its learned vector's name)

    @property
    def description(self) -> str:
        return f"{self.name}: {self.definition}"


def criterion_key(criterion: CriterionText) -> str:
    """``drill/criterion`` plus a digest of its name and definition: what the judge learned
    about a criterion from labelled examples applies only while its words are unchanged (an
    edited or new criterion is judged from its text alone)."""
    words = " ".join(f"{criterion.name} {criterion.definition}".lower().split())
    return f"{criterion.key}#{hashlib.sha256(words.encode('utf-8')).hexdigest()[:12]}"


def prepare(transcript: str) -> str:
    """The transcript as the judge quotes it: invisible characters gone, spaces collapsed."""
    return " ".join(clean_text(transcript).split())


def plain_words(text: str) -> str:
    """What the model reads of a stretch of speech: fillers and immediate repeats ("we we",
    "the the") dropped, so a stammer never changes a verdict."""
    words: list[str] = []
    previous = ""
    for word in text.split():
        bare = word.strip(",.;:!?\"'()-").lower()
        if bare in _FILLERS:
            continue
        if bare and bare == previous:
            continue
        words.append(word)
        previous = bare
    return " ".join(words)


def recogniser_view(text: str) -> str:
    """The words as a speech recogniser may write them: lowercase, no punctuation but
    apostrophes and the signs of numbers (``%``, currencies)."""
    return " ".join(_NOT_HEARD.sub(" ", text.lower()).split())


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start:match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if match.group().startswith(".") and (last in _ABBREVIATIONS or len(last) == 1):
            continue  # "St. Luke's", "J. Smith": not the end of a sentence
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _pieces(text: str) -> list[list[tuple[int, int]]]:
    """Sentences as lists of word spans; a run-on sentence is cut into overlapping chunks."""
    pieces: list[list[tuple[int, int]]] = []
    for start, end in _sentence_spans(text):
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
        if not words:
            continue
        if len(words) <= _MAX_SENTENCE_WORDS:
            pieces.append(words)
            continue
        for first in range(0, len(words), _CHUNK_STRIDE):
            pieces.append(words[first:first + _CHUNK_WORDS])
            if first + _CHUNK_WORDS >= len(words):
                break
    return pieces


def split_windows(transcript: str) -> list[Window]:
    """Overlapping windows of a prepared transcript: each sentence (or chunk of a run-on)
    and each pair of neighbouring sentences, so a point made across two sentences is seen."""
    text = prepare(transcript)
    pieces = _pieces(text)
    spans: list[tuple[int, int]] = [(p[0][0], p[-1][1]) for p in pieces]
    for left, right in zip(pieces, pieces[1:], strict=False):
        if left[-1][1] <= right[0][0] and len(left) + len(right) <= _MAX_PAIR_WORDS:
            spans.append((left[0][0], right[-1][1]))
    windows: list[Window] = []
    seen: set[tuple[int, int]] = set()
    for start, end in spans:
        if (start, end) in seen:
            continue
        seen.add((start, end))
        chunk = text[start:end]
        plain = plain_words(chunk)
        if plain:
            windows.append(Window(chunk, start, end, plain))
    return windows


def scenario_facts(scenario: Any, uses: Iterable[str]) -> dict[str, list[str]]:
    """The scenario's facts of each kind a criterion uses, as short sentences."""
    if scenario is None:
        return {}
    company: Mapping[str, Any] = getattr(scenario, "company", {}) or {}
    prospect: Mapping[str, Any] = getattr(scenario, "prospect", {}) or {}

    def text(value: Any) -> str:
        return value.strip() if isinstance(value, str) else ""

    facts: dict[str, list[str]] = {}
    for kind in uses:
        if kind == "pains":
            values = [text(p) for p in prospect.get("pains", [])]
        elif kind == "alternative":
            values = [text(prospect.get("alternative"))]
        elif kind == "offering":
            values = [text(company.get("offering")),
                      *(text(v) for v in company.get("value_points", [])),
                      *(text(v) for v in company.get("differentiators", []))]
        elif kind == "prospect":
            role, firm = text(prospect.get("role")), text(prospect.get("company"))
            industry = text(prospect.get("industry"))
            values = [firm, f"{industry} {role}".strip()]
            if role and industry:
                values.append(f"a {role} in {industry}")
        else:
            continue
        facts[kind] = [v for v in values if v]
    return facts


def feature_size() -> int:
    return DIMENSIONS + 7 + 2 * len(FACT_KINDS) + 3 * len(DETECTORS) + 1


def _top(sims: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """Per row: the best similarity and the mean of the best ``k`` (zeros if no columns)."""
    if sims.shape[1] == 0:
        zero = np.zeros(sims.shape[0], dtype=np.float32)
        return zero, zero
    ordered = -np.sort(-sims, axis=1)
    return ordered[:, 0], ordered[:, :k].mean(axis=1)


def window_features(window_vectors: FloatArray, windows: Sequence[Window],
                    criterion: CriterionText, criterion_vectors: Mapping[str, FloatArray],
                    fact_vectors: Mapping[str, FloatArray]) -> FloatArray:
    """The model's input for each window against one criterion (rows: windows).

    ``criterion_vectors`` holds ``description`` (1 row), ``meets`` and ``near_misses``;
    ``fact_vectors`` one matrix per fact kind the criterion uses. Only comparisons and the
    criterion's own text enter, never its id, so a criterion the model never saw is judged
    from its words alone.
    """
    n = len(windows)
    description = criterion_vectors["description"][0]
    meets = window_vectors @ criterion_vectors["meets"].T
    near = window_vectors @ criterion_vectors["near_misses"].T
    meet_best, meet_top = _top(meets, 2)
    near_best, near_top = _top(near, 2)
    columns: list[FloatArray] = [
        window_vectors * description,
        (window_vectors @ description)[:, None],
        meet_best[:, None], meet_top[:, None], near_best[:, None], near_top[:, None],
        (meet_best - near_best)[:, None],
        np.full((n, 1), 1.0 if criterion.meets else 0.0, dtype=np.float32),
    ]
    for kind in FACT_KINDS:
        used = kind in criterion.uses and kind in fact_vectors and len(fact_vectors[kind]) > 0
        best = (window_vectors @ fact_vectors[kind].T).max(axis=1) if used else np.zeros(n)
        columns.append(np.full((n, 1), 1.0 if used else 0.0, dtype=np.float32))
        columns.append(np.asarray(best, dtype=np.float32)[:, None])
    for name, detect in (("quantity", has_quantity), ("price", mentions_price)):
        asks = 1.0 if criterion.detector == name else 0.0
        found = np.array([1.0 if detect(w.text) else 0.0 for w in windows], dtype=np.float32)
        columns += [np.full((n, 1), asks, dtype=np.float32), found[:, None],
                    (found * asks)[:, None]]
    length = np.array([min(len(w.plain.split()), 60) / 30.0 for w in windows],
                      dtype=np.float32)
    columns.append(length[:, None])
    return np.concatenate(columns, axis=1).astype(np.float32)


@dataclass(frozen=True)
class Verdict:
    """One criterion's verdict: the best window's probability and its verbatim words."""

    met: bool
    probability: float
    evidence: str | None
    logit: float = 0.0  # before calibration (what ``tools/calibrate_judge.py`` fits on)


class Head(Protocol):
    def index(self, key: str) -> int: ...

    def __call__(self, features: FloatArray, vectors: FloatArray, criterion: int
                 ) -> FloatArray: ...


class OnnxHead:
    """The learned head (``assets/models/judge-head.onnx``): window features, the window's
    vector and the criterion's row -> logit. Its metadata lists the criteria it learned a
    vector for (``criterion_key``); any other criterion gets the zero row, so it is judged
    from its words alone."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.assets_dir() / HEAD_MODEL
        self._session: Any = None
        self._index: dict[str, int] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            if not self.path.is_file():
                raise ModelMissing(
                    "The scoring model is missing from the app's files; reinstall the app.")
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"])
            keys = json.loads(session.get_modelmeta().custom_metadata_map.get("criteria", "[]"))
            self._index = {key: i for i, key in enumerate(keys)}
            self._session = session

    def index(self, key: str) -> int:
        self.load()
        return self._index.get(key, len(self._index))

    def __call__(self, features: FloatArray, vectors: FloatArray, criterion: int
                 ) -> FloatArray:
        self.load()
        if len(features) == 0:
            return np.zeros(0, dtype=np.float32)
        feeds = {"features": features.astype(np.float32),
                 "vectors": vectors.astype(np.float32),
                 "criterion": np.full(len(features), criterion, dtype=np.int64)}
        out = self._session.run(None, feeds)[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)


def judge_encoder(folder: Path | None = None) -> Any:
    """The judge's encoder: all-MiniLM-L6-v2 fine-tuned on the labelled corpus
    (``assets/models/judge-encoder.onnx``, or the one in ``folder``), run like the sentence
    model."""
    from trainer.rubric.embeddings import Embedder

    model = folder / ENCODER_MODEL.name if folder else paths.assets_dir() / ENCODER_MODEL
    return Embedder(model=model, max_tokens=MAX_TOKENS)


def _criterion_sentences(criterion: CriterionText) -> dict[str, list[str]]:
    """What the judge embeds of a criterion itself (the scenario's facts come apart)."""
    return {"description": [criterion.description], "meets": list(criterion.meets),
            "near_misses": list(criterion.near_misses)}


class Judge:
    """Judges transcripts against criteria written as text.

    Args:
        encoder: turns windows and the criterion's sentences into vectors (it caches them,
            so a window judged while the seller spoke is not embedded again at Stop); the
            shipped fine-tuned encoder by default.
        head: the learned head; the shipped ONNX model by default.
        lowercase_weight: the share of each logit that comes from the heard reading.
        calibration: each criterion's offset (``trainer.rubric.calibration``); by default
            the shipped one with the shipped head, none with a head given (the offsets belong
            to the head they were fitted for).
    """

    def __init__(self, encoder: Embeds | None = None, head: Head | None = None,
                 lowercase_weight: float = LOWERCASE_WEIGHT,
                 calibration: Calibration | None = None) -> None:
        self.encoder: Embeds = encoder or judge_encoder()
        self.head: Head = head or OnnxHead()
        self.lowercase_weight = lowercase_weight
        self.calibration = calibration or (Calibration() if head is None
                                           else Calibration.none())
        self.loaded = False  # ``load`` has run: warming up in the background costs no load

    @classmethod
    def from_folder(cls, folder: Path, lowercase_weight: float = LOWERCASE_WEIGHT,
                    calibrated: bool = True) -> Judge:
        """A judge with the model files a training run wrote to ``folder`` (to measure a
        candidate before it replaces the shipped one), and the folder's calibration if it
        has one and ``calibrated``."""
        return cls(judge_encoder(folder), OnnxHead(folder / HEAD_MODEL.name), lowercase_weight,
                   Calibration.beside(folder) if calibrated else Calibration.none())

    def heard_windows(self, transcript: str) -> list[Window]:
        """The windows of the transcript as a recogniser writes it (none when it already
        reads that way, or when the judge reads the words as written only)."""
        if not self.lowercase_weight:
            return []
        written = prepare(transcript)
        heard = recogniser_view(written)
        return split_windows(heard) if heard != written else []

    def load(self) -> float:
        """Load both models now (otherwise on first use); returns the seconds it took."""
        started = time.perf_counter()
        load = getattr(self.encoder, "load", None)
        if load is not None:
            load()
        self.head.index("")
        self.calibration.offsets()
        self.loaded = True
        return time.perf_counter() - started

    def criterion_vectors(self, criterion: CriterionText) -> dict[str, FloatArray]:
        return {key: self._embed(values) for key, values in _criterion_sentences(criterion).items()}

    def _embed(self, sentences: list[str]) -> FloatArray:
        if not sentences:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.asarray(self.encoder.embed(sentences), dtype=np.float32)

    def prefetch(self, transcript: str) -> None:
        """Start embedding the transcript's windows now (while the seller is still talking),
        so judging it later only embeds what was said since."""
        windows = split_windows(transcript) + self.heard_windows(transcript)
        if windows:  # one core: the other is the speech model's while the seller talks
            self.encoder.prefetch([w.plain for w in windows], background=True)

    def prefetch_criteria(self, criteria: Sequence[CriterionText], scenario: Any) -> None:
        """Start embedding what the judge reads about ``criteria`` (their words, examples and
        the scenario's facts they use) in the background, when a take starts, so the first
        scorecard of a session does not wait for them."""
        sentences: list[str] = []
        for criterion in criteria:
            for values in _criterion_sentences(criterion).values():
                sentences += values
            for values in scenario_facts(scenario, criterion.uses).values():
                sentences += values
        if sentences:
            self.encoder.prefetch(sentences, background=True)

    def judge(self, transcript: str, criteria: Sequence[CriterionText], scenario: Any
              ) -> dict[str, Verdict]:
        """Each criterion's verdict on the transcript (its best window decides).

        The transcript is read twice, as written and as a recogniser writes it (lowercase, no
        punctuation, so cut into windows by words), and the verdict's logit is the weighted
        mean of the two best windows' (``lowercase_weight``). Capitals and full stops then
        sway a verdict less: the same answer with and without them gets the same verdict more
        often. The evidence is always the best window as written, so a point quotes the
        seller's words as they were said."""
        windows = split_windows(transcript)
        verdicts: dict[str, Verdict] = {}
        if not windows:
            return {c.id: Verdict(False, 0.0, None) for c in criteria}
        heard = self.heard_windows(transcript)
        texts = [w.plain for w in windows + heard]
        for criterion in criteria:
            texts += [criterion.description, *criterion.meets, *criterion.near_misses]
            for values in scenario_facts(scenario, criterion.uses).values():
                texts += values
        self.encoder.prefetch(texts)
        vectors = self._embed([w.plain for w in windows])
        heard_vectors = self._embed([w.plain for w in heard])
        for criterion in criteria:
            facts = {kind: self._embed(values)
                     for kind, values in scenario_facts(scenario, criterion.uses).items()}
            described = self.criterion_vectors(criterion)
            name = criterion_key(criterion)
            key = self.head.index(name)
            logits = self.head(window_features(vectors, windows, criterion, described, facts),
                               vectors, key)
            best = int(np.argmax(logits))
            logit = float(logits[best])
            if heard:
                heard_logits = self.head(
                    window_features(heard_vectors, heard, criterion, described, facts),
                    heard_vectors, key)
                logit += self.lowercase_weight * (float(np.max(heard_logits)) - logit)
            calibrated = logit + self.calibration.offset(name)
            probability = float(1.0 / (1.0 + np.exp(-calibrated)))
            met = bool(calibrated >= 0.0)
            verdicts[criterion.id] = Verdict(met, probability,
                                             windows[best].text if met else None, logit)
        return verdicts
