"""The ``trainer`` command: opens the app with no arguments, or runs one job from a script.

Subcommands print plain text by default and a stable JSON shape with ``--json`` (scripts and
later features rely on the shapes documented in the README). Every expected failure prints
one sentence to stderr and exits with code 2; nothing prints a traceback. A batch gives every
input line exactly one output line, whatever is wrong with it, and goes on (exit 0).

Files named on the command line or in a batch line (transcripts, scenarios) are read only
when they are regular files under ``MAX_INPUT_BYTES``: ``/dev/zero`` would fill the memory
and a FIFO would wait forever (issue 14).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from trainer.audio.wavio import check_length, read_audio
from trainer.coaching.practice import build_scorecard, score_audio
from trainer.common import paths
from trainer.common.errors import AudioFileError, ScenarioError, SilentRecording, TrainerError
from trainer.common.formatting import format_score
from trainer.rubric.drills import DrillLibrary, Scenario, parse_scenario
from trainer.rubric.scoring import score_transcript
from trainer.speech.transcriber import DEFAULT_MODEL, KNOWN_MODELS, LIVE_QUICK, WhisperTranscriber

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1  # a bug: still one sentence (TRAINER_DEBUG=1 shows the traceback)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s yes
DEBUG_ENV = "TRAINER_DEBUG"
# A scenario file, a transcript file, or one batch line. A transcript of an hour of speech is
# ~60 KB; the largest bundled scenario is ~2 KB.
MAX_INPUT_BYTES = 1_000_000
# Longest recording transcribed or scored: drills ask for 30-120 s. Decoding holds the whole
# signal in memory: 9.6 min of speech peaked at 0.94 GB (77 s with base), 18.8 min at 1.46 GB
# (150 s), a 1-hour file at 1.1 GB even when silent. A longer file is almost always the wrong one.
MAX_AUDIO_S = 10 * 60


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description="Offline practice trainer for B2B sellers. With no command, opens the app.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", help="folder for recordings and history "
                        f"(default: ${paths.DATA_DIR_ENV} or your user data folder)")
    parser.add_argument("--selftest", action="store_true",
                        help="check offline that this installation works (model, scoring, "
                        "storage, audio) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("app", help="open the desktop app (the default)")

    p = sub.add_parser("drills", help="list drills, their criteria and the bundled scenarios")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("transcribe", help="transcribe an audio file offline")
    p.add_argument("audio", type=Path, help="WAV, MP3, M4A or OGG file")
    p.add_argument("--model", help=f"model name ({', '.join(KNOWN_MODELS)}) or model folder; "
                   f"default {DEFAULT_MODEL}")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("score", help="score a transcript or a recording against a drill")
    p.add_argument("--drill", help="drill id (see 'trainer drills')")
    p.add_argument("--scenario", help="scenario JSON file, or a bundled scenario id")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--transcript", type=Path, help="text file with what the seller said")
    src.add_argument("--audio", type=Path, help="recording to transcribe and score")
    src.add_argument("--batch", help="JSONL file of {id, drill, scenario, transcript} lines "
                     "('-' reads stdin); every line, blank ones too, gets one output line "
                     "(a bad one {id, error}) and the batch goes on: exit 0")
    p.add_argument("--model", help="transcription model for --audio")
    p.add_argument("--realtime", action="store_true",
                   help="with --audio: play the file through the recording pipeline at real "
                   "speed, transcribing while it plays, and add the Stop-to-scorecard time")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("classify", help="is a statement a feature or a benefit?")
    p.add_argument("text", nargs="?", help="the statement to judge")
    p.add_argument("--context", help="the product in a few words")
    p.add_argument("--batch", help="JSONL file of {id, text, context} lines ('-' reads "
                   "stdin); one output line per input line, as for score --batch")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("forget", help="delete one seller's recordings and practice history")
    p.add_argument("--seller", required=True, help="the seller's name (any case)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--include-damaged-copies", action="store_true",
                   help="also delete the damaged copies of the history set aside earlier "
                   "(*.damaged-*.sqlite3): they may hold this seller's transcripts, and every "
                   "other seller's from that time")
    return parser


_EPILOG = """\
exit codes: 0 done (a batch that ran to its end, even if some lines hold {"id", "error"});
2 bad input (one sentence on stderr); 1 an internal error (one sentence; set TRAINER_DEBUG=1
for the traceback); 141 the reader of the output went away (e.g. | head -1), quietly."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.data_dir:
        # The app and every subcommand read the data folder from here.
        os.environ[paths.DATA_DIR_ENV] = str(Path(args.data_dir).expanduser())
    try:
        if args.selftest:
            from trainer.selftest import main as run_selftest

            return run_selftest()
        if args.command in (None, "app"):
            from trainer.ui.app import main as run_app  # Qt is imported only for the app

            return run_app()
        if args.command == "forget":
            return _cmd_forget(args.seller, args.yes, args.include_damaged_copies)
        if args.command == "classify":
            return _cmd_classify(args)
        library = DrillLibrary()
        if args.command == "drills":
            return _cmd_drills(library, args.json)
        if args.command == "transcribe":
            return _cmd_transcribe(args.audio, args.model, args.json)
        return _cmd_score(library, args)
    except TrainerError as exc:
        print(f"trainer: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: still no traceback unless asked for
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"trainer: unexpected error ({_one_line(exc)}); please report it with the "
              "command you ran.", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _one_line(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _quiet_stdout() -> None:
    """The reader went away (``| head -1``): stop without a word, as other CLIs do. Point
    stdout at /dev/null so Python's last flush at exit does not complain a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # stdout is not a file (a test's capture): nothing will flush it at exit


def _emit(data: dict[str, Any], out: TextIO | None = None) -> None:
    out = out if out is not None else sys.stdout  # looked up now: redirect_stdout works
    line = json.dumps(data, ensure_ascii=False)
    try:
        line.encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        # A lone surrogate (an id given as "\ud800") or a terminal that cannot show a
        # character: \u escapes are the same JSON, in ASCII.
        line = json.dumps(data)
    out.write(line + "\n")
    out.flush()


def _cmd_drills(library: DrillLibrary, as_json: bool) -> int:
    drills = library.drills()
    scenarios = library.scenarios()
    if as_json:
        _emit({
            "drills": [{"id": d.id, "title": d.title, "criteria": [c.id for c in d.criteria],
                        "delivery_criterion": d.delivery.id if d.delivery else None,
                        "pass_threshold": d.pass_threshold} for d in drills],
            "scenarios": [{"id": s.id, "title": s.title} for s in scenarios],
        })
        return 0
    for d in drills:
        print(f"{d.id:16} {d.title}")
        print(f"{'':16} criteria: {', '.join(c.id for c in d.criteria)}"
              + (f" (+ {d.delivery.id} from the recording)" if d.delivery else ""))
    print("\nscenarios:")
    for s in scenarios:
        print(f"  {s.id:22} {s.title}")
    return 0


def _cmd_transcribe(audio: Path, model: str | None, as_json: bool) -> int:
    transcriber = WhisperTranscriber(model)  # resolves the model (no loading) before reading
    _check_audio_path(audio)
    check_length(audio, MAX_AUDIO_S)
    samples = read_audio(audio)
    transcript = transcriber.transcribe(samples)
    if not transcript.words:  # silence is bad input, as the README's CLI section says
        raise SilentRecording(f"No speech was heard in {audio.name}; check the recording.")
    if as_json:
        _emit(transcript.to_json())
    else:
        print(transcript.text)
    return 0


def _check_audio_path(path: Path) -> None:
    """Refuse a pipe or a device before anything opens it (a FIFO would wait forever).

    Missing files and folders are left to ``read_audio``, whose sentences say so.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise AudioFileError(f"{path} is not a regular file (it is a pipe or a device); give "
                             "an audio file.")


def _resolve_scenario(library: DrillLibrary, value: Any) -> Scenario | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return parse_scenario(value, "scenario")
    if not isinstance(value, str):
        raise ScenarioError("The scenario must be a JSON object, a file path or a scenario id.")
    path = Path(value).expanduser()
    if path.suffix == ".json" or path.exists():
        return _scenario_file(path)
    return library.scenario(value)


def _scenario_file(path: Path) -> Scenario:
    data = _parse_json(_decode(_read_input(path, "Scenario file"), path.name), path.name)
    return parse_scenario(data, path.name, default_id=path.stem)


def _read_input(path: Path, what: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or one sentence saying why not.

    Opened non-blocking and checked with ``fstat`` on the open file: a FIFO named here (or
    swapped in after a check) is refused at once instead of waiting for a writer forever, and
    ``/dev/zero`` is refused instead of filling the memory.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(f"{what} not found: {path}.") from None
    except PermissionError:
        raise ScenarioError(f"{path.name} cannot be read (permission denied); check who may "
                            "read it.") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise ScenarioError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(f"{path} is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"{path} is not a regular file (it is a pipe or a device); "
                                "give a file.")
        if info.st_size > max_bytes:
            raise ScenarioError(f"{path.name} is {info.st_size / 1e6:.1f} MB; a {what.lower()} "
                                f"is at most {max_bytes / 1e6:g} MB.")
        chunks = []
        size = 0
        while size <= max_bytes:  # a file that grows while we read stops at the cap too
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ScenarioError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise ScenarioError(f"{path.name} is over {max_bytes / 1e6:g} MB; a {what.lower()} is "
                            f"at most {max_bytes / 1e6:g} MB.")
    return b"".join(chunks)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                            f"position {exc.start}); save it as UTF-8.") from None


def _parse_json(text: str, where: str, line: bool = False) -> Any:
    """``json.loads``, with every way it fails as one sentence naming ``where``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        detail = exc.msg if line else f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise ScenarioError(f"{where}{' is' if line else ':'} not valid JSON ({detail})."
                            ) from None
    except RecursionError:
        raise ScenarioError(f"{where}: the JSON is nested too deeply to read.") from None
    except ValueError:  # json's only other ValueError: an integer past Python's digit limit
        raise ScenarioError(f"{where}: a number has more than {sys.get_int_max_str_digits()} "
                            "digits.") from None


def _cmd_score(library: DrillLibrary, args: argparse.Namespace) -> int:
    if args.batch:
        return _score_batch(library, args.batch)
    if not args.drill:
        raise ScenarioError("Name a drill with --drill (see 'trainer drills').")
    if not (args.transcript or args.audio):
        raise ScenarioError("Give --transcript FILE, --audio FILE or --batch FILE.")
    drill = library.drill(args.drill)
    scenario = _resolve_scenario(library, args.scenario)
    if args.realtime and not args.audio:
        raise ScenarioError("--realtime needs --audio FILE.")
    if args.audio:
        _check_audio_path(args.audio)
        check_length(args.audio, MAX_AUDIO_S)
        read_audio(args.audio)  # fail fast on a bad file before loading the model
        if args.realtime:
            card = _score_realtime(drill, scenario, args.audio, args.model)
        else:
            result = score_audio(drill, scenario, args.audio, WhisperTranscriber(args.model))
            card = result.scorecard
    else:
        text = _read_text(args.transcript)
        card = score_transcript(drill, text, scenario).to_json()
    if args.json:
        _emit(card)
    else:
        _print_card(card)
    return 0


def _score_realtime(drill: Any, scenario: Scenario | None, audio: Path,
                    model: str | None) -> dict[str, Any]:
    """Score ``audio`` as if spoken live; adds ``timing`` (Stop → scorecard, whole-file)."""
    from trainer.coaching.realtime import run_realtime

    transcriber = WhisperTranscriber(model, quick=LIVE_QUICK)  # as the app does
    transcriber.load()  # the app loads the model at start-up, before any take
    run = run_realtime(drill, scenario, audio, transcriber)
    card = run.scorecard
    card["timing"] = {"stop_to_result_s": round(run.stop_to_result_s, 3),
                      "batch_s": round(run.batch_s or 0.0, 3)}
    return card


def _read_text(path: Path) -> str:
    return _decode(_read_input(path, "Transcript file"), path.name)


def _batch_lines(source: str) -> Iterator[bytes | None]:
    """The batch's lines as bytes (``None`` for a line over ``MAX_INPUT_BYTES``, read past
    without holding it). A pipe is fine here (``-``, ``<(...)``): lines are read one by one."""
    if source == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream put in place of stdin (tests)
            yield from (line.encode("utf-8", "surrogateescape") for line in sys.stdin)
            return
        yield from _capped_lines(stdin)
        return
    path = Path(source).expanduser()
    try:
        if stat.S_ISDIR(os.stat(path).st_mode):
            raise ScenarioError(f"{path} is a folder; --batch takes a JSONL file (one JSON "
                                "object per line).")
        f = open(path, "rb")  # closed below (a FIFO: waits for its writer, like cat)
    except FileNotFoundError:
        raise ScenarioError(f"Batch file not found: {path}.") from None
    except PermissionError:
        raise ScenarioError(f"{path.name} cannot be read (permission denied); check who may "
                            "read it.") from None
    except OSError as exc:
        raise ScenarioError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    with f:
        mode = os.fstat(f.fileno()).st_mode
        if stat.S_ISBLK(mode) or (stat.S_ISCHR(mode) and not f.isatty()):
            # /dev/zero never ends a line; a pipe or a terminal is a stream of lines.
            raise ScenarioError(f"{path} is a device, not a batch file.")
        try:
            yield from _capped_lines(f)
        except OSError as exc:  # e.g. a disk error halfway: what was read is answered
            raise ScenarioError(f"{path.name} could not be read to its end "
                                f"({exc.strerror or exc}).") from None


def _capped_lines(f: BinaryIO) -> Iterator[bytes | None]:
    while True:
        line = f.readline(MAX_INPUT_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_INPUT_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest, a chunk at a time
                line = f.readline(MAX_INPUT_BYTES)
            yield None
        else:
            yield line


def _batch_item(number: int, raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise ScenarioError(f"line {number} is longer than {MAX_INPUT_BYTES / 1e6:g} MB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Each line is decoded on its own: one latin-1 line costs that line, not the batch.
        raise ScenarioError(f"line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                            f"column {exc.start + 1}); save the file as UTF-8.") from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ScenarioError(f"line {number} is blank.")
    item = _parse_json(text, f"line {number}", line=True)
    if not isinstance(item, dict):
        raise ScenarioError(f"line {number} must be a JSON object.")
    return item


def _run_batch(source: str, handle: Callable[[int, dict[str, Any]], dict[str, Any]]) -> int:
    """One line in, one JSON line out, whatever is wrong with the line: a bad one gets
    ``{"id", "error"}`` (``id`` null when unknown) and the batch goes on. Exit 0 when the
    batch ran to its end; stderr then says how many lines failed, if any."""
    total = failed = 0
    for number, raw in enumerate(_batch_lines(source), start=1):
        total += 1
        item_id: Any = None
        try:
            item = _batch_item(number, raw)
            item_id = item.get("id")
            result = {**handle(number, item), "id": item_id}
        except TrainerError as exc:
            result = {"id": item_id, "error": _on_line(number, str(exc))}
        except Exception as exc:  # whatever is wrong with one line never ends the batch
            result = {"id": item_id,
                      "error": f"line {number} could not be handled ({_one_line(exc)})."}
        failed += "error" in result
        _emit(result)
    if failed:
        print(f"trainer: {failed} of {total} lines were not handled; their output lines say "
              "why.", file=sys.stderr)
    return 0


def _on_line(number: int, message: str) -> str:
    return message if message.startswith(f"line {number}") else f"line {number}: {message}"


def _score_batch(library: DrillLibrary, source: str) -> int:
    def score_line(number: int, item: dict[str, Any]) -> dict[str, Any]:
        drill_id = item.get("drill")
        if not isinstance(drill_id, str):
            raise ScenarioError(f"line {number}: key 'drill' must be a drill id.")
        transcript = item.get("transcript")
        if not isinstance(transcript, str):
            raise ScenarioError(f"line {number}: key 'transcript' must be text.")
        drill = library.drill(drill_id)
        scenario = _resolve_scenario(library, item.get("scenario"))
        return score_transcript(drill, transcript, scenario).to_json()  # one judge for all

    return _run_batch(source, score_line)


def _print_card(card: dict[str, Any]) -> None:
    verdict = "PASS" if card["passed"] else "NOT YET"
    pass_mark = float(card.get("pass_threshold", 0))
    print(f"{card['drill']}: {format_score(float(card['score']), pass_mark)}/100  {verdict} "
          f"(pass mark {pass_mark:g})")
    for c in card["criteria"]:
        mark = "+" if c["met"] else "-"
        print(f"  [{mark}] {c['name']}")
        if c["met"]:
            print(f"        \"{c['evidence']}\"")
        else:
            print(f"        tip: {c['tip']}")
            if c.get("example"):
                print(f"        try: \"{c['example']}\"")
    delivery = card.get("delivery")
    if delivery:
        print("  delivery:")
        for metric in delivery.values():
            if isinstance(metric, dict) and "band" in metric:
                unit = f" {metric['unit']}" if metric.get("unit") else ""
                print(f"    {metric['label']}: {metric['value']:g}{unit} ({metric['band']}) "
                      f"- {metric['advice']}")
    timing = card.get("timing")
    if timing:
        print(f"  scorecard {timing['stop_to_result_s']:.2f} s after Stop "
              f"(whole-file transcription: {timing['batch_s']:.2f} s)")


def _cmd_classify(args: argparse.Namespace) -> int:
    from trainer.rubric.classify import FeatureBenefitJudge
    from trainer.rubric.scoring import default_judge

    text = _argument_text(args.text, "statement")
    context = _argument_text(args.context, "context")
    judge = FeatureBenefitJudge(default_judge())
    if args.batch:
        def classify_line(number: int, item: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(item.get("text"), str):
                raise ScenarioError(f"line {number}: key 'text' must be text.")
            context = item.get("context")
            return judge.classify(item["text"],
                                  context if isinstance(context, str) else None).to_json()

        return _run_batch(args.batch, classify_line)
    if text is None:
        raise ScenarioError("Give a statement to classify, or --batch FILE.")
    verdict = judge.classify(text, context)
    if args.json:
        _emit(verdict.to_json())
    else:
        print(f"{verdict.label} ({verdict.confidence:.0%}): {verdict.why}")
    return 0


def _argument_text(value: str | None, what: str) -> str | None:
    """A command-line string. Bytes that are not UTF-8 reach Python as lone surrogates
    (``\\udcff``): say so rather than judge text the seller did not type."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        where = ""
        try:
            raw = value.encode("utf-8", "surrogateescape")
            raw.decode("utf-8")
        except UnicodeEncodeError:
            pass  # a surrogate that no byte became (main() called with one)
        except UnicodeDecodeError as exc:
            where = f" (byte 0x{raw[exc.start]:02x})"
        raise ScenarioError(f"The {what} is not UTF-8 text{where}; set the terminal to UTF-8 "
                            "and try again.") from None
    return value


def _cmd_forget(name: str, yes: bool, include_copies: bool = False) -> int:
    from trainer.store.database import open_store
    from trainer.store.datafolder import damaged_copies
    from trainer.store.privacy import damaged_copies_question, forget_seller

    def ask(question: str) -> bool:
        try:
            return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            return False

    data_dir = paths.data_dir()
    # exclusive: not while the app (or another forget) has the data folder open.
    store, note = open_store(data_dir / "trainer.sqlite3", exclusive=True)
    with store:
        if note:
            print(f"trainer: {note}", file=sys.stderr)
        seller = store.find_seller(name)
        if seller is not None and not yes:
            if not sys.stdin.isatty():  # a script must say --yes; never delete on a guess
                raise TrainerError("Nothing was deleted: add --yes to delete without being asked.")
            if not ask(f"Delete all {store.attempt_count(seller)} takes and recordings of "
                       f"{seller.name} from {data_dir}? This cannot be undone."):
                print("Nothing was deleted.")
                return 0
            copies = damaged_copies(store.path)
            if copies and not include_copies:
                include_copies = ask(damaged_copies_question(copies, seller.name))
        report = forget_seller(store, data_dir, name, include_damaged_copies=include_copies)
    print(report.summary())
    return EXIT_BAD_INPUT if report.kept else 0


def transcribe_file(audio: Path, model: str | None = None) -> dict[str, Any]:
    """Library helper: transcribe a file and return the CLI's JSON shape."""
    return WhisperTranscriber(model).transcribe(read_audio(audio)).to_json()


__all__ = ["main", "transcribe_file", "build_scorecard"]


if __name__ == "__main__":
    raise SystemExit(main())
