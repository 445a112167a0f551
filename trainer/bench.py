"""Benchmarks that print numbers: ``uv run python -m trainer.bench models|scoring``.

Speed and memory are measured here, not asserted in tests (timings depend on the machine).
Each model is measured in its own process so its peak memory is its own.

- ``models``: for each bundled Whisper model: load time, whole-file transcription time and
  real-time factor, WER on synthetic (espeak-ng) speech and on real human speech (LibriVox),
  peak resident memory.
- ``scoring``: time to score a transcript against the agenda rubric.
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

from trainer.wavio import FloatArray, read_audio
from trainer.wer import word_errors

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "tests" / "data" / "speech"
LIBRIVOX = ROOT / "tests" / "data" / "librivox"


def _clips() -> dict[str, list[tuple[FloatArray, str]]]:
    if not SPEECH.exists() or not LIBRIVOX.exists():
        raise SystemExit("bench: the test clips in tests/data are missing (run from a checkout).")
    synthetic = [(read_audio(w), w.with_suffix(".txt").read_text())
                 for w in sorted(SPEECH.glob("*.wav"))]
    references = json.loads((LIBRIVOX / "transcripts.json").read_text())
    human = [(read_audio(LIBRIVOX / name), text) for name, text in sorted(references.items())]
    return {"espeak": synthetic, "librivox": human}


def _measure_one(model: str, threads: int) -> dict[str, Any]:
    from trainer.transcriber import WhisperTranscriber

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
    print("WER: word error rate after normalisation (trainer.wer); RTF: seconds of compute "
          "per second of audio, whole-file, beam 5, int8, VAD on.")
    return 0


def bench_scoring(repeats: int) -> int:
    from trainer.drills import DrillLibrary
    from trainer.scoring import score_transcript

    drill = DrillLibrary().drill("agenda")
    text = (SPEECH / "agenda_good.txt").read_text()
    long_text = " ".join([text] * 3)  # ~280 words, a long agenda
    for label, sample in (("agenda (~95 words)", text), ("long (~280 words)", long_text)):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            score_transcript(drill, sample)
            times.append((time.perf_counter() - started) * 1000)
        print(f"score {label}: median {statistics.median(times):.2f} ms, "
              f"max {max(times):.2f} ms over {repeats} runs")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.bench")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("models", help="load time, speed, accuracy and memory of each model")
    p.add_argument("--model", action="append", help="limit to these models")
    p.add_argument("--threads", default="1,2", help="comma-separated cpu_threads to try")
    p = sub.add_parser("scoring", help="time to score a transcript")
    p.add_argument("--repeats", type=int, default=200)
    p = sub.add_parser("_one", help=argparse.SUPPRESS)
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.what == "models":
        from trainer.transcriber import KNOWN_MODELS

        threads = [int(t) for t in args.threads.split(",")]
        return bench_models(args.model or list(KNOWN_MODELS), threads)
    if args.what == "scoring":
        return bench_scoring(args.repeats)
    print(json.dumps(_measure_one(args.model, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
