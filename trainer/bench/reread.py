"""How often stock faster-whisper re-reads the end of a short clip, and what skipping it saves:
``uv run python -m trainer.bench.reread [--model tiny.en] [--seconds 1.5,2,2.5,3]``.

With word timestamps, faster-whisper reads the last chunk a second time from the last word's
end when the decoder did not close it with a timestamp (``trainer.speech.transcriber``'s
``skip_final_reread``). Whether it does so for a given clip depends on the decoder's last
token, which differs between CPUs, so it is printed here rather than asserted in a test. If
stock never re-reads on any clip after a faster-whisper upgrade, the override may be obsolete.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path
from typing import Any

from trainer.audio.wavio import FloatArray, read_audio

ROOT = Path(__file__).resolve().parents[2]
CLIPS = (ROOT / "tests" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0870.wav",
         ROOT / "tests" / "data" / "speech" / "roleplay_handling.wav",
         ROOT / "tests" / "data" / "speech" / "agenda_good.wav")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _run(model: Any, audio: FloatArray, skip: bool) -> tuple[int, list[str], float]:
    """Encoder runs, words and seconds of one quick-model pass with the flag set to ``skip``."""
    from trainer.speech.streaming import FILLER_PROMPT

    runs: list[int] = []
    real_encode = model._model.encode

    def counted(features: Any) -> Any:
        runs.append(1)
        return real_encode(features)

    model._model.encode = counted
    model._model.skip_final_reread = skip
    try:
        started = time.perf_counter()
        transcript = model.transcribe(audio, initial_prompt=FILLER_PROMPT, beam_size=1)
        busy_s = time.perf_counter() - started
    finally:
        del model._model.encode
    return len(runs), [w.word for w in transcript.words], busy_s


def bench_reread(models: list[str], seconds: list[float]) -> int:
    from trainer.speech.transcriber import WhisperTranscriber

    print(f"CPU: {_cpu()}")
    print(f"{'model':8} {'clip':36} {'s':>4} {'stock runs':>10} {'ours':>5} "
          f"{'stock s':>8} {'ours s':>7}  words kept")
    for name in models:
        quick = WhisperTranscriber(name, cpu_threads=2, num_workers=1, skip_final_reread=True)
        quick.load()
        for clip in CLIPS:
            for length in seconds:
                audio = read_audio(clip)[: int(16000 * length)]
                stock_runs, stock_words, stock_s = _run(quick, audio, skip=False)
                our_runs, our_words, our_s = _run(quick, audio, skip=True)
                kept = stock_words[: len(our_words)] == our_words
                extra = len(stock_words) - len(our_words)
                print(f"{name:8} {clip.name[:36]:36} {length:4.1f} {stock_runs:10d} "
                      f"{our_runs:5d} {stock_s:8.2f} {our_s:7.2f}  "
                      f"{'yes' if kept else 'NO'}{f' (+{extra} after)' if extra else ''}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.bench.reread")
    parser.add_argument("--model", action="append", help="models (default: tiny.en and base)")
    parser.add_argument("--seconds", default="1.5,2,2.5,3", help="clip lengths to cut")
    args = parser.parse_args(argv)
    lengths = [float(x) for x in args.seconds.split(",") if x.strip()]
    return bench_reread(args.model or ["tiny.en", "base"], lengths)


if __name__ == "__main__":
    raise SystemExit(main())
