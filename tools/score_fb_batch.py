"""Score a batch's feature/benefit statements with the app's classifier; aggregates only.

    uv run python tools/score_fb_batch.py tests/data/rubric/m1

Prints accuracy, balanced accuracy and benefit recall; never an item or a mistake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.classify import FeatureBenefitJudge  # noqa: E402
from trainer.embeddings import Embedder  # noqa: E402
from trainer.evaluation import Confusion  # noqa: E402


def main(argv: list[str]) -> int:
    path = Path(argv[0]) / "feature_benefit.jsonl"
    judge = FeatureBenefitJudge(Embedder())
    confusion = Confusion()  # "positive" = benefit
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            verdict = judge.classify(item["text"], item.get("context"))
            confusion.add(item["label"] == "benefit", verdict.label == "benefit")
    recall = confusion.tp / (confusion.tp + confusion.fn) if confusion.tp + confusion.fn else 1.0
    print(f"{path}: {confusion.total} statements, accuracy {confusion.accuracy:.3f}, "
          f"balanced {confusion.balanced_accuracy:.3f}, benefit recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
