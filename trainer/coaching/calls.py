""""My next call": the seller types the prospect they are about to meet and practises on it.

The typed fields (the prospect's company, industry, role, pains, the alternative they use
today and, optionally, the buyer's name) become a ``Scenario`` in the same shape as the bundled
``drills/scenarios/*.json``, so every drill and the scorer use it exactly like a bundled one.
Our own side of the call (what we sell, value points, differentiators) is not typed here: it
is copied from a company block the caller passes (a bundled scenario's, or later the company
profile the manager sets up), or left empty.

Saved calls live in the store's ``scenarios`` table, one row per call, owned by one seller
(deleted with them). Every problem with the typed fields is one sentence (``InvalidCall``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trainer.common.errors import ScenarioError
from trainer.rubric.drills import Scenario, parse_scenario
from trainer.store.database import Seller, Store

ID_PREFIX = "call-"
MAX_FIELD = 200  # characters; a field is a phrase, not an essay
MAX_PAINS = 8
INTERACTIONS = ("discovery call", "demo", "follow-up")


class InvalidCall(ScenarioError):
    """A typed field is missing or unusable; the message names the field."""


@dataclass(frozen=True)
class NextCall:
    """The fields the seller types, cleaned."""

    company: str
    industry: str
    role: str
    pains: tuple[str, ...]
    alternative: str
    name: str = ""
    interaction: str = "discovery call"


def split_pains(text: str) -> list[str]:
    """One pain per line (or separated by ';'), bullets and numbering removed."""
    pains = []
    for part in re.split(r"[\n;]+", text):
        clean = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", part)
        clean = " ".join(clean.split())
        if clean:
            pains.append(clean)
    return pains


def _field(value: str, label: str, required: bool = True) -> str:
    clean = " ".join(str(value).split())
    if required and not clean:
        raise InvalidCall(f"Type the prospect's {label}.")
    if len(clean) > MAX_FIELD:
        raise InvalidCall(f"The prospect's {label} is too long; keep it under {MAX_FIELD} "
                          "characters.")
    return clean


def validate_call(company: str, industry: str, role: str, pains: str | Iterable[str],
                  alternative: str, name: str = "", interaction: str = "discovery call"
                  ) -> NextCall:
    """Clean and check the typed fields.

    Args:
        pains: one or more pains, as a list or as text with one pain per line.

    Raises:
        InvalidCall: a required field is empty or too long (one sentence naming it).
    """
    # Checked in the order of the form, so the first problem named is the first to fix.
    company, industry, role = (_field(company, "company"), _field(industry, "industry"),
                               _field(role, "role"))
    name = _field(name, "name", required=False)
    pain_list = split_pains(pains) if isinstance(pains, str) else [
        " ".join(str(p).split()) for p in pains if str(p).strip()]
    if not pain_list:
        raise InvalidCall("Type at least one of the prospect's pains (one per line).")
    if len(pain_list) > MAX_PAINS:
        raise InvalidCall(f"Keep to the prospect's top {MAX_PAINS} pains.")
    for pain in pain_list:
        _field(pain, "pain")
    return NextCall(
        company=company, industry=industry, role=role, pains=tuple(pain_list),
        alternative=_field(alternative, "alternative (what they use today)"), name=name,
        interaction=_field(interaction, "call type", required=False) or "discovery call",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "call"


def build_scenario(call: NextCall, company: Mapping[str, Any] | None = None,
                   scenario_id: str | None = None) -> Scenario:
    """A ``Scenario`` in the bundled JSON shape.

    Args:
        company: our side (name, offering, value_points, differentiators), e.g. a bundled
            scenario's company block; ``None`` leaves it empty for the company profile.
        scenario_id: defaults to ``call-<company slug>``.
    """
    ours = dict(company) if company is not None else {}
    ours.setdefault("value_points", [])
    ours.setdefault("differentiators", [])
    prospect: dict[str, Any] = {
        "company": call.company,
        "industry": call.industry,
        "role": call.role,
        "pains": list(call.pains),
        "alternative": call.alternative,
    }
    if call.name:
        prospect["name"] = call.name
    data = {
        "id": scenario_id or f"{ID_PREFIX}{_slug(call.company)}",
        "title": f"My next call: {call.company} ({call.industry})",
        "company": ours,
        "prospect": prospect,
        "interaction": call.interaction,
        "source": "my_next_call",
    }
    return parse_scenario(data, "my next call")


def is_saved_call(scenario_id: str | None) -> bool:
    return bool(scenario_id) and str(scenario_id).startswith(ID_PREFIX)


def save_call(store: Store, seller: Seller, scenario: Scenario) -> Scenario:
    """Save a call for this seller; returns it with its final, unique id.

    The id is ``call-<seller id>-<company slug>`` (``-2``, ``-3``... when the seller already
    has a call with that company), so ids never collide with bundled scenarios or with other
    sellers' calls.
    """
    base = f"{ID_PREFIX}{seller.id}-{_slug(str(scenario.prospect.get('company', '')))}"
    with store.transaction() as db:
        taken = {row[0] for row in db.execute(
            "SELECT id FROM scenarios WHERE id = ? OR id LIKE ?", (base, base + "-%"))}
        final, n = base, 2
        while final in taken:
            final, n = f"{base}-{n}", n + 1
        data = dict(scenario.raw)
        data["id"] = final
        db.execute("INSERT INTO scenarios (id, seller_id, scenario_json, created_at) "
                   "VALUES (?, ?, ?, ?)",
                   (final, seller.id, json.dumps(data), store.clock()))
    return parse_scenario(data, "my next call")


def saved_calls(store: Store, seller: Seller) -> list[Scenario]:
    """This seller's saved calls, newest first (a damaged row is skipped, never fatal)."""
    rows = store.query("SELECT id, scenario_json FROM scenarios WHERE seller_id = ? "
                       "ORDER BY created_at DESC, rowid DESC", (seller.id,))
    calls = []
    for row in rows:
        try:
            calls.append(parse_scenario(json.loads(row["scenario_json"]), "a saved call",
                                        default_id=row["id"]))
        except (ValueError, ScenarioError):
            continue
    return calls


def delete_call(store: Store, seller: Seller, scenario_id: str) -> bool:
    """Delete one of this seller's calls; False when they have none with that id."""
    with store.transaction() as db:
        cur = db.execute("DELETE FROM scenarios WHERE id = ? AND seller_id = ?",
                         (scenario_id, seller.id))
        return cur.rowcount > 0
