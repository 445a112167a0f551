"""``trainer.coaching.agendas``: written agendas per call type, and how much of one a spoken take
said."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer.coaching.agendas import (
    SIMILARITY,
    TARGET_PERCENT,
    CoveredItem,
    InvalidAgenda,
    agenda_coverage,
    agenda_items,
    interaction_for_scenario,
    save_agenda,
    written_agenda,
    written_agendas,
)
from trainer.coaching.practice import WrittenAgenda, build_scorecard
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.embeddings import Embedder
from trainer.speech.transcriber import Transcript, Word
from trainer.store.database import Store

SPOKEN = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")
WORDS = [{"word": w, "start": round(0.4 * i, 2), "end": round(0.4 * i + 0.3, 2)}
         for i, w in enumerate(SPOKEN.split())]
WRITTEN = """Discovery agenda
- Purpose: learn how you run month-end reporting today
- Confirm we still have thirty minutes
1. Walk through your current process
2) The problems it causes you
* How other finance teams fixed it
- Ask what they'd like to add. Agree on a next step.
- Pricing and contract terms
- Review the security questionnaire"""


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_items_are_lines_and_sentences_without_bullets() -> None:
    assert agenda_items(WRITTEN) == [
        "Discovery agenda",
        "Purpose: learn how you run month-end reporting today",
        "Confirm we still have thirty minutes",
        "Walk through your current process",
        "The problems it causes you",
        "How other finance teams fixed it",
        "Ask what they'd like to add.",
        "Agree on a next step.",
        "Pricing and contract terms",
        "Review the security questionnaire",
    ]


def test_coverage_of_the_good_agenda_take(embedder: Embedder) -> None:
    written = WRITTEN.split("\n", 1)[1]  # without the heading line
    coverage = agenda_coverage(written, WORDS, embedder)
    covered = {i.item: i for i in coverage.items if i.covered}
    assert set(coverage.missed) == {"Pricing and contract terms",
                                    "Review the security questionnaire"}
    assert coverage.covered == 7 and coverage.percent == pytest.approx(77.8)
    purpose = covered["Purpose: learn how you run month-end reporting today"]
    assert purpose.quote is not None and purpose.quote in SPOKEN
    assert "month end reporting" in purpose.quote
    assert purpose.start_s == pytest.approx(WORDS[SPOKEN.split().index("The")]["start"])
    time = covered["Confirm we still have thirty minutes"]
    assert time.quote == "I have us down for thirty minutes, does that still work for you?"
    assert "aim for about 90%" in coverage.summary()
    # The same take and agenda always give the same answer.
    assert agenda_coverage(written, WORDS, embedder) == coverage


def test_a_paraphrase_is_covered_by_meaning(embedder: Embedder) -> None:
    """The real sentence model on paraphrases far from ``SIMILARITY`` (0.5): the ones here
    score 0.75 and 0.35, so no CPU's last decimals can flip them (a paraphrase at 0.49-0.52,
    "Questions or additions from you", was covered on one machine and not on another)."""
    item = "Your month-end close"  # "close" is never said; "month end" and the sense are
    words_only = agenda_coverage(item, WORDS).items[0]
    assert words_only.covered and words_only.how == "words"
    # Said in other words: only one content word is shared ("finance").
    peers = agenda_coverage("How similar finance departments resolved it",
                            [w["word"] for w in WORDS], embedder).items[0]
    assert peers.covered and peers.how == "meaning"
    # The window that says it (two overlapping windows both quote the paraphrase verbatim).
    assert peers.quote is not None and peers.quote in SPOKEN
    assert "how other finance teams solved them." in peers.quote
    assert peers.start_s is None  # plain strings carry no times
    additions = agenda_coverage("Anything else you wish to include or modify", WORDS,
                                embedder).items[0]
    assert additions.covered and additions.how == "meaning"
    assert additions.quote == "Is there anything you would like to add or change?"
    assert additions.start_s == WORDS[SPOKEN.split().index("Is")]["start"]
    assert not agenda_coverage("Anything else you wish to include or modify",
                               WORDS).items[0].covered
    unrelated = agenda_coverage("Talk about security and compliance", WORDS, embedder)
    assert unrelated.covered == 0 and unrelated.percent == 0.0


class _Embedder:
    """Vectors chosen by the test: the item is the first axis, and each sentence of the take
    sits at the cosine the test gives it (every other sentence is orthogonal to the item)."""

    def __init__(self, item: str, cosines: dict[str, float]) -> None:
        self.item = item
        self.cosines = cosines

    def embed(self, sentences: list[str]) -> np.ndarray:
        rows = []
        for sentence in sentences:
            if sentence == self.item:
                rows.append([1.0, 0.0])
            else:
                c = self.cosines.get(sentence, 0.0)
                rows.append([c, float(np.sqrt(1.0 - c * c))])
        return np.array(rows, dtype=np.float32)


def test_meaning_covers_an_item_from_the_threshold_up_and_quotes_the_closest_window() -> None:
    """The decision rule, with similarities set exactly: covered at ``SIMILARITY`` and above,
    not below; the most similar window is quoted; shared words come first."""
    first, second = "We will look at pricing today.", "Then your team decides."
    said = [{"word": w, "start": float(i)} for i, w in enumerate(f"{first} {second}".split())]
    item = "Cost conversation"

    def covered(cosines: dict[str, float], text: str = item) -> CoveredItem:
        return agenda_coverage(text, said, _Embedder(text, cosines)).items[0]

    at = covered({first: SIMILARITY})
    assert (at.covered, at.how, at.quote, at.start_s) == (True, "meaning", first, 0.0)
    assert not covered({first: SIMILARITY - 0.01}).covered
    assert not covered({}).covered
    best = covered({first: SIMILARITY + 0.1, second: SIMILARITY + 0.2})
    assert (best.quote, best.start_s) == (second, 6.0)
    # Two content words said ("team", "decides") cover the item by words, whatever the
    # model says about another window.
    words = covered({first: 0.99}, text="What the team decides")
    assert (words.how, words.quote) == ("words", second)


def test_a_word_shared_by_chance_is_not_coverage() -> None:
    # "time" is said ("Thanks for making time") but "check the time" is two content words.
    assert not agenda_coverage("Check the time", WORDS).items[0].covered


def test_all_covered_is_on_script() -> None:
    coverage = agenda_coverage("Your current process\nThe problems it causes", WORDS)
    assert coverage.percent == 100.0 >= TARGET_PERCENT
    assert coverage.summary().endswith("(100%): on script.")


def test_written_agendas_are_saved_per_seller_and_type(store: Store) -> None:
    ana, ben = store.seller("Ana"), store.seller("Ben")
    save_agenda(store, ana, "Discovery", "Purpose\nTime check")
    save_agenda(store, ana, "follow up", "Recap")
    save_agenda(store, ana, "Renewal review", "Usage")
    assert written_agenda(store, ana, "discovery") == "Purpose\nTime check"
    assert written_agenda(store, ana, "Follow-up") == "Recap"
    assert written_agenda(store, ben, "discovery") is None
    assert list(written_agendas(store, ana)) == ["discovery", "follow-up", "renewal-review"]
    save_agenda(store, ana, "discovery", "Purpose only")  # written once, edited in place
    assert written_agenda(store, ana, "discovery") == "Purpose only"
    save_agenda(store, ana, "discovery", "   ")  # emptied: gone
    assert written_agenda(store, ana, "discovery") is None


@pytest.mark.parametrize(("interaction", "text", "message"), [
    ("  ", "Purpose", "Name the type of call this agenda is for (e.g. discovery)."),
    ("x" * 41, "Purpose", "Keep the call type's name under 40 characters."),
    ("demo", "x" * 4001, "Keep the agenda under 4000 characters; it is what you say in the "
                         "first minute of the call."),
])
def test_bad_agendas_get_one_sentence(store: Store, interaction: str, text: str,
                                      message: str) -> None:
    with pytest.raises(InvalidAgenda) as info:
        save_agenda(store, store.seller("Ana"), interaction, text)
    assert str(info.value) == message


def test_scenario_interactions_map_to_agenda_types() -> None:
    assert interaction_for_scenario("discovery call") == "discovery"
    assert interaction_for_scenario("Follow up call") == "follow-up"
    assert interaction_for_scenario("Demo") == "demo"
    assert interaction_for_scenario("QBR") == "qbr"


def test_agenda_scorecards_get_a_coverage_block(embedder: Embedder) -> None:
    library = DrillLibrary()
    words = [Word(w["word"], w["start"], w["end"]) for w in WORDS]
    transcript = Transcript(SPOKEN, words, 14.0, "scripted")
    agenda = WrittenAgenda("discovery", "Your current process\nPricing and contract terms")
    card = build_scorecard(library.drill("agenda"), library.scenario("northwind-finance"),
                           transcript, embedder, agenda=agenda)
    block = card["agenda_coverage"]
    assert block["interaction"] == "discovery"
    assert (block["covered"], block["total"], block["percent"]) == (1, 2, 50.0)
    assert [i["covered"] for i in block["items"]] == [True, False]
    # Coverage is advice, not part of the score; other drills never get the block.
    plain = build_scorecard(library.drill("agenda"), library.scenario("northwind-finance"),
                            transcript, embedder)
    assert "agenda_coverage" not in plain and plain["score"] == card["score"]
    story = build_scorecard(library.drill("client_story"), None, transcript, embedder,
                            agenda=agenda)
    assert "agenda_coverage" not in story
