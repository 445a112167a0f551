"""Drill and scenario content, loaded from the data files in ``drills/``.

A drill file (``drills/<id>.toml``) holds what a sales manager would write on a card: the
prompt, the buyer's line, the target length, the pass mark and the rubric criteria, each with a
plain definition, a weight, a coaching tip, a better example sentence, a few sentences that meet
it (``meets``) and near misses that sound close without meeting it (``near_misses``), and the
scenario facts it depends on (``uses``, from ``USES``). The judge reads those words; there are no
patterns to write. Two small language detectors (``detector = "quantity"``: a number, percentage,
duration or money amount; ``"price"``: price words) and the audio-judged delivery criterion
(``detector = "delivery"``) are the only other kinds.
Scenario files (``drills/scenarios/<id>.json``) describe a prospect in the
shape the CLI's ``--scenario`` accepts.

Every problem in a file is reported as ``DrillFileError``/``ScenarioError`` naming the file and
the key, so a manager editing content can fix it without reading code.

Coaching speaks about the chosen prospect: a criterion's ``example`` may hold placeholders
(``{prospect_company}``, ``{pain}``, ``{alternative}``, ``{offering}``...; see
``EXAMPLE_PLACEHOLDERS``) filled from the scenario in use by ``Criterion.example_for``, or with
neutral words when there is none. Tips, definitions, prompts and briefs are shown where no
scenario is known (progress, the manager's view), so they take no placeholders and are written
about no particular prospect. Both rules are checked when a file loads.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import DrillFileError, ScenarioError, UnknownDrill

# Shared delivery coaching bands live beside the drills but are not a drill.
from trainer.rubric.bands import DELIVERY_FILE, load_bands

DETECTORS = ("quantity", "price", "delivery")
# Keys a criterion may have; anything else is a mistake worth one clear sentence (the cue
# patterns of the rule-based judge are gone: a criterion is described in words).
CRITERION_KEYS = frozenset({"id", "name", "definition", "weight", "tip", "example", "meets",
                            "near_misses", "uses", "detector", "profile", "max_watch"})
RETIRED_KEYS = frozenset({"cues", "vague", "require", "exclude", "exemplars", "similarity",
                          "scenario_fields", "like", "needs", "min_items"})
# The scenario facts a criterion may depend on (its ``uses``): the prospect's pains, the
# alternative they would otherwise use, our offering (with its value points and
# differentiators), and the prospect itself (company, industry, role). The judge reads only
# the facts a criterion names, so a criterion about the buyer is judged against this buyer.
USES = ("pains", "alternative", "offering", "prospect")
SCENARIO_FIELDS = ("prospect.pains", "prospect.industry", "prospect.role", "prospect.company",
                   "prospect.name", "prospect.alternative", "company.value_points",
                   "company.differentiators", "company.offering", "company.name")


def _first(key: str) -> Callable[[Scenario], str]:
    section, name = key.split(".")

    def get(scenario: Scenario) -> str:
        value = (scenario.prospect if section == "prospect" else scenario.company).get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), "")
        return value.strip() if isinstance(value, str) else ""

    return get


# Placeholders an ``example`` may use: where the value comes from (the first item of a list)
# and the neutral words used without a scenario, or when the scenario lacks the value. The
# neutral words fit where the shipped examples put them: {industry} after "in", {pain} and
# {differentiator} set off by a dash or a colon, {value_point} after "it".
EXAMPLE_PLACEHOLDERS: dict[str, tuple[Callable[[Scenario], str], str]] = {
    "prospect_company": (_first("prospect.company"), "your company"),
    "industry": (_first("prospect.industry"), "your industry"),
    "pain": (_first("prospect.pains"), "the problem you described"),
    "alternative": (_first("prospect.alternative"), "what you use today"),
    "offering": (_first("company.offering"), "software for teams like yours"),
    "company_name": (_first("company.name"), "our product"),
    "value_point": (_first("company.value_points"), "takes the routine work off your team"),
    "differentiator": (_first("company.differentiators"),
                       "it does the routine checks for you, with nothing new to install"),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill_example(text: str, scenario: Scenario | None) -> str:
    """``text`` with its placeholders filled from ``scenario`` (neutral words without one)."""

    def replace(match: re.Match[str]) -> str:
        get, neutral = EXAMPLE_PLACEHOLDERS[match.group(1)]
        return (get(scenario) if scenario is not None else "") or neutral

    return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True)
class Criterion:
    """One rubric line, in a sales manager's words: what it means, what it is worth, how to
    coach a miss, and examples that show the judge where the line is."""

    id: str
    name: str
    definition: str
    weight: float
    tip: str
    example: str
    # Sentences that meet the criterion, and near misses that sound close without meeting it
    # (access rather than a use, a rollout rather than a result).
    meets: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    # Which scenario facts (``USES``) the criterion depends on; most depend on none.
    uses: tuple[str, ...] = ()
    detector: str | None = None  # None, or one of ``DETECTORS``
    # detector = "delivery" only: which band profile of drills/delivery.toml applies, and how
    # many metrics may sit in "watch" (none in "fix") for the criterion to be met.
    profile: str = "conversation"
    max_watch: int = 2

    def example_for(self, scenario: Scenario | None) -> str:
        """The example sentence about this prospect (``example`` holds the placeholders)."""
        return fill_example(self.example, scenario)


@dataclass(frozen=True)
class Drill:
    id: str
    title: str
    skill: str
    prompt: str
    buyer_line: str
    brief: str
    target_seconds: tuple[float, float]
    pass_threshold: float
    criteria: tuple[Criterion, ...]
    source: Path
    # The criterion judged from the audio (detector = "delivery"), kept apart from the
    # transcript rubric in ``criteria``: a transcript alone has no delivery to judge, so
    # transcript-only scores are computed without it.
    delivery: Criterion | None = None

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def buyer_line_for(self, scenario: Scenario) -> str:
        """The buyer's line with scenario fields filled in (``{alternative}``, ``{name}``...)."""
        return fill_template(self.buyer_line, scenario)


