"""Benchmarks that print numbers: ``uv run python -m trainer.bench models|scoring``.

Speed and memory are measured here, not asserted in tests (timings depend on the machine).
Each model is measured in its own process so its peak memory is its own.

- ``models``: for each bundled Whisper model: load time, whole-file transcription time and
  real-time factor, WER on synthetic (espeak-ng) speech and on real human speech (LibriVox),
  peak resident memory.
- ``scoring``: time to score a transcript against the agenda rubric.
- ``rubric``: accuracy of the rubric judge and the feature/benefit judge on the measuring
  batches of the labelled corpus (aggregates only), and their speed (``trainer.bench.rubric``);
  with ``--robustness``, how its verdicts hold when the words change
  (``trainer.bench.robustness``).
- ``latency``, ``fillers``, ``memory``, ``delivery``: the live path and delivery coaching
  (``trainer.bench.live``).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from trainer.audio.wavio import FloatArray, read_audio
from trainer.bench.evaluation import RUBRIC_DRILLS
from trainer.speech.wer import word_errors

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "tests" / "data" / "speech"
LIBRIVOX = ROOT / "tests" / "data" / "librivox"


def _clips() -> dict[str, list[tuple[FloatArray, str]]]:
    if not SPEECH.exists() or not LIBRIVOX.exists():
        raise SystemExit("bench: the test clips in tests/data are missing (run from a checkout).")
    # The agenda openings only, so the figures stay comparable as clips for other tests
    # are added to the folder.
    synthetic = [(read_audio(w), w.with_suffix(".txt").read_text())
                 for w in sorted(SPEECH.glob("agenda_*.wav"))]
    references = json.loads((LIBRIVOX / "transcripts.json").read_text())
    human = [(read_audio(LIBRIVOX / name), text) for name, text in sorted(references.items())]
    return {"espeak": synthetic, "librivox": human}


def _measure_one(model: str, threads: int) -> dict[str, Any]:
    from trainer.speech.transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(model, cpu_threads=threads)
    load_s = transcriber.load()
    clips = _clips()
    transcriber.transcribe(clips["espeak"][0][0][:16000 * 3])  # warm-up, not counted
    result: dict[str, Any] = {"model": model, "threads": threads, "load_s": load_s}
    for kind, items in clips.items():
        errors = words = 0
        audio_s = busy_s = 0.0
        for audio, reference in items:
            started = time.perf_counter()
            transcript = transcriber.transcribe(audio)
            busy_s += time.perf_counter() - started
            audio_s += audio.size / 16000
            e, n = word_errors(reference, transcript.text)
            errors += e
            words += n
        result[kind] = {"audio_s": audio_s, "transcribe_s": busy_s, "rtf": busy_s / audio_s,
                        "wer": errors / words, "words": words}
    # One minute of continuous speech: every clip back to back with short gaps.
    gap = np.zeros(8000, dtype=np.float32)
    joined = [(a, t) for items in clips.values() for a, t in items]
    long_audio = np.concatenate([x for a, _ in joined for x in (a, gap)])
    long_text = " ".join(t for _, t in joined)
    started = time.perf_counter()
    transcript = transcriber.transcribe(long_audio)
    busy = time.perf_counter() - started
    e, n = word_errors(long_text, transcript.text)
    result["long"] = {"audio_s": long_audio.size / 16000, "transcribe_s": busy,
                      "rtf": busy / (long_audio.size / 16000), "wer": e / n, "words": n}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def bench_models(models: list[str], threads: list[int]) -> int:
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    header = (f"{'model':8} {'thr':>3} {'load s':>7} {'espeak WER':>10} {'human WER':>9} "
              f"{'long WER':>8} {'long s':>7} {'audio s':>7} {'RTF':>6} {'RSS MB':>7}")
    print(header)
    print("-" * len(header))
    for model in models:
        for n in threads:
            proc = subprocess.run(
                [sys.executable, "-m", "trainer.bench", "_one", model, "--threads", str(n)],
                capture_output=True, text=True, cwd=ROOT,
            )
            if proc.returncode != 0:
                print(f"{model:8} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout)
            print(f"{model:8} {n:>3} {r['load_s']:>7.2f} {r['espeak']['wer']:>10.1%} "
                  f"{r['librivox']['wer']:>9.1%} {r['long']['wer']:>8.1%} "
                  f"{r['long']['transcribe_s']:>7.2f} {r['long']['audio_s']:>7.1f} "
                  f"{r['long']['rtf']:>6.3f} {r['peak_rss_mb']:>7.0f}")
    print("WER: word error rate after normalisation (trainer.speech.wer); RTF: seconds of compute "
          "per second of audio, whole-file, beam 5, int8, VAD on.")
    return 0


def _fresh_texts(drill_id: str, count: int) -> list[str]:
    """Up to ``count`` different 250-word texts from a drill's corpus words, in order: each is
    new to the sentence cache, which would make a repeated text nearly free to score."""
    from trainer.bench.evaluation import load_corpus

    words = [w for item in load_corpus(drill_id) for w in item["transcript"].split()]
    return [" ".join(words[i * 250:(i + 1) * 250]) for i in range(min(count, len(words) // 250))]


def bench_scoring(repeats: int) -> int:
    """Per drill: 250-word transcripts (corpus words, in order) each scored once, with the
    judge loaded; a transcript scored again would find its windows cached."""
    from trainer.bench.evaluation import load_corpus
    from trainer.rubric.drills import DrillLibrary
    from trainer.rubric.scoring import default_judge, score_transcript

    print(f"judge load {default_judge().load():.2f} s")
    library = DrillLibrary()
    for drill_id in RUBRIC_DRILLS:
        texts = _fresh_texts(drill_id, repeats)
        scenario = library.scenario(load_corpus(drill_id)[0]["scenario"])
        times = []
        for text in texts:
            started = time.perf_counter()
            score_transcript(library.drill(drill_id), text, scenario)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{drill_id:16} 250 words: median {statistics.median(times):5.1f} ms, "
              f"max {max(times):5.1f} ms over {len(texts)} transcripts never scored before")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.bench")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("models", help="load time, speed, accuracy and memory of each model")
    p.add_argument("--model", action="append", help="limit to these models")
    p.add_argument("--threads", default="1,2", help="comma-separated cpu_threads to try")
    p = sub.add_parser("scoring", help="time to score a 250-word transcript, per drill")
    p.add_argument("--repeats", type=int, default=30, help="transcripts per drill")
    p = sub.add_parser("rubric", help="accuracy (measuring batches) and speed of the rubric "
                       "and feature/benefit judges")
    p.add_argument("--speed", action="store_true", help="speed only")
    p.add_argument("--accuracy", action="store_true", help="accuracy only")
    p.add_argument("--robustness", action="store_true",
                   help="robustness only: how many verdicts change when the transcripts are "
                   "lowercased or get fillers, and how many relevance verdicts an unrelated "
                   "prospect turns off (not in the default run: it scores each transcript "
                   "four times)")
    p.add_argument("--sets", help="comma-separated batches to measure (default: every "
                   "measuring batch)")
    p.add_argument("--models", type=Path, help="a folder with judge-encoder.onnx and "
                   "judge-head.onnx from a training run (default: the shipped models)")
    p.add_argument("--lowercase-weight", type=float, metavar="W",
                   help="share of each verdict from reading the transcript as a recogniser "
                   "writes it, 0-1 (0: as written only; default: as the app reads)")
    p.add_argument("--uncalibrated", action="store_true",
                   help="leave out the models' per-criterion offsets (judge-calibration.json)")
    p = sub.add_parser("_one", help=argparse.SUPPRESS)
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    _live_parsers(sub)
    sub.add_parser("roleplay", help="Stop -> the buyer's reply, per voice engine "
                   "(options: python -m trainer.bench.roleplay --help)", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["roleplay"]:
        from trainer.bench import roleplay as bench_roleplay

        return bench_roleplay.main(argv[1:])
    args = parser.parse_args(argv)
    if args.what in _LIVE:
        return _run_live(args)
    if args.what == "models":
        from trainer.speech.transcriber import KNOWN_MODELS

        threads = [int(t) for t in args.threads.split(",")]
        return bench_models(args.model or list(KNOWN_MODELS), threads)
    if args.what == "scoring":
        return bench_scoring(args.repeats)
    if args.what == "rubric":
        from trainer.bench import rubric as bench_rubric

        sets = tuple(args.sets.split(",")) if args.sets else bench_rubric.MEASURING
        choice = bench_rubric.JudgeChoice(args.models, args.lowercase_weight,
                                          calibrated=not args.uncalibrated)
        if args.robustness:
            from trainer.bench import robustness

            return robustness.main(sets, choice)
        return bench_rubric.main(speed_only=args.speed, accuracy_only=args.accuracy,
                                 sets=sets, choice=choice)
    print(json.dumps(_measure_one(args.model, args.threads)))
    return 0


# -- the live path (trainer.bench.live): latency, fillers, memory --------------------------------
_LIVE = ("latency", "fillers", "memory", "delivery", "stop-mid-window", "_latency_one",
         "_fillers_one")


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _live_parsers(sub: Any) -> None:
    p = sub.add_parser("latency", help="Stop-to-scorecard time of live takes vs whole-file "
                       "transcription, and the WER of each path")
    p.add_argument("--model", action="append", help="models to measure (default: base)")
    p.add_argument("--seconds", default="60,120", help="take lengths")
    p.add_argument("--trailing", default="0,1", help="seconds of silence before Stop")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick-beam", type=int, help="beam width for partials and the tail")
    p.add_argument("--quick-model", default="auto",
                   help="a faster model for partials and the tail: auto (as the app: tiny.en "
                   "beside a bigger model), a model name, or none")
    p = sub.add_parser("fillers", help="filler-word recall of Whisper with different prompts")
    p.add_argument("--model", action="append", help="models (default: both)")
    p = sub.add_parser("memory", help="resident memory through a long live take")
    p.add_argument("--model", default="base")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--speed", type=float, default=1.0)
    p = sub.add_parser("delivery", help="delivery metrics on audio with known answers")
    p.add_argument("--model", default="tiny.en")
    p = sub.add_parser("stop-mid-window", help="Stop on the last word while a window of the "
                       "main model is running: Stop -> transcript at set delays")
    p.add_argument("--model", default="base")
    p.add_argument("--delays", default="0,0.3,0.6,1,1.5",
                   help="seconds between the window starting and Stop")
    p = sub.add_parser("_latency_one", help=argparse.SUPPRESS)
    p.add_argument("model")
    p.add_argument("--seconds", default="60,120")
    p.add_argument("--trailing", default="0,1")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick-beam", type=int)
    p.add_argument("--quick-model", default="auto")
    p = sub.add_parser("_fillers_one", help=argparse.SUPPRESS)
    p.add_argument("model")


def _run_live(args: argparse.Namespace) -> int:
    from trainer.bench import live as bench_live

    if args.what == "latency":
        return bench_live.bench_latency(args.model or ["base"], _floats(args.seconds),
                                        _floats(args.trailing), args.threads, args.quick_beam,
                                        args.quick_model)
    if args.what == "fillers":
        from trainer.speech.transcriber import KNOWN_MODELS

        return bench_live.bench_fillers(args.model or list(KNOWN_MODELS))
    if args.what == "memory":
        return bench_live.bench_memory(args.model, args.minutes, args.speed)
    if args.what == "delivery":
        return bench_live.bench_delivery(args.model)
    if args.what == "stop-mid-window":
        return bench_live.bench_stop_mid_window(args.model, _floats(args.delays))
    if args.what == "_latency_one":
        result = bench_live._latency_one(args.model, _floats(args.seconds),
                                         _floats(args.trailing), args.threads, args.quick_beam,
                                         args.quick_model)
    else:
        result = bench_live._fillers_one(args.model)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
