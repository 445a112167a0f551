"""Every batch folder of the labelled corpus (``tests/data/rubric/<batch>/``) is well formed.

The training script and ``bench rubric`` read these folders as they are, so a batch that names
a scenario it does not define, labels a criterion the drill does not have, or quotes evidence
that is not in its transcript would train or measure the judge on something other than what the
card says. Written batches quote their evidence verbatim; a recogniser copy (``<batch>-asr``)
carries its source's labels and no evidence (the card says why).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trainer.bench.evaluation import CORPUS_DIR, RUBRIC_DRILLS
from trainer.rubric.drills import DrillLibrary

BATCHES = sorted(p for p in CORPUS_DIR.iterdir() if p.is_dir())
AUDIO_ONLY = {"engaging_delivery"}  # judged from the recording, never labelled in text


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def problems(folder: Path, library: DrillLibrary) -> list[str]:
    """What is wrong with one batch folder, one line per problem."""
    found: list[str] = []
    if not (folder / "CARD.md").is_file():
        found.append("no CARD.md (who wrote it, how it was labelled, its split)")
    scenarios = {row["id"] for row in _rows(folder / "scenarios.jsonl")} \
        if (folder / "scenarios.jsonl").is_file() else set()
    scenarios |= {s.id for s in library.scenarios()}
    copy = folder.name.endswith("-asr")
    ids: set[str] = set()
    for drill_id in RUBRIC_DRILLS:
        path = folder / f"{drill_id}.jsonl"
        if not path.is_file():
            continue
        criteria = {c.id for c in library.drill(drill_id).criteria} - AUDIO_ONLY
        for row in _rows(path):
            where = f"{path.name} {row.get('id')}"
            if row["id"] in ids:
                found.append(f"{where}: id used twice")
            ids.add(row["id"])
            if row.get("drill") != drill_id:
                found.append(f"{where}: drill is {row.get('drill')!r}")
            if row.get("scenario") not in scenarios:
                found.append(f"{where}: unknown scenario {row.get('scenario')!r}")
            labels = row.get("labels", {})
            if set(labels) != criteria:
                found.append(f"{where}: labels {sorted(labels)} are not the drill's criteria")
            evidence = row.get("evidence") or {}
            for key, met in labels.items():
                quote = evidence.get(key)
                if met and not copy and not (quote and quote in row["transcript"]):
                    found.append(f"{where}: {key} is met but its evidence is not in the text")
                if not met and key in evidence:
                    found.append(f"{where}: {key} is not met but has evidence")
    path = folder / "feature_benefit.jsonl"
    if path.is_file():
        for row in _rows(path):
            if row.get("label") not in ("feature", "benefit") or not row.get("text"):
                found.append(f"{path.name} {row.get('id')}: needs text and a feature/benefit label")
    return found


@pytest.mark.parametrize("folder", BATCHES, ids=[p.name for p in BATCHES])
def test_a_batch_folder_is_well_formed(folder: Path) -> None:
    assert problems(folder, DrillLibrary()) == []


def test_the_check_finds_what_it_is_for(tmp_path: Path) -> None:
    """The check itself can fail: a copy of a good row with each fault is reported."""
    good = next(r for r in _rows(CORPUS_DIR / "t1" / "client_story.jsonl")
                if r["labels"]["result"])
    (tmp_path / "CARD.md").write_text("card")
    (tmp_path / "scenarios.jsonl").write_text(
        (CORPUS_DIR / "t1" / "scenarios.jsonl").read_text())
    unknown = dict(good, id="x-1", scenario="nowhere")
    quoted = dict(good, id="x-2", evidence=dict(good["evidence"], result="not said at all"))
    extra = dict(good, id="x-3", labels=dict(good["labels"], charisma=False))
    (tmp_path / "client_story.jsonl").write_text(
        "\n".join(json.dumps(r) for r in (good, unknown, quoted, extra)))
    found = problems(tmp_path, DrillLibrary())
    assert len(found) == 3, found
    assert "unknown scenario" in found[0] and "evidence is not in the text" in found[1]
    assert "not the drill's criteria" in found[2]
