"""Train the rubric judge's learned head (``assets/models/judge-head.onnx``) from the corpus.

    uv run --group train python tools/train_judge.py            # train, report, export
    uv run --group train python tools/train_judge.py --report   # cross-validation only

What it learns from: every labelled transcript under ``tests/data/rubric`` that is not
measuring-only (the older corpus files and the training batches ``t*/``); the measuring-only
batches (``m*/`` and the older ``-hNNN`` items) are never read here. Each transcript is cut
into windows (``trainer.judge.split_windows``) and each window embedded with the app's own
sentence model, so training sees exactly the features the app computes. For each criterion a
transcript is a bag of windows: the bag's verdict is its best window's (multiple-instance
learning), and where a batch labels the evidence span, the windows that hold it are taught as
positives too.

The head is a small two-layer network trained with Adam in NumPy (seeded: a rerun gives the
same weights on the same machine), then written as ONNX with the ``onnx`` package (the
``train`` dependency group; the app only needs onnxruntime). Reports, each on items the model
being measured never trained on:

- grouped cross-validation: each source of training text (the older corpus, t1, t2, ...) is
  held out in turn; balanced accuracy per criterion.
- leave one criterion out: the head is trained without any item of one criterion, then judges
  that criterion's items from its text alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.calibration import balanced_accuracy  # noqa: E402
from trainer.drills import Criterion, DrillLibrary, Scenario, parse_scenario  # noqa: E402
from trainer.embeddings import Embedder  # noqa: E402
from trainer.judge import (  # noqa: E402
    HEAD_MODEL,
    THRESHOLD,
    CriterionText,
    Window,
    feature_size,
    prepare,
    scenario_facts,
    split_windows,
    window_features,
)

CORPUS = ROOT / "tests" / "data" / "rubric"
SPOKEN = ("agenda", "value_prop", "client_story", "differentiation", "vision", "objection")
SEED = 20261207

# Until every drill file says which scenario facts a criterion uses (``uses``), the same
# reading of the definitions; the file's own key wins when present.
DEFAULT_USES: dict[str, tuple[str, ...]] = {
    "value_prop/what_we_do": ("offering",),
    "value_prop/relevance": ("pains", "prospect"),
    "client_story/relevance": ("pains", "prospect"),
    "differentiation/names_alternative": ("alternative",),
    "differentiation/specific_difference": ("offering",),
    "differentiation/customer_benefit": ("pains",),
    "vision/pain_relief": ("pains",),
    "objection/responds": ("pains",),
}
DETECTOR_OF = {"client_story/quantified": "quantity", "differentiation/beyond_price": "price"}


def criterion_text(drill_id: str, criterion: Criterion, scenario: Scenario | None
                   ) -> CriterionText:
    key = f"{drill_id}/{criterion.id}"
    uses = tuple(getattr(criterion, "uses", ()) or DEFAULT_USES.get(key, ()))
    example = criterion.example_for(scenario)
    meets = tuple(dict.fromkeys([*criterion.meets, *criterion.exemplars,
                                 *([example] if example else [])]))
    return CriterionText(id=criterion.id, name=criterion.name,
                         definition=criterion.definition, meets=meets,
                         near_misses=tuple(criterion.near_misses), uses=uses,
                         detector=DETECTOR_OF.get(key))


@dataclass
class Item:
    id: str
    source: str
    drill: str
    scenario: Scenario | None
    transcript: str
    labels: dict[str, bool]
    evidence: dict[str, str] = field(default_factory=dict)


def _measuring_only(item_id: str) -> bool:
    return bool(re.fullmatch(r"[a-z_]+-h\d+", item_id))


def load_items(library: DrillLibrary, measuring: bool = False) -> list[Item]:
    """Training items (``measuring=False``) or the measuring-only ones."""
    scenarios: dict[str, Scenario] = {s.id: s for s in library.scenarios()}
    items: list[Item] = []
    folders = [CORPUS, *sorted(p for p in CORPUS.iterdir() if p.is_dir())]
    for folder in folders:
        batch = folder.name if folder != CORPUS else "corpus"
        if batch != "corpus" and (batch.startswith("m") != measuring):
            continue
        local = dict(scenarios)
        facts = folder / "scenarios.jsonl"
        if folder != CORPUS and facts.is_file():
            for line in facts.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    data = json.loads(line)
                    local[data["id"]] = parse_scenario(data, facts.name, data["id"])
        for drill in SPOKEN:
            path = folder / f"{drill}.jsonl"
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                data = json.loads(line)
                if batch == "corpus" and _measuring_only(data["id"]) != measuring:
                    continue
                if batch == "corpus" and measuring is False and data.get("split") not in (
                        "tune", "heldout"):
                    continue
                items.append(Item(
                    id=data["id"], source=batch, drill=drill,
                    scenario=local.get(str(data.get("scenario"))),
                    transcript=data["transcript"],
                    labels={k: bool(v) for k, v in data["labels"].items()},
                    evidence=dict(data.get("evidence") or {})))
    return items


@dataclass
class Bag:
    item: int
    key: str  # "drill/criterion"
    label: bool
    rows: slice
    positives: list[int]  # rows (absolute) of windows holding the labelled evidence


def _holds(window: Window, span: tuple[int, int]) -> bool:
    start, end = span
    overlap = min(window.end, end) - max(window.start, start)
    return end > start and overlap >= 0.6 * (end - start)


def build(items: list[Item], library: DrillLibrary, embedder: Embedder
          ) -> tuple[np.ndarray, list[Bag], list[list[Window]]]:
    """Feature rows for every (item, criterion, window), grouped into bags."""
    all_windows = [split_windows(item.transcript) for item in items]
    unique = sorted({w.plain for windows in all_windows for w in windows})
    started = time.perf_counter()
    vectors = dict(zip(unique, embedder.embed(unique), strict=True))
    print(f"embedded {len(unique)} windows in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    criterion_cache: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
    fact_cache: dict[str, np.ndarray] = {}

    def embed_all(texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in fact_cache]
        if missing:
            fact_cache.update(zip(missing, embedder.embed(missing), strict=True))
        return (np.stack([fact_cache[t] for t in texts]) if texts
                else np.zeros((0, 384), dtype=np.float32))

    rows: list[np.ndarray] = []
    bags: list[Bag] = []
    offset = 0
    for index, (item, windows) in enumerate(zip(items, all_windows, strict=True)):
        if not windows:
            continue
        drill = library.drill(item.drill)
        matrix = np.stack([vectors[w.plain] for w in windows])
        text = prepare(item.transcript)
        for criterion in drill.criteria:
            if criterion.id not in item.labels:
                continue
            spec = criterion_text(item.drill, criterion, item.scenario)
            cache_key = (item.drill, criterion.id, "|".join(spec.meets))
            if cache_key not in criterion_cache:
                criterion_cache[cache_key] = {
                    "description": embed_all([spec.description]),
                    "meets": embed_all(list(spec.meets)),
                    "near_misses": embed_all(list(spec.near_misses))}
            facts = {kind: embed_all(values)
                     for kind, values in scenario_facts(item.scenario, spec.uses).items()}
            features = window_features(matrix, windows, spec, criterion_cache[cache_key],
                                       facts)
            positives: list[int] = []
            quote = item.evidence.get(criterion.id)
            if item.labels[criterion.id] and quote:
                at = text.find(" ".join(quote.split()))
                if at >= 0:
                    span = (at, at + len(" ".join(quote.split())))
                    positives = [offset + i for i, w in enumerate(windows) if _holds(w, span)]
            rows.append(features)
            bags.append(Bag(index, f"{item.drill}/{criterion.id}", item.labels[criterion.id],
                            slice(offset, offset + len(windows)), positives))
            offset += len(windows)
    return np.concatenate(rows).astype(np.float32), bags, all_windows


# -- the head: a two-layer network, Adam, multiple-instance loss --------------------------


@dataclass
class Head:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = np.maximum(0.0, ((x - self.mean) / self.scale) @ self.w1 + self.b1)
        return (h @ self.w2 + self.b2).reshape(-1)


def train_head(x: np.ndarray, bags: list[Bag], hidden: int = 64, epochs: int = 30,
               lr: float = 2e-3, l2: float = 1e-4, batch: int = 64, seed: int = SEED) -> Head:
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-3
    xs = ((x - mean) / scale).astype(np.float32)
    features = x.shape[1]
    params = {
        "w1": (rng.standard_normal((features, hidden)) * np.sqrt(2.0 / features)).astype(
            np.float32),
        "b1": np.zeros(hidden, dtype=np.float32),
        "w2": (rng.standard_normal((hidden, 1)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        "b2": np.zeros(1, dtype=np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    positives = sum(b.label for b in bags)
    pos_weight = (len(bags) - positives) / max(positives, 1)
    step = 0
    order = np.arange(len(bags))
    for _epoch in range(epochs):
        rng.shuffle(order)
        for first in range(0, len(order), batch):
            chosen = [bags[i] for i in order[first:first + batch]]
            index: list[int] = []
            targets: list[float] = []
            weights: list[float] = []
            # Per bag: its best window carries the bag's label; labelled evidence windows
            # are positives of their own.
            h_all = np.maximum(0.0, xs[np.concatenate(
                [np.arange(b.rows.start, b.rows.stop) for b in chosen])] @ params["w1"]
                + params["b1"])
            logits_all = (h_all @ params["w2"] + params["b2"]).reshape(-1)
            cursor = 0
            for bag in chosen:
                size = bag.rows.stop - bag.rows.start
                best = int(np.argmax(logits_all[cursor:cursor + size]))
                index.append(bag.rows.start + best)
                targets.append(1.0 if bag.label else 0.0)
                weights.append(pos_weight if bag.label else 1.0)
                for row in bag.positives[:2]:
                    index.append(row)
                    targets.append(1.0)
                    weights.append(0.5 * pos_weight)
                cursor += size
            rows = xs[np.array(index)]
            y = np.array(targets, dtype=np.float32)
            wt = np.array(weights, dtype=np.float32)
            wt /= wt.sum()
            pre = rows @ params["w1"] + params["b1"]
            h = np.maximum(0.0, pre)
            z = (h @ params["w2"] + params["b2"]).reshape(-1)
            p = 1.0 / (1.0 + np.exp(-z))
            dz = ((p - y) * wt)[:, None]
            grads = {
                "w2": h.T @ dz + l2 * params["w2"],
                "b2": dz.sum(axis=0),
            }
            dh = (dz @ params["w2"].T) * (pre > 0)
            grads["w1"] = rows.T @ dh + l2 * params["w1"]
            grads["b1"] = dh.sum(axis=0)
            step += 1
            for key, grad in grads.items():
                m, v = moments[key]
                m[...] = 0.9 * m + 0.1 * grad
                v[...] = 0.999 * v + 0.001 * grad * grad
                m_hat = m / (1 - 0.9 ** step)
                v_hat = v / (1 - 0.999 ** step)
                params[key] -= (lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)
    return Head(params["w1"], params["b1"], params["w2"], params["b2"],
                mean.astype(np.float32), scale.astype(np.float32))


def bag_verdicts(head: Head, x: np.ndarray, bags: list[Bag]) -> list[bool]:
    logits = head.logits(x)
    cut = float(np.log(THRESHOLD / (1 - THRESHOLD)))
    return [bool(logits[b.rows].max() >= cut) for b in bags]


def report(name: str, truth_by_key: dict[str, list[bool]], pred_by_key: dict[str, list[bool]]
           ) -> dict[str, Any]:
    per = {k: balanced_accuracy(truth_by_key[k], pred_by_key[k]) for k in sorted(truth_by_key)}
    truth = [t for k in truth_by_key for t in truth_by_key[k]]
    pred = [p for k in truth_by_key for p in pred_by_key[k]]
    overall = balanced_accuracy(truth, pred)
    worst = min(per, key=lambda k: per[k])
    print(f"{name}: balanced accuracy {overall:.3f} over {len(truth)} judgements; "
          f"macro {np.mean(list(per.values())):.3f}; worst {worst} {per[worst]:.3f}")
    for key, value in per.items():
        print(f"    {key:38s} {value:.3f}  (n={len(truth_by_key[key])})")
    return {"overall": overall, "per_criterion": per, "judgements": len(truth)}


def _subset(x: np.ndarray, bags: list[Bag], keep: list[int]) -> tuple[np.ndarray, list[Bag]]:
    parts: list[np.ndarray] = []
    out: list[Bag] = []
    offset = 0
    for i in keep:
        bag = bags[i]
        size = bag.rows.stop - bag.rows.start
        parts.append(x[bag.rows])
        shift = offset - bag.rows.start
        out.append(Bag(bag.item, bag.key, bag.label, slice(offset, offset + size),
                       [r + shift for r in bag.positives]))
        offset += size
    return np.concatenate(parts), out


def cross_validate(x: np.ndarray, bags: list[Bag], items: list[Item], **kw: Any
                   ) -> dict[str, Any]:
    sources = sorted({items[b.item].source for b in bags})
    truth: dict[str, list[bool]] = defaultdict(list)
    pred: dict[str, list[bool]] = defaultdict(list)
    for source in sources:
        train = [i for i, b in enumerate(bags) if items[b.item].source != source]
        test = [i for i, b in enumerate(bags) if items[b.item].source == source]
        head = train_head(*_subset(x, bags, train), **kw)
        tx, tb = _subset(x, bags, test)
        for bag, verdict in zip(tb, bag_verdicts(head, tx, tb), strict=True):
            truth[bag.key].append(bag.label)
            pred[bag.key].append(verdict)
    return report("held-out source (each source of text held out in turn)", truth, pred)


def leave_one_criterion_out(x: np.ndarray, bags: list[Bag], **kw: Any) -> dict[str, Any]:
    keys = sorted({b.key for b in bags})
    truth: dict[str, list[bool]] = defaultdict(list)
    pred: dict[str, list[bool]] = defaultdict(list)
    for key in keys:
        train = [i for i, b in enumerate(bags) if b.key != key]
        test = [i for i, b in enumerate(bags) if b.key == key]
        head = train_head(*_subset(x, bags, train), **kw)
        tx, tb = _subset(x, bags, test)
        for bag, verdict in zip(tb, bag_verdicts(head, tx, tb), strict=True):
            truth[key].append(bag.label)
            pred[key].append(verdict)
    return report("leave one criterion out (never trained on that criterion)", truth, pred)


def export_onnx(head: Head, path: Path) -> str:
    """Write the head as ONNX (standardise, two layers, sigmoid); returns its sha256."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(a.astype(np.float32), name) for name, a in (
        ("mean", head.mean), ("scale", head.scale), ("w1", head.w1), ("b1", head.b1),
        ("w2", head.w2), ("b2", head.b2))]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standard"]),
        helper.make_node("MatMul", ["standard", "w1"], ["pre1"]),
        helper.make_node("Add", ["pre1", "b1"], ["pre1b"]),
        helper.make_node("Relu", ["pre1b"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "w2"], ["pre2"]),
        helper.make_node("Add", ["pre2", "b2"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes, "judge_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", head.w1.shape[0]])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["n", 1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="tools/train_judge.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def criterion_prompt(spec: CriterionText, scenario: Scenario | None) -> str:
    """The criterion as the cross-encoder reads it: name, definition and the facts it uses."""
    parts = [spec.description]
    labels = {"pains": "The prospect's pains", "alternative": "Their alternative",
              "offering": "What we offer", "prospect": "The prospect"}
    for kind, values in scenario_facts(scenario, spec.uses).items():
        if values:
            parts.append(f"{labels[kind]}: {'; '.join(values[:4])}.")
    return " ".join(parts)


def dump(items: list[Item], library: DrillLibrary, path: Path) -> int:
    """One JSON line per (transcript, criterion) bag, for the cross-encoder trainer."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            windows = split_windows(item.transcript)
            if not windows:
                continue
            text = prepare(item.transcript)
            for criterion in library.drill(item.drill).criteria:
                if criterion.id not in item.labels:
                    continue
                spec = criterion_text(item.drill, criterion, item.scenario)
                positives: list[int] = []
                quote = item.evidence.get(criterion.id)
                if item.labels[criterion.id] and quote:
                    clean = " ".join(quote.split())
                    at = text.find(clean)
                    if at >= 0:
                        positives = [i for i, w in enumerate(windows)
                                     if _holds(w, (at, at + len(clean)))]
                out.write(json.dumps({
                    "item": item.id, "source": item.source,
                    "key": f"{item.drill}/{criterion.id}",
                    "label": item.labels[criterion.id],
                    "prompt": criterion_prompt(spec, item.scenario),
                    "meets": list(spec.meets), "near_misses": list(spec.near_misses),
                    "windows": [w.plain for w in windows], "quotes": [w.text for w in windows],
                    "positives": positives}) + "\n")
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", action="store_true", help="cross-validate only")
    parser.add_argument("--no-loco", action="store_true", help="skip leave-one-criterion-out")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--dump", type=Path, help="write the bags as JSON lines and stop")
    parser.add_argument("--measuring", action="store_true",
                        help="with --dump: the measuring-only items instead")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    library = DrillLibrary()
    if args.dump:
        count = dump(load_items(library, measuring=args.measuring), library, args.dump)
        print(f"wrote {count} bags to {args.dump}")
        return 0
    items = load_items(library)
    print(f"{len(items)} training transcripts from "
          f"{sorted({i.source for i in items})}", file=sys.stderr)
    embedder = Embedder(workers=2)
    x, bags, _ = build(items, library, embedder)
    assert x.shape[1] == feature_size()
    print(f"{len(bags)} bags, {len(x)} windows x {x.shape[1]} features", file=sys.stderr)
    kw = {"epochs": args.epochs, "hidden": args.hidden}
    results: dict[str, Any] = {"cv": cross_validate(x, bags, items, **kw)}
    if not args.no_loco:
        results["loco"] = leave_one_criterion_out(x, bags, **kw)
    if not args.report:
        head = train_head(x, bags, **kw)
        digest = export_onnx(head, ROOT / "assets" / HEAD_MODEL)
        results["sha256"] = digest
        print(f"wrote assets/{HEAD_MODEL} (sha256 {digest})")
    results["minutes"] = round((time.perf_counter() - started) / 60, 1)
    print(json.dumps({k: v for k, v in results.items() if k in ("sha256", "minutes")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
