"""Property-based and fuzz tests: the scorer and the drill loader never crash on odd input.

- Any transcript text (arbitrary Unicode, or sales-like sentences built from the drills' own
  words) with any drill: a valid scorecard, or ``EmptyTranscript``.
- Any JSON as a scenario: ``parse_scenario`` accepts it or raises ``ScenarioError``; an
  accepted scenario (its strings full of regex metacharacters, say) then scores validly.
- Random mutations of ``drills/agenda.toml`` (bytes flipped, lines dropped or repeated, values
  replaced by other TOML values): the file loads, or ``DrillFileError`` names the file; never
  any other exception.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.common import paths
from trainer.common.errors import DrillFileError, EmptyTranscript, ScenarioError
from trainer.rubric.drills import Drill, DrillLibrary, load_drill_file, parse_scenario
from trainer.rubric.judge import Judge
from trainer.rubric.scoring import default_judge, score_transcript

LIBRARY = DrillLibrary()
DRILLS = LIBRARY.drills()
SCENARIOS = LIBRARY.scenarios()
AGENDA_TOML = paths.drills_dir() / "agenda.toml"

# Words the scorer listens for, so generated "sales talk" reaches the interesting paths.
_VOCAB = sorted({w.strip(".,?!;:\"'()").lower()
                 for d in DRILLS for c in d.criteria
                 for w in f"{c.example} {c.definition} {c.tip}".split() if w.strip(".,?!")}
                | {"first", "second", "finally", "minutes", "agenda", "um", "uh", "you know"})
_sales_sentence = st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=25).map(" ".join).map(
    lambda s: s[0].upper() + s[1:]) .flatmap(
    lambda s: st.sampled_from([".", "?", "!", ",", "", "..."]).map(lambda p: s + p))
TRANSCRIPTS = st.one_of(
    st.text(max_size=400),
    st.lists(_sales_sentence, min_size=1, max_size=12).map(" ".join),
    st.lists(st.one_of(_sales_sentence, st.text(max_size=30)), max_size=8).map("\n".join),
)

def judge() -> Judge:
    """One real judge for every example (its models load once)."""
    return default_judge()


def check_scorecard(drill: Drill, text: str, scenario: Any) -> None:
    """Score and check the result's shape; an empty transcript is the one allowed refusal."""
    try:
        card = score_transcript(drill, text, scenario, judge())
    except EmptyTranscript as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    data = card.to_json()
    json.dumps(data, allow_nan=False)  # the CLI's --json contract: plain JSON, no NaN
    assert isinstance(data["score"], float) and math.isfinite(data["score"])
    assert 0 <= data["score"] <= 100
    assert data["passed"] == (data["score"] >= drill.pass_threshold)
    assert [c["id"] for c in data["criteria"]] == [c.id for c in drill.criteria]
    for c in data["criteria"]:
        assert isinstance(c["met"], bool)
        assert c["met"] == (c["evidence"] is not None)
        if c["met"]:
            assert isinstance(c["evidence"], str) and c["evidence"].strip()
        else:
            assert isinstance(c["tip"], str) and c["tip"]


# Function-scoped fixtures (the autouse data-folder redirect) only set environment
# variables, so sharing them across examples is safe.
_PROPERTY = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_PROPERTY
@given(drill=st.sampled_from(DRILLS), scenario=st.sampled_from([None, *SCENARIOS]),
       text=TRANSCRIPTS)
def test_any_transcript_gets_a_valid_scorecard(drill: Drill, scenario: Any, text: str) -> None:
    check_scorecard(drill, text, scenario)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=4),
    max_leaves=12,
)
_NASTY = st.sampled_from(["(", ")", "[a-", "\\", "*", "+?", "{", "}", "{name}", "$", "^", "|",
                          ".*", "\\b", "(?P<x>", "\x00", "\u202e", "e\u0301", "\U0001f600"])
_FIELD = st.one_of(st.text(max_size=40), st.lists(_NASTY, max_size=6).map("".join), _JSON)
_FIELD_LIST = st.one_of(st.lists(st.one_of(st.text(max_size=40), _NASTY), max_size=4), _JSON)


