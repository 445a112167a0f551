"""The v2 judge's parts that are facts, not learning: windows, fillers, the two language
detectors, and how a verdict and its evidence come from the best window."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from trainer.rubric.judge import (
    CriterionText,
    Judge,
    Verdict,
    criterion_key,
    feature_size,
    has_quantity,
    mentions_price,
    plain_words,
    recogniser_view,
    scenario_facts,
    split_windows,
)


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    text = "We work with St. Luke's in Boise. Their nurses swap shifts from their phones."
    sentences = [w.text for w in split_windows(text)]
    assert "We work with St. Luke's in Boise." in sentences
    assert "Their nurses swap shifts from their phones." in sentences


def test_a_run_on_without_punctuation_is_cut_into_overlapping_windows() -> None:
    words = [f"w{i}" for i in range(70)]
    windows = split_windows(" ".join(words))
    assert len(windows) >= 6
    assert all(len(w.text.split()) <= 20 for w in windows)
    covered = {word for w in windows for word in w.text.split()}
    assert covered == set(words)  # nothing said is left out of every window


def test_neighbouring_sentences_also_make_one_window() -> None:
    windows = [w.text for w in split_windows("They had a problem. We fixed it. It stuck.")]
    assert "They had a problem. We fixed it." in windows
    assert "We fixed it. It stuck." in windows


def test_evidence_is_verbatim_and_the_model_reads_it_without_fillers() -> None:
    text = "Um, so, uh, we we cut their overtime by a third."
    window = split_windows(text)[0]
    assert window.text == text  # quoted as said
    assert window.plain == "so, we cut their overtime by a third."
    assert plain_words("the the the plan") == "the plan"


def test_invisible_characters_never_reach_the_model() -> None:
    assert split_windows("cut\u200b overtime")[0].plain == "cut overtime"


@pytest.mark.parametrize(("text", "expected"), [
    ("overtime fell 18% in a quarter", True),
    ("they saved $40k", True),
    ("two weeks faster", True),
    ("three hundred claims a day", True),
    ("they doubled throughput", True),
    ("it took 6 months", True),
    ("they were much happier", False),
    ("we met the team twice a year ago", False),
])
def test_a_quantity_is_a_number_percentage_duration_count_or_amount(text: str,
                                                                    expected: bool) -> None:
    assert has_quantity(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("we're 30% cheaper", True),
    ("a lower price per seat", True),
    ("we discount the first year", True),
    ("nurses swap shifts from their phones", False),
])
def test_price_words(text: str, expected: bool) -> None:
    assert mentions_price(text) is expected


def test_scenario_facts_are_those_the_criterion_uses() -> None:
    class Scenario:
        company = {"offering": "scheduling software", "value_points": ["fills shifts"],
                   "differentiators": []}
        prospect = {"pains": ["agency spend", "call-outs"], "alternative": "the EHR module",
                    "company": "Mercy", "industry": "healthcare", "role": "CNO"}

    facts = scenario_facts(Scenario(), ["pains", "alternative"])
    assert facts == {"pains": ["agency spend", "call-outs"], "alternative": ["the EHR module"]}
    assert scenario_facts(None, ["pains"]) == {}


class FakeEmbedder:
    """Unit vectors from a hash of the words: the same text, the same vector."""

    def prefetch(self, sentences: list[str], background: bool = False) -> None:
        pass

    def embed(self, sentences: list[str]) -> np.ndarray:
        out = []
        for sentence in sentences:
            rng = np.random.default_rng(abs(hash(sentence.lower())) % 2**32)
            vector = rng.standard_normal(384).astype(np.float32)
            out.append(vector / np.linalg.norm(vector))
        return np.stack(out)


class FakeHead:
    """A stand-in for the learned head: the quantity detector's column decides (the columns
    end: quantity asked/found/both, price asked/found/both, length). It knows one criterion
    by its key, as the shipped head knows the ones it was trained on."""

    def __init__(self, known: str = "") -> None:
        self.known = known
        self.asked: list[int] = []

    def index(self, key: str) -> int:
        return 0 if key == self.known else 1

    def __call__(self, features: np.ndarray, vectors: np.ndarray, criterion: int
                 ) -> np.ndarray:
        assert features.shape[1] == feature_size() and vectors.shape == (len(features), 384)
        self.asked.append(criterion)
        return np.where(features[:, -6] > 0, 2.0, -2.0).astype(np.float32)


RESULT = CriterionText("result", "Gives the result", "States the outcome.",
                       meets=("overtime fell by a third",), near_misses=("they went live",),
                       key="client_story/result")


def test_the_best_window_decides_and_is_quoted() -> None:
    judge = Judge(FakeEmbedder(), head=FakeHead())
    text = "We worked with a clinic. Their overtime fell 30% in a quarter."
    verdict = judge.judge(text, [RESULT], None)["result"]
    assert verdict.met and verdict.probability == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert verdict.evidence is not None and "fell 30%" in verdict.evidence
    assert verdict.evidence in text
    missed = judge.judge("We worked with a clinic.", [RESULT], None)["result"]
    assert not missed.met and missed.evidence is None


class SequenceHead(FakeHead):
    """Every window of a call gets the same logit, the next value of ``values`` per call."""

    def __init__(self, *values: float) -> None:
        super().__init__()
        self.values = values
        self.calls = 0

    def __call__(self, features: np.ndarray, vectors: np.ndarray, criterion: int
                 ) -> np.ndarray:
        value = self.values[self.calls % len(self.values)]
        self.calls += 1
        return np.full(len(features), value, dtype=np.float32)


def test_a_verdict_also_reads_the_words_as_a_recogniser_writes_them() -> None:
    """The logit is the weighted mean of the best window as written and as heard (lowercase,
    no punctuation); the evidence quotes the words as written."""
    said = "At St. Luke's, overtime fell by a third. It was a good year."
    head = SequenceHead(-1.0, 3.0)  # as written: -1; as heard: +3
    verdict = Judge(FakeEmbedder(), head=head, lowercase_weight=0.5).judge(
        said, [RESULT], None)["result"]
    assert head.calls == 2
    assert verdict.met and verdict.probability == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert verdict.evidence is not None and verdict.evidence in said
    written_only = Judge(FakeEmbedder(), head=SequenceHead(-1.0, 3.0), lowercase_weight=0.0)
    assert not written_only.judge(said, [RESULT], None)["result"].met
    # Already as a recogniser writes it: read once.
    head = SequenceHead(-1.0, 3.0)
    heard = "at st luke's overtime fell by a third it was a good year"
    judge = Judge(FakeEmbedder(), head=head, lowercase_weight=0.5)
    assert not judge.judge(heard, [RESULT], None)["result"].met
    assert head.calls == 1
    assert recogniser_view(said) == heard
    assert recogniser_view("Costs fell 30% ($1.2M).") == "costs fell 30% $1 2m"


def test_what_was_learned_about_a_criterion_applies_only_while_its_words_are_unchanged() -> None:
    head = FakeHead(known=criterion_key(RESULT))
    judge = Judge(FakeEmbedder(), head=head, lowercase_weight=0.0)  # one reading per judgement
    judge.judge("Their overtime fell 30%.", [RESULT], None)
    edited = replace(RESULT, definition="States the outcome, with the client's own number.")
    judge.judge("Their overtime fell 30%.", [edited], None)
    renamed = replace(RESULT, key="my_drill/result")
    judge.judge("Their overtime fell 30%.", [renamed], None)
    assert head.asked == [0, 1, 1]
    # Spacing and case are not an edit.
    assert criterion_key(replace(RESULT, name="  gives the RESULT ")) == criterion_key(RESULT)


def test_an_empty_transcript_meets_nothing() -> None:
    judge = Judge(FakeEmbedder(), head=FakeHead())
    assert judge.judge("   ", [RESULT], None) == {"result": Verdict(False, 0.0, None)}


def test_a_missing_model_file_is_one_sentence(tmp_path: Path) -> None:
    from trainer.common.errors import ModelMissing
    from trainer.rubric.embeddings import Embedder
    from trainer.rubric.judge import OnnxHead

    message = "The scoring model is missing from the app's files; reinstall the app."
    with pytest.raises(ModelMissing, match=re.escape(message)):
        OnnxHead(tmp_path / "judge-head.onnx").index("agenda/purpose#x")
    judge = Judge(Embedder(model=tmp_path / "judge-encoder.onnx"), head=FakeHead())
    with pytest.raises(ModelMissing, match=re.escape(message)):
        judge.judge("We have thirty minutes today.", [RESULT], None)


def test_a_candidate_judge_reads_the_models_in_its_folder(tmp_path: Path) -> None:
    """``bench rubric --models DIR`` measures a training run's files, not the shipped ones:
    the same files judge the same; an empty folder is the one-sentence missing model."""
    import shutil

    from trainer.common import paths
    from trainer.common.errors import ModelMissing

    for source in (paths.assets_dir() / "models").glob("judge-*"):  # models, calibration
        shutil.copyfile(source, tmp_path / source.name)
    said = "We cut their overtime by a third in six months."
    copied = Judge.from_folder(tmp_path).judge(said, [RESULT], None)
    assert copied == Judge().judge(said, [RESULT], None)
    (tmp_path / "judge-head.onnx").unlink()
    with pytest.raises(ModelMissing):
        Judge.from_folder(tmp_path).judge(said, [RESULT], None)


def test_bench_rubric_refuses_an_unknown_batch_or_model_folder_in_one_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in ``--sets`` is not silently measured as nothing, and a folder without a
    training run's files is not a traceback about reinstalling the app."""
    from trainer.bench.__main__ import main

    assert main(["rubric", "--accuracy", "--sets", "m1,m99"]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("There is no batch m99 under") and "m1" in said
    assert "\n" not in said
    assert main(["rubric", "--accuracy", "--models", str(tmp_path)]) == 2
    said = capsys.readouterr().err.strip()
    assert said == (f"{tmp_path} has no judge-encoder.onnx or judge-head.onnx: give the folder "
                    "a training run wrote (tools/train_judge.py --out).")


def test_bench_rubric_says_which_batches_the_shipped_judge_trained_on(tmp_path: Path) -> None:
    """A figure on a batch the shipped judge learned from is not reported as an accuracy; a
    candidate's folder (trained who knows how) and the fresh batch are reported plainly."""
    from trainer.bench.rubric import heading

    assert heading("m1", None).startswith("m1 (the shipped judge was trained on it")
    assert heading("m5", None).startswith("m5 (the shipped judge was trained on it")
    assert heading("m6", None) == "m6"
    assert heading("m1", tmp_path) == "m1"


def test_the_shipped_head_knows_every_shipped_criterion() -> None:
    """Retraining after a drill's words changed must not be forgotten: every criterion in the
    drill files (and the card game's) has its learned vector in the shipped head."""
    from trainer.rubric.classify import BENEFIT
    from trainer.rubric.drills import DrillLibrary
    from trainer.rubric.judge import OnnxHead
    from trainer.rubric.scoring import criterion_text

    head = OnnxHead()
    unknown = head.index("no such criterion")
    keys = [criterion_key(BENEFIT)]
    for drill in DrillLibrary().drills():
        keys += [criterion_key(criterion_text(drill.id, c, None)) for c in drill.criteria]
    missing = [key for key in keys if head.index(key) == unknown]
    assert not missing, f"retrain the judge (tools/train_judge.py): {missing}"


class PrefetchLog(FakeEmbedder):
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bool]] = []

    def prefetch(self, sentences: list[str], background: bool = False) -> None:
        self.calls.append((list(sentences), background))


