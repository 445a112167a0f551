"""The judges measured on the labelled corpus: floors a little below what they reach.

The figures are the first scores on the measuring batches (``uv run python -m trainer.bench
rubric``; README "Scoring accuracy, measured"): text the judge never learned from, written by
hands that never saw it. The floors leave a margin for harmless changes and another CPU's int8
arithmetic, and fail on a real regression. The other tests check the corpus itself and the
scorecard's promises (quotes are verbatim, odd input gives a valid card).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from trainer.bench.evaluation import CORPUS_DIR, RUBRIC_DRILLS, expected_split, load_corpus
from trainer.bench.rubric import measure_feature_benefit, measure_rubric
from trainer.common import paths
from trainer.common.errors import EmptyTranscript
from trainer.rubric.classify import FeatureBenefitJudge
from trainer.rubric.drills import DrillLibrary, parse_scenario
from trainer.rubric.judge import Judge
from trainer.rubric.scoring import default_judge, normalise, score_transcript

# Items added after the split: tuning batches "-vNNN" ... "-zNNN" (never held
# out) and "-hNNN", written for measuring only (always held out).
_ADDED = re.compile(r"-[vwxyzh]\d+$")

# First scores (``uv run python -m trainer.bench rubric``, docs/scoring.md "Scoring accuracy,
# measured") minus a margin for harmless changes and another CPU's int8 arithmetic.
# m6, m7 and m8 are batches the shipped judge (session 12) never learned from: its first scores
# on m7 and m8 are 0.918 and 0.892 (lowest criterion 0.683 and 0.616, feature/benefit 0.962 and
# 0.912); m6 decided that it ship, and there it scores 0.891 (lowest 0.706, feature/benefit
# 0.950). m1-m5 had their first scores with earlier judges (m1 0.934, m2 0.892, m3 0.889, m4
# 0.891, m5 0.890) and are training data since sessions 10 and 12 (tools/train_judge.py
# --retire): their floors guard against a regression only. m9 and m10 (session 13) are first
# scores of the same judge: 0.877 and 0.887 (lowest criterion 0.738 and 0.675,
# feature/benefit 0.988 and 0.975).
FLOORS = {"m1": {"overall": 0.91, "criterion": 0.74, "feature_benefit": 0.93},
          "m2": {"overall": 0.87, "criterion": 0.70, "feature_benefit": 0.92},
          "m3": {"overall": 0.87, "criterion": 0.58, "feature_benefit": 0.93},
          "m4": {"overall": 0.87, "criterion": 0.66, "feature_benefit": 0.92},
          "m5": {"overall": 0.87, "criterion": 0.67, "feature_benefit": 0.94},
          "m6": {"overall": 0.87, "criterion": 0.66, "feature_benefit": 0.92},
          "m7": {"overall": 0.89, "criterion": 0.63, "feature_benefit": 0.93},
          "m8": {"overall": 0.87, "criterion": 0.57, "feature_benefit": 0.88},
          "m9": {"overall": 0.85, "criterion": 0.69, "feature_benefit": 0.95},
          "m10": {"overall": 0.86, "criterion": 0.62, "feature_benefit": 0.94}}
SIZES = {"m1": 1300, "m2": 1300, "m3": 1200, "m4": 1200, "m5": 1200, "m6": 1200, "m7": 1200,
         "m8": 1200, "m9": 1200, "m10": 1200}

CONTRACT = {
    "agenda": ["purpose", "time_check", "topics", "invite_input", "outcome"],
    "value_prop": ["what_we_do", "who_for", "outcome", "proof", "relevance"],
    "client_story": ["client", "situation", "action", "result", "quantified", "relevance"],
    "differentiation": ["names_alternative", "specific_difference", "customer_benefit",
                        "beyond_price"],
    "vision": ["future_state", "specific_use", "pain_relief"],
}


@pytest.fixture(scope="module")
def judge() -> Judge:
    return default_judge()


def test_five_drills_keep_their_criteria_contract() -> None:
    library = DrillLibrary()
    for drill_id, ids in CONTRACT.items():
        assert [c.id for c in library.drill(drill_id).criteria] == ids
    assert len({s.industry for s in library.scenarios()}) >= 4
    line = library.drill("differentiation").buyer_line_for(library.scenario("mercy-health"))
    assert line == "How are you different from the scheduling module in their EHR?"


def test_corpus_is_large_balanced_and_split_once() -> None:
    total = 0
    for drill_id in RUBRIC_DRILLS:
        items = load_corpus(drill_id)
        total += len(items)
        assert len(items) >= 30
        heldout = [i for i in items if i["split"] == "heldout"]
        for criterion in CONTRACT.get(drill_id) or list(items[0]["labels"]):
            # Both answers well represented (the figures are balanced accuracy, so a skew
            # does not flatter them), and enough of each held out to measure both.
            share = sum(i["labels"][criterion] for i in items) / len(items)
            assert 0.2 <= share <= 0.8, (drill_id, criterion, share)
            met = sum(i["labels"][criterion] for i in heldout)
            assert min(met, len(heldout) - met) >= 4, (drill_id, criterion, met)
        numbered = [i for i in items if not _ADDED.search(i["id"])]
        for n, item in enumerate(numbered, start=1):  # the fixed rule: every third item held out
            assert item["id"] == f"{drill_id}-{n:03d}"
            assert item["split"] == expected_split(item["id"]) == (
                "heldout" if n % 3 == 0 else "tune")
        for item in items[len(numbered):]:  # items added later: tuning, or measuring only (h)
            assert _ADDED.search(item["id"])
            assert item["split"] == expected_split(item["id"]) == (
                "heldout" if "-h" in item["id"] else "tune")
    assert total >= 150
    statements = (CORPUS_DIR / "feature_benefit.jsonl").read_text().splitlines()
    assert len(statements) >= 100


def test_shipped_examples_come_only_from_the_tuning_part() -> None:
    held = {json.loads(line)["text"] for line in
            (CORPUS_DIR / "feature_benefit.jsonl").read_text().splitlines()
            if json.loads(line)["split"] == "heldout"}
    shipped = (paths.drills_dir() / "feature_benefit_examples.jsonl").read_text().splitlines()
    assert shipped and not held & {json.loads(line)["text"] for line in shipped}


@pytest.mark.parametrize("batch", sorted(FLOORS))
def test_measuring_batch_accuracy_floors(judge: Judge, batch: str) -> None:
    """Floors a little below the judge's first scores on the measuring batches (text it never
    learned from, by hands that never saw it): a real regression fails, noise does not."""
    from trainer.bench.evaluation import Confusion

    per = measure_rubric(batch, DrillLibrary(), judge)
    total = Confusion()
    for confusion in per.values():
        total.merge(confusion)
    assert total.total >= SIZES[batch]
    assert total.balanced_accuracy >= FLOORS[batch]["overall"]
    for key, confusion in per.items():
        assert confusion.balanced_accuracy >= FLOORS[batch]["criterion"], key
    fb = measure_feature_benefit(batch, judge)
    assert fb.total >= 80 and fb.balanced_accuracy >= FLOORS[batch]["feature_benefit"]


def test_every_met_criterion_quotes_the_transcript(judge: Judge) -> None:
    library = DrillLibrary()
    for drill_id in RUBRIC_DRILLS:
        for item in load_corpus(drill_id, "tune")[:12]:
            card = score_transcript(library.drill(drill_id), item["transcript"],
                                    library.scenario(item["scenario"]), judge)
            text = normalise(item["transcript"])
            for c in card.criteria:
                if c.met:
                    assert c.evidence and c.evidence.strip(".") in text
                else:
                    assert c.tip


def test_price_only_answer_never_earns_beyond_price(judge: Judge) -> None:
    library = DrillLibrary()
    card = score_transcript(
        library.drill("differentiation"),
        "Compared with the EHR module we're about forty percent cheaper per year, and we can "
        "do a discount if you sign this quarter.",
        library.scenario("mercy-health"), judge)
    met = {c.id: c.met for c in card.criteria}
    assert met["names_alternative"] and not met["beyond_price"]


def test_same_input_same_scorecard(judge: Judge) -> None:
    library = DrillLibrary()
    item = load_corpus("vision", "tune")[0]
    cards = {json.dumps(score_transcript(library.drill("vision"), item["transcript"],
                                         library.scenario(item["scenario"]),
                                         judge).to_json())
             for _ in range(3)}
    assert len(cards) == 1


@pytest.mark.parametrize(
    "text",
    ["asdkj qwe zzxc plorp", "Bonjour, je voudrais parler de votre processus de clôture.",
     "um uh um uh", "1234 5678"],
)
def test_odd_transcripts_give_a_valid_scorecard(judge: Judge, text: str) -> None:
    library = DrillLibrary()
    for drill_id in RUBRIC_DRILLS:
        card = score_transcript(library.drill(drill_id), text,
                                library.scenario("northwind-finance"), judge)
        assert 0 <= card.score <= 100


def test_twenty_thousand_words_are_scored(judge: Judge) -> None:
    library = DrillLibrary()
    text = " ".join(["we help finance teams close faster and you mentioned your close"] * 2000)
    started = time.perf_counter()
    card = score_transcript(library.drill("value_prop"), text,
                            library.scenario("northwind-finance"), judge)
    assert card.criteria and time.perf_counter() - started < 120  # no pathological slowdown


def test_scenario_without_optional_fields_still_scores(judge: Judge) -> None:
    library = DrillLibrary()
    bare = parse_scenario({"company": {}, "prospect": {}}, "bare.json")
    for drill_id in RUBRIC_DRILLS:
        drill = library.drill(drill_id)
        card = score_transcript(drill, "How are you different? We are cheaper.", bare, judge)
        assert len(card.criteria) == len(drill.criteria)
    assert library.drill("differentiation").buyer_line_for(bare) == (
        "How are you different from what you use today?")


def test_feature_benefit_judge(judge: Judge) -> None:
    judge = FeatureBenefitJudge(judge)
    feature = judge.classify("Shelfsense runs on your existing security cameras.")
    benefit = judge.classify("Your store teams stop walking the aisles and catch gaps in minutes.")
    assert feature.label == "feature" and benefit.label == "benefit"
    assert 0.5 <= feature.confidence <= 1 and benefit.why
    with pytest.raises(EmptyTranscript):
        judge.classify("   ")


def test_card_deck() -> None:
    deck = json.loads((paths.drills_dir() / "cards.json").read_text())
    cards = deck["cards"]
    assert len(cards) >= 60
    labels = [c["label"] for c in cards]
    assert 0.35 <= labels.count("benefit") / len(cards) <= 0.65
    for card in cards:
        assert card["statement"] and card["why"] and card["product"]
        assert (card["model_benefit"] is None) == (card["label"] == "benefit")
