"""The company a manager sets up once: what we sell, the value points and the differentiators.

The profile lives in the one-row ``company`` table (schema v2 of ``trainer.store.database``) as
JSON.
``apply_company`` puts it into a scenario's ``company`` part, so the bundled scenarios (and
the seller's own) speak of *this* company: the value-proposition drill's "says what you do"
credits a sentence that names the offering, differentiation credits the differentiators, and
the buyer's lines name the company. The manager's approved client stories are kept by
``trainer.coaching.stories`` (source ``approved``); ``approved_stories`` lists them.

Every problem with what the manager typed is one sentence (``CompanyProfileError``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from trainer.coaching.stories import Story, search_stories
from trainer.common.errors import TrainerError
from trainer.rubric.drills import Scenario
from trainer.store.database import Store

log = logging.getLogger(__name__)

MAX_ITEMS = 10  # a value proposition with more than ten points is a brochure, not a pitch
MAX_ITEM_CHARS = 200


class CompanyProfileError(TrainerError):
    """What the manager typed cannot be a company profile; the message says what to fix."""


@dataclass(frozen=True)
class CompanyProfile:
    name: str
    offering: str  # "what we sell", in words a buyer could repeat
    value_points: tuple[str, ...]
    differentiators: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "offering": self.offering,
                "value_points": list(self.value_points),
                "differentiators": list(self.differentiators)}


def _clean(value: str) -> str:
    return " ".join(value.split())


def _items(values: str | Iterable[str], what: str) -> tuple[str, ...]:
    """One point per line (or per list entry); blanks and repeats dropped, order kept."""
    raw = values.splitlines() if isinstance(values, str) else list(values)
    out: list[str] = []
    for value in raw:
        # A pasted bullet list keeps its bullets off the scorer's words.
        item = _clean(str(value)).lstrip("-*\u2022 ").strip()
        if item and item.casefold() not in (o.casefold() for o in out):
            out.append(item)
    for item in out:
        if len(item) > MAX_ITEM_CHARS:
            raise CompanyProfileError(
                f"Keep each of the {what} under {MAX_ITEM_CHARS} characters; "
                f"\"{item[:40]}...\" is longer.")
    if len(out) > MAX_ITEMS:
        raise CompanyProfileError(f"List at most {MAX_ITEMS} {what}; there are {len(out)}.")
    return tuple(out)


def make_profile(*, name: str, offering: str, value_points: str | Iterable[str],
                 differentiators: str | Iterable[str]) -> CompanyProfile:
    """A validated profile. ``value_points`` and ``differentiators`` may be one per line.

    Raises:
        CompanyProfileError: a required part is missing or too long, in one sentence.
    """
    name, offering = _clean(name), _clean(offering)
    if not name:
        raise CompanyProfileError("Type the company's name.")
    if not offering:
        raise CompanyProfileError("Say what the company sells, in words a buyer could repeat.")
    if len(name) > 100 or len(offering) > MAX_ITEM_CHARS:
        raise CompanyProfileError(
            f"Keep the name under 100 and what you sell under {MAX_ITEM_CHARS} characters.")
    points = _items(value_points, "value points")
    if not points:
        raise CompanyProfileError("List at least one value point, one per line.")
    differs = _items(differentiators, "differentiators")
    if not differs:
        raise CompanyProfileError("List at least one differentiator, one per line.")
    return CompanyProfile(name, offering, points, differs)


def profile_from_json(data: Mapping[str, Any]) -> CompanyProfile:
    return make_profile(name=str(data.get("name", "")), offering=str(data.get("offering", "")),
                        value_points=[str(v) for v in data.get("value_points", [])],
                        differentiators=[str(v) for v in data.get("differentiators", [])])


def save_company(store: Store, profile: CompanyProfile) -> None:
    with store.transaction() as db:
        db.execute("INSERT INTO company (id, profile_json, updated_at) VALUES (1, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET profile_json = excluded.profile_json, "
                   "updated_at = excluded.updated_at",
                   (json.dumps(profile.to_json()), store.clock()))


def load_company(store: Store) -> CompanyProfile | None:
    """The saved profile, or ``None`` when the manager has not set one up (or it is unusable,
    in which case the bundled scenarios' own companies are used, as before set-up)."""
    rows = store.query("SELECT profile_json FROM company WHERE id = 1")
    if not rows:
        return None
    try:
        data = json.loads(rows[0]["profile_json"])
        return profile_from_json(data) if isinstance(data, dict) else None
    except (json.JSONDecodeError, CompanyProfileError):
        return None


def usable_company(store: Store) -> CompanyProfile | None:
    """``load_company``, or ``None`` (logged) when the store cannot be read: a damaged
    profile must not stop a take, which is then pitched with the bundled company."""
    try:
        return load_company(store)
    except TrainerError as exc:
        log.warning("Company profile not used: %s", exc)
        return None


def apply_company(scenario: Scenario, profile: CompanyProfile | None) -> Scenario:
    """``scenario`` with its ``company`` part replaced by the manager's profile.

    The prospect is untouched; any other company keys of the scenario stay. With no profile
    the scenario is returned as it is. The scenario id stays the same: the attempt stores the
    whole scenario JSON, so which company it was scored against is kept with the take.
    """
    if profile is None:
        return scenario
    company = {**dict(scenario.company), **profile.to_json()}
    raw = {**dict(scenario.raw), "company": company}
    return replace(scenario, company=company, raw=raw)


def approved_stories(store: Store, text: str = "", *, industry: str = "", role: str = "",
                     pain: str = "") -> list[Story]:
    """The manager's approved client stories (newest first), filtered like the library."""
    return search_stories(store, text, industry=industry, role=role, pain=pain,
                          source="approved")
