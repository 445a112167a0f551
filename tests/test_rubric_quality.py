"""The judges measured on the labelled corpus: floors a little below what we reach.

Figures reached (held-out part, ``uv run python -m trainer.bench rubric``): pooled balanced
accuracy 0.901 over 3,283 judgements, objection included (lowest drill: client_story 0.86;
lowest criteria: objection/acknowledges 0.82, client_story/result 0.84), feature/benefit
accuracy 0.927 on 55 statements. The issue's targets (0.90 overall, 0.80 for every criterion,
0.90 for feature/benefit) are met, narrowly; the floors below leave a small margin for harmless
changes and fail on a real regression.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from trainer import paths
from trainer.bench import RUBRIC_DRILLS, rubric_report
from trainer.classify import FeatureBenefitJudge
from trainer.drills import DrillLibrary, parse_scenario
from trainer.embeddings import Embedder
from trainer.errors import EmptyTranscript
from trainer.evaluation import CORPUS_DIR, expected_split, load_corpus
from trainer.scoring import normalise, score_transcript

# Items added after the split: tuning batches "-vNNN" ... "-zNNN" (never held
# out) and "-hNNN", written for measuring only (always held out).
_ADDED = re.compile(r"-[vwxyzh]\d+$")

CONTRACT = {
    "agenda": ["purpose", "time_check", "topics", "invite_input", "outcome"],
    "value_prop": ["what_we_do", "who_for", "outcome", "proof", "relevance"],
    "client_story": ["client", "situation", "action", "result", "quantified", "relevance"],
    "differentiation": ["names_alternative", "specific_difference", "customer_benefit",
                        "beyond_price"],
    "vision": ["future_state", "specific_use", "pain_relief"],
}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


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


def test_held_out_accuracy_floors() -> None:
    report, fb_accuracy, fb_count = rubric_report("heldout")
    overall = report.overall()
    assert overall.total >= 450
    assert overall.balanced_accuracy >= 0.89
    for drill, confusion in report.per_drill().items():
        assert confusion.balanced_accuracy >= 0.82, drill
    for criterion, confusion in report.per_criterion.items():
        assert confusion.balanced_accuracy >= 0.75, criterion
    assert fb_count >= 50 and fb_accuracy >= 0.90


def test_every_met_criterion_quotes_the_transcript(embedder: Embedder) -> None:
    library = DrillLibrary()
    for drill_id in RUBRIC_DRILLS:
        for item in load_corpus(drill_id, "tune")[:12]:
            card = score_transcript(library.drill(drill_id), item["transcript"],
                                    library.scenario(item["scenario"]), embedder)
            text = normalise(item["transcript"])
            for c in card.criteria:
                if c.met:
                    assert c.evidence and c.evidence.strip(".") in text
                else:
                    assert c.tip


def test_price_only_answer_never_earns_beyond_price(embedder: Embedder) -> None:
    library = DrillLibrary()
    card = score_transcript(
        library.drill("differentiation"),
        "Compared with the EHR module we're about forty percent cheaper per year, and we can "
        "do a discount if you sign this quarter.",
        library.scenario("mercy-health"), embedder)
    met = {c.id: c.met for c in card.criteria}
    assert met["names_alternative"] and not met["beyond_price"]


def test_same_input_same_scorecard(embedder: Embedder) -> None:
    library = DrillLibrary()
    item = load_corpus("vision", "tune")[0]
    cards = {json.dumps(score_transcript(library.drill("vision"), item["transcript"],
                                         library.scenario(item["scenario"]),
                                         embedder).to_json())
             for _ in range(3)}
    assert len(cards) == 1


@pytest.mark.parametrize(
    "text",
    ["asdkj qwe zzxc plorp", "Bonjour, je voudrais parler de votre processus de clôture.",
     "um uh um uh", "1234 5678"],
)
def test_odd_transcripts_give_a_valid_scorecard(embedder: Embedder, text: str) -> None:
    library = DrillLibrary()
    for drill_id in RUBRIC_DRILLS:
        card = score_transcript(library.drill(drill_id), text,
                                library.scenario("northwind-finance"), embedder)
        assert 0 <= card.score <= 100


def test_twenty_thousand_words_are_scored(embedder: Embedder) -> None:
    library = DrillLibrary()
    text = " ".join(["we help finance teams close faster and you mentioned your close"] * 2000)
    started = time.perf_counter()
    card = score_transcript(library.drill("value_prop"), text,
                            library.scenario("northwind-finance"), embedder)
    assert card.criteria and time.perf_counter() - started < 120  # no pathological slowdown


def test_scenario_without_optional_fields_still_scores(embedder: Embedder) -> None:
    library = DrillLibrary()
    bare = parse_scenario({"company": {}, "prospect": {}}, "bare.json")
    for drill_id in RUBRIC_DRILLS:
        drill = library.drill(drill_id)
        card = score_transcript(drill, "How are you different? We are cheaper.", bare, embedder)
        assert len(card.criteria) == len(drill.criteria)
    assert library.drill("differentiation").buyer_line_for(bare) == (
        "How are you different from what you use today?")


def test_feature_benefit_judge(embedder: Embedder) -> None:
    judge = FeatureBenefitJudge(embedder)
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
