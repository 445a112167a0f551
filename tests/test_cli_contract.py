"""The CLI's promise (issue 14 §5): one sentence and exit 2, and a batch goes on.

Every case runs the real command (``python -m trainer`` in a subprocess, on real files) and
checks the whole contract at once: the exit code, exactly one ``trainer: ...`` line on stderr
(none for a clean run), no traceback anywhere, and for a batch exactly one output line per
input line. Before the fixes each case below ended in a traceback (named in the case), or
hung, or filled the memory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SPEECH
from tests.test_store import _without_root_read_override
from trainer import cli
from trainer.audio.wavio import write_wav
from trainer.common import paths

ROOT = Path(__file__).parent.parent
GOOD = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")
SCENARIO = json.loads((paths.drills_dir() / "scenarios" / "northwind-finance.json").read_text())
DEEP = "[" * 200_000 + "]" * 200_000
HUGE_NUMBER = "9" * 5000


def line(**item: Any) -> str:
    return json.dumps({"drill": "agenda", "transcript": GOOD, **item})


def run(args: list[str | bytes], stdin: bytes | None = None, prefix: list[str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "trainer", *args],
                          input=stdin, capture_output=True, cwd=ROOT, timeout=timeout)


@dataclass
class Case:
    """One row of the table: what to make in a folder, the command, what must come out."""

    make: Callable[[Path], list[str | bytes]]  # builds the files, returns the arguments
    code: int
    stderr: str | None  # a fragment of the one stderr sentence; None: stderr must be empty
    lines: int = 0  # output lines (a batch: its number of input lines)
    unreadable: bool = False  # run where file permissions apply (root normally skips them)
    check: Callable[[list[dict[str, Any]]], None] | None = None
    stdin: Callable[[Path], bytes] | None = None
    marks: list[Any] = field(default_factory=list)


def _write(path: Path, text: str | bytes, mode: int | None = None) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if mode is not None:
        path.chmod(mode)
    return path


def _transcript(tmp: Path) -> str:
    return str(_write(tmp / "said.txt", GOOD))


def _score_with_scenario(text: str) -> Callable[[Path], list[str | bytes]]:
    def make(tmp: Path) -> list[str | bytes]:
        scenario = _write(tmp / "scenario.json", text)
        return ["score", "--drill", "agenda", "--scenario", str(scenario), "--transcript",
                _transcript(tmp)]
    return make


def _fifo(tmp: Path) -> Path:
    fifo = tmp / "said.fifo"
    os.mkfifo(fifo)
    return fifo


def _batch(text: str | bytes) -> Callable[[Path], list[str | bytes]]:
    def make(tmp: Path) -> list[str | bytes]:
        return ["score", "--batch", str(_write(tmp / "batch.jsonl", text)), "--json"]
    return make


MIXED_IDS = list(range(1, 16))


def _mixed_batch(tmp: Path) -> list[str | bytes]:
    """15 lines, 12 of them bad in 11 different ways; before: 4 outputs, then a
    ValueError traceback on line 5 (the issue saw 13 outputs for 15 lines)."""
    fifo = _fifo(tmp)
    lines: list[bytes] = [
        line(id=1, scenario="northwind-finance").encode(),
        b"",  # blank
        b"   \t",  # blank too
        b"{broken",
        f'{{"id": 5, "drill": "agenda", "transcript": "x", "n": {HUGE_NUMBER}}}'.encode(),
        f'{{"id": 6, "drill": "agenda", "transcript": {DEEP}}}'.encode(),
        b"[1, 2]",  # not an object
        line(id=8, drill="closing").encode(),
        line(id=9, scenario="/dev/zero").encode(),
        line(id=10, scenario=str(fifo)).encode(),
        json.dumps({"id": 11, "drill": "agenda", "transcript": "Caf\u00e9 agenda"},
                   ensure_ascii=False).encode("latin-1"),
        line(id=12, transcript="x" * 1_100_000).encode(),  # over the 1 MB line cap
        line(id=13, transcript="  ").encode(),
        line(id=14, transcript=GOOD.replace("minutes", "min\u200butes")).encode(),
        line(id=15).encode(),
    ]
    return _batch(b"\n".join(lines) + b"\n")(tmp)


def _check_mixed(out: list[dict[str, Any]]) -> None:
    errors = {i: o.get("error", "") for i, o in enumerate(out, start=1)}
    assert [o["id"] for o in out] == [1, None, None, None, None, None, None, 8, 9, 10, None,
                                      None, 13, 14, 15]  # (an unreadable line has no id)
    assert out[0]["score"] == 100 and out[13]["score"] == 100 and out[14]["score"] == 100
    assert (errors[2], errors[3]) == ("line 2 is blank.", "line 3 is blank.")
    assert "line 4 is not valid JSON" in errors[4]
    assert "more than 4300 digits" in errors[5]
    assert "nested too deeply" in errors[6]
    assert "must be a JSON object" in errors[7]
    assert "No drill called 'closing'" in errors[8]
    assert "/dev/zero is not a regular file" in errors[9]
    assert "said.fifo is not a regular file" in errors[10]
    assert "line 11 is not UTF-8 text (byte 0xe9" in errors[11]
    assert "line 12 is longer than 1 MB" in errors[12]
    assert "empty" in errors[13]


def _check_surrogate(out: list[dict[str, Any]]) -> None:
    assert out[0]["id"] == "\udfff"  # echoed back as the same JSON ("\udfff")
    assert "\ufffd" in out[0]["transcript"] and 0 <= out[0]["score"] <= 100


def _check_latin1(out: list[dict[str, Any]]) -> None:
    assert ["error" in o for o in out] == [True, False, True]
    assert out[1]["id"] == "fine"


def _folder(tmp: Path) -> list[str | bytes]:
    (tmp / "takes").mkdir()
    return ["score", "--batch", str(tmp / "takes"), "--json"]


def _silence(tmp: Path) -> list[str | bytes]:
    write_wav(tmp / "silence.wav", np.zeros(5 * 16000, dtype=np.float32), 16000)
    return ["transcribe", str(tmp / "silence.wav"), "--model", "tiny.en"]


CASES: dict[str, Case] = {
    # ValueError: Exceeds the limit (4300 digits) for integer string conversion
    "scenario with a 5,000-digit number": Case(
        _score_with_scenario(json.dumps(SCENARIO)[:-1] + f', "revenue": {HUGE_NUMBER}}}'),
        2, "scenario.json: a number has more than 4300 digits."),
    # RecursionError: maximum recursion depth exceeded while decoding a JSON array
    "scenario of 200k nested arrays": Case(
        _score_with_scenario(DEEP), 2, "scenario.json: the JSON is nested too deeply to read."),
    # TypeError: TextInputSequence must be str
    "classify with an invalid byte": Case(
        lambda tmp: [b"classify", b"your team saves \xff hours"], 2,
        "The statement is not UTF-8 text (byte 0xff); set the terminal to UTF-8"),
    "classify --context with an invalid byte": Case(
        lambda tmp: ["classify", "Your team saves hours.", b"--context", b"caf\xe9"], 2,
        "The context is not UTF-8 text (byte 0xe9)"),
    # PermissionError (a traceback for --batch; the others said it in one sentence already)
    "unreadable batch file": Case(
        lambda tmp: ["score", "--batch", str(_write(tmp / "b.jsonl", line(id=1), 0))], 2,
        "b.jsonl cannot be read (permission denied)", unreadable=True),
    "unreadable transcript": Case(
        lambda tmp: ["score", "--drill", "agenda", "--transcript",
                     str(_write(tmp / "t.txt", GOOD, 0))], 2,
        "t.txt cannot be read (permission denied)", unreadable=True),
    "unreadable scenario": Case(
        lambda tmp: ["score", "--drill", "agenda", "--transcript", _transcript(tmp),
                     "--scenario", str(_write(tmp / "s.json", json.dumps(SCENARIO), 0))], 2,
        "s.json cannot be read (permission denied)", unreadable=True),
    # IsADirectoryError
    "score --batch on a folder": Case(_folder, 2, "takes is a folder; --batch takes a JSONL"),
    # UnicodeDecodeError, 0 lines out: now each line is decoded on its own
    "latin-1 batch file": Case(
        _batch("\n".join([json.dumps({"id": "caf\u00e9", "drill": "agenda", "transcript": "x"},
                                     ensure_ascii=False),
                          line(id="fine"), "{\"id\": \"\u00e9\"}"]).encode("latin-1") + b"\n"),
        0, "2 of 3 lines were not handled", lines=3, check=_check_latin1),
    # UnicodeEncodeError: surrogates not allowed
    "lone surrogate in a transcript and an id": Case(
        _batch(json.dumps({"id": "\udfff", "drill": "agenda",
                           "transcript": "We have 20 minutes \ud800 today."}) + "\n"),
        0, None, lines=1, check=_check_surrogate),
    # One bad line ended the whole batch (13 outputs for 15 lines)
    "one bad line of 15 does not end the batch": Case(
        _mixed_batch, 0, "12 of 15 lines were not handled", lines=15, check=_check_mixed),
    "a batch on stdin gets one line out per line in, blank lines too": Case(
        lambda tmp: ["score", "--batch", "-", "--json"], 0, "1 of 3 lines", lines=3,
        stdin=lambda tmp: f"{line(id='a')}\n\n{line(id='c')}\n".encode()),
    # MemoryError (or the OOM killer): /dev/zero read to its end
    "--scenario /dev/zero": Case(
        lambda tmp: ["score", "--drill", "agenda", "--scenario", "/dev/zero",
                     "--transcript", _transcript(tmp)], 2, "/dev/zero is not a regular file"),
    "--batch /dev/zero": Case(
        lambda tmp: ["score", "--batch", "/dev/zero"], 2, "/dev/zero is a device, not a batch"),
    "a scenario file over 1 MB": Case(
        _score_with_scenario(json.dumps(SCENARIO)[:-1] + f', "notes": "{"x" * 1_100_000}"}}'),
        2, "scenario.json is 1.1 MB; a scenario file is at most 1 MB."),
    # a FIFO hung for ever
    "a FIFO as --transcript": Case(
        lambda tmp: ["score", "--drill", "agenda", "--transcript", str(_fifo(tmp))], 2,
        "said.fifo is not a regular file (it is a pipe or a device)"),
    "a FIFO as --audio": Case(
        lambda tmp: ["score", "--drill", "agenda", "--audio", str(_fifo(tmp)), "--model",
                     "tiny.en"], 2, "said.fifo is not a regular file"),
    "a transcript that is not UTF-8": Case(
        lambda tmp: ["score", "--drill", "agenda", "--transcript",
                     str(_write(tmp / "t.txt", "Caf\u00e9 time".encode("latin-1")))], 2,
        "t.txt is not UTF-8 text (byte 0xe9 at position 3); save it as UTF-8."),
    # exit 0 although the README's CLI section lists silence as bad input (exit 2)
    "transcribe of silence": Case(_silence, 2, "No speech was heard in silence.wav",
                                  marks=[pytest.mark.model]),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=c.marks) for n, c in CASES.items()])
def test_the_cli_keeps_its_promise(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    args = case.make(tmp_path)
    prefix = _without_root_read_override() if case.unreadable else None
    result = run(args, stdin=case.stdin(tmp_path) if case.stdin else None, prefix=prefix,
                 timeout=60)
    out = result.stdout.decode("utf-8")
    err = result.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in out + err, err
    assert result.returncode == case.code, err
    if case.stderr is None:
        assert err == ""
    else:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trainer: "), err
        assert case.stderr in lines[0], err
    outputs = [json.loads(o) for o in out.splitlines()]
    assert len(outputs) == case.lines, out[:2000]
    if case.check is not None:
        case.check(outputs)


def test_a_reader_that_stops_early_ends_the_batch_quietly(tmp_path: Path) -> None:
    """``| head -1``: BrokenPipeError and a traceback before; now a quiet exit 141, like a
    tool killed by SIGPIPE."""
    batch = _write(tmp_path / "b.jsonl", "".join(line(id=i) + "\n" for i in range(40)))
    trainer = subprocess.Popen([sys.executable, "-m", "trainer", "score", "--batch",
                                str(batch), "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=ROOT)
    assert trainer.stdout is not None and trainer.stderr is not None
    head = subprocess.run(["head", "-1"], stdin=trainer.stdout, capture_output=True,
                          timeout=120)
    trainer.stdout.close()  # only head reads it
    with trainer.stderr:
        err = trainer.stderr.read().decode()
    assert trainer.wait(timeout=120) == cli.EXIT_BROKEN_PIPE == 128 + signal.SIGPIPE
    assert err == ""
    assert len(head.stdout.splitlines()) == 1 and json.loads(head.stdout)["id"] == 0


def test_zero_width_characters_score_like_the_plain_transcript(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14: zero-width characters in a transcript changed a score from 40 to 0."""
    plain = _write(tmp_path / "plain.txt", GOOD)
    # Looks the same on screen: a BOM, a word joiner after every space, a zero-width space
    # and a soft hyphen inside words.
    hidden = _write(tmp_path / "hidden.txt", "\ufeff" + GOOD.replace(" ", " \u2060")
                    .replace("minutes", "min\u200butes").replace("agenda", "agen\u00adda"))
    cards = []
    for path in (plain, hidden):
        assert cli.main(["score", "--drill", "agenda", "--scenario", "northwind-finance",
                         "--transcript", str(path), "--json"]) == 0
        cards.append(json.loads(capsys.readouterr().out))
    assert cards[1]["score"] == cards[0]["score"] == 100
    assert cards[1]["transcript"] == cards[0]["transcript"]


def test_a_bug_is_one_sentence_too(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Not bad input but our own error: exit 1, one sentence; TRAINER_DEBUG shows the trace."""
    def broken(*_: Any) -> int:
        raise KeyError("oops")

    monkeypatch.setattr(cli, "_cmd_drills", broken)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    assert cli.main(["drills"]) == 1
    err = capsys.readouterr().err
    assert err == ("trainer: unexpected error (KeyError: 'oops'); please report it with the "
                   "command you ran.\n")
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(KeyError):
        cli.main(["drills"])
