"""Benchmarks for the live path: ``python -m trainer.bench latency|fillers|memory|delivery``.

- ``latency``: 60 s and 120 s takes built from the test clips are played through the real
  recording pipeline at real speed (``trainer.coaching.realtime.run_realtime``, the same code as
  ``trainer score --realtime``) with the model loaded, and timed from Stop to scorecard; the
  same model then transcribes each whole file (``batch_s``). Prints both and the word error
  rate of each path. Each model runs in its own process.
- ``fillers``: filler-word recall of Whisper with different initial prompts, on espeak-ng
  speech with soft, drawn-out "um"/"uh" whose count is known, and the prompt's effect on
  the word error rate of clean speech.
- ``memory``: resident memory sampled through a long live take (10 minutes by default).
- ``stop-mid-window``: the worst case for Stop -> scorecard: Stop on the last word while the
  main model is on a window, so nothing covers the ~12 s not yet committed. The audio is fed
  at once, the worker starts, and ``finish`` is called at set delays after the window starts.
- ``delivery``: the delivery metrics on audio with known answers (espeak-ng rates, inserted
  silences, flattened and widened voices, tones, soft fillers).

Timings depend on the machine and on what else runs: the load average is printed with them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from trainer.audio.wavio import FloatArray, read_audio, write_wav
from trainer.speech.wer import word_errors

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "tests" / "data" / "speech"
LIBRIVOX = ROOT / "tests" / "data" / "librivox"
RATE = 16000
GAP_S = 0.6


def _sources() -> list[tuple[FloatArray, str]]:
    if not SPEECH.exists() or not LIBRIVOX.exists():
        raise SystemExit("bench: the test clips in tests/data are missing (run from a checkout).")
    references = json.loads((LIBRIVOX / "transcripts.json").read_text())
    items = [(read_audio(SPEECH / "agenda_good.wav"), (SPEECH / "agenda_good.txt").read_text())]
    items += [(read_audio(LIBRIVOX / name), text) for name, text in sorted(references.items())]
    items.append((read_audio(SPEECH / "agenda_weak.wav"), (SPEECH / "agenda_weak.txt").read_text()))
    return items


def speech_clip(seconds: float, trailing_s: float = 0.0) -> tuple[FloatArray, str]:
    """At least ``seconds`` of speech from the test clips (espeak-ng agenda openings and
    LibriVox readings, in turn, 0.6 s apart) and its reference text.

    The take ends with the last clip's own ending (no added gap) plus ``trailing_s`` of
    silence: 0 is a seller pressing Stop on the last word.
    """
    sources = _sources()
    parts: list[FloatArray] = []
    texts: list[str] = []
    total = 0
    i = 0
    gap = np.zeros(int(GAP_S * RATE), dtype=np.float32)
    while total < seconds * RATE:
        audio, text = sources[i % len(sources)]
        if parts:
            parts.append(gap)
            total += gap.size
        parts.append(audio)
        texts.append(text)
        total += audio.size
        i += 1
    parts.append(np.zeros(int(trailing_s * RATE), dtype=np.float32))
    return np.concatenate(parts).astype(np.float32), " ".join(texts)


def _load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


# -- latency ---------------------------------------------------------------------------------
def _latency_one(model: str, seconds: list[float], trailing: list[float],
                 threads: int, quick_beam: int | None = None,
                 quick_model: str | None = None) -> dict[str, Any]:
    from trainer.coaching.realtime import run_realtime
    from trainer.rubric.drills import DrillLibrary
    from trainer.speech.transcriber import WhisperTranscriber

    library = DrillLibrary()
    drill = library.drill("agenda")
    scenario = library.scenario("northwind-finance")
    transcriber = WhisperTranscriber(model, cpu_threads=threads, quick=quick_model)
    load_s = transcriber.load()
    transcriber.transcribe(_sources()[0][0][: RATE * 3])  # warm-up, as after start-up
    quick = transcriber.quick_transcriber
    if quick is not None:
        quick.transcribe(_sources()[0][0][: RATE * 3])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        for length in seconds:
            for trail in trailing:
                audio, reference = speech_clip(length, trail)
                path = Path(tmp) / f"take-{length:.0f}-{trail:.1f}.wav"
                write_wav(path, audio, RATE)
                load_before = _load_average()
                options: dict[str, Any] = {} if quick_beam is None else {
                    "quick_beam": quick_beam}
                run = run_realtime(drill, scenario, path, transcriber, work_dir=Path(tmp),
                                   **options)
                assert run.batch_transcript is not None
                s_err, n = word_errors(reference, run.transcript.text)
                b_err, _ = word_errors(reference, run.batch_transcript.text)
                rows.append({
                    "audio_s": round(audio.size / RATE, 1), "trailing_s": trail,
                    "stop_to_result_s": run.stop_to_result_s, "batch_s": run.batch_s,
                    "stream_wer": s_err / n, "batch_wer": b_err / n, "words": n,
                    "stream": run.transcript.extra.get("stream", {}),
                    "load_avg": load_before, "score": run.scorecard["score"],
                    "timeline": run.timeline,
                })
    return {"model": model, "threads": threads, "load_s": load_s, "rows": rows,
            "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_latency(models: list[str], seconds: list[float], trailing: list[float],
                  threads: int, quick_beam: int | None = None,
                  quick_model: str | None = None) -> int:
    print(f"live latency: takes played at real speed through Recorder -> live transcription "
          f"(agenda drill); cpu_threads={threads}; quick_beam={quick_beam}; "
          f"quick_model={quick_model}; "
          f"{os.cpu_count()} CPUs")
    header = (f"{'model':8} {'take s':>6} {'pause':>5} {'Stop->card s':>12} {'batch s':>7} "
              f"{'stream WER':>10} {'batch WER':>9} {'ratio':>5} {'tail s':>6} "
              f"{'reused':>6} {'max lag':>7} {'wait s':>6} {'score s':>7} {'load':>5}")
    print(header)
    print("-" * len(header))
    for model in models:
        proc = subprocess.run(
            [sys.executable, "-m", "trainer.bench", "_latency_one", model,
             "--seconds", ",".join(f"{s:g}" for s in seconds),
             "--trailing", ",".join(f"{t:g}" for t in trailing), "--threads", str(threads),
             *(["--quick-beam", str(quick_beam)] if quick_beam else []),
             *(["--quick-model", quick_model] if quick_model else [])],
            capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{model:8} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        for r in result["rows"]:
            stream = r["stream"]
            ratio = r["stream_wer"] / r["batch_wer"] if r["batch_wer"] else float("nan")
            print(f"{model:8} {r['audio_s']:>6.1f} {r['trailing_s']:>5.1f} "
                  f"{r['stop_to_result_s']:>12.2f} {r['batch_s']:>7.2f} "
                  f"{r['stream_wer']:>10.1%} {r['batch_wer']:>9.1%} {ratio:>5.2f} "
                  f"{stream.get('tail_s', 0):>6.1f} {str(stream.get('reused_partial')):>6} "
                  f"{stream.get('max_window_lag_s', 0):>7.2f} "
                  f"{r['timeline'].get('transcript_s', 0):>6.2f} "
                  f"{r['timeline'].get('scoring_s', 0):>7.2f} {r['load_avg']:>5.2f}")
        print(f"{model:8} load {result['load_s']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB")
    print("Stop->card: last sample delivered -> recorder stopped, transcription tail, silence "
          "check, rubric + delivery scored. pause: silence between the last word and Stop. "
          "batch: the whole file in one call, same model, same process. tail: audio "
          "transcribed after Stop; reused: the partial made in the seller's last pause was "
          "kept, so only what was said after it was transcribed. max lag: worst delay of a "
          "committed window behind the speaker. wait: Stop (after "
          "the recorder stopped) to the full transcript; score: silence check, rubric and "
          "delivery. load: 1-minute "
          "load average when the take started (2 CPUs).")
    return 0


# -- fillers ---------------------------------------------------------------------------------
FILLER_PROMPTS: dict[str, str | None] = {
    "none": None,
    "ours": None,  # trainer.speech.streaming.FILLER_PROMPT, filled in below
    "hesitant": "So, um, I think, uh, we could, um, start there.",
    "ellipsis": "Umm, let me think, like, hmm... Okay, here's what I'm, like, thinking.",
    "bare": "um uh er um uh",
}

# (text with {F} where a soft filler goes, fillers in order); "you know" and "basically" are
# spoken normally and count too.
_FILLER_SCRIPT: list[tuple[str | float, str | None]] = [
    ("So", None), ("um", "F"), (0.25, None),
    ("we help finance teams close the month faster.", None), (0.3, None), ("uh", "F"),
    (0.3, None), ("Most of our customers were", None), ("um", "F"),
    ("stuck in spreadsheets, and we cut their close", None), ("uh", "F"),
    ("from twelve days to six. You know, it basically pays for itself.", None), (0.3, None),
    ("um", "F"), (0.3, None), ("Does that sound like your team?", None),
]
FILLER_REFERENCE = ("So we help finance teams close the month faster. Most of our customers "
                    "were stuck in spreadsheets, and we cut their close from twelve days to "
                    "six. You know, it basically pays for itself. Does that sound like your "
                    "team?")
FILLER_COUNT = 7  # five um/uh, "you know", "basically"


def make_filler_clip(path: Path, amplitude: int = 45, pitch: int = 30, speed: int = 80) -> None:
    """espeak-ng speech with soft, low, drawn-out "um"/"uh" (a hesitating speaker).

    Spoken at full voice, espeak's fillers are clear words Whisper always keeps; these soft
    ones are what it drops without a hint (measured). Needs ``espeak-ng`` and ``sox``.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None or shutil.which("sox") is None:
        raise SystemExit("bench: espeak-ng and sox are needed to make the filler clips.")
    parts: list[FloatArray] = []
    with tempfile.TemporaryDirectory(prefix="fillers-") as tmp:
        for n, (item, kind) in enumerate(_FILLER_SCRIPT):
            if isinstance(item, float):
                parts.append(np.zeros(int(item * RATE), dtype=np.float32))
                continue
            raw = Path(tmp) / f"{n}.wav"
            args = ["-a", str(amplitude), "-p", str(pitch), "-s", str(speed)] if kind else \
                ["-s", "150"]
            subprocess.run([espeak, "-v", "en-us", *args, "-w", str(raw), item], check=True,
                           capture_output=True)
            parts.append(read_audio(raw, RATE))
    write_wav(path, np.concatenate(parts).astype(np.float32), RATE)


