"""``trainer.coaching.calls``: "my next call" fields become a scenario the scorer uses, saved per
seller."""

from __future__ import annotations

import pytest

from trainer.coaching.calls import (
    InvalidCall,
    build_scenario,
    delete_call,
    is_saved_call,
    save_call,
    saved_calls,
    split_pains,
    validate_call,
)
from trainer.rubric.drills import DrillLibrary, parse_scenario
from trainer.rubric.scoring import score_transcript
from trainer.store.database import Store


def acme_call() -> dict[str, str]:
    return {"company": "  Acme   Freight ", "industry": "logistics",
            "role": "Head of finance operations",
            "pains": "- invoices are matched by hand\n\n2. month-end close takes ten days",
            "alternative": "spreadsheets and email", "name": "Priya Shah"}


def test_fields_are_cleaned_and_pains_split() -> None:
    call = validate_call(**acme_call())
    assert call.company == "Acme Freight"
    assert call.pains == ("invoices are matched by hand", "month-end close takes ten days")
    assert call.name == "Priya Shah"
    assert split_pains("a; b\n  \n* c") == ["a", "b", "c"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("company", "  ", "Type the prospect's company."),
    ("industry", "", "Type the prospect's industry."),
    ("role", "\n", "Type the prospect's role."),
    ("pains", " \n - \n", "Type at least one of the prospect's pains (one per line)."),
    ("alternative", "", "Type the prospect's alternative (what they use today)."),
    ("company", "x" * 201, "The prospect's company is too long; keep it under 200 characters."),
])
def test_bad_fields_get_one_sentence(field: str, value: str, message: str) -> None:
    fields = acme_call() | {field: value}
    with pytest.raises(InvalidCall) as info:
        validate_call(**fields)
    assert str(info.value) == message


def test_scenario_has_the_bundled_shape_and_our_company_block() -> None:
    library = DrillLibrary()
    ours = library.scenario("northwind-finance").company
    scenario = build_scenario(validate_call(**acme_call()), ours)
    # The same validation as a bundled scenario file, and the same keys.
    again = parse_scenario(scenario.to_json(), "round trip")
    assert again.prospect["company"] == "Acme Freight"
    assert again.prospect["pains"] == ["invoices are matched by hand",
                                       "month-end close takes ten days"]
    assert again.company["name"] == ours["name"]
    assert set(library.scenario("northwind-finance").prospect) <= set(again.prospect)
    assert scenario.title == "My next call: Acme Freight (logistics)"
    # No company block yet (left for the company profile): still a valid scenario.
    bare = build_scenario(validate_call(**acme_call()), None)
    assert bare.company == {"value_points": [], "differentiators": []}


def test_the_scorer_uses_the_typed_prospect() -> None:
    library = DrillLibrary()
    drill = library.drill("differentiation")
    scenario = build_scenario(validate_call(**acme_call()),
                              library.scenario("northwind-finance").company)
    assert drill.buyer_line_for(scenario).count("spreadsheets and email") == 1
    text = ("Compared with spreadsheets and email, we match every invoice automatically, "
            "so your team closes the month in three days instead of ten.")
    card = score_transcript(drill, text, scenario)
    names = next(c for c in card.criteria if c.id == "names_alternative")
    assert names.met and "spreadsheets and email" in (names.evidence or "")
    assert card.scenario == scenario.id


def test_save_list_delete_per_seller(store: Store) -> None:
    ana, ben = store.seller("Ana"), store.seller("Ben")
    scenario = build_scenario(validate_call(**acme_call()))
    first = save_call(store, ana, scenario)
    second = save_call(store, ana, scenario)  # same company again: a second, distinct call
    assert first.id == f"call-{ana.id}-acme-freight"
    assert second.id == f"call-{ana.id}-acme-freight-2"
    assert is_saved_call(first.id) and not is_saved_call("northwind-finance")
    assert [c.id for c in saved_calls(store, ana)] == [second.id, first.id]
    assert saved_calls(store, ben) == []
    assert saved_calls(store, ana)[0].prospect["company"] == "Acme Freight"
    assert not delete_call(store, ben, first.id)  # not Ben's to delete
    assert delete_call(store, ana, first.id)
    assert [c.id for c in saved_calls(store, ana)] == [second.id]


def test_a_seller_deleted_takes_their_calls(store: Store) -> None:
    ana = store.seller("Ana")
    save_call(store, ana, build_scenario(validate_call(**acme_call())))
    store.delete_seller(ana)
    assert store.query("SELECT COUNT(*) FROM scenarios")[0][0] == 0