@st.composite
def scenario_json(draw: st.DrawFn) -> Any:
    """Scenario-shaped objects with any values (often the wrong type), or any JSON at all."""
    if draw(st.booleans()):
        return draw(_JSON)
    base = json.loads(json.dumps(draw(st.sampled_from(SCENARIOS)).to_json()))
    for section, keys in (("company", ("name", "offering", "value_points", "differentiators")),
                          ("prospect", ("name", "company", "industry", "role", "alternative",
                                        "pains"))):
        if draw(st.integers(0, 9)) == 0:
            base[section] = draw(_JSON)
            continue
        for key in keys:
            choice = draw(st.integers(0, 4))
            if choice == 0:
                base[section].pop(key, None)
            elif choice == 1:
                base[section][key] = draw(_FIELD_LIST if key.endswith("s") else _FIELD)
    if draw(st.booleans()):
        base[draw(st.sampled_from(["title", "id", "interaction", "extra"]))] = draw(_JSON)
    return base


@_PROPERTY
@given(drill=st.sampled_from(DRILLS), data=scenario_json(), text=TRANSCRIPTS)
def test_any_scenario_json_is_accepted_or_refused_cleanly(drill: Drill, data: Any,
                                                          text: str) -> None:
    try:
        scenario = parse_scenario(data, "scenario.json")
    except ScenarioError as exc:
        assert "scenario.json" in str(exc) and "\n" not in str(exc)
        return
    try:
        check_scorecard(drill, text, scenario)
    except ScenarioError as exc:  # allowed: a scenario field the drill needs is unusable
        assert "\n" not in str(exc)
    for line in (drill.buyer_line_for(scenario), scenario.title):
        assert isinstance(line, str)


# -- drill files -----------------------------------------------------------------------------
_TOML_VALUES = st.sampled_from([
    '""', '"x"', "0", "-1", "1e400", "nan", "inf", "true", "[]", "[1, 2]", '["(unclosed"]',
    "{}", '{a = 1}', "[[]]", '"{unknown_field}"', "1979-05-27", '"""multi\nline"""', "0x1F",
    '"\\u0000"', "[0.1, 1e9]", '["a", 1]',
])


@st.composite
def mutated_drill(draw: st.DrawFn) -> bytes:
    """agenda.toml with 1-4 random edits, from one flipped byte to a value of the wrong type."""
    text = AGENDA_TOML.read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split(b"\n")
        op = draw(st.sampled_from(["drop_line", "repeat_line", "swap_value", "flip_byte",
                                   "cut", "insert_bytes", "swap_lines"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "drop_line":
            del lines[i]
        elif op == "repeat_line":
            lines.insert(i, lines[i])
        elif op == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "swap_value" and any(b" = " in line for line in lines):
            keyed = [n for n, line in enumerate(lines) if b" = " in line]
            n = draw(st.sampled_from(keyed))
            key = lines[n].split(b" = ", 1)[0]
            lines[n] = key + b" = " + draw(_TOML_VALUES).encode()
        text = b"\n".join(lines)
        if op == "flip_byte" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + bytes([draw(st.integers(0, 255))]) + text[at + 1:]
        elif op == "cut":
            text = text[: draw(st.integers(0, len(text)))]
        elif op == "insert_bytes":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.binary(min_size=1, max_size=8)) + text[at:]
    return text


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=mutated_drill())
def test_mutated_drill_file_loads_or_names_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                    content: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "agenda.toml"
    path.write_bytes(content)
    try:
        drill = load_drill_file(path)
    except DrillFileError as exc:
        assert str(exc).startswith("agenda.toml"), str(exc)
        assert "\n" not in str(exc)
        return
    # A file that still loads must still score.
    check_scorecard(drill, "Thanks for making time. We have twenty minutes.", None)


def test_the_fuzzer_reaches_both_outcomes(tmp_path: Path) -> None:
    """The unmutated file loads, and a one-byte edit breaks it (the fuzz test has teeth)."""
    assert load_drill_file(AGENDA_TOML).id == "agenda"
    broken = tmp_path / "agenda.toml"
    broken.write_bytes(AGENDA_TOML.read_bytes().replace(b'id = "agenda"', b'id = "agenda', 1))
    with pytest.raises(DrillFileError, match="agenda.toml: not valid TOML"):
        load_drill_file(broken)
