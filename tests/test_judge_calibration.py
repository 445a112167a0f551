"""The judge's per-criterion calibration: how an offset is fitted, read and applied, and that
it follows a criterion's words as the learned vector does."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from trainer.common.errors import ModelMissing
from trainer.rubric.calibration import (
    Calibration,
    balanced_accuracy,
    consensus,
    fit,
    fit_offset,
    read_offsets,
    write_offsets,
)
from trainer.rubric.judge import CriterionText, Judge, criterion_key

ROOT = Path(__file__).resolve().parent.parent
RESULT = CriterionText("result", "Gives the result", "States the outcome.",
                       meets=("overtime fell by a third",), near_misses=("they went live",),
                       key="client_story/result")


class FlatEmbedder:
    def prefetch(self, sentences: list[str], background: bool = False) -> None:
        pass

    def embed(self, sentences: list[str]) -> np.ndarray:
        return np.full((len(sentences), 384), 1 / np.sqrt(384), dtype=np.float32)


class ConstantHead:
    """Every window gets the same logit."""

    def __init__(self, logit: float) -> None:
        self.logit = logit

    def index(self, key: str) -> int:
        return 0

    def __call__(self, features: np.ndarray, vectors: np.ndarray, criterion: int
                 ) -> np.ndarray:
        return np.full(len(features), self.logit, dtype=np.float32)


def test_balanced_accuracy_weighs_met_and_unmet_equally() -> None:
    scored = [(1.0, True), (-1.0, True), (-1.0, False), (-2.0, False), (-3.0, False),
              (-4.0, False)]
    assert balanced_accuracy(scored) == pytest.approx((0.5 + 1.0) / 2)
    assert balanced_accuracy(scored, offset=1.0) == pytest.approx((1.0 + 0.75) / 2)
    assert balanced_accuracy([]) == 1.0


def test_the_fitted_offset_is_the_best_on_the_grid_and_the_smallest_of_equals() -> None:
    # Every met answer sits between -1.5 and -0.6: only a shift of at least 1.5 credits all,
    # and a shift past 2 would credit the unmet one at -2.2 too.
    scored = [(-0.6, True), (-1.0, True), (-1.5, True), (-2.2, False), (-4.0, False)]
    assert fit_offset(scored) == 1.5
    # Already right at 0: no change, though +0.25 and -0.25 would be right as well.
    assert fit_offset([(1.0, True), (-1.0, False)]) == 0.0
    assert fit_offset([]) == 0.0
    # The grid bounds the move: nothing past 2, though 3 would credit one more.
    assert fit_offset([(-1.9, True), (-3.0, True), (-6.0, False)]) == 2.0
    # Criteria that need no move are left out.
    assert fit({"a#1": scored, "b#2": [(1.0, True), (-1.0, False)]}) == {"a#1": 1.5}


def test_consensus_keeps_only_the_moves_every_batch_agrees_on() -> None:
    batches = [{"a#1": 1.5, "b#2": -0.5, "c#3": 1.0, "d#4": 0.5},
               {"a#1": 0.25, "b#2": -1.0, "c#3": -0.75, "d#4": 0.5},
               {"a#1": 0.75, "b#2": -2.0, "c#3": 1.0}]
    # a: all up, by at least 0.25; b: all down, by at least 0.5; c: disagree; d: one batch
    # saw no reason to move it.
    assert consensus(batches) == {"a#1": 0.25, "b#2": -0.5}
    assert consensus([]) == {}


def test_an_offset_moves_the_line_and_the_verdict_keeps_the_head_s_own_logit() -> None:
    said = "Their overtime fell by a third in one quarter."
    head = ConstantHead(-0.5)
    plain = Judge(FlatEmbedder(), head=head, lowercase_weight=0.0)
    assert not plain.judge(said, [RESULT], None)["result"].met
    moved = Judge(FlatEmbedder(), head=head, lowercase_weight=0.0,
                  calibration=Calibration(offsets={criterion_key(RESULT): 1.0}))
    verdict = moved.judge(said, [RESULT], None)["result"]
    assert verdict.met and verdict.evidence == said
    assert verdict.probability == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert verdict.logit == pytest.approx(-0.5)  # what a calibration is fitted on
    lowered = Judge(FlatEmbedder(), head=ConstantHead(0.5), lowercase_weight=0.0,
                    calibration=Calibration(offsets={criterion_key(RESULT): -1.0}))
    assert not lowered.judge(said, [RESULT], None)["result"].met


def test_an_edited_criterion_has_no_offset() -> None:
    """The offset was fitted on the criterion as it was worded: a manager's edit is judged by
    the head's own line, as it is judged without the learned vector."""
    calibration = Calibration(offsets={criterion_key(RESULT): 1.0})
    judge = Judge(FlatEmbedder(), head=ConstantHead(-0.5), lowercase_weight=0.0,
                  calibration=calibration)
    edited = replace(RESULT, definition="States the outcome, with the client's own number.")
    assert not judge.judge("Their overtime fell by a third.", [edited], None)["result"].met


def test_a_given_head_brings_no_calibration_and_the_shipped_head_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Judge(FlatEmbedder(), head=ConstantHead(0.0)).calibration.offsets() == {}
    shipped = Judge().calibration
    assert shipped.path.name == "judge-calibration.json"
    assert shipped.offsets() == read_offsets(shipped.path)
    # With a calibration file among the app's models, the shipped head's judge reads it and a
    # judge with a head of its own does not.
    from trainer.common import paths

    (tmp_path / "models").mkdir()
    write_offsets(tmp_path / "models" / "judge-calibration.json", {"a#1": 0.5}, {})
    monkeypatch.setattr(paths, "assets_dir", lambda: tmp_path)
    assert Judge(FlatEmbedder()).calibration.offsets() == {"a#1": 0.5}
    assert Judge(FlatEmbedder(), head=ConstantHead(0.0)).calibration.offsets() == {}


def test_a_calibration_file_round_trips_and_a_broken_one_is_one_sentence(tmp_path: Path
                                                                        ) -> None:
    path = tmp_path / "judge-calibration.json"
    assert read_offsets(path) == {}  # a training run's folder has none: uncalibrated
    write_offsets(path, {"b#2": -0.25, "a#1": 1.5}, {"fitted_on": ["m6"]})
    assert read_offsets(path) == {"a#1": 1.5, "b#2": -0.25}
    assert json.loads(path.read_text())["provenance"] == {"fitted_on": ["m6"]}
    assert Calibration.beside(tmp_path).offset("a#1") == 1.5
    path.write_text("{not json")
    with pytest.raises(ModelMissing, match=re.escape("The scoring calibration "
                                                     "judge-calibration.json cannot be read")):
        Calibration(path).offset("a#1")


def test_the_calibration_tool_refuses_batches_it_must_not_fit_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch the judge trained on, or training text, would calibrate the head on what it
    fitted; an unknown batch or an empty folder is one sentence, exit 2, nothing written."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import calibrate_judge
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert calibrate_judge.main(["--sets", "m6,m1"]) == 2
    assert capsys.readouterr().err.strip() == ("m1: the judge trained on it, so it cannot "
                                               "calibrate it.")
    assert calibrate_judge.main(["--sets", "t3"]) == 2
    assert capsys.readouterr().err.startswith("t3: the judge trained on it")
    assert calibrate_judge.main(["--sets", "m99"]) == 2
    assert capsys.readouterr().err.strip().startswith("There is no batch m99")
    assert calibrate_judge.main(["--sets", "m6", "--models", str(tmp_path)]) == 2
    assert "has no judge-encoder.onnx or judge-head.onnx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