def _fillers_one(model: str) -> dict[str, Any]:
    from trainer.rubric.delivery import count_fillers
    from trainer.speech.streaming import FILLER_PROMPT
    from trainer.speech.transcriber import WhisperTranscriber

    prompts = dict(FILLER_PROMPTS, ours=FILLER_PROMPT)
    transcriber = WhisperTranscriber(model)
    transcriber.load()
    variants = [(45, 30, 80), (35, 30, 80), (55, 40, 90), (45, 25, 70)]
    clean = [(a, t) for a, t in _sources()]
    out: dict[str, Any] = {"model": model, "variants": len(variants), "prompts": {}}
    with tempfile.TemporaryDirectory(prefix="fillers-") as tmp:
        clips = []
        for amplitude, pitch, speed in variants:
            path = Path(tmp) / f"f-{amplitude}-{pitch}-{speed}.wav"
            make_filler_clip(path, amplitude, pitch, speed)
            clips.append(read_audio(path, RATE))
        for name, prompt in prompts.items():
            counts = []
            filler_errors = filler_words = 0
            for audio in clips:
                result = transcriber.transcribe(audio, initial_prompt=prompt)
                counts.append(len(count_fillers(result.words)))
                hyp = " ".join(w.word for w in result.words
                               if w.word.strip(" ,.?").lower() not in ("um", "uh", "umm", "uhh"))
                e, n = word_errors(FILLER_REFERENCE, hyp)
                filler_errors += e
                filler_words += n
            clean_errors = clean_words = 0
            for audio, reference in clean:
                e, n = word_errors(reference, transcriber.transcribe(
                    audio, initial_prompt=prompt).text)
                clean_errors += e
                clean_words += n
            out["prompts"][name] = {"prompt": prompt, "counts": counts,
                                    "clip_wer": filler_errors / filler_words,
                                    "clean_wer": clean_errors / clean_words}
    return out


