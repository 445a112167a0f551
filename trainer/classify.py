"""Feature or benefit? The judge behind the card game and ``trainer classify``.

A feature says what the product is, has or does; a benefit says what the customer gains.
Sellers default to features, and features do not differentiate, so the card game trains the
ear. The judge combines two signals, both explainable:

- Language cues: a benefit speaks of the customer's gain ("your controllers close three days
  sooner", "you stop losing weekend sales"); a feature names a capability, component,
  integration, certification or price ("integrates with SAP", "has a mobile app").
- Meaning: the sentence's embedding compared with the centroids of labelled benefit and
  feature statements (the ``tune`` part of the labelled corpus and the card deck, shipped as
  data, never the held-out part).

A statement is judged by what it *leads with*: "the engine matches 90% of lines, so your team
only touches exceptions" is a feature with a benefit tacked on. So the cues and the meaning are
measured on the whole statement and on its lead clause (the words before "so", "which means",
"because"...). With an embedder, the signals are weighed by a logistic model fitted on the same
tuning statements (``trainer.calibration``, stored in ``drills/calibration.json``); without one,
or without that file, by the hand weights below.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainer import paths
from trainer.embeddings import Embedder
from trainer.errors import EmptyTranscript
from trainer.textnorm import clean_text

_BENEFIT_CUES = (
    r"\b(?:you|your|you're|you'll|you'd|they|their|teams?|managers?|customers?)\b[^.]{0,60}\b(?:"
    r"save|saves|saving|stop|stops|never|no longer|avoid|avoids|spend less|get back|gets back|"
    r"hours back|faster|sooner|earlier|fewer|less time|lose less|stop losing|keep|keeps|win|wins|"
    r"grow|grows|protect|sleep|worry|confidence|confident|on time|in stock|home|weekends?|"
    r"instead of|without (?:chasing|waiting|calling|the)|out the door|walk(?:s)? into|"
    r"close(?:s)? the|"
    r"hit|meet|pass|catch|recover|cut|cuts|reduce|reduces|lower|drop|drops|climbs?|rises?|"
    r"goes up|improves?|more (?:sales|revenue|"
    r"time|margin|profit|deals))\b",
    r"\b(?:so (?:you|your)|which means|that means|means (?:you|your)|so that (?:you|your)|"
    r"so (?:they|the team|managers|nurses|staff))\b",
)
_FEATURE_CUES = (
    r"\b(?:has|have|includes?|comes with|integrates?|supports?|uses?|runs on|is built on|built on|"
    r"offers?|provides?|features?|ships? with|is (?:certified|compliant|encrypted|hosted)|"
    r"is available|connects? to|syncs?|exports?|generates?|allows?|lets|enables?|updates?|"
    r"(?:is|are) (?:built|pushed|sent|stored|synced|updated|checked|logged|included|available|"
    r"scheduled|routed|matched|assigned|flagged|shown|displayed|tracked)|"
    r"arrives?|runs? in|clicks?|within \w+ (?:minutes|seconds|hours))\b",
    r"\b(?:api|apis|dashboards?|modules?|integrations?|sensors?|encrypt\w*|aes|sso|soc ?2|iso|"
    r"hipaa|gdpr|certified|mobile app|app|ai|machine learning|algorithm\w*|real[- ]time|cloud|"
    r"templates?|reports?|plug[- ]?in|per (?:seat|user|month|bed|store)|pricing|price|\$\s?\d|"
    r"uptime|sla|version|configurable|customi[sz]able|drag[- ]and[- ]drop|interface|ui|"
    r"powered|driven|best[- ]in[- ]class|robust|powerful|flexible|easy to use|intuitive)\b",
)
_YOU_GET = re.compile(r"\byou (?:get|have|receive)\b(?! (?:back|to|home|more time|hours))",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    label: str  # "feature" | "benefit"
    confidence: float
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": round(self.confidence, 3), "why": self.why}


def _training_statements() -> list[tuple[str, str]]:
    """Labelled statements the centroids are built from (tune split + the card deck)."""
    statements: list[tuple[str, str]] = []
    deck = paths.drills_dir() / "cards.json"
    if deck.exists():
        for card in json.loads(deck.read_text(encoding="utf-8")).get("cards", []):
            statements.append((card["statement"], card["label"]))
            if card.get("model_benefit"):
                statements.append((card["model_benefit"], "benefit"))
    corpus = paths.drills_dir() / "feature_benefit_examples.jsonl"
    if corpus.exists():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                statements.append((item["text"], item["label"]))
    return statements


_LEAD_SPLIT = re.compile(
    r"(?:,|\s-)?\s+(?:so that|so|which means|which lets|which|meaning|that means|and that means|"
    r"and so|and it's|and it is|because|thanks to|all (?:driven|powered) by)\s+", re.IGNORECASE)
_LEAD_YOU = re.compile(r"^(?:\W*\w+,\s*)?(?:you|your|you're|you'll|they|their|teams?|managers?|"
                       r"customers?|staff|nurses|stores?|controllers?|the (?:team|customer)s?)\b",
                       re.IGNORECASE)
_LEAD_THING = re.compile(r"^(?:\W*\w+,\s*)?(?:the|our|it|it's|its|each|every|a|an|there's|"
                         r"there is|we)\b", re.IGNORECASE)
FB_FEATURES = ("margin", "lead_margin", "lead_benefit", "lead_feature", "benefit", "feature",
               "you_get", "lead_you", "lead_thing", "order")


def lead_clause(text: str) -> str:
    """What the statement leads with: the words before "so", "which means", "because"..."""
    for match in _LEAD_SPLIT.finditer(text):
        if len(text[: match.start()].split()) >= 3:
            return text[: match.start()]
    return text


def _hits(patterns: tuple[str, ...], text: str) -> list[str]:
    return [m.group(0) for p in patterns for m in [re.search(p, text, re.IGNORECASE)] if m]


class FeatureBenefitJudge:
    """Classifies one statement as a feature or a benefit, with a reason.

    Args:
        embedder: sentence embedder (shared with the rubric judge); None = cues only.
        examples: labelled (text, label) pairs for the centroids; defaults to the shipped data.
    """

    def __init__(self, embedder: Embedder | None = None,
                 examples: list[tuple[str, str]] | None = None,
                 model: Any = "shipped") -> None:
        self.embedder = embedder
        self.examples = examples if examples is not None else _training_statements()
        self._centroids: tuple[np.ndarray, np.ndarray] | None = None
        # The learned weights (trainer.calibration) need the embedder's margins.
        if model == "shipped":
            from trainer.calibration import feature_benefit_model

            model = feature_benefit_model() if embedder is not None else None
        self.model = model

    def _centroid_margin(self, text: str) -> float:
        if self.embedder is None or not self.examples:
            return 0.0
        if self._centroids is None:
            vectors = self.embedder.embed([t for t, _ in self.examples])
            benefit = np.array([label == "benefit" for _, label in self.examples])
            self._centroids = (vectors[benefit].mean(axis=0), vectors[~benefit].mean(axis=0))
        vector = self.embedder.embed([text])[0]
        benefit_c, feature_c = self._centroids
        return float(vector @ benefit_c - vector @ feature_c)

    def features(self, text: str) -> list[float]:
        """``FB_FEATURES`` of one statement (for the learned weights)."""
        clean = " ".join(text.split())
        lead = lead_clause(clean)
        benefit_hits = _hits(_BENEFIT_CUES, clean)
        feature_hits = _hits(_FEATURE_CUES, clean)
        first_benefit = min((clean.lower().find(h.lower()) for h in benefit_hits), default=-1)
        first_feature = min((clean.lower().find(h.lower()) for h in feature_hits), default=-1)
        order = 0.0
        if first_benefit >= 0 and first_feature >= 0:
            order = 1.0 if first_benefit < first_feature else -1.0
        return [
            self._centroid_margin(clean),
            self._centroid_margin(lead) if lead != clean else self._centroid_margin(clean),
            float(len(_hits(_BENEFIT_CUES, lead))),
            float(len(_hits(_FEATURE_CUES, lead))),
            float(len(benefit_hits)),
            float(len(feature_hits)),
            float(bool(_YOU_GET.search(clean))),
            float(bool(_LEAD_YOU.search(lead))),
            float(bool(_LEAD_THING.search(lead)) and not _LEAD_YOU.search(lead)),
            order,
        ]

    def classify(self, text: str, context: str | None = None) -> Verdict:
        clean = " ".join(clean_text(text).split())  # invisible characters removed (issue 14)
        if not re.search(r"\w", clean):
            raise EmptyTranscript("The statement is empty, so there is nothing to classify.")
        benefit_hits = [m.group(0) for p in _BENEFIT_CUES
                        for m in [re.search(p, clean, re.IGNORECASE)] if m]
        feature_hits = [m.group(0) for p in _FEATURE_CUES
                        for m in [re.search(p, clean, re.IGNORECASE)] if m]
        you_get = bool(_YOU_GET.search(clean))
        margin = self._centroid_margin(clean)
        logit = 12.0 * margin + 1.2 * len(benefit_hits) - 0.9 * len(feature_hits)
        if you_get:
            logit -= 1.5  # "you get a dashboard" is a feature phrased at the customer
        # A sentence is judged by what it leads with: "the engine matches 90% of lines, so
        # your team..." is a feature with a benefit tacked on, and the other way round.
        first_benefit = min((clean.lower().find(h.lower()) for h in benefit_hits), default=-1)
        first_feature = min((clean.lower().find(h.lower()) for h in feature_hits), default=-1)
        if first_benefit >= 0 and first_feature >= 0:
            logit += 0.8 if first_benefit < first_feature else -0.8
        if self.model is not None:
            logit = self.model.logit(self.features(clean))
        label = "benefit" if logit > 0 else "feature"
        confidence = 1.0 / (1.0 + math.exp(-abs(logit)))
        if label == "benefit":
            why = ("It says what the customer gains"
                   + (f" (\"{benefit_hits[0].strip()}\")" if benefit_hits else "") + ".")
        else:
            why = ("It describes what the product is, has or does"
                   + (f" (\"{feature_hits[-1].strip()}\")" if feature_hits else "")
                   + "; say what that changes for the customer to make it a benefit.")
        return Verdict(label, confidence, why)


def load_examples(path: Path) -> list[tuple[str, str]]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(i["text"], i["label"]) for i in items]
