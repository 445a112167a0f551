"""Per-criterion calibration of the rubric judge: where each criterion's line between met and
unmet sits.

The head is trained so that met and unmet bags count equally, on training text it fits
closely. On answers by people it never read, some criteria's logits sit to one side of 0 for
every new hand alike (the value proposition's business result is credited too easily, a
client story tied to the buyer too rarely). A calibration is one number per criterion added
to its logit, fitted on labelled measuring batches the judge never trained on, and kept
beside the models (``judge-calibration.json``). It is keyed by ``criterion_key``, so it
applies only while a criterion's name and definition are unchanged: an edited or new
criterion gets no offset, exactly as it gets no learned vector.

``fit`` chooses, per criterion, the offset from a fixed grid that gives the best balanced
accuracy on the fitting items, ties going to the smallest change; a coarse, bounded grid
keeps one batch's quirks from moving a line far. ``consensus`` keeps only the moves that each
batch, fitted on its own, agrees on: hands disagree about some lines (how concrete a business
result must be), and a line moved to suit three hands can be wrong for the fourth.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import ModelMissing

CALIBRATION_MODEL = Path("models") / "judge-calibration.json"
# Offsets tried, in logits: -2 .. 2 in quarters. 2 is a shift from p 0.5 to p 0.88.
OFFSET_GRID = tuple(step / 4 for step in range(-8, 9))


def balanced_accuracy(scored: Iterable[tuple[float, bool]], offset: float = 0.0) -> float:
    """Mean of the met and the unmet items' accuracy when ``logit + offset >= 0`` is met
    (a side with no items counts as right)."""
    hits = {True: [0, 0], False: [0, 0]}
    for logit, truth in scored:
        hits[truth][0] += (logit + offset >= 0.0) == truth
        hits[truth][1] += 1
    return sum(right / total if total else 1.0 for right, total in hits.values()) / 2


def fit_offset(scored: Sequence[tuple[float, bool]], grid: Sequence[float] = OFFSET_GRID
               ) -> float:
    """The offset on ``grid`` with the best balanced accuracy on ``scored`` (logit, truth)
    pairs; ties go to the smallest change, then to the lower offset."""
    if not scored or not grid:
        return 0.0
    return max(sorted(grid, key=lambda o: (abs(o), o)),
               key=lambda o: balanced_accuracy(scored, o))


def fit(scored: Mapping[str, Sequence[tuple[float, bool]]],
        grid: Sequence[float] = OFFSET_GRID) -> dict[str, float]:
    """Each criterion's offset (by ``criterion_key``); criteria whose best offset is 0 are
    left out."""
    offsets = {key: fit_offset(pairs, grid) for key, pairs in sorted(scored.items())}
    return {key: offset for key, offset in offsets.items() if offset}


def consensus(per_batch: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The offsets every batch agrees on: a criterion keeps one only if each batch's own fit
    moved it the same way, and then by the smallest of their moves. Where hands disagree on
    where a line sits, it stays where the head put it."""
    if not per_batch:
        return {}
    agreed: dict[str, float] = {}
    for key in sorted(set.intersection(*(set(offsets) for offsets in per_batch))):
        moves = [offsets[key] for offsets in per_batch]
        if all(move > 0 for move in moves) or all(move < 0 for move in moves):
            agreed[key] = min(moves, key=abs)
    return agreed


class Calibration:
    """The offsets the judge adds to each criterion's logit, read from a JSON file on first
    use (a folder without one, as a training run writes, is uncalibrated).

    Args:
        path: the file; the shipped models' by default.
        offsets: the offsets themselves (no file is read).
    """

    def __init__(self, path: Path | None = None,
                 offsets: Mapping[str, float] | None = None) -> None:
        self.path = path or paths.assets_dir() / CALIBRATION_MODEL
        self._offsets: dict[str, float] | None = None if offsets is None else dict(offsets)
        self._lock = threading.Lock()

    @classmethod
    def none(cls) -> Calibration:
        """No offsets: the head's own line for every criterion."""
        return cls(offsets={})

    @classmethod
    def beside(cls, folder: Path) -> Calibration:
        """The calibration a models folder holds (none if it has no file)."""
        return cls(folder / CALIBRATION_MODEL.name)

    def _loaded(self) -> dict[str, float]:
        with self._lock:
            if self._offsets is None:
                self._offsets = read_offsets(self.path)
            return self._offsets

    def offsets(self) -> dict[str, float]:
        """Every offset, by ``criterion_key`` (read from the file on first use)."""
        return dict(self._loaded())

    def offset(self, key: str) -> float:
        return self._loaded().get(key, 0.0)


def read_offsets(path: Path) -> dict[str, float]:
    """The offsets in a calibration file; none when there is no file."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        offsets = {str(k): float(v) for k, v in data["offsets"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelMissing(f"The scoring calibration {path.name} cannot be read ({error}); "
                           "reinstall the app.") from error
    return offsets


def write_offsets(path: Path, offsets: Mapping[str, float], provenance: Mapping[str, Any]
                  ) -> None:
    """Write a calibration file: the offsets and how they were fitted."""
    data = {"provenance": dict(provenance), "offsets": dict(sorted(offsets.items()))}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
