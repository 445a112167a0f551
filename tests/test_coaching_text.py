"""Coaching speaks about the chosen prospect (issue 14 §6).

In the hospital scenario the tips and examples used to say "how your team closes the month",
"Cascade Freight ... Portland" and "your twelve-day close": the logistics scenario's details.
For every bundled scenario and every drill, what the seller sees (the brief on screen, and the
tips and examples of a scorecard rendered by the real widgets) names nothing that belongs to
another scenario. The forbidden words are built from the other scenarios' JSON: their names and
companies, and every word only one scenario uses (less plain English that identifies nobody).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from trainer.common import paths
from trainer.common.errors import DrillFileError
from trainer.rubric.drills import Drill, DrillLibrary, Scenario
from trainer.rubric.scoring import score_transcript
from trainer.ui.widgets.common import CriterionRow, DrillBrief

LIBRARY = DrillLibrary()
SCENARIOS = LIBRARY.scenarios()
DRILLS = LIBRARY.drills()
# Details from the old examples that belong to no scenario's prospect, or only to the
# logistics one ("twelve-day close"): never shown anywhere else.
STALE = ("Cascade Freight", "Portland", "Harbor Freight")
# Plain English that happens to appear in only one scenario's JSON: it identifies no prospect.
PLAIN = {
    "approval", "default", "hours", "leave", "managers", "module", "officer", "regional",
    "their", "spend", "budget", "chief", "before", "check", "exactly", "existing", "first",
    "keeping", "minutes", "within", "sales", "sellers", "twice", "tells", "arrive", "manual",
    "security", "ahead", "always", "installed", "instead", "models", "ordered", "similar",
    "stopping", "trained", "tuned", "weeks", "prices", "premium", "across", "asking", "custom",
    "evidence", "needed", "supporting", "takes", "themselves", "tools", "keeps", "close",
    "closes", "director", "adjustment", "matches", "configure", "lifts", "spots", "empty",
    "stock", "alerts", "fills", "parts", "customers",
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "id":
                yield from _strings(item)


def _words(text: str) -> set[str]:
    """Lower-case words, hyphenated ones also split, with a plural or possessive 's' cut."""
    found = set()
    for word in re.findall(r"[a-z][a-z'-]+", text.lower()):
        for part in (word, *word.split("-")):
            if len(part) > 1:
                found.add(_stem(part))
    return found


def _stem(word: str) -> str:
    return re.sub(r"('s|s)$", "", word)


def _scenario_words(scenario: Scenario) -> set[str]:
    """The stems of the words of every value in the scenario's JSON."""
    return {_stem(w) for text in _strings(scenario.to_json()) for w in re.findall(
        r"[A-Za-z][A-Za-z'-]+", text.lower())}


def forbidden_for(chosen: Scenario | None) -> tuple[set[str], list[str]]:
    """(words, phrases) that belong to a scenario other than ``chosen``."""
    used = Counter(w for s in SCENARIOS for w in _scenario_words(s))
    words: set[str] = set()
    phrases = list(STALE)
    for other in SCENARIOS:
        if chosen is not None and other.id == chosen.id:
            continue
        own = {w for w in _scenario_words(other) if used[w] == 1 and len(w) >= 5}
        words |= own - {_stem(w) for w in PLAIN}
        names = [other.prospect.get("name"), other.prospect.get("company"),
                 other.company.get("name")]
        phrases += [str(n) for n in names if n]
        words |= {_stem(w.lower()) for n in names if n
                  for w in str(n).split() if len(w) >= 4 and w.lower() not in PLAIN}
        if other.id == "northwind-finance":
            phrases.append("twelve-day")
    return words, phrases


def rendered(qtbot: Any, drill: Drill, scenario: Scenario | None) -> list[str]:
    """What the seller reads: the brief, and a missed scorecard's tips and examples."""
    brief = DrillBrief()
    qtbot.addWidget(brief)
    brief.set_drill(drill, scenario)
    # Without a scenario the buyer's line is shown as written ("{alternative}"): the app
    # always has one, and the line is not coaching.
    labels = [b for b in brief.findChildren(QLabel)
              if scenario is not None or b is not brief.buyer.line]
    texts = [re.sub(r"<[^>]+>", " ", label.text()) for label in labels]
    card = score_transcript(drill, "Let me find the slides for this, one moment.", scenario)
    rows = [asdict(c) for c in card.criteria]
    if drill.delivery is not None:  # a recorded take's delivery line, missed
        rows.append({"id": drill.delivery.id, "name": drill.delivery.name, "met": False,
                     "tip": drill.delivery.tip, "example": drill.delivery.example_for(None)})
    for data in rows:
        assert not data["met"], (drill.id, data["id"])
        row = CriterionRow(dict(data))
        qtbot.addWidget(row)
        texts += [label.text() for label in (row.tip_label, row.example_label) if label]
    return texts


