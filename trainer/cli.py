"""The ``trainer`` command: opens the app with no arguments, or runs one job from a script.

Subcommands print plain text by default and a stable JSON shape with ``--json`` (scripts and
later features rely on the shapes documented in the README). Every expected failure prints
one sentence to stderr and exits with code 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from trainer import paths
from trainer.drills import DrillLibrary, Scenario, load_scenario, parse_scenario
from trainer.errors import ScenarioError, TrainerError
from trainer.formatting import format_score
from trainer.practice import build_scorecard, default_embedder, score_audio
from trainer.scoring import score_transcript
from trainer.transcriber import DEFAULT_MODEL, KNOWN_MODELS, LIVE_QUICK, WhisperTranscriber
from trainer.wavio import check_length, read_audio

EXIT_BAD_INPUT = 2
# Longest recording transcribed or scored: drills ask for 30-120 s. Decoding holds the whole
# signal in memory: 9.6 min of speech peaked at 0.94 GB (77 s with base), 18.8 min at 1.46 GB
# (150 s), a 1-hour file at 1.1 GB even when silent. A longer file is almost always the wrong one.
MAX_AUDIO_S = 10 * 60


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description="Offline practice trainer for B2B sellers. With no command, opens the app.",
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
                     "('-' reads stdin)")
    p.add_argument("--model", help="transcription model for --audio")
    p.add_argument("--realtime", action="store_true",
                   help="with --audio: play the file through the recording pipeline at real "
                   "speed, transcribing while it plays, and add the Stop-to-scorecard time")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("classify", help="is a statement a feature or a benefit?")
    p.add_argument("text", nargs="?", help="the statement to judge")
    p.add_argument("--context", help="the product in a few words")
    p.add_argument("--batch", help="JSONL file of {id, text, context} lines ('-' reads stdin)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("forget", help="delete one seller's recordings and practice history")
    p.add_argument("--seller", required=True, help="the seller's name (any case)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.data_dir:
        # The app and every subcommand read the data folder from here.
        import os

        os.environ[paths.DATA_DIR_ENV] = str(Path(args.data_dir).expanduser())
    try:
        if args.selftest:
            from trainer.selftest import main as run_selftest

            return run_selftest()
        if args.command in (None, "app"):
            from trainer.ui.app import main as run_app  # Qt is imported only for the app

            return run_app()
        if args.command == "forget":
            return _cmd_forget(args.seller, args.yes)
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
    except KeyboardInterrupt:
        return 130


def _emit(data: dict[str, Any], out: TextIO | None = None) -> None:
    out = out if out is not None else sys.stdout  # looked up now: redirect_stdout works
    out.write(json.dumps(data, ensure_ascii=False) + "\n")
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
    check_length(audio, MAX_AUDIO_S)
    samples = read_audio(audio)
    transcript = transcriber.transcribe(samples)
    if as_json:
        _emit(transcript.to_json())
    else:
        print(transcript.text)
    if not transcript.words:  # an empty line alone would look like a failure
        print(f"trainer: no speech was heard in {audio.name}.", file=sys.stderr)
    return 0


def _resolve_scenario(library: DrillLibrary, value: Any) -> Scenario | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return parse_scenario(value, "scenario")
    if not isinstance(value, str):
        raise ScenarioError("The scenario must be a JSON object, a file path or a scenario id.")
    path = Path(value).expanduser()
    if path.suffix == ".json" or path.exists():
        return load_scenario(path)
    return library.scenario(value)


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
        check_length(args.audio, MAX_AUDIO_S)
        read_audio(args.audio)  # fail fast on a bad file before loading the model
        if args.realtime:
            card = _score_realtime(drill, scenario, args.audio, args.model)
        else:
            result = score_audio(drill, scenario, args.audio, WhisperTranscriber(args.model))
            card = result.scorecard
    else:
        text = _read_text(args.transcript)
        card = score_transcript(drill, text, scenario, default_embedder()).to_json()
    if args.json:
        _emit(card)
    else:
        _print_card(card)
    return 0


def _score_realtime(drill: Any, scenario: Scenario | None, audio: Path,
                    model: str | None) -> dict[str, Any]:
    """Score ``audio`` as if spoken live; adds ``timing`` (Stop → scorecard, whole-file)."""
    from trainer.live import run_realtime

    transcriber = WhisperTranscriber(model, quick=LIVE_QUICK)  # as the app does
    transcriber.load()  # the app loads the model at start-up, before any take
    run = run_realtime(drill, scenario, audio, transcriber)
    card = run.scorecard
    card["timing"] = {"stop_to_result_s": round(run.stop_to_result_s, 3),
                      "batch_s": round(run.batch_s or 0.0, 3)}
    return card


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"Transcript file not found: {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path.name} cannot be read as text ({exc}).") from exc


def _batch_lines(source: str) -> Iterable[str]:
    if source == "-":
        yield from sys.stdin
        return
    path = Path(source)
    if not path.exists():
        raise ScenarioError(f"Batch file not found: {path}.")
    with open(path, encoding="utf-8") as f:
        yield from f


def _run_batch(source: str, handle: Callable[[int, dict[str, Any]], dict[str, Any]]) -> int:
    """One JSON line in, one JSON line out; a bad line gets ``{"id", "error"}`` and we go on."""
    for number, line in enumerate(_batch_lines(source), start=1):
        if not line.strip():
            continue
        item_id: Any = None
        try:
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScenarioError(f"line {number} is not valid JSON ({exc.msg}).") from exc
            if not isinstance(item, dict):
                raise ScenarioError(f"line {number} must be a JSON object.")
            item_id = item.get("id")
            _emit({**handle(number, item), "id": item_id})
        except TrainerError as exc:
            _emit({"id": item_id, "error": str(exc)})
    return 0


def _score_batch(library: DrillLibrary, source: str) -> int:
    embedder = default_embedder()  # loaded once for the whole batch

    def score_line(number: int, item: dict[str, Any]) -> dict[str, Any]:
        drill_id = item.get("drill")
        if not isinstance(drill_id, str):
            raise ScenarioError(f"line {number}: key 'drill' must be a drill id.")
        transcript = item.get("transcript")
        if not isinstance(transcript, str):
            raise ScenarioError(f"line {number}: key 'transcript' must be text.")
        drill = library.drill(drill_id)
        scenario = _resolve_scenario(library, item.get("scenario"))
        return score_transcript(drill, transcript, scenario, embedder).to_json()

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
    from trainer.classify import FeatureBenefitJudge
    from trainer.embeddings import Embedder

    judge = FeatureBenefitJudge(Embedder())
    if args.batch:
        def classify_line(number: int, item: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(item.get("text"), str):
                raise ScenarioError(f"line {number}: key 'text' must be text.")
            context = item.get("context")
            return judge.classify(item["text"],
                                  context if isinstance(context, str) else None).to_json()

        return _run_batch(args.batch, classify_line)
    if args.text is None:
        raise ScenarioError("Give a statement to classify, or --batch FILE.")
    verdict = judge.classify(args.text, args.context)
    if args.json:
        _emit(verdict.to_json())
    else:
        print(f"{verdict.label} ({verdict.confidence:.0%}): {verdict.why}")
    return 0


def _cmd_forget(name: str, yes: bool) -> int:
    from trainer.privacy import forget_seller
    from trainer.store import open_store

    data_dir = paths.data_dir()
    store, note = open_store(data_dir / "trainer.sqlite3")
    with store:
        if note:
            print(f"trainer: {note}", file=sys.stderr)
        seller = store.find_seller(name)
        if seller is not None and not yes:
            if not sys.stdin.isatty():  # a script must say --yes; never delete on a guess
                raise TrainerError("Nothing was deleted: add --yes to delete without being asked.")
            answer = input(f"Delete all {store.attempt_count(seller)} takes and recordings of "
                           f"{seller.name} from {data_dir}? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing was deleted.")
                return 0
        report = forget_seller(store, data_dir, name)
    print(report.summary())
    return EXIT_BAD_INPUT if report.kept else 0


def transcribe_file(audio: Path, model: str | None = None) -> dict[str, Any]:
    """Library helper: transcribe a file and return the CLI's JSON shape."""
    return WhisperTranscriber(model).transcribe(read_audio(audio)).to_json()


__all__ = ["main", "transcribe_file", "build_scorecard"]


if __name__ == "__main__":
    raise SystemExit(main())
