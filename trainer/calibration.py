"""The learned layer over the rubric judge: one small logistic model per criterion.

The plain judge (``trainer.scoring``) decides each criterion with hand-written rules: a cue
pattern, the scenario's words, or an exemplar sentence close enough in meaning. Each rule is a
hard threshold chosen by hand. This layer weighs the same evidence instead, with weights fitted
on the *tuning* part of the labelled corpus only:

    rule      the plain judge's verdict (1/0)
    cue       a cue pattern matched in some window (after vague phrases are blanked)
    overlap   some window names the scenario's own words (pains, alternative...)
    exemplar  the best cosine between a window and the criterion's exemplar sentences
    scenario  the best cosine between a window (one that meets ``require``) and a scenario value
    vague     a vague phrase of the criterion was said
    excluded  an excluded phrase was said
    contrast  how much closer a window is to sentences that meet the criterion (its ``meets``,
              exemplars and example) than to its near misses (sentences that sound close but
              do not meet it); 0 without near misses

Every window feature is max-pooled over the transcript; the model is a logistic regression on
the standardised features (L2-regularised, class-balanced, fitted by Newton's method: no
randomness, the same data give the same weights). A criterion the model credits quotes the
plain judge's evidence, or else the window with the highest weighted score: the words that
carried the most weight.

Models are data: ``drills/calibration.json``, written by ``uv run python -m trainer.calibration
fit`` (or ``python -m trainer.bench fit``). A criterion gets a model only when the model beats
the plain judge in 5-fold cross-validation on the tuning part; any other criterion, and any drill
without tuning data (or a drill folder without the file), is judged by the plain rules. The layer
is used only with an embedder, because two of its features are meanings.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.drills import Drill

FEATURES = ("rule", "cue", "overlap", "exemplar", "scenario", "vague", "excluded", "contrast")
# Window features (``_Judge.window_features``) are FEATURES[1:], in this order.
VERSION = 1
FILE_NAME = "calibration.json"
FOLDS = 5
LAMBDAS = (0.3, 1.0, 3.0, 10.0, 30.0)
MARGIN = 0.01  # a model must beat the plain judge by this much (balanced accuracy) to ship

Array = npt.NDArray[np.float64]


def transcript_features(rule: bool, rows: Sequence[Sequence[float]]) -> list[float]:
    pooled = np.max(np.asarray(rows, dtype=np.float64), axis=0) if len(rows) else np.zeros(
        len(FEATURES) - 1)
    return [float(rule), *(float(x) for x in pooled)]


@dataclass(frozen=True)
class Model:
    """A fitted logistic model for one criterion."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def logit(self, x: Sequence[float]) -> float:
        z = (np.asarray(x) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(z @ np.asarray(self.weights) + self.bias)

    def met(self, rule: bool, rows: Sequence[Sequence[float]]) -> bool:
        return self.logit(transcript_features(rule, rows)) > 0

    def best_window(self, rows: Sequence[Sequence[float]]) -> int:
        """The window whose features add the most to the score (positive weights only)."""
        w = np.clip(np.asarray(self.weights[1:]) / np.asarray(self.scale[1:]), 0, None)
        scores = np.asarray(rows, dtype=np.float64) @ w
        return int(np.argmax(scores))  # first of equals: deterministic

    def to_json(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return cls(tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   float(data["bias"]))


@lru_cache(maxsize=8)
def _load(path: Path, stamp: float) -> dict[str, dict[str, Model]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION or list(data.get("features", [])) != list(FEATURES):
            return {}
        return {drill: {cid: Model.from_json(m) for cid, m in criteria.items()}
                for drill, criteria in data.get("models", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # a damaged file means no learned layer, never a crash


def models_for(drill: Drill) -> dict[str, Model]:
    """The fitted models for ``drill``'s criteria, from ``calibration.json`` beside its file."""
    source = drill.source
    if not source.name or not source.is_file():
        return {}
    path = source.parent / FILE_NAME
    if not path.is_file():
        return {}
    models = _load(path, path.stat().st_mtime).get(drill.id, {})
    ids = {c.id for c in drill.criteria}
    return {cid: m for cid, m in models.items() if cid in ids}


# -- fitting --------------------------------------------------------------------------------------

def fit_logistic(x: Array, y: Array, lam: float, iterations: int = 50) -> Model:
    """L2-regularised, class-balanced logistic regression by Newton's method."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    positives = max(float(y.sum()), 1.0)
    negatives = max(float(len(y) - y.sum()), 1.0)
    sample = np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * negatives))
    penalty = np.full(z.shape[1], lam)
    penalty[-1] = 1e-6
    beta = np.zeros(z.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        gradient = z.T @ (sample * (p - y)) + penalty * beta
        hessian = (z * (sample * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return Model(tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                 tuple(float(v) for v in beta[:-1]), float(beta[-1]))


def balanced_accuracy(truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    tn = sum(not t and not p for t, p in zip(truth, predicted, strict=True))
    fp = sum(not t and p for t, p in zip(truth, predicted, strict=True))
    tpr = tp / (tp + fn) if tp + fn else 1.0
    tnr = tn / (tn + fp) if tn + fp else 1.0
    return (tpr + tnr) / 2


def _fold(index: int) -> int:
    return index % FOLDS


def collect(drill_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Features and labels of every tuning item, per drill and criterion."""
    from trainer.drills import DrillLibrary
    from trainer.embeddings import Embedder
    from trainer.evaluation import CORPUS_DIR, load_corpus
    from trainer.scoring import judge_features

    library = DrillLibrary()
    embedder = Embedder()
    known = {d.id for d in library.drills()}
    wanted = drill_ids or sorted(p.stem for p in CORPUS_DIR.glob("*.jsonl")
                                 if p.stem in known)
    out: dict[str, dict[str, Any]] = {}
    for drill_id in wanted:
        drill = library.drill(drill_id)
        items = load_corpus(drill_id, "tune")
        per: dict[str, Any] = {c.id: {"x": [], "y": [], "rule": []} for c in drill.criteria}
        for item in items:
            scenario = library.scenario(item["scenario"]) if item.get("scenario") else None
            feats = judge_features(drill, item["transcript"], scenario, embedder)
            for cid, (rule, rows) in feats.items():
                if cid not in item["labels"]:
                    continue
                per[cid]["x"].append(transcript_features(rule, rows))
                per[cid]["y"].append(bool(item["labels"][cid]))
                per[cid]["rule"].append(rule)
        out[drill_id] = {cid: v for cid, v in per.items() if v["y"]}
    return out


def cross_validate(x: Array, y: Array, lam: float) -> list[bool]:
    predicted = [False] * len(y)
    for fold in range(FOLDS):
        test = [i for i in range(len(y)) if _fold(i) == fold]
        train = [i for i in range(len(y)) if _fold(i) != fold]
        if not test or len(set(y[train].tolist())) < 2:
            continue
        model = fit_logistic(x[train], y[train], lam)
        for i in test:
            predicted[i] = model.logit(x[i]) > 0
    return predicted


def choose_lambda(scores: dict[float, float], judgements: int) -> float:
    """The most regularised strength whose cross-validated score is within one standard error
    of the best (the "one-standard-error rule").

    Scores of neighbouring strengths differ by a few judgements in thousands, so picking the
    top score picks noise: the choice flipped between 10, 3 and 1 on differences of 0.001, and
    one criterion's held-out figure swung from 0.91 to 0.77 with it. Within the noise the
    simpler (more regularised) model is preferred. Fixed before the fit it was first used for.
    """
    best = max(scores.values())
    error = math.sqrt(max(best * (1 - best), 1e-9) / max(judgements, 1))
    return max(k for k, s in scores.items() if s >= best - error)


def fit_all(data: dict[str, dict[str, Any]], report: bool = True
            ) -> tuple[dict[str, dict[str, Model]], dict[str, Any]]:
    """Choose one regularisation strength by cross-validation, then fit and keep the models
    that beat the plain judge in cross-validation."""
    scores = {}
    for lam in LAMBDAS:
        truth_all: list[bool] = []
        pred_all: list[bool] = []
        for criteria in data.values():
            for v in criteria.values():
                x, y = np.asarray(v["x"]), np.asarray(v["y"], dtype=np.float64)
                truth_all += [bool(t) for t in v["y"]]
                pred_all += cross_validate(x, y, lam)
        scores[lam] = balanced_accuracy(truth_all, pred_all)
    lam = choose_lambda(scores, sum(len(v["y"]) for c in data.values() for v in c.values()))
    models: dict[str, dict[str, Model]] = {}
    summary: dict[str, Any] = {"lambda": lam, "lambda_scores": scores, "criteria": {}}
    rule_truth: list[bool] = []
    rule_pred: list[bool] = []
    chosen_pred: list[bool] = []
    for drill_id, criteria in data.items():
        for cid, v in criteria.items():
            x, y = np.asarray(v["x"]), np.asarray(v["y"], dtype=np.float64)
            cv = cross_validate(x, y, lam)
            rule_ba = balanced_accuracy(v["y"], v["rule"])
            cv_ba = balanced_accuracy(v["y"], cv)
            ship = cv_ba > rule_ba + MARGIN and len(set(v["y"])) == 2
            if ship:
                models.setdefault(drill_id, {})[cid] = fit_logistic(x, y, lam)
            rule_truth += v["y"]
            rule_pred += v["rule"]
            chosen_pred += cv if ship else v["rule"]
            summary["criteria"][f"{drill_id}/{cid}"] = {
                "n": len(y), "rule": round(rule_ba, 3), "cv": round(cv_ba, 3), "ship": ship}
    summary["rule_overall"] = balanced_accuracy(rule_truth, rule_pred)
    summary["cv_overall"] = balanced_accuracy(rule_truth, chosen_pred)
    if report:
        print(f"regularisation: {lam}, the most regularised within one standard error of the "
              "best (cross-validated balanced accuracy by lambda: "
              + ", ".join(f"{k}: {s:.3f}" for k, s in scores.items()) + ")")
        print(f"{'criterion':36} {'n':>4} {'rules':>6} {'model (5-fold)':>14}  shipped")
        for name, row in summary["criteria"].items():
            print(f"{name:36} {row['n']:>4} {row['rule']:>6.3f} {row['cv']:>14.3f}  "
                  f"{'yes' if row['ship'] else 'no'}")
        print(f"tuning part, pooled balanced accuracy: rules {summary['rule_overall']:.3f}, "
              f"rules + shipped models (5-fold) {summary['cv_overall']:.3f}")
    return models, summary


# -- the feature/benefit judge -------------------------------------------------------------------

FB_KEY = "feature_benefit"


def feature_benefit_model(folder: Path | None = None) -> Model | None:
    """The fitted weights of the feature/benefit judge, or None (then it uses its hand weights)."""
    from trainer import paths

    path = (folder or paths.drills_dir()) / FILE_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        from trainer.classify import FB_FEATURES

        entry = data.get(FB_KEY)
        if not entry or list(entry.get("features", [])) != list(FB_FEATURES):
            return None
        return Model.from_json(entry["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fit_feature_benefit(report: bool = True) -> tuple[Model | None, dict[str, Any]]:
    """Fit the feature/benefit weights on the shipped tuning statements and the card deck,
    with 5-fold cross-validation (centroids rebuilt from each training fold)."""
    from trainer.classify import FeatureBenefitJudge, _training_statements
    from trainer.embeddings import Embedder

    embedder = Embedder()
    statements = _training_statements()
    y = np.array([label == "benefit" for _, label in statements], dtype=np.float64)
    hand_right = 0
    learned_right = {lam: 0 for lam in LAMBDAS}
    for fold in range(FOLDS):
        train = [i for i in range(len(statements)) if _fold(i) != fold]
        test = [i for i in range(len(statements)) if _fold(i) == fold]
        # Centroids from the training fold only, so the held-back statements are unseen.
        judge = FeatureBenefitJudge(embedder, [statements[i] for i in train], model=None)
        x = np.array([judge.features(t) for t, _ in statements])
        for i in test:
            hand_right += (judge.classify(statements[i][0]).label == "benefit") == bool(y[i])
        for lam in LAMBDAS:
            model = fit_logistic(x[train], y[train], lam)
            learned_right[lam] += sum((model.logit(x[i]) > 0) == bool(y[i]) for i in test)
    hand_acc = hand_right / len(statements)
    lam = max(LAMBDAS, key=lambda k: (learned_right[k], -k))
    acc = learned_right[lam] / len(statements)
    judge = FeatureBenefitJudge(embedder, statements, model=None)
    x = np.array([judge.features(t) for t, _ in statements])
    shipped = fit_logistic(x, y, lam) if acc > hand_acc + MARGIN else None
    summary = {"hand": hand_acc, "learned": acc, "lambda": lam, "shipped": shipped is not None,
               "n": len(statements)}
    if report:
        print(f"feature/benefit, {len(statements)} tuning statements and cards, 5-fold: hand "
              f"weights {hand_acc:.3f}, learned weights {acc:.3f} (lambda {lam}); "
              f"{'shipped' if shipped else 'not shipped'}")
    return shipped, summary


def write(models: dict[str, dict[str, Model]], path: Path, summary: dict[str, Any],
          fb_model: Model | None = None) -> None:
    data = {
        "version": VERSION,
        "about": "Per-criterion logistic models over the rubric judge's features, fitted on the "
                 "tuning part of tests/data/rubric by `python -m trainer.calibration fit`.",
        "features": list(FEATURES),
        "lambda": summary["lambda"],
        "models": {d: {c: m.to_json() for c, m in sorted(ms.items())}
                   for d, ms in sorted(models.items())},
    }
    # Rounded, one model per line: a readable file whose diffs show what changed.
    data = json.loads(json.dumps(data), parse_float=lambda s: round(float(s), 6))
    lines = [f'{{"version": {VERSION}, "about": {json.dumps(data["about"])},',
             f' "features": {json.dumps(data["features"])}, "lambda": {data["lambda"]},',
             ' "models": {']
    drills = list(data["models"].items())
    for i, (drill, criteria) in enumerate(drills):
        lines.append(f'  {json.dumps(drill)}: {{')
        items = list(criteria.items())
        for j, (cid, model) in enumerate(items):
            lines.append(f'   {json.dumps(cid)}: {json.dumps(model)}'
                         + ("," if j < len(items) - 1 else ""))
        lines.append("  }" + ("," if i < len(drills) - 1 else ""))
    if fb_model is not None:
        from trainer.classify import FB_FEATURES

        fb = json.loads(json.dumps(fb_model.to_json()), parse_float=lambda s: round(float(s), 6))
        lines.append(" },")
        lines.append(f' "{FB_KEY}": {{"features": {json.dumps(list(FB_FEATURES))},')
        lines.append(f'  "model": {json.dumps(fb)}}}}}')
    else:
        lines.append(" }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from trainer import paths

    parser = argparse.ArgumentParser(prog="python -m trainer.calibration")
    parser.add_argument("what", choices=("fit", "check"),
                        help="fit: write drills/calibration.json; check: report only")
    parser.add_argument("--drill", action="append", help="limit to these drills")
    args = parser.parse_args(argv)
    data = collect(args.drill)
    models, summary = fit_all(data)
    fb_model, _ = fit_feature_benefit()
    if args.what == "fit":
        target = paths.drills_dir() / FILE_NAME
        if args.drill and target.exists():  # keep the other drills' models
            old = json.loads(target.read_text())
            for d, ms in old.get("models", {}).items():
                if d not in data:
                    models[d] = {c: Model.from_json(m) for c, m in ms.items()}
        write(models, target, summary, fb_model)
        print(f"wrote {target}")
    return 0 if all(math.isfinite(v) for v in summary["lambda_scores"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