def test_a_take_warms_its_rubric_in_the_background() -> None:
    """At Record the criteria's words and the scenario facts they use go to the encoder's
    background worker (so the first scorecard of a session does not wait for them)."""
    from trainer.rubric import scoring
    from trainer.rubric.drills import DrillLibrary

    library = DrillLibrary()
    drill, scenario = library.drill("value_prop"), library.scenario("northwind-finance")
    log = PrefetchLog()
    judge = Judge(log, head=FakeHead())
    texts = [scoring.criterion_text(drill.id, c, scenario) for c in drill.criteria]
    judge.prefetch_criteria(texts, scenario)
    assert len(log.calls) == 1 and log.calls[0][1] is True
    sent = set(log.calls[0][0])
    for text in texts:
        assert text.description in sent and set(text.meets) <= sent
        assert set(text.near_misses) <= sent
    facts = {v for t in texts for vs in scenario_facts(scenario, t.uses).values() for v in vs}
    assert facts and facts <= sent


def test_warming_a_rubric_waits_for_the_judge_to_be_loaded(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Before ``load`` a warm-up does nothing (it must never load models on the UI thread);
    after, the drill's criteria go to the background worker."""
    from trainer.rubric import scoring
    from trainer.rubric.drills import DrillLibrary

    library = DrillLibrary()
    log = PrefetchLog()
    judge = Judge(log, head=FakeHead())
    monkeypatch.setattr(scoring, "_DEFAULT", judge)
    scoring.warm_rubric(library.drill("agenda"), library.scenario("northwind-finance"))
    assert log.calls == []
    judge.load()
    scoring.warm_rubric(library.drill("agenda"), library.scenario("northwind-finance"))
    assert len(log.calls) == 1 and log.calls[0][1] is True
