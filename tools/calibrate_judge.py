"""Fit the judge's per-criterion calibration on measuring batches it never trained on.

Reads every labelled answer of ``--sets``, judges it with the models in ``--models`` without a
calibration, fits each criterion's offset (``trainer.rubric.calibration.fit``) and writes
``judge-calibration.json`` into the models folder, with the batches, the grid and the models'
sha256 values it was fitted for. ``--estimate`` writes nothing: it fits on all batches but one
and scores the one left out, in turn, which estimates what a calibration does on a hand it was
not fitted on (the decision is a fresh batch's, docs/judge-v2-log.md).

    uv run python tools/calibrate_judge.py --models assets/models --sets m6,m7,m8 --estimate
    uv run python tools/calibrate_judge.py --models assets/models --sets m6,m7,m8
    uv run python tools/calibrate_judge.py --models assets/models --sets m6,m7,m8,m9 --consensus

``--consensus`` fits each batch on its own and keeps only the offsets they all agree on
(``trainer.rubric.calibration.consensus``); without it the batches are pooled.

A batch the judge was trained on (``trainer.bench.rubric.RETIRED``, or named by a training
run's ``--retire``) must not be used: its logits are what the head fitted, not what it does on
new words.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from trainer.bench.rubric import RETIRED, JudgeChoice, labelled  # noqa: E402
from trainer.bench.rubric import bad_request as bench_bad_request  # noqa: E402
from trainer.rubric.calibration import (  # noqa: E402
    CALIBRATION_MODEL,
    OFFSET_GRID,
    balanced_accuracy,
    consensus,
    fit,
    write_offsets,
)
from trainer.rubric.drills import DrillLibrary  # noqa: E402
from trainer.rubric.judge import ENCODER_MODEL, HEAD_MODEL, Judge, criterion_key  # noqa: E402
from trainer.rubric.scoring import criterion_text, normalise  # noqa: E402

Scored = dict[str, list[tuple[float, bool]]]


def judged(judge: Judge, name: str, library: DrillLibrary) -> Scored:
    """Each criterion's (uncalibrated logit, label) pairs over one batch."""
    scored: Scored = defaultdict(list)
    for item in labelled(name, library):
        drill = library.drill(item.drill)
        texts = {c.id: criterion_text(drill.id, c, item.scenario) for c in drill.criteria
                 if c.id in item.labels}
        verdicts = judge.judge(normalise(item.transcript), list(texts.values()), item.scenario)
        for cid, truth in item.labels.items():
            scored[criterion_key(texts[cid])].append((verdicts[cid].logit, truth))
    return scored


def overall(per_batch: Scored, offsets: dict[str, float]) -> float:
    """Balanced accuracy over all judgements of a batch, as ``bench rubric`` reports it."""
    pairs = [(logit + offsets.get(key, 0.0), truth)
             for key, values in per_batch.items() for logit, truth in values]
    return balanced_accuracy(pairs)


def merged(batches: list[Scored]) -> Scored:
    out: Scored = defaultdict(list)
    for batch in batches:
        for key, values in batch.items():
            out[key] += values
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def bad_request(sets: list[str], models: Path, estimate: bool) -> str | None:
    """One sentence on what is wrong with the batches or the models folder: the bench's own
    checks, and batches the judge trained on, whose logits are what the head fitted."""
    problem = bench_bad_request(tuple(sets), JudgeChoice(models))
    if problem:
        return problem
    trained = [name for name in sets if name in RETIRED or name.startswith("t")]
    if trained:
        return f"{', '.join(trained)}: the judge trained on it, so it cannot calibrate it."
    if len(sets) < (2 if estimate else 1):
        return "Give at least two batches to estimate on." if estimate else "Give a batch."
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "assets" / "models",
                        help="the folder with judge-encoder.onnx and judge-head.onnx")
    parser.add_argument("--sets", default="m6,m7,m8",
                        help="measuring batches the models never trained on, comma-separated")
    parser.add_argument("--consensus", action="store_true",
                        help="fit each batch on its own; keep only the offsets all agree on")
    parser.add_argument("--estimate", action="store_true",
                        help="fit on all but one batch and score that one, in turn; write nothing")
    args = parser.parse_args(argv)
    sets = [name for name in args.sets.split(",") if name]
    problem = bad_request(sets, args.models, args.estimate)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    judge = Judge.from_folder(args.models, calibrated=False)
    library = DrillLibrary()
    per_batch = {}
    for name in sets:
        per_batch[name] = judged(judge, name, library)
        print(f"judged {name}", flush=True)

    def fitted(names: list[str]) -> dict[str, float]:
        if args.consensus:
            return consensus([fit(per_batch[n]) for n in names])
        return fit(merged([per_batch[n] for n in names]))

    if args.estimate:
        gains = []
        for held in sets:
            offsets = fitted([n for n in sets if n != held])
            before, after = overall(per_batch[held], {}), overall(per_batch[held], offsets)
            gains.append(after - before)
            print(f"fit on the others, scored on {held}: {before:.4f} -> {after:.4f} "
                  f"({after - before:+.4f}); {len(offsets)} criteria moved")
        print(f"mean change {sum(gains) / len(gains):+.4f}")
        return 0
    offsets = fitted(sets)
    provenance = {
        "fitted_on": sets, "consensus": args.consensus, "grid": [OFFSET_GRID[0], OFFSET_GRID[-1],
                                        OFFSET_GRID[1] - OFFSET_GRID[0]],
        "rule": "per criterion, the grid offset with the best balanced accuracy; ties to the "
                "smallest change" + ("; fitted per batch, kept only where every batch moves "
                                     "it the same way, by the smallest move"
                                     if args.consensus else ""),
        "commit": commit(),
        "encoder_sha256": sha256(args.models / ENCODER_MODEL.name),
        "head_sha256": sha256(args.models / HEAD_MODEL.name),
    }
    path = args.models / CALIBRATION_MODEL.name
    write_offsets(path, offsets, provenance)
    for key, offset in sorted(offsets.items()):
        print(f"  {key:60} {offset:+.2f}")
    for name in sets:
        print(f"{name}: {overall(per_batch[name], {}):.4f} -> "
              f"{overall(per_batch[name], offsets):.4f} (fitted on it)")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
