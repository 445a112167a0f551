"""Delivery coaching: how the seller said it, from the audio and the word timings.

Metrics: pace (overall and over time), fillers per minute, pauses over 1 s and the longest,
the longest stretch of talk without a beat, pitch variation (monotone detection from the F0
track in ``trainer.audio.prosody``), loudness variation, questions asked, and talk time against the
drill's target. Each is banded good / watch / fix with one sentence of advice; the bands, the
advice and where the numbers come from are content in ``drills/delivery.toml`` (validated
here, errors name the file and the key). ``delivery_verdict`` turns the bands into the
``engaging_delivery`` criterion of a scorecard.

Pauses and stretches never contradict each other (checked when the bands load): "longest
pause" judges how long the longest silence is, and a take with none is never good; "longest
stretch without a beat" judges how often the seller stops, and every pause is also a beat, so
a take that runs on without a beat has no pause either and both metrics say so.

Also the silence check that runs before any scoring: Whisper invents short phrases ("you",
"thank you") on silence and noise, so a take with too little speech energy, or too few
recognised words, is reported as "we didn't hear you" and never scored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trainer.audio.prosody import HOP_S, Track, loudness_spread_db, speech_seconds
from trainer.audio.wavio import FloatArray
from trainer.common.errors import SILENT_MESSAGE, SilentRecording
from trainer.rubric.bands import METRIC_ORDER, DeliveryBands, load_bands
from trainer.rubric.drills import Criterion
from trainer.speech.transcriber import Word

MIN_SPEECH_S = 1.0
MIN_WORDS = 4
_SINGLE_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm",
                   "basically", "actually", "literally"}
_PAIR_FILLERS = {("you", "know"), ("sort", "of"), ("kind", "of"), ("i", "mean")}
# "what kind of", "this sort of": a real noun phrase, not a hedge.
_DETERMINERS = {"what", "which", "this", "that", "the", "a", "an", "any", "some", "every",
                "one", "same", "other", "each", "no", "whatever"}
# "I like", "would like", "looks like": the verb or the comparison, not the filler.
_LIKE_VERBS = {"i", "you", "we", "they", "would", "i'd", "we'd", "you'd", "really", "don't",
               "didn't", "look", "looks", "looked", "feel", "feels", "felt", "sound", "sounds",
               "seem", "seems", "something", "anything", "nothing", "just", "more", "much",
               "things", "people", "exactly", "is", "was", "be"}


# -- the silence check ----------------------------------------------------------------------
def check_heard(audio: FloatArray | None, words: Sequence[Word], samplerate: int = 16000,
                speech_s: float | None = None) -> None:
    """Raise ``SilentRecording`` unless the take holds real speech.

    Args:
        audio: the take, or ``None`` when ``speech_s`` was measured while recording.
        words: what the recogniser heard.
        speech_s: seconds of speech already measured (the live path's prosody track).
    """
    if speech_s is None and audio is not None:
        speech_s = speech_seconds(audio, samplerate)
    if speech_s is not None and speech_s < MIN_SPEECH_S:
        raise SilentRecording(SILENT_MESSAGE)
    if len([w for w in words if re.search(r"\w", w.word)]) < MIN_WORDS:
        raise SilentRecording(SILENT_MESSAGE)


# -- the metrics ----------------------------------------------------------------------------
def _clean(word: str) -> str:
    return re.sub(r"[^a-z']", "", word.lower())


def count_fillers(words: Sequence[Word]) -> list[tuple[str, float]]:
    """Filler words and phrases with their start times.

    "um", "uh", "er", "basically", "actually"...; "you know", "I mean", and "sort of"/"kind of"
    as hedges (not after "what", "this", "a"...); "like" only when set off by commas and not
    the verb or a comparison ("I like", "looks like").
    """
    tokens = [_clean(w.word) for w in words]
    found = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        before = tokens[i - 1] if i > 0 else ""
        pair = (token, tokens[i + 1]) if i + 1 < len(tokens) else None
        if pair in _PAIR_FILLERS and not (pair is not None and pair[0] in ("sort", "kind")
                                          and before in _DETERMINERS):
            found.append((" ".join(pair), words[i].start))
            i += 2
            continue
        if token in _SINGLE_FILLERS:
            found.append((token, words[i].start))
        elif token == "like":
            raw = words[i].word.strip()
            previous = words[i - 1].word.strip() if i > 0 else ""
            set_off = raw.endswith(",") and previous.endswith(",")  # "we, like, help"
            if set_off or (before not in _LIKE_VERBS
                           and (raw.endswith(",") or previous.endswith(",") or i == 0)):
                found.append((token, words[i].start))
        i += 1
    return found


def pace_over_time(words: Sequence[Word], start: float, end: float, window_s: float,
                   step_s: float) -> list[list[float]]:
    """Words per minute in each ``window_s`` window ([centre time, wpm]), every ``step_s``."""
    if end - start <= 0 or not words:
        return []
    mids = np.array([(w.start + w.end) / 2 for w in words])
    span = end - start
    window = min(window_s, span)
    out = []
    t = start
    while True:
        count = int(np.count_nonzero((mids >= t) & (mids < t + window)))
        out.append([round(t + window / 2, 2), round(count * 60.0 / window, 1)])
        if t + window >= end:
            break
        t = min(t + step_s, end - window)
    return out


def pitch_over_time(track: Track, max_points: int = 600) -> list[list[float]]:
    """[time, median F0 in Hz] of each short span that has voiced frames, for the chart."""
    if track.f0.size == 0:
        return []
    step = max(0.25, track.f0.size * HOP_S / max_points)
    per = max(1, int(round(step / HOP_S)))
    out = []
    for i in range(0, track.f0.size, per):
        chunk = track.f0[i: i + per]
        voiced = chunk[np.isfinite(chunk)]
        if voiced.size >= max(2, per // 5):
            out.append([round((i + per / 2) * HOP_S, 2), round(float(np.median(voiced)), 1)])
    return out


def pitch_variation(track: Track, window_s: float = 10.0) -> float:
    """Pitch spread in semitones, averaged over ~10 s stretches (Hincks's measure).

    Per stretch: the standard deviation of F0 in semitones around the stretch's median;
    stretches with under half a second of voiced speech are skipped. Averaging stretches keeps
    a slow drift over a long take from passing for lively intonation.
    """
    per = int(round(window_s / HOP_S))
    spreads: list[float] = []
    weights: list[int] = []
    for i in range(0, track.f0.size, per):
        chunk = track.f0[i: i + per]
        voiced = chunk[np.isfinite(chunk)]
        if voiced.size < 50:
            continue
        semis = 12.0 * np.log2(voiced / np.median(voiced))
        spreads.append(float(np.std(semis)))
        weights.append(int(voiced.size))
    if not spreads:
        return 0.0
    return float(np.average(spreads, weights=weights))


def count_questions(text: str) -> int:
    return len(re.findall(r"\?+", text))


def _stretches(gaps: list[tuple[float, float]], first: float, last: float
               ) -> list[tuple[float, float]]:
    """(start, length) of each run of talk between the given silences (start, length)."""
    runs = []
    at = first
    for start, length in gaps:
        if start > at:
            runs.append((at, start - at))
        at = start + length
    if last > at:
        runs.append((at, last - at))
    return runs


def _word_gaps(spoken: Sequence[Word], min_s: float) -> list[tuple[float, float]]:
    return [(a.end, b.start - a.end) for a, b in zip(spoken, spoken[1:], strict=False)
            if b.start - a.end >= min_s]


def delivery_metrics(words: Sequence[Word], duration_s: float,
                     target_seconds: tuple[float, float], *, track: Track | None = None,
                     text: str | None = None, profile: str = "conversation",
                     bands: DeliveryBands | None = None) -> dict[str, Any]:
    """The delivery block of a scorecard (JSON-ready): each metric's value, band and advice.

    Args:
        words: recognised words with global timings.
        duration_s: length of the recording.
        target_seconds: the drill's target length.
        track: the take's prosody track; without one, pauses come from the word timings and
            pitch and loudness are not assessed (absent from the block).
        text: the transcript text (for questions); defaults to the words joined.
        profile: the band profile of the drill's delivery criterion.
        bands: the delivery bands (default: ``drills/delivery.toml``).
    """
    bands = bands or load_bands()
    table = bands.for_profile(profile)
    settings = bands.settings
    spoken = [w for w in words if re.search(r"\w", w.word)]
    if text is None:
        text = " ".join(w.word for w in spoken)
    if spoken:
        first, last = spoken[0].start, spoken[-1].end
    else:
        first = last = 0.0
    if track is not None and track.speech.any():
        span_start, span_end = track.speech_span()
        pauses = track.silences(settings.pause_s)
        beats = track.silences(settings.stretch_pause_s)
    else:
        span_start, span_end = first, last
        pauses = _word_gaps(spoken, settings.pause_s)
        beats = _word_gaps(spoken, settings.stretch_pause_s)
    speaking_s = max(last - first, 0.0)
    minutes = max(speaking_s, 1e-6) / 60.0
    wpm = len(spoken) / minutes if spoken else 0.0
    fillers = count_fillers(spoken)
    fillers_per_min = len(fillers) / minutes if spoken else 0.0
    longest_pause = max((length for _, length in pauses), default=0.0)
    runs = _stretches(beats, span_start, span_end)
    longest_run = max(runs, key=lambda r: r[1], default=(span_start, 0.0))
    talk_s = max(span_end - span_start, 0.0)

    values: dict[str, tuple[float, dict[str, Any]]] = {
        "pace_wpm": (wpm, {}),
        "fillers_per_min": (fillers_per_min, {
            "count": len(fillers), "found": [f for f, _ in fillers],
            "at_s": [round(t, 2) for _, t in fillers]}),
        "pauses": (longest_pause, {
            "count": len(pauses), "at_s": [round(t, 2) for t, _ in pauses],
            "lengths_s": [round(length, 2) for _, length in pauses]}),
        "longest_stretch_s": (longest_run[1], {"at_s": round(longest_run[0], 2)}),
        "questions": (float(count_questions(text)), {}),
        "talk_time_s": (talk_s, {"target_s": [target_seconds[0], target_seconds[1]]}),
    }
    if track is not None and np.count_nonzero(track.voiced) * HOP_S >= 1.0:
        spread = pitch_variation(track)
        voiced = track.f0[np.isfinite(track.f0)]
        values["pitch_variation_st"] = (spread, {
            "median_hz": round(float(np.median(voiced)), 1)})
        values["loudness_variation_db"] = (loudness_spread_db(track), {})
    block: dict[str, Any] = {
        "duration_s": round(duration_s, 2),
        "speaking_s": round(speaking_s, 2),
        "words": len(spoken),
        "profile": profile,
    }
    for metric in METRIC_ORDER:
        if metric not in values:
            continue
        value, extra = values[metric]
        band = table[metric]
        verdict, advice = band.judge(value, target_seconds if band.relative_to else None)
        block[metric] = {"value": round(value, 2), "band": verdict, "advice": advice,
                         "label": band.label, "unit": band.unit, "source": band.source,
                         **extra}
        if metric == "pace_wpm":  # for the chart's shaded band (finite: valid JSON)
            block[metric]["good_range"] = [band.good[0], band.good[1]]
    if "pitch_variation_st" in block:
        block["pitch_variation_st"]["monotone"] = block["pitch_variation_st"]["band"] == "fix"
    block["timeline"] = {
        "pace_wpm": pace_over_time(spoken, first, last, settings.pace_window_s,
                                   settings.pace_step_s),
        "pitch_hz": pitch_over_time(track) if track is not None else [],
    }
    return block


def _format(key: str, metric: dict[str, Any]) -> str:
    value = float(metric["value"])
    unit = str(metric.get("unit", ""))
    if key == "pauses" and metric.get("count") == 0:
        return f"{metric.get('label', '')} none".strip()  # not "0.0 s": there was no pause
    shown = f"{value:.0f}" if abs(value) >= 20 or value == int(value) else f"{value:.1f}"
    return f"{metric.get('label', '')} {shown}{(' ' + unit) if unit else ''}".strip()


def delivery_verdict(block: Mapping[str, Any], criterion: Criterion
                     ) -> tuple[bool, str, str | None]:
    """(met, evidence, tip) of the ``engaging_delivery`` criterion from a delivery block.

    Met when no metric is in "fix" and at most ``criterion.max_watch`` are in "watch". The
    evidence is the numbers, each with its band; the tip, when missed, is the advice of the
    metric that most needs work.
    """
    keyed = [(m, block[m]) for m in METRIC_ORDER if isinstance(block.get(m), dict)]
    metrics = [m for _, m in keyed]
    fixes = [m for m in metrics if m["band"] == "fix"]
    watches = [m for m in metrics if m["band"] == "watch"]
    met = not fixes and len(watches) <= criterion.max_watch
    evidence = "; ".join(f"{_format(k, m)} ({m['band']})" for k, m in keyed)
    worst = (fixes or watches or [None])[0]
    tip = None if met else (str(worst["advice"]) if worst else criterion.tip)
    return met, evidence, tip
