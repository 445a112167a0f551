"""Score a measuring-only batch with the app's judge and print aggregates only.

    uv run python tools/score_batch.py tests/data/rubric/m1

Balanced accuracy per criterion and overall; it never prints an item or a mistake, so a
measuring batch can be scored without anyone learning which items the judge gets wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.drills import DrillLibrary, parse_scenario  # noqa: E402
from trainer.embeddings import Embedder  # noqa: E402
from trainer.evaluation import Confusion  # noqa: E402
from trainer.scoring import score_transcript  # noqa: E402


def main(argv: list[str]) -> int:
    batch = Path(argv[0])
    library = DrillLibrary()
    scenarios = {}
    for line in (batch / "scenarios.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            scenarios[data["id"]] = parse_scenario(data, "scenarios.jsonl", data["id"])
    embedder = Embedder()
    per: dict[tuple[str, str], Confusion] = {}
    for path in sorted(batch.glob("*.jsonl")):
        if path.stem in ("scenarios", "feature_benefit"):
            continue
        drill = library.drill(path.stem)
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            card = score_transcript(drill, item["transcript"], scenarios.get(item["scenario"]),
                                    embedder)
            met = {c.id: c.met for c in card.criteria}
            for criterion, truth in item["labels"].items():
                per.setdefault((path.stem, criterion), Confusion()).add(bool(truth),
                                                                         met[criterion])
    total = Confusion()
    for (drill_id, criterion), confusion in sorted(per.items()):
        total.merge(confusion)
        print(f"{drill_id:16s} {criterion:20s} n={confusion.total:3d} "
              f"balanced {confusion.balanced_accuracy:.3f}")
    values = [c.balanced_accuracy for c in per.values()]
    print(f"overall balanced {total.balanced_accuracy:.3f}  macro {sum(values) / len(values):.3f}"
          f"  worst {min(values):.3f}  judgements {total.total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
