"""The ``trainer`` command's contract: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer.audio.wavio import write_wav
from trainer.common import paths

ROOT = Path(__file__).parent.parent
GOOD = (SPEECH / "agenda_good.txt").read_text()
SCENARIO = paths.drills_dir() / "scenarios" / "northwind-finance.json"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainer", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert fragment in lines[0]


def test_help_lists_the_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("drills", "transcribe", "score"):
        assert command in result.stdout


def test_drills_json() -> None:
    data = json.loads(run("drills", "--json").stdout)
    agenda = next(d for d in data["drills"] if d["id"] == "agenda")
    assert agenda["title"] == "Set an agenda"
    assert agenda["criteria"] == ["purpose", "time_check", "topics", "invite_input", "outcome"]
    assert len(data["scenarios"]) >= 3


def check_scorecard_shape(card: dict[str, Any]) -> None:
    assert isinstance(card["drill"], str)
    assert 0 <= card["score"] <= 100 and isinstance(card["passed"], bool)
    assert isinstance(card["transcript"], str)
    for c in card["criteria"]:
        assert isinstance(c["id"], str) and isinstance(c["met"], bool)
        assert (c["tip"] is None) == c["met"]
        if c["id"] == "engaging_delivery":
            assert c["evidence"]  # the delivery numbers, met or not
        else:
            assert (c["evidence"] is None) != c["met"]


def test_score_transcript_json(tmp_path: Path) -> None:
    transcript = tmp_path / "t.txt"
    transcript.write_text(GOOD)
    result = run("score", "--drill", "agenda", "--scenario", str(SCENARIO),
                 "--transcript", str(transcript), "--json")
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    check_scorecard_shape(card)
    assert card["score"] == 100 and card["passed"]


def test_score_transcript_plain_text(tmp_path: Path) -> None:
    transcript = tmp_path / "t.txt"
    transcript.write_text("Hi there, let me tell you about our features.")
    result = run("score", "--drill", "agenda", "--scenario", "mercy-health",
                 "--transcript", str(transcript))
    assert result.returncode == 0
    assert "NOT YET" in result.stdout and "tip:" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["score", "--drill", "closing", "--transcript", "{t}"], "No drill called 'closing'"),
        (["score", "--drill", "agenda", "--transcript", "{missing}"], "Transcript file not found"),
        (["score", "--drill", "agenda", "--scenario", "{bad_json}", "--transcript", "{t}"],
         "bad.json: not valid JSON"),
        (["score", "--drill", "agenda", "--transcript", "{empty}"], "transcript is empty"),
        (["score", "--drill", "agenda", "--audio", "{missing}"], "Audio file not found"),
        (["score", "--drill", "agenda", "--audio", "{not_audio}"], "could not be read as audio"),
        (["transcribe", "{t}", "--model", "huge"], "'huge' is not installed"),
        (["score", "--batch", "{missing}"], "Batch file not found"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    files = {
        "t": tmp_path / "t.txt", "missing": tmp_path / "missing.txt",
        "bad_json": tmp_path / "bad.json", "empty": tmp_path / "empty.txt",
        "not_audio": tmp_path / "notes.wav",
    }
    files["t"].write_text(GOOD)
    files["bad_json"].write_text("{not json")
    files["empty"].write_text("   \n")
    files["not_audio"].write_text("these are meeting notes, not audio")
    filled = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    one_line_error(run(*filled), fragment)


def test_batch_scores_each_line_and_reports_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "drill": "agenda", "scenario": "northwind-finance",
                    "transcript": GOOD}),
        "{broken",
        json.dumps({"id": "c", "drill": "nope", "transcript": "hello"}),
        json.dumps({"id": "d", "drill": "agenda", "transcript": "  "}),
        json.dumps({"id": "e", "drill": "agenda", "transcript": "We have 20 minutes.",
                    "scenario": json.loads(SCENARIO.read_text())}),
    ]
    result = run("score", "--batch", "-", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "c", "d", "e"]
    check_scorecard_shape(out[0])
    assert out[0]["score"] == 100
    assert "line 2 is not valid JSON" in out[1]["error"]
    assert "No drill called 'nope'" in out[2]["error"]
    assert "empty" in out[3]["error"]
    assert [c["met"] for c in out[4]["criteria"]] == [False, True, False, False, False]


@pytest.mark.model
def test_transcribe_json_shape() -> None:
    result = run("transcribe", str(SPEECH / "agenda_weak.wav"), "--model", "tiny.en", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"text", "duration_s", "words", "model", "timing"}
    assert data["model"] == "tiny.en" and "company" in data["text"].lower()
    assert data["duration_s"] == pytest.approx(13.6, abs=0.2)
    assert {"word", "start", "end"} <= set(data["words"][0])
    assert set(data["timing"]) == {"load_s", "transcribe_s"}
    assert data["timing"]["transcribe_s"] > 0


@pytest.mark.model
def test_score_audio_json_includes_delivery() -> None:
    result = run("score", "--drill", "agenda", "--scenario", "northwind-finance",
                 "--audio", str(SPEECH / "agenda_good.wav"), "--model", "tiny.en", "--json")
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    check_scorecard_shape(card)
    assert card["score"] >= 85
    delivery = card["delivery"]
    assert delivery["duration_s"] == pytest.approx(34.1, abs=0.2)
    assert 120 <= delivery["pace_wpm"]["value"] <= 190  # espeak at 150 wpm (-s 150)
    assert delivery["pace_wpm"]["band"] in {"good", "watch", "fix"}


@pytest.mark.model
def test_silent_audio_is_not_scored(tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    rng = np.random.default_rng(0)
    write_wav(silent, (rng.standard_normal(16000 * 4) * 0.0005).astype(np.float32), 16000)
    result = run("score", "--drill", "agenda", "--audio", str(silent), "--model", "tiny.en")
    one_line_error(result, "We didn't hear you")


def test_classify_json_and_batch() -> None:
    result = run("classify", "It integrates with SAP and Oracle out of the box.", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["label"] == "feature" and 0 <= data["confidence"] <= 1 and data["why"]
    lines = "\n".join([
        json.dumps({"id": "a", "text": "Your team closes the books three days sooner.",
                    "context": "close software"}),
        json.dumps({"id": "b", "text": " "}),
    ])
    result = run("classify", "--batch", "-", "--json", stdin=lines + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0] == {"id": "a", "label": "benefit", "confidence": out[0]["confidence"],
                      "why": out[0]["why"]}
    assert out[1]["id"] == "b" and "empty" in out[1]["error"]
    one_line_error(run("classify"), "Give a statement to classify")


@pytest.mark.model
def test_faster_whisper_info_lines_stay_out_of_the_terminal() -> None:
    """Issue 14: faster-whisper's INFO lines ("Processing audio with duration ...") filled the
    terminal under the app's INFO logging. Logging is set up here as the app sets it up."""
    child = ("import logging, sys\n"
             "logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s: "
             "%(message)s')\n"
             "from trainer.cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    result = subprocess.run([sys.executable, "-c", child, "transcribe",
                             str(SPEECH / "agenda_weak.wav"), "--model", "tiny.en"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "company" in result.stdout.lower()
    assert "faster_whisper" not in result.stderr, result.stderr