def bench_fillers(models: list[str]) -> int:
    print(f"filler recall: espeak-ng speech with soft drawn-out um/uh, {FILLER_COUNT} known "
          "fillers per clip (5 um/uh + 'you know' + 'basically'), 4 voicings")
    for model in models:
        proc = subprocess.run([sys.executable, "-m", "trainer.bench", "_fillers_one", model],
                              capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{model}: failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"\n{model}: {'prompt':9} {'fillers found per clip':24} {'mean |err|':>10} "
              f"{'clip WER':>8} {'clean WER':>9}")
        for name, r in result["prompts"].items():
            counts = r["counts"]
            error = sum(abs(c - FILLER_COUNT) for c in counts) / len(counts)
            print(f"{'':{len(model) + 2}}{name:9} {str(counts):24} {error:>10.2f} "
                  f"{r['clip_wer']:>8.1%} {r['clean_wer']:>9.1%}")
    print("\nclip WER: the filler clips' other words (fillers removed); clean WER: the "
          "espeak-ng + LibriVox test clips, each transcribed with that prompt.")
    return 0


# -- memory ------------------------------------------------------------------------------------
def bench_memory(model: str, minutes: float, speed: float) -> int:
    """RSS through one long live take (the real Recorder, at ``speed`` x real time)."""
    from trainer.audio.filesource import FileSoundDevice
    from trainer.audio.recorder import Recorder
    from trainer.coaching.live import LiveTake
    from trainer.speech.transcriber import LIVE_QUICK, WhisperTranscriber

    print(f"memory over a {minutes:g}-minute live take, model {model}, speed {speed:g}x")
    before = _rss_mb()
    transcriber = WhisperTranscriber(model, quick=LIVE_QUICK)  # as the app loads it
    transcriber.load()
    transcriber.transcribe(_sources()[0][0][: RATE * 3])
    loaded = _rss_mb()
    audio, _ = speech_clip(minutes * 60)
    sound = FileSoundDevice(audio[: int(minutes * 60 * RATE)], RATE, speed=speed)
    take = LiveTake(transcriber)
    recorder = Recorder(sound, block_s=0.05, on_audio=take.feed)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(5.0):
            samples.append((recorder.elapsed_s, _rss_mb()))

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        take.start()
        recorder.start(Path(tmp) / "take.wav")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        sound.finished.wait()
        stop = time.perf_counter()
        recorder.stop()
        transcript, track = take.finish()
        finish_s = time.perf_counter() - stop
        done.set()
        take.close()
    print(f"RSS: {before:.0f} MB before the model, {loaded:.0f} MB with it loaded")
    per_minute: dict[int, float] = {}
    for at, rss in samples:
        per_minute[int(at // 60)] = max(per_minute.get(int(at // 60), 0.0), rss)
    for minute, rss in sorted(per_minute.items()):
        print(f"  minute {minute + 1:>2}: max RSS {rss:.0f} MB")
    values = [rss for _, rss in samples]
    if values:
        first = values[: max(1, len(values) // 10)]
        last = values[-max(1, len(values) // 10):]
        print(f"first 10% of the take: {np.mean(first):.0f} MB; last 10%: {np.mean(last):.0f} "
              f"MB; peak {max(values):.0f} MB; peak RSS of the process "
              f"{_peak_rss_mb():.0f} MB")
    stream = transcript.extra.get("stream", {})
    print(f"{len(transcript.words)} words, {stream.get('windows')} windows, "
          f"{stream.get('partials')} partials, max window lag "
          f"{stream.get('max_window_lag_s')} s, max backlog {stream.get('max_backlog_s')} s; "
          f"Stop -> transcript {finish_s:.2f} s; prosody frames {track.rms.size}")
    return 0


# -- delivery accuracy ---------------------------------------------------------------------------
PACE_TEXT = ("Our team works with finance leaders who want a faster and calmer month end. We "
             "connect the systems they already use and we match the transactions every night. "
             "Controllers then review only the exceptions and they close the books in days "
             "instead of weeks. Most customers see results within the first quarter and they "
             "keep building on them every month after that.")
PITCH_TEXT = ("We help finance teams close the month in three days instead of ten. Our "
              "customers stop chasing spreadsheets and start trusting their numbers. Would "
              "that make a difference for your team this quarter?")


def bench_stop_mid_window(model: str, delays: list[float]) -> int:
    import statistics

    from trainer.speech.streaming import StreamingTranscriber
    from trainer.speech.transcriber import LIVE_QUICK, WhisperTranscriber

    transcriber = WhisperTranscriber(model, quick=LIVE_QUICK)
    transcriber.load()
    quick = transcriber.quick_transcriber
    audio, _ = speech_clip(40)
    transcriber.transcribe(audio[: 3 * RATE])  # warm-up, as after start-up
    if quick is not None:
        quick.transcribe(audio[: 3 * RATE])
    print(f"Stop while a {model} window runs (quick model: "
          f"{quick.name if quick is not None else 'none'}); {os.cpu_count()} CPUs, "
          f"load {_load_average():.2f}")
    print(f"{'start s':>7} {'take s':>6} {'delay s':>7} {'Stop->transcript s':>18}  covered by")
    times: dict[float, list[float]] = {d: [] for d in delays}
    for start_s in (0.0, 11.0, 22.0):
        for length in (11.5, 12.5):
            chunk = audio[int(start_s * RATE): int((start_s + length) * RATE)]
            for delay in delays:
                stream = StreamingTranscriber(transcriber, quick_transcriber=quick,
                                              parallel_tail=True)
                for i in range(0, chunk.size, RATE // 10):
                    stream.feed(chunk[i: i + RATE // 10])
                stream.start()
                deadline = time.monotonic() + 30
                while stream._running_kind != "window" and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(delay)
                started = time.monotonic()
                stream.finish(timeout=60)
                took = time.monotonic() - started
                stream.close()
                times[delay].append(took)
                how = "a partial" if stream.stats.reused_partial else "the tail"
                print(f"{start_s:7.1f} {length:6.1f} {delay:7.1f} {took:18.2f}  {how}",
                      flush=True)
                time.sleep(2.5)  # the abandoned window ends before the next Stop
    for delay, values in times.items():
        print(f"delay {delay:.1f} s: median {statistics.median(values):.2f} s, "
              f"worst {max(values):.2f} s")
    return 0


def _espeak(folder: Path, name: str, text: str, *args: str) -> FloatArray:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("bench: espeak-ng is needed for the delivery clips.")
    raw = folder / f"{name}.wav"
    subprocess.run([espeak, "-v", "en-us", *args, "-w", str(raw), text], check=True,
                   capture_output=True)
    return read_audio(raw, RATE)


def bench_delivery(model: str) -> int:
    """Delivery metrics on audio with known answers (the figures the tests assert)."""
    from trainer.audio.prosody import analyse
    from trainer.coaching.live import LiveTake
    from trainer.rubric.delivery import count_fillers, delivery_metrics
    from trainer.speech.transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(model)
    transcriber.load()
    print(f"delivery accuracy on known audio (words from {model})")
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        folder = Path(tmp)
        for rate in (110, 150, 180):
            audio = _espeak(folder, f"pace{rate}", PACE_TEXT, "-s", str(rate))
            result = transcriber.transcribe(audio)
            block = delivery_metrics(result.words, audio.size / RATE, (30, 90),
                                     track=analyse(audio), text=result.text)
            wpm = block["pace_wpm"]["value"]
            print(f"  pace: espeak-ng -s {rate}: measured {wpm:.0f} wpm "
                  f"({(wpm - rate) / rate:+.1%}), band {block['pace_wpm']['band']}")
        source = read_audio(SPEECH / "agenda_good.wav")
        cuts = (7.0, 20.0)
        gap = np.zeros(2 * RATE, dtype=np.float32)
        pieces = [source[: int(cuts[0] * RATE)], gap,
                  source[int(cuts[0] * RATE): int(cuts[1] * RATE)], gap,
                  source[int(cuts[1] * RATE):]]
        edited = np.concatenate(pieces)
        block = delivery_metrics([], edited.size / RATE, (30, 90), track=analyse(edited), text="")
        found = ", ".join(f"{t:.2f} s ({length:.2f} s long)" for t, length in zip(
            block["pauses"]["at_s"], block["pauses"]["lengths_s"], strict=True))
        print(f"  pauses: 2 s silences inserted at 7.00 s and 22.00 s: found {found}")
        for name, text, args in (
                ("flattened (SSML range x-low)",
                 f'<speak><prosody range="x-low">{PITCH_TEXT}</prosody></speak>', ("-m",)),
                ("default", PITCH_TEXT, ()),
                ("widened (SSML range x-high)",
                 f'<speak><prosody range="x-high">{PITCH_TEXT}</prosody></speak>', ("-m",))):
            audio = _espeak(folder, "pitch", text, *args)
            block = delivery_metrics([], audio.size / RATE, (5, 60), track=analyse(audio),
                                     text="")
            pitch = block["pitch_variation_st"]
            print(f"  pitch: espeak-ng {name}: {pitch['value']:.2f} semitones, band "
                  f"{pitch['band']}{' (monotone)' if pitch['monotone'] else ''}; loudness "
                  f"variation {block['loudness_variation_db']['value']:.1f} dB")
        errors = []
        for hz in (85.0, 150.0, 240.0, 380.0):
            t = np.arange(RATE * 2) / RATE
            phase = 2 * np.pi * hz * t
            wave = sum(np.sin(k * phase) / k for k in range(1, 10))
            tone = (0.2 * wave / np.max(np.abs(wave))).astype(np.float32)
            track = analyse(np.concatenate([np.zeros(RATE // 2, np.float32), tone]))
            voiced = track.f0[np.isfinite(track.f0)]
            errors.append(abs(float(np.median(voiced)) - hz) / hz)
        print(f"  pitch: harmonic tones at 85-380 Hz: median F0 error {max(errors):.2%} at "
              "worst")
        counts_live, counts_batch = [], []
        from trainer.speech.streaming import FILLER_PROMPT

        for amplitude, pitch_, speed in [(45, 30, 80), (35, 30, 80), (55, 40, 90),
                                         (45, 25, 70)]:
            path = folder / "fillers.wav"
            make_filler_clip(path, amplitude, pitch_, speed)
            audio = read_audio(path, RATE)
            take = LiveTake(transcriber)
            take.start()
            for i in range(0, audio.size, 800):
                take.feed(audio[i: i + 800])
                take.stream.wait_idle()
            transcript, _ = take.finish(timeout=120)
            take.close()
            counts_live.append(len(count_fillers(transcript.words)))
            counts_batch.append(len(count_fillers(transcriber.transcribe(
                audio, initial_prompt=FILLER_PROMPT).words)))
        print(f"  fillers: {FILLER_COUNT} known per clip, 4 voicings: live path found "
              f"{counts_live}, whole-file path {counts_batch}")
    return 0
