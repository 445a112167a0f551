"""Agenda rubric: credit only for what was said, quoted verbatim; tips for every miss."""

from __future__ import annotations

import pytest

from trainer.common.errors import EmptyTranscript
from trainer.rubric.drills import Drill, DrillLibrary
from trainer.rubric.scoring import Scorecard, normalise, score_transcript

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


RUN_ON = ("so um the goal for today is to learn how you schedule your nurses we've got "
          "about 45 minutes I'd like to go over your current process the pain points and "
          "then what other hospitals did um what would you like to add and if it makes "
          "sense we can book a demo with your team")


def test_speech_recognition_style_text_is_scored(agenda: Drill) -> None:
    result = met(score_transcript(agenda, RUN_ON))
    assert {k: v for k, v in result.items() if k != "purpose"} == {
        "time_check": True, "topics": True, "invite_input": True, "outcome": True}
    said_alone = "so the goal for today is to learn how you schedule your nurses"
    assert met(score_transcript(agenda, said_alone))["purpose"]


@pytest.mark.xfail(strict=True, reason=(
    "known miss of the session-12 judge (docs/scoring.md, 'What is known to be weak'): in a "
    "50-word run-on without punctuation the first 20-word window mixes the purpose with the "
    "time check, and the purpose is not credited (p 0.33; said alone it is). 16-word windows "
    "credit it but lost on m8 (docs/judge-v2-log.md, session 12). Strict: passing again "
    "fails, so the mark goes when a judge gets it right."))
def test_a_purpose_inside_a_run_on_is_credited(agenda: Drill) -> None:
    assert met(score_transcript(agenda, RUN_ON))["purpose"]


def test_each_criterion_is_judged_independently(agenda: Drill) -> None:
    only_time = score_transcript(agenda, "Hi Dana. Do we still have half an hour?")
    assert met(only_time) == {"purpose": False, "time_check": True, "topics": False,
                              "invite_input": False, "outcome": False}
    assert only_time.score == pytest.approx(15.0)
    one_topic = score_transcript(agenda, "I'd like to talk about pricing.")
    assert not met(one_topic)["topics"]
    led_in = score_transcript(agenda, "I'd like to cover three things. First, your reporting "
                                      "today. Second, where it breaks. Finally, what we've "
                                      "seen work.")
    assert met(led_in)["topics"]


@pytest.mark.xfail(strict=True, reason=(
    "known miss of the session-10 and -12 judges (docs/scoring.md, 'What is known to be weak'): a "
    "bare ordinal list without a lead-in such as 'I'd like to cover' is not read as topics "
    "(p 0.12); the session-8 judge credited it. Strict: passing again fails, so the mark "
    "goes when a judge gets it right."))
def test_a_bare_ordinal_list_lays_out_topics(agenda: Drill) -> None:
    ordinals = score_transcript(agenda, "First, your reporting today. Second, where it breaks. "
                                        "Finally, what we've seen work.")
    assert met(ordinals)["topics"]


def test_weights_and_pass_threshold_come_from_the_drill(agenda: Drill) -> None:
    text = ("The purpose of today is to see whether we can help. I'd like to cover your "
            "process, your goals and pricing. What would you like to add?")
    card = score_transcript(agenda, text)
    weights = {c.id: c.weight for c in agenda.criteria}
    assert [c.weight for c in card.criteria] == list(weights.values())
    earned = sum(weights[c.id] for c in card.criteria if c.met)
    assert 0 < earned < sum(weights.values())
    assert card.score == pytest.approx(round(100 * earned / sum(weights.values()), 1))
    assert card.passed == (card.score >= agenda.pass_threshold)


def test_scoring_is_deterministic(agenda: Drill) -> None:
    cards = {str(score_transcript(agenda, GOOD).to_json()) for _ in range(5)}
    assert len(cards) == 1


def test_run_on_evidence_is_a_short_verbatim_excerpt() -> None:
    """Speech recognition gives run-ons without full stops: a point still quotes a short
    stretch of the seller's own words, not the whole take."""
    library = DrillLibrary()
    run_on = ("yeah so um picture it six months from now right your nurse managers open the "
              "app on sunday night and the schedule is already built from the requests the "
              "nurses put in and theyre just approving swaps with one tap instead of spending "
              "ten hours on a spreadsheet and when somebody calls out at five am the open "
              "shift goes to your own per diem nurses first so you're not paying agency rates "
              "for it")
    card = score_transcript(library.drill("vision"), run_on, library.scenario("mercy-health"))
    quoted = [c.evidence for c in card.criteria if c.met]
    assert quoted
    for evidence in quoted:
        assert evidence is not None and evidence in normalise(run_on)
        assert len(evidence.split()) <= 45


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
        ("Today I want us to go through how you plan shifts now, what it costs you, and what "
         "other hospitals changed.", "topics"),
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


# -- the corpus split --------------------------------------------------------------------------


def test_split_rule_keeps_added_tuning_items_out_of_the_held_out_part() -> None:
    from trainer.bench.evaluation import expected_split

    assert expected_split("vision-003") == "heldout"
    assert expected_split("vision-004") == "tune"
    assert expected_split("vision-x003") == "tune"
    assert expected_split("vision-z003") == "tune"
    assert expected_split("vision-w003") == "tune"
    assert expected_split("vision-v003") == "tune"
    assert expected_split("vision-h003") == "heldout"  # written for measuring only
    assert expected_split("objection-012") == "heldout"


def test_apostrophes_dropped_by_recognition_are_restored_only_where_unambiguous() -> None:
    said = "the recs arent in excel anymore Nobodys chasing it were well its lets dont"
    assert normalise(said) == (
        "the recs aren't in excel anymore Nobody's chasing it were well its lets don't")


def test_a_sentence_embeds_the_same_alone_or_among_others() -> None:
    from trainer.rubric.embeddings import Embedder

    sentence = "every monday your planner opens the risk list and books the repair"
    others = ["we have thirty minutes today",
              "um so like the close takes twelve days and its all in spreadsheets honestly and "
              "the auditors keep asking for the backup every single quarter"]
    alone = Embedder().embed([sentence])[0]
    among = Embedder().embed([others[0], sentence, others[1]])[1]
    # Sentences are sorted by length and batched with neighbours: padding must not leak in.
    assert float(alone @ among) > 0.99999