@dataclass(frozen=True)
class Scenario:
    """A prospect to practise on; ``raw`` keeps the whole JSON (extra keys are allowed)."""

    id: str
    title: str
    company: Mapping[str, Any]
    prospect: Mapping[str, Any]
    interaction: str
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def industry(self) -> str:
        return str(self.prospect.get("industry", ""))

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)


def fill_template(text: str, scenario: Scenario) -> str:
    values = {f"prospect_{k}": v for k, v in scenario.prospect.items()}
    values.update({f"company_{k}": v for k, v in scenario.company.items()})
    values["alternative"] = scenario.prospect.get("alternative", "what you use today")
    values["name"] = scenario.prospect.get("name", "")

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return str(value) if value not in (None, "") else match.group(0)

    return re.sub(r"\{(\w+)\}", replace, text)


def _require(data: Mapping[str, Any], key: str, kind: type, where: str, path: Path) -> Any:
    if key not in data:
        raise DrillFileError(f"{path.name}: missing key '{where}{key}'.")
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise DrillFileError(
            f"{path.name}: key '{where}{key}' must be a non-empty {kind.__name__}."
        )
    return value


_TEMPLATE = re.compile(r"\{([a-z_]+)\}")


def _strings(values: Any, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DrillFileError(f"{path.name}: key '{key}' must be a list of strings.")
    return tuple(values)


def _uses(values: Any, key: str, path: Path) -> tuple[str, ...]:
    """Validate the scenario facts a criterion depends on (see ``USES``)."""
    uses = _strings(values, key, path)
    for i, name in enumerate(uses):
        if name not in USES:
            raise DrillFileError(
                f"{path.name}: key '{key}[{i}]' must be one of {', '.join(USES)} "
                f"(not '{name}').")
        if name in uses[:i]:
            raise DrillFileError(f"{path.name}: key '{key}[{i}]' repeats '{name}'.")
    return uses


def _coaching(value: str, key: str, path: Path, placeholders: bool) -> str:
    """Check the placeholders of a text shown to the seller (see the module docstring)."""
    for match in _PLACEHOLDER.finditer(value):
        if not placeholders:
            raise DrillFileError(
                f"{path.name}: key '{key}' has the placeholder '{match.group(0)}'; "
                "placeholders are filled only in a criterion's 'example' (write this text "
                "about no particular prospect).")
        if match.group(1) not in EXAMPLE_PLACEHOLDERS:
            raise DrillFileError(
                f"{path.name}: key '{key}' uses the unknown placeholder '{match.group(0)}' "
                f"(known: {', '.join('{' + n + '}' for n in sorted(EXAMPLE_PLACEHOLDERS))}).")
    return value


def parse_drill(data: Mapping[str, Any], path: Path) -> Drill:
    """Validate a drill file's parsed content and build a ``Drill``."""
    drill_id = _require(data, "id", str, "", path)
    target = data.get("target_seconds", [30, 120])
    if (not isinstance(target, list) or len(target) != 2
            or not all(isinstance(t, (int, float)) for t in target) or target[0] > target[1]):
        raise DrillFileError(f"{path.name}: key 'target_seconds' must be [min, max] seconds.")
    threshold = _require(data, "pass_threshold", float, "", path)
    if not 0 <= threshold <= 100:
        raise DrillFileError(f"{path.name}: key 'pass_threshold' must be between 0 and 100.")
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise DrillFileError(f"{path.name}: key 'criteria' must be a non-empty list.")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_criteria):
        where = f"criteria[{i}]."
        if not isinstance(raw, dict):
            raise DrillFileError(f"{path.name}: key 'criteria[{i}]' must be a table.")
        cid = _require(raw, "id", str, where, path)
        if cid in seen:
            raise DrillFileError(f"{path.name}: key '{where}id' repeats criterion '{cid}'.")
        seen.add(cid)
        weight = _require(raw, "weight", float, where, path)
        if not math.isfinite(weight) or weight <= 0:
            raise DrillFileError(f"{path.name}: key '{where}weight' must be a number above 0.")
        retired = sorted(RETIRED_KEYS & set(raw))
        if retired:
            raise DrillFileError(
                f"{path.name}: key '{where}{retired[0]}' is no longer read: describe the "
                "criterion in words ('definition', 'meets', 'near_misses') and remove it.")
        unknown = sorted(set(raw) - CRITERION_KEYS - RETIRED_KEYS)
        if unknown:
            raise DrillFileError(
                f"{path.name}: key '{where}{unknown[0]}' is not a criterion key (known: "
                f"{', '.join(sorted(CRITERION_KEYS))}).")
        detector = raw.get("detector")
        if detector is not None and detector not in DETECTORS:
            raise DrillFileError(
                f"{path.name}: key '{where}detector' must be one of {', '.join(DETECTORS)}."
            )
        meets = _strings(raw.get("meets", []), where + "meets", path)
        near_misses = _strings(raw.get("near_misses", []), where + "near_misses", path)
        uses = _uses(raw.get("uses", []), where + "uses", path)
        if detector != "delivery" and (len(meets) < 2 or len(near_misses) < 2):
            raise DrillFileError(
                f"{path.name}: key '{where}meets' and '{where}near_misses' must each give at "
                "least two sentences, so the judge can see where the line is.")
        profile = raw.get("profile", "conversation")
        max_watch = raw.get("max_watch", 2)
        if detector == "delivery":
            if not isinstance(profile, str) or not re.fullmatch(r"[a-z_]+", profile):
                raise DrillFileError(
                    f"{path.name}: key '{where}profile' must name a profile in "
                    f"{DELIVERY_FILE} (lower-case letters and '_').")
            if isinstance(max_watch, bool) or not isinstance(max_watch, int) \
                    or not 0 <= max_watch <= 10:
                raise DrillFileError(
                    f"{path.name}: key '{where}max_watch' must be a whole number from 0 to 10.")
            if any(c.detector == "delivery" for c in criteria):
                raise DrillFileError(
                    f"{path.name}: key '{where}detector' repeats the delivery criterion "
                    "(a drill has at most one).")
        criteria.append(
            Criterion(
                id=cid,
                name=_coaching(_require(raw, "name", str, where, path), where + "name",
                               path, False),
                definition=_coaching(_require(raw, "definition", str, where, path),
                                     where + "definition", path, False),
                weight=weight,
                tip=_coaching(_require(raw, "tip", str, where, path), where + "tip", path,
                              False),
                example=_coaching(_example(raw, where, path), where + "example", path, True),
                meets=meets,
                near_misses=near_misses,
                uses=uses,
                detector=detector,
                profile=profile if detector == "delivery" else "conversation",
                max_watch=max_watch if detector == "delivery" else 2,
            )
        )
    delivery = next((c for c in criteria if c.detector == "delivery"), None)
    ids = {c.id for c in criteria if c.detector != "delivery"}
    if not ids:
        raise DrillFileError(f"{path.name}: key 'criteria' must list at least one criterion "
                             "judged from the transcript.")
    brief = data.get("brief", "")
    if not isinstance(brief, str):
        raise DrillFileError(f"{path.name}: key 'brief' must be a string.")
    return Drill(
        id=drill_id,
        title=_coaching(_require(data, "title", str, "", path), "title", path, False),
        skill=str(data.get("skill", drill_id)),
        prompt=_coaching(_require(data, "prompt", str, "", path), "prompt", path, False),
        buyer_line=_require(data, "buyer_line", str, "", path),
        brief=_coaching(brief, "brief", path, False),
        target_seconds=(float(target[0]), float(target[1])),
        pass_threshold=threshold,
        criteria=tuple(c for c in criteria if c.detector != "delivery"),
        source=path,
        delivery=delivery,
    )


