"""Agenda rubric: credit only for what was said, quoted verbatim; tips for every miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.drills import Drill, DrillLibrary
from trainer.errors import EmptyTranscript
from trainer.scoring import Scorecard, normalise, score_transcript

GOOD = (
    "Thanks for making time today. The purpose of this call is to understand how your team "
    "handles month end reporting and to see whether we can help. I have us down for thirty "
    "minutes, does that still work for you? I would like to cover three things: first your "
    "current process, second the problems it causes, and third a short look at how other "
    "finance teams solved them. Is there anything you would like to add or change? By the end "
    "of the call I hope we can agree whether a demo with your controller makes sense as a next "
    "step."
)
WEAK = (
    "Hi, great to meet you. So, let me tell you about our company. We were founded in twenty "
    "ten and we have lots of customers. Our platform has many features and I think you will "
    "really like it."
)


@pytest.fixture(scope="module")
def agenda() -> Drill:
    return DrillLibrary().drill("agenda")


def met(card: Scorecard) -> dict[str, bool]:
    return {c.id: c.met for c in card.criteria}


def test_complete_agenda_meets_every_criterion_with_verbatim_quotes(agenda: Drill) -> None:
    card = score_transcript(agenda, GOOD)
    assert all(met(card).values())
    assert card.score == 100 and card.passed
    for c in card.criteria:
        assert c.evidence and c.evidence.strip(".") in normalise(GOOD)
        assert c.tip is None
    assert "thirty minutes" in card.criteria[1].evidence


def test_pitch_without_agenda_misses_everything_and_gets_tips(agenda: Drill) -> None:
    card = score_transcript(agenda, WEAK)
    assert not any(met(card).values())
    assert card.score == 0 and not card.passed
    for c in card.criteria:
        assert c.evidence is None and c.tip and c.example


def test_vague_purpose_earns_nothing(agenda: Drill) -> None:
    card = score_transcript(agenda, "I just wanted to touch base and see where things land.")
    assert not met(card)["purpose"]
    card = score_transcript(agenda, "I wanted to catch up and pick your brain.")
    assert not met(card)["purpose"]


def test_speech_recognition_style_text_is_scored(agenda: Drill) -> None:
    asr = ("so um the goal for today is to learn how you schedule your nurses we've got "
           "about 45 minutes I'd like to go over your current process the pain points and "
           "then what other hospitals did um what would you like to add and if it makes "
           "sense we can book a demo with your team")
    result = met(score_transcript(agenda, asr))
    assert result == {"purpose": True, "time_check": True, "topics": True,
                      "invite_input": True, "outcome": True}


def test_each_criterion_is_judged_independently(agenda: Drill) -> None:
    only_time = score_transcript(agenda, "Hi Dana. Do we still have half an hour?")
    assert met(only_time) == {"purpose": False, "time_check": True, "topics": False,
                              "invite_input": False, "outcome": False}
    assert only_time.score == pytest.approx(15.0)
    one_topic = score_transcript(agenda, "I'd like to talk about pricing.")
    assert not met(one_topic)["topics"]
    ordinals = score_transcript(agenda, "First, your reporting today. Second, where it breaks. "
                                        "Finally, what we've seen work.")
    assert met(ordinals)["topics"]


def test_weights_and_pass_threshold_come_from_the_drill(agenda: Drill) -> None:
    text = ("The purpose of today is to see whether we can help. I'd like to cover your "
            "process, your goals and pricing. What would you like to add?")
    card = score_transcript(agenda, text)
    weights = {c.id: c.weight for c in agenda.criteria}
    expected = 100 * (weights["purpose"] + weights["topics"] + weights["invite_input"]) / sum(
        weights.values())
    assert card.score == pytest.approx(round(expected, 1))
    assert card.passed == (card.score >= agenda.pass_threshold)


def test_scoring_is_deterministic(agenda: Drill) -> None:
    cards = {str(score_transcript(agenda, GOOD).to_json()) for _ in range(5)}
    assert len(cards) == 1


def test_long_sentence_evidence_is_a_trimmed_verbatim_excerpt(agenda: Drill) -> None:
    run_on = ("okay so " + "we work with many teams across the region and " * 8
              + "the purpose of this call is to understand your close process "
              + "and then " * 10 + "that is it")
    card = score_transcript(agenda, run_on)
    evidence = next(c.evidence for c in card.criteria if c.id == "purpose")
    assert evidence is not None and "purpose of this call" in evidence
    assert len(evidence.strip(".").split()) <= 34
    assert evidence.strip(".") in run_on


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "?!"])
def test_empty_transcript_is_a_clear_error(agenda: Drill, text: str) -> None:
    with pytest.raises(EmptyTranscript, match="nothing to score"):
        score_transcript(agenda, text)


def test_scorecard_json_round_trip(agenda: Drill) -> None:
    card = score_transcript(agenda, GOOD)
    assert Scorecard.from_json(card.to_json()) == card


@pytest.mark.parametrize(
    ("text", "criterion"),
    [
        ("I wanted to use our time today to understand how you plan maintenance.", "purpose"),
        ("The reason I reached out was your post about agency spend.", "purpose"),
        ("Do you still have the full half hour?", "time_check"),
        ("We have until the top of the hour, right?", "time_check"),
        ("What I was thinking for today: your current setup, then pricing.", "topics"),
        ("Is there anything you like to add or change.", "invite_input"),  # ASR dropped "would"
        ("Did I miss anything you need to see?", "invite_input"),
        ("If this looks like a fit, we can set up a pilot.", "outcome"),
    ],
)
def test_paraphrases_earn_their_criterion(agenda: Drill, text: str, criterion: str) -> None:
    card = score_transcript(agenda, text)
    assert met(card)[criterion], card.to_json()


@pytest.mark.parametrize(
    ("text", "criterion"),
    [
        ("Give me a minute to pull up my notes.", "time_check"),
        ("Let me tell you about our company.", "topics"),
        ("How does that sound?", "invite_input"),
        ("I'm just here to catch up.", "purpose"),
    ],
)
def test_near_misses_do_not_earn_credit(agenda: Drill, text: str, criterion: str) -> None:
    assert not met(score_transcript(agenda, text))[criterion]


# -- the learned layer (trainer.calibration) ---------------------------------------------------


def test_split_rule_keeps_added_tuning_items_out_of_the_held_out_part() -> None:
    from trainer.evaluation import expected_split

    assert expected_split("vision-003") == "heldout"
    assert expected_split("vision-004") == "tune"
    assert expected_split("vision-x003") == "tune"
    assert expected_split("vision-z003") == "tune"
    assert expected_split("vision-w003") == "tune"
    assert expected_split("vision-v003") == "tune"
    assert expected_split("vision-h003") == "heldout"  # written for measuring only
    assert expected_split("objection-012") == "heldout"


def test_fitted_logistic_model_is_deterministic_and_separates() -> None:
    import numpy as np

    from trainer.calibration import fit_logistic

    x = np.array([[0.0, 0.1], [0.0, 0.2], [1.0, 0.7], [1.0, 0.9], [0.0, 0.8], [1.0, 0.2]])
    y = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    first, second = fit_logistic(x, y, 1.0), fit_logistic(x, y, 1.0)
    assert first == second
    assert first.logit([1.0, 0.9]) > 0 > first.logit([0.0, 0.1])
    assert first.best_window([[0.1], [0.9], [0.5]]) == 1  # window rows: the features after "rule"


def test_regularisation_is_the_most_regularised_within_one_standard_error_of_the_best() -> None:
    from trainer.calibration import choose_lambda

    # 2,500 judgements at 0.95: one standard error is about 0.0044.
    assert choose_lambda({0.3: 0.951, 1.0: 0.952, 3.0: 0.950, 10.0: 0.949}, 2500) == 10.0
    assert choose_lambda({0.3: 0.951, 1.0: 0.952, 3.0: 0.950, 10.0: 0.940}, 2500) == 3.0
    assert choose_lambda({0.3: 0.960, 1.0: 0.952, 3.0: 0.950, 10.0: 0.949}, 2500) == 0.3
    assert choose_lambda({0.3: 0.90, 1.0: 0.90}, 100) == 1.0  # ties go to the simpler model


def test_contrast_is_positive_near_a_real_use_and_negative_near_a_near_miss() -> None:
    from trainer.calibration import FEATURES
    from trainer.embeddings import Embedder
    from trainer.scoring import judge_features

    library = DrillLibrary()
    vision = library.drill("vision")
    specific = vision.criterion("specific_use")
    assert specific.near_misses and specific.meets  # read from drills/vision.toml
    column = FEATURES.index("contrast") - 1  # window rows hold the features after "rule"
    embedder = Embedder()

    def contrast(text: str) -> float:
        _, rows = judge_features(vision, text, library.scenario("brightline-retail"),
                                 embedder)["specific_use"]
        return max(row[column] for row in rows)

    use = ("every friday at noon your store manager gets the list of shelves running low and "
           "sends an associate to the back room to fill them")
    access = "your store teams would have visibility into everything and could log in any time"
    assert contrast(use) > 0 > contrast(access)
    # A criterion without near misses carries no contrast at all (every bundled one has some
    # now, so take them away from one).
    from dataclasses import replace

    bare = replace(vision, criteria=tuple(replace(c, near_misses=()) if c.id == "future_state"
                                          else c for c in vision.criteria))
    _, rows = judge_features(bare, use, None, embedder)["future_state"]
    assert all(row[column] == 0.0 for row in rows)


def test_learned_layer_credits_a_paraphrase_with_a_verbatim_quote() -> None:
    from trainer.calibration import models_for
    from trainer.embeddings import Embedder

    library = DrillLibrary()
    vision = library.drill("vision")
    assert "pain_relief" in models_for(vision)
    text = ("Think about a call-out at five in the morning, three months from now. The open shift "
            "goes straight to your per diem pool on their phones and someone claims it in ten "
            "minutes. No agency call, no short unit.")
    card = score_transcript(vision, text, library.scenario("mercy-health"), Embedder())
    relief = next(c for c in card.criteria if c.id == "pain_relief")
    assert relief.met and relief.evidence and relief.evidence.strip(".") in normalise(text)
    again = score_transcript(vision, text, library.scenario("mercy-health"), Embedder())
    assert again.to_json() == card.to_json()


def test_a_drill_without_a_fitted_model_uses_the_plain_judge(tmp_path: Path) -> None:
    import shutil

    from trainer.calibration import models_for

    for name in ("vision.toml", "delivery.toml"):
        shutil.copy(DrillLibrary().folder / name, tmp_path / name)
    bare = DrillLibrary(tmp_path).drill("vision")
    assert models_for(bare) == {}
    (tmp_path / "calibration.json").write_text("{not json")
    assert models_for(bare) == {}  # a damaged file means no learned layer, not a crash
    card = score_transcript(bare, "Picture next spring: your planner opens the list every Monday.")
    assert card.criteria


def test_apostrophes_dropped_by_recognition_are_restored_only_where_unambiguous() -> None:
    said = "the recs arent in excel anymore Nobodys chasing it were well its lets dont"
    assert normalise(said) == (
        "the recs aren't in excel anymore Nobody's chasing it were well its lets don't")


def test_relief_said_as_nobody_doing_the_old_chore_connects_to_the_pain() -> None:
    library = DrillLibrary()
    vision = library.drill("vision")
    card = score_transcript(
        vision, "picture three months in, a nurse calls out at five and the open shift goes "
        "straight to your per diem nurses, your manager taps approve and nobodys calling the "
        "agency", library.scenario("mercy-health"))
    relief = next(c for c in card.criteria if c.id == "pain_relief")
    assert relief.met and "nobody's calling the agency" in (relief.evidence or "")


def test_a_sentence_embeds_the_same_alone_or_among_others() -> None:
    from trainer.embeddings import Embedder

    sentence = "every monday your planner opens the risk list and books the repair"
    others = ["we have thirty minutes today",
              "um so like the close takes twelve days and its all in spreadsheets honestly and "
              "the auditors keep asking for the backup every single quarter"]
    alone = Embedder().embed([sentence])[0]
    among = Embedder().embed([others[0], sentence, others[1]])[1]
    # Sentences are sorted by length and batched with neighbours: padding must not leak in.
    assert float(alone @ among) > 0.99999


def test_a_run_on_window_means_what_the_whole_window_means() -> None:
    import numpy as np

    from trainer.embeddings import Embedder
    from trainer.scoring import Context, _Judge, split_sentences

    embedder = Embedder()
    library = DrillLibrary()
    run_on = normalise(
        "yeah so um picture it six months from now right your nurse managers open the app on "
        "sunday night and the schedule is already built from the requests the nurses put in "
        "and theyre just approving swaps with one tap instead of spending ten hours on a "
        "spreadsheet and when somebody calls out at five am the open shift goes to your own "
        "per diem nurses first so you're not paying agency rates for it and the units arent "
        "short in the morning which is the thing you told me keeps you up at night")
    judge = _Judge(library.drill("vision"), split_sentences(run_on),
                   Context(library.scenario("mercy-health"), embedder))
    assert len(judge.windows) >= 4  # a run-on, cut into overlapping windows
    whole = embedder.embed([w.text for w in judge.windows])
    from_halves = judge._window_vectors()
    cosines = np.sum(whole * from_halves, axis=1)
    assert float(cosines.min()) > 0.85, cosines