def _offenders(texts: list[str], scenario: Scenario | None) -> list[tuple[str, str]]:
    words, phrases = forbidden_for(scenario)
    found = []
    for text in texts:
        found += [(hit, text) for hit in sorted(_words(text) & words)]
        found += [(p, text) for p in phrases if p.lower() in text.lower()]
        if re.search(r"[{}]", text):
            found.append(("a placeholder left unfilled", text))
    return found


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_coaching_names_nothing_from_another_scenario(qtbot: Any, scenario: Scenario) -> None:
    examples = []
    for drill in DRILLS:
        texts = rendered(qtbot, drill, scenario)
        assert _offenders(texts, scenario) == [], drill.id
        examples += [t for t in texts if t.startswith("Try:")]
    # ...and the examples speak about this prospect: their company, pain and alternative.
    shown = " ".join(examples)
    for value in (scenario.prospect["company"], scenario.prospect["pains"][0],
                  scenario.prospect["alternative"], scenario.company["offering"]):
        assert value in shown, value


def test_without_a_scenario_coaching_names_no_prospect(qtbot: Any) -> None:
    for drill in DRILLS:
        texts = rendered(qtbot, drill, None)
        assert _offenders(texts, None) == [], drill.id


def test_the_forbidden_list_catches_what_the_issue_saw() -> None:
    """The check would have failed on the old hospital-scenario coaching."""
    mercy = LIBRARY.scenario("mercy-health")
    old = ["The purpose of today is to understand how your team closes the month.",
           "Cascade Freight, a mid-sized trucking company out of Portland, was in almost your "
           "exact spot.", "I bring them up because you mentioned your twelve-day close and "
           "the spreadsheets.", "Every Monday your maintenance planner opens the list of "
           "presses trending toward failure."]
    hits = {hit for hit, _ in _offenders(old, mercy)}
    assert {"Cascade Freight", "Portland", "twelve-day", "twelve", "spreadsheet", "maintenance",
            "presse"} <= hits
    assert _offenders(["Picture Mercy Regional Health a quarter from now."], mercy) == []


class _RecordingEmbedder:
    """Deterministic unit vectors per text, recording every text it is asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def prefetch(self, texts: list[str], background: bool = False) -> None:
        self.seen += texts

    def embed(self, texts: list[str]) -> Any:
        self.seen += texts
        rows = []
        for text in texts:
            rng = np.random.default_rng(sum(map(ord, text)))
            v = rng.standard_normal(384)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32)


def test_the_scorer_weighs_the_filled_example_never_the_template() -> None:
    """The judge reads the example as one more sentence that meets the criterion: it must
    read the example about this prospect, not '{pain}'."""
    from trainer.rubric.judge import Judge, OnnxHead

    scenario = LIBRARY.scenario("forge-manufacturing")
    drill = LIBRARY.drill("vision")
    embedder = _RecordingEmbedder()
    card = score_transcript(drill, "Picture next spring. Your team would use it daily. "
                            "That fixes the downtime.", scenario, Judge(embedder, OnnxHead()))
    assert card.criteria
    assert not any("{" in text for text in embedder.seen)
    filled = drill.criterion("pain_relief").example_for(scenario)
    assert scenario.prospect["pains"][0] in filled and filled in embedder.seen


@pytest.fixture
def drill_copy(tmp_path: Path) -> Path:
    target = tmp_path / "drills"
    shutil.copytree(paths.drills_dir(), target)
    return target / "vision.toml"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("the problem you told me about - {pain} - is gone",
         "the problem you told me about - {pains} - is gone",
         "vision.toml: key 'criteria[2].example' uses the unknown placeholder '{pains}' "
         "(known: {alternative}, {company_name}, "),
        ('tip = "Close the loop: name the pain',
         'tip = "Close the loop for {prospect_company}: name the pain',
         "vision.toml: key 'criteria[2].tip' has the placeholder '{prospect_company}'; "
         "placeholders are filled only in a criterion's 'example'"),
        ('brief = """Help the buyer', 'brief = """Help {industry} buyers',
         "vision.toml: key 'brief' has the placeholder '{industry}'"),
    ],
)
def test_placeholders_are_checked_when_the_file_loads(drill_copy: Path, old: str, new: str,
                                                      message: str) -> None:
    text = drill_copy.read_text()
    assert text.count(old) == 1
    drill_copy.write_text(text.replace(old, new))
    with pytest.raises(DrillFileError) as info:
        DrillLibrary(drill_copy.parent).drills()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_scenarios_are_json_the_check_reads() -> None:
    """The forbidden list is built from every bundled scenario file."""
    files = sorted((paths.drills_dir() / "scenarios").glob("*.json"))
    assert [json.loads(f.read_text())["id"] for f in files] == sorted(s.id for s in SCENARIOS)
    assert len(files) >= 4