def _example(raw: Mapping[str, Any], where: str, path: Path) -> str:
    value = raw.get("example", "")
    if not isinstance(value, str):
        raise DrillFileError(f"{path.name}: key '{where}example' must be a string.")
    return value


def load_drill_file(path: Path) -> Drill:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise DrillFileError(f"{path.name}: not valid TOML ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise DrillFileError(f"{path.name}: not UTF-8 text ({exc.reason}).") from exc
    except OSError as exc:
        raise DrillFileError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    return parse_drill(data, path)


class DrillLibrary:
    """All drills and scenarios in one folder, loaded once.

    Args:
        folder: the drills folder; defaults to the bundled ``drills/``.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.drills_dir()
        self._drills: dict[str, Drill] | None = None
        self._scenarios: dict[str, Scenario] | None = None

    def drills(self) -> list[Drill]:
        if self._drills is None:
            loaded: dict[str, Drill] = {}
            for path in sorted(self.folder.glob("*.toml")):
                if path.name == DELIVERY_FILE:
                    continue
                drill = load_drill_file(path)
                loaded[drill.id] = drill
            self._check_delivery_profiles(loaded.values())
            self._drills = loaded
        return list(self._drills.values())

    def _check_delivery_profiles(self, drills: Iterable[Drill]) -> None:
        """Each delivery criterion names a profile that ``delivery.toml`` defines."""
        bands_file = self.folder / DELIVERY_FILE
        if not bands_file.exists():
            return
        profiles = load_bands(bands_file).profiles
        for drill in drills:
            if drill.delivery is not None and drill.delivery.profile not in profiles:
                raise DrillFileError(
                    f"{drill.source.name}: key 'profile' of criterion '{drill.delivery.id}' "
                    f"names no profile in {DELIVERY_FILE} (known: {', '.join(sorted(profiles))})."
                )

    def drill(self, drill_id: str) -> Drill:
        by_id = {d.id: d for d in self.drills()}
        if drill_id not in by_id:
            known = ", ".join(sorted(by_id)) or "none"
            raise UnknownDrill(f"No drill called '{drill_id}'; available drills: {known}.")
        return by_id[drill_id]

    def scenarios(self) -> list[Scenario]:
        if self._scenarios is None:
            self._scenarios = {}
            for path in sorted((self.folder / "scenarios").glob("*.json")):
                scenario = load_scenario(path)
                self._scenarios[scenario.id] = scenario
        return list(self._scenarios.values())

    def scenario(self, scenario_id: str) -> Scenario:
        for s in self.scenarios():
            if s.id == scenario_id:
                return s
        raise ScenarioError(f"No scenario called '{scenario_id}'.")


def parse_scenario(data: Any, name: str, default_id: str = "custom") -> Scenario:
    """Validate scenario JSON (the CLI contract's shape; extra keys allowed)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{name}: the scenario must be a JSON object.")
    for key in ("company", "prospect"):
        if not isinstance(data.get(key), dict):
            raise ScenarioError(f"{name}: key '{key}' must be an object.")
    for section, key in (("company", "value_points"), ("company", "differentiators"),
                         ("prospect", "pains")):
        value = data[section].get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{name}: key '{section}.{key}' must be a list of strings.")
    for section, key in (("company", "name"), ("company", "offering"), ("prospect", "name"),
                         ("prospect", "company"), ("prospect", "industry"),
                         ("prospect", "role"), ("prospect", "alternative")):
        value = data[section].get(key, "")
        if not isinstance(value, str):
            raise ScenarioError(f"{name}: key '{section}.{key}' must be a string.")
    interaction = data.get("interaction", "discovery call")
    if not isinstance(interaction, str):
        raise ScenarioError(f"{name}: key 'interaction' must be a string.")
    prospect = data["prospect"]
    title = data.get("title") or (
        f"{prospect.get('company') or 'Prospect'} ({prospect.get('industry') or 'any industry'})"
    )
    return Scenario(
        id=str(data.get("id", default_id)),
        title=str(title),
        company=data["company"],
        prospect=prospect,
        interaction=interaction,
        raw=data,
    )


def load_scenario(path: Path) -> Scenario:
    if not path.exists():
        raise ScenarioError(f"Scenario file not found: {path}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path.name}: cannot be read ({exc}).") from exc
    return parse_scenario(data, path.name, default_id=path.stem)
