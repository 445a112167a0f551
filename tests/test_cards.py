"""The feature-or-benefit card game without a UI: the deck, the deal, the game, the record.

Real parts throughout: the shipped deck and scenarios, a real SQLite store under ``tmp_path``,
the real judge on the spoken path. Only the clock is injected, so answer times are exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer.audio.wavio import WavWriter, read_audio
from trainer.coaching.cards import (
    Card,
    CardGame,
    Deck,
    deal,
    judge_spoken,
    load_deck,
    match_player,
    player_history,
    prospect_for,
    prospect_line,
    result_sentence,
    scoreboard,
    spoken_audio_path,
    spoken_cards,
)
from trainer.common import paths
from trainer.common.errors import SILENT_MESSAGE, DrillFileError, SilentRecording
from trainer.rubric.classify import FeatureBenefitJudge, Verdict
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.scoring import default_judge
from trainer.speech.transcriber import Transcript, Word
from trainer.store.database import Store
from trainer.store.privacy import forget_seller


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_deck()


def raw_deck() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((paths.drills_dir() / "cards.json").read_text("utf-8"))
    return data


def write_deck(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "cards.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def the_cards(deck: Deck, *labels: str) -> list[Card]:
    """The first cards of the deck with these labels, in this order."""
    pool = list(deck.cards)
    out = []
    for label in labels:
        card = next(c for c in pool if c.label == label)
        pool.remove(card)
        out.append(card)
    return out


# -- the deck ---------------------------------------------------------------------------
def test_the_shipped_deck_loads_whole(deck: Deck) -> None:
    assert len(deck.cards) == 70
    assert len({c.id for c in deck.cards}) == 70
    assert {c.label for c in deck.cards} == {"feature", "benefit"}
    assert all(c.why and c.statement and c.product for c in deck.cards)
    assert all(c.model_benefit for c in deck.cards if c.label == "feature")
    first = deck.card("card-01")
    assert first.statement == "Ledgerly imports statements from more than two thousand banks."
    assert first.label == "feature"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("cards"), "cards.json: key 'cards' must be a non-empty list."),
    (lambda d: d["cards"][3].update(label="benefits"),
     "cards.json: key 'cards[3].label' must be 'feature' or 'benefit'."),
    (lambda d: d["cards"][5].pop("statement"),
     "cards.json: key 'cards[5].statement' must be a non-empty string."),
    (lambda d: d["cards"][7].update(why="  "),
     "cards.json: key 'cards[7].why' must be a non-empty string."),
    (lambda d: d["cards"][2].update(id=d["cards"][0]["id"]),
     "cards.json: key 'cards[2].id' repeats card 'card-01'."),
    (lambda d: d["cards"][0].update(model_benefit=None),
     "cards.json: key 'cards[0].model_benefit' must say the feature as a benefit."),
    (lambda d: d["cards"][1].update(model_benefit=3),
     "cards.json: key 'cards[1].model_benefit' must be a sentence or null."),
    (lambda d: d["cards"].__setitem__(4, "card-05"),
     "cards.json: key 'cards[4]' must be an object."),
])
def test_a_malformed_deck_names_the_file_and_the_key(tmp_path: Path, mutate: Any,
                                                      message: str) -> None:
    data = raw_deck()
    mutate(data)
    with pytest.raises(DrillFileError) as caught:
        load_deck(write_deck(tmp_path, data))
    assert str(caught.value) == message


def test_a_broken_or_missing_deck_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(DrillFileError, match=r"^cards\.json: not valid JSON \(line 1, column"):
        load_deck(write_deck(tmp_path, '{"cards": [}'))
    with pytest.raises(DrillFileError, match=r"^cards\.json: the deck must be a JSON object"):
        load_deck(write_deck(tmp_path, "[1, 2]"))
    with pytest.raises(DrillFileError, match=r"^cards\.json: cannot be read \(No such file"):
        load_deck(tmp_path / "nowhere" / "cards.json")


# -- the deal ----------------------------------------------------------------------------
def test_the_deal_is_shuffled_and_reproducible(deck: Deck) -> None:
    hand = deal(deck.cards, 10, seed=7)
    assert hand == deal(deck.cards, 10, seed=7)
    assert len({c.id for c in hand}) == 10
    assert hand != deal(deck.cards, 10, seed=8)
    assert [c.id for c in hand] != [c.id for c in deck.cards[:10]]  # shuffled, not the top
    assert len(deal(deck.cards, 500, seed=1)) == 70  # never more than the deck
    with pytest.raises(ValueError):
        deal(deck.cards, 0, seed=1)


def test_spoken_cards_are_features_with_a_prospect_who_buys_them(deck: Deck) -> None:
    scenarios = DrillLibrary().scenarios()
    cards = spoken_cards(deck, scenarios)
    assert cards and all(c.label == "feature" and c.model_benefit for c in cards)
    ledgerly = deck.card("card-01")
    prospect = prospect_for(ledgerly, scenarios)
    assert prospect is not None and prospect.id == "northwind-finance"
    assert prospect_line(prospect) == "Dana Ruiz, finance director at Northwind Logistics"
    assert {prospect_for(c, scenarios).id for c in cards} == {  # type: ignore[union-attr]
        s.id for s in scenarios}
    # A product no scenario sells is never dealt in a spoken round.
    assert all(c.product != "Pipewell CRM" for c in cards)
    assert prospect_for(next(c for c in deck.cards if c.product == "Pipewell CRM"),
                        scenarios) is None


# -- the game ----------------------------------------------------------------------------
def test_a_solo_game_scores_streaks_and_times(deck: Deck) -> None:
    clock = FakeClock()
    cards = the_cards(deck, "feature", "benefit", "benefit", "feature", "feature")
    game = CardGame(cards, ["Ana"], clock=clock)
    assert game.state == "ready" and game.current_card is None and game.solo

    answers = ["feature", "benefit", "feature", "feature", "feature"]
    expect_right = [True, True, False, True, True]
    for i, (answer, right) in enumerate(zip(answers, expect_right, strict=True)):
        assert game.flip() is cards[i]
        assert game.card_number == i + 1 and game.state == "showing"
        clock.advance(1.5 + i)
        call = game.call(answer)
        assert call.correct is right
        assert call.response_s == pytest.approx(1.5 + i)
        assert call.player == "Ana" and call.card is cards[i] and call.answer == answer
        assert game.state == "revealed"
        # The reason always teaches the card, from the deck's own words.
        assert call.reason == f"It's a {cards[i].label}: {cards[i].why}"

    ana = game.standing("Ana")
    assert (ana.score, ana.answered, ana.streak, ana.best_streak) == (4, 5, 2, 2)
    assert ana.total_s == pytest.approx(1.5 + 2.5 + 3.5 + 4.5 + 5.5)
    assert not game.has_next and game.winner is None  # not over until the next flip
    assert game.flip() is None
    assert game.state == "over" and game.winner == "Ana"
    assert game.result() == "Ana: 4 of 5 right, best streak 2."


def test_players_take_turns_and_the_best_wins(deck: Deck) -> None:
    clock = FakeClock()
    cards = deal(deck.cards, 6, seed=3)
    game = CardGame(cards, ["Ana", "Ben"], clock=clock)
    assert game.current_player == "Ana"
    turns = []
    for i, card in enumerate(cards):
        assert game.flip() is card
        turns.append(game.current_player)
        clock.advance(2.0)
        wrong = "benefit" if card.label == "feature" else "feature"
        # Ana gets everything right; Ben misses his second card.
        game.call(wrong if (game.current_player == "Ben" and i == 3) else card.label)
    assert turns == ["Ana", "Ben"] * 3
    game.flip()
    assert [s.player for s in game.standings()] == ["Ana", "Ben"]
    assert game.winner == "Ana"
    assert game.result() == "Ana wins with 3 of 3 right."
    ben = game.standing("Ben")
    assert (ben.score, ben.streak, ben.best_streak) == (2, 1, 1)


def test_a_tie_on_points_goes_to_the_faster_player(deck: Deck) -> None:
    clock = FakeClock()
    cards = deal(deck.cards, 4, seed=5)
    game = CardGame(cards, ["Ana", "Ben"], clock=clock)
    for seconds in (4.0, 2.0, 4.0, 2.0):  # Ana slow, Ben quick; both all right
        card = game.flip()
        assert card is not None
        clock.advance(seconds)
        game.call(card.label)
    game.flip()
    assert game.winner == "Ben"
    assert game.result() == ("Ben wins on speed: 2 right like Ana, answering in 2.0 s on "
                             "average against 4.0 s.")
    even = CardGame(cards[:2], ["Ana", "Ben"], clock=clock)
    for _ in range(2):
        card = even.flip()
        assert card is not None
        clock.advance(3.0)
        even.call(card.label)
    assert even.result() == "A tie: Ana and Ben with 1 right each."


def test_the_time_limit_makes_a_slow_or_missing_call_a_miss(deck: Deck) -> None:
    clock = FakeClock()
    cards = the_cards(deck, "feature", "feature", "benefit")
    game = CardGame(cards, ["Ana"], clock=clock, time_limit_s=10.0)
    game.flip()
    assert game.remaining_s() == 10.0
    clock.advance(4.0)
    assert game.remaining_s() == 6.0
    assert game.call("feature").correct

    game.flip()
    clock.advance(10.5)  # right, but too late
    late = game.call("feature")
    assert not late.correct and late.timed_out
    assert late.reason == f"It's a feature: {cards[1].why}"

    game.flip()
    clock.advance(12.0)
    assert game.remaining_s() == 0.0
    missed = game.time_up()
    assert missed.answer is None and not missed.correct and missed.timed_out
    assert missed.response_s == 12.0
    assert game.remaining_s() is None  # nothing is waiting any more
    assert game.standing("Ana").score == 1


def test_moves_out_of_turn_are_refused(deck: Deck) -> None:
    game = CardGame(deck.cards[:2], ["Ana"], clock=FakeClock())
    with pytest.raises(RuntimeError):
        game.call("feature")  # nothing flipped
    game.flip()
    with pytest.raises(RuntimeError):
        game.flip()  # the card on the table is not called yet
    with pytest.raises(ValueError):
        game.call("both")
    with pytest.raises(RuntimeError):
        game.record_spoken("so your team goes home", Verdict("benefit", 0.9, "gain"))
    game.end()
    assert game.state == "over" and game.flip() is None and game.winner is None
    for players in ([], [" "], ["Ana", "ana "]):
        with pytest.raises(ValueError):
            CardGame(deck.cards[:2], players)


# -- the record --------------------------------------------------------------------------
def test_every_call_is_saved_and_read_back(deck: Deck, store: Store) -> None:
    clock = FakeClock()
    cards = deal(deck.cards, 6, seed=11)
    game = CardGame(cards, ["Ana", "Ben"], clock=clock, store=store, game_id="g1")
    for i, card in enumerate(cards):
        game.flip()
        clock.advance(1.0 + i)
        game.call(card.label if i != 1 else ("feature" if card.label == "benefit"
                                              else "benefit"))
    game.flip()

    rows = store.query("SELECT * FROM card_rounds WHERE game_id = 'g1' ORDER BY id")
    assert [r["card_id"] for r in rows] == [c.id for c in cards]
    assert [r["player"] for r in rows] == ["Ana", "Ben"] * 3
    assert [r["correct"] for r in rows] == [1, 0, 1, 1, 1, 1]
    assert [r["response_s"] for r in rows] == pytest.approx([1, 2, 3, 4, 5, 6])
    assert {r["mode"] for r in rows} == {"call"}
    ana = store.find_seller("Ana")
    assert ana is not None and {r["seller_id"] for r in rows[::2]} == {ana.id}

    # The saved scoreboard is the game's own.
    assert scoreboard(store, "g1") == game.standings()
    assert scoreboard(store, "unknown") == []

    # A second game: history spans both, a streak does not run across games.
    again = CardGame(cards[:2], ["ana"], clock=clock, store=store, game_id="g2")
    for card in cards[:2]:
        again.flip()
        again.call(card.label)
    history = player_history(store, " ANA ")
    assert (history.games, history.answered, history.correct, history.best_streak) == (
        2, 5, 5, 3)
    assert history.sentence() == "ANA, all time: 100% right over 5 cards in 2 games, " \
                                 "best streak 3."
    ben = player_history(store, "Ben")
    assert (ben.answered, ben.correct, ben.best_streak) == (3, 2, 2)
    assert player_history(store, "Ben", mode="spoken").answered == 0
    assert player_history(store, "Nobody").sentence() == "Nobody has not played yet."

    # "Delete my data" takes a seller's card rounds with them.
    forget_seller(store, store.path.parent, "Ben")
    assert player_history(store, "Ben").answered == 0
    assert player_history(store, "Ana").answered == 5


def test_result_sentence_with_nothing_called() -> None:
    assert result_sentence([]) == "No cards were called."


# -- the spoken round --------------------------------------------------------------------
class HeardText:
    """A transcriber that hears a fixed sentence (the spoken tests with the real model are in
    tests/test_cards_ui.py); the judge and the silence check are real."""

    name = "heard"

    def __init__(self, text: str) -> None:
        self.text = text

    def load(self) -> float:
        return 0.0

    def transcribe(self, audio: Any) -> Transcript:
        words = [Word(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(self.text.split())]
        return Transcript(self.text, words, len(audio) / 16000, self.name)


def test_a_spoken_benefit_is_right_and_saved(deck: Deck, store: Store, tmp_path: Path
                                             ) -> None:
    card = deck.card("card-01")
    judge = FeatureBenefitJudge(default_judge())
    said = (SPEECH / "cards_benefit.txt").read_text(encoding="utf-8")
    result = judge_spoken(card, SPEECH / "cards_benefit.wav", HeardText(said), judge)
    assert result.correct and result.verdict.label == "benefit"
    assert result.transcript.text == said

    clock = FakeClock()
    game = CardGame([card], ["Ana"], mode="spoken", clock=clock, store=store, game_id="s1")
    game.flip()
    clock.advance(9.0)
    call = game.record_spoken(result.transcript.text, result.verdict)
    assert call.correct and call.reason == result.verdict.why and call.verdict is result.verdict
    row = store.query("SELECT * FROM card_rounds WHERE game_id = 's1'")[0]
    assert (row["mode"], row["answer"], row["correct"], row["response_s"]) == (
        "spoken", said, 1, 9.0)
    assert player_history(store, "Ana").sentence() == (
        "Ana, all time: 100% right over 1 card in 1 game, best streak 1.")
    with pytest.raises(RuntimeError):
        CardGame([card], ["Ana"], mode="spoken").call("feature")

    # A feature said back is wrong, with the judge's reason.
    feature = judge_spoken(card, SPEECH / "cards_benefit.wav",
                           HeardText("Ledgerly imports statements from two thousand banks."),
                           judge)
    assert not feature.correct and "what the product is, has or does" in feature.verdict.why


def test_a_silent_take_is_not_judged(deck: Deck, tmp_path: Path, store: Store) -> None:
    seller = store.seller("Ana")
    card = deck.card("card-01")
    wav = spoken_audio_path(tmp_path, seller, card)
    assert wav.parent == tmp_path / "recordings" / seller.folder
    wav.parent.mkdir(parents=True)
    writer = WavWriter(wav, 16000)
    writer.write(np.zeros(16000 * 3, dtype=np.float32))
    writer.close()
    assert spoken_audio_path(tmp_path, seller, card) != wav  # never over an earlier take
    with pytest.raises(SilentRecording) as caught:
        # Whisper invents "you" on silence: the audio check refuses it first.
        judge_spoken(card, wav, HeardText("Thank you. Thank you very much."),
                     FeatureBenefitJudge(default_judge()))
    assert str(caught.value) == SILENT_MESSAGE
    assert str(caught.value).startswith("We didn't hear you \u2014 check the microphone")
    assert len(read_audio(wav)) == 16000 * 3


# -- players are the sellers on file ------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "on_file", "means", "candidates"),
    [
        ("Ana", ["Ana Lopez", "Ben Carter"], "Ana Lopez", []),  # the one Ana on file
        ("  ana ", ["Ana Lopez"], "Ana Lopez", []),  # any case, any spacing
        ("ana lopez", ["Ana Lopez"], "Ana Lopez", []),  # the full name in another case
        ("Ana", ["Ana", "Ana Lopez"], "Ana", []),  # an exact name wins over a first name
        ("Ana", ["Ana Lopez", "Ana Ruiz"], None, ["Ana Lopez", "Ana Ruiz"]),  # which Ana?
        ("Chris", ["Ana Lopez"], None, []),  # new
        ("Ana Smith", ["Ana Lopez"], None, []),  # a full name is never completed: new
        ("Lopez", ["Ana Lopez"], None, []),  # a surname alone is not a first name
    ],
)
def test_a_typed_player_is_matched_to_the_sellers_on_file(
        store: Store, typed: str, on_file: list[str], means: str | None,
        candidates: list[str]) -> None:
    sellers = [store.seller(name) for name in on_file]
    match = match_player(typed, sellers)
    assert (match.seller.name if match.seller else None) == means
    assert [s.name for s in match.candidates] == candidates
    assert match.is_new == (means is None and not candidates)
    assert match.by_first_name == (means is not None and means.casefold()
                                   != " ".join(typed.split()).casefold())
    assert match.name == (means or " ".join(typed.split()))
    assert [s.name for s in store.sellers()] == sorted(on_file)  # matching creates nobody
