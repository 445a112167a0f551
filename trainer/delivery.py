"""Delivery coaching: how the seller said it, from the audio and the word timings.

Metrics: pace (overall and over time), fillers per minute, pauses over 1 s and the longest,
the longest stretch of talk without a beat, pitch variation (monotone detection from the F0
track in ``trainer.prosody``), loudness variation, questions asked, and talk time against the
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

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from trainer import paths
from trainer.drills import DELIVERY_FILE, Criterion
from trainer.errors import DrillFileError, SilentRecording
from trainer.prosody import HOP_S, Track, heard_seconds, loudness_spread_db
from trainer.transcriber import Word
from trainer.wavio import FloatArray

SILENT_MESSAGE = "We didn't hear you \u2014 check the microphone and try again."
MIN_SPEECH_S = 1.0
MIN_WORDS = 4
PAUSE_S = 1.0
_FRAME_S = 0.03
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
METRIC_ORDER = ("pace_wpm", "fillers_per_min", "pauses", "longest_stretch_s",
                "pitch_variation_st", "loudness_variation_db", "questions", "talk_time_s")
_ADVICE_KEYS = ("good", "watch_low", "watch_high", "fix_low", "fix_high")
_RELATIVE = ("target_seconds",)


# -- the silence check ----------------------------------------------------------------------
def speech_seconds(audio: FloatArray, samplerate: int = 16000) -> float:
    """Seconds of frames clearly louder than the take's own noise floor."""
    frame = int(samplerate * _FRAME_S)
    usable = audio.size - audio.size % frame
    if usable <= 0:
        return 0.0
    rms = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    return heard_seconds(rms, _FRAME_S)


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


# -- bands, from drills/delivery.toml -------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """How one metric is judged: good and watch ranges, advice per band, and the source."""

    metric: str
    label: str
    unit: str
    good: tuple[float, float]
    watch: tuple[float, float]
    advice: Mapping[str, str]
    source: str
    relative_to: str | None = None

    def ranges(self, target: tuple[float, float] | None) -> tuple[tuple[float, float],
                                                                   tuple[float, float]]:
        if self.relative_to is None or target is None:
            return self.good, self.watch
        low, high = target
        return ((self.good[0] * low, self.good[1] * high),
                (self.watch[0] * low, self.watch[1] * high))

    def judge(self, value: float, target: tuple[float, float] | None = None) -> tuple[str, str]:
        """(band, advice) for ``value``."""
        good, watch = self.ranges(target)
        if good[0] <= value <= good[1]:
            return "good", self.advice["good"]
        side = "low" if value < good[0] else "high"
        band = "watch" if watch[0] <= value <= watch[1] else "fix"
        return band, self.advice[f"{band}_{side}"]


@dataclass(frozen=True)
class DeliverySettings:
    pause_s: float = PAUSE_S
    stretch_pause_s: float = 0.5
    pace_window_s: float = 10.0
    pace_step_s: float = 2.0


@dataclass(frozen=True)
class DeliveryBands:
    """All metric bands, the named profiles that override some of them, and the settings."""

    settings: DeliverySettings
    metrics: Mapping[str, Band]
    profiles: Mapping[str, Mapping[str, Band]]
    source: Path

    def for_profile(self, name: str, where: str = "") -> dict[str, Band]:
        """The bands for a drill's profile (default bands with the profile's overrides).

        Raises:
            DrillFileError: the profile is not defined (``where`` names the drill's key).
        """
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise DrillFileError(
                f"{where or self.source.name}: the delivery profile '{name}' is not in "
                f"{self.source.name} (known: {known}).")
        merged = dict(self.metrics)
        merged.update(self.profiles[name])
        return merged


def _fail(path: Path, key: str, what: str) -> DrillFileError:
    return DrillFileError(f"{path.name}: key '{key}' {what}.")


def _number(value: Any, path: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise _fail(path, key, "must be a number")
    return float(value)


def _range(value: Any, path: Path, key: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(path, key, "must be [low, high]")
    low, high = (_number(v, path, f"{key}[{i}]") for i, v in enumerate(value))
    if low > high or low < 0:
        raise _fail(path, key, "must be [low, high] with 0 <= low <= high")
    return low, high


def _text(table: Mapping[str, Any], name: str, path: Path, key: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{key}.{name}", "must be a non-empty string")
    return value.strip()


def _band(metric: str, raw: Any, path: Path, key: str, base: Band | None) -> Band:
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a table")
    for name in raw:
        if name not in ("label", "unit", "good", "watch", "source", "advice", "relative_to"):
            raise _fail(path, f"{key}.{name}", "is not a known setting")
    label = _text(raw, "label", path, key) if base is None or "label" in raw else base.label
    unit = raw.get("unit", base.unit if base else "")
    if not isinstance(unit, str):
        raise _fail(path, f"{key}.unit", "must be a string")
    good = _range(raw["good"], path, f"{key}.good") if "good" in raw else (
        base.good if base else _range(None, path, f"{key}.good"))
    watch = _range(raw["watch"], path, f"{key}.watch") if "watch" in raw else (
        base.watch if base else _range(None, path, f"{key}.watch"))
    if not (watch[0] <= good[0] and good[1] <= watch[1]):
        raise _fail(path, f"{key}.watch", "must contain the good range")
    source = _text(raw, "source", path, key) if base is None or "source" in raw \
        else base.source
    relative = raw.get("relative_to", base.relative_to if base else None)
    if relative is not None and relative not in _RELATIVE:
        raise _fail(path, f"{key}.relative_to", f"must be one of {', '.join(_RELATIVE)}")
    raw_advice = raw.get("advice", {})
    if not isinstance(raw_advice, dict):
        raise _fail(path, f"{key}.advice", "must be a table")
    advice: dict[str, str] = dict(base.advice) if base else {}
    for name in raw_advice:
        if name not in _ADVICE_KEYS:
            raise _fail(path, f"{key}.advice.{name}",
                        f"is not one of {', '.join(_ADVICE_KEYS)}")
        advice[name] = _text(raw_advice, name, path, f"{key}.advice")
    # Advice is required for every band a value can actually fall in (values are >= 0).
    needed = ["good"]
    if watch[0] < good[0]:
        needed.append("watch_low")
    if watch[0] > 0:
        needed.append("fix_low")
    if watch[1] > good[1]:
        needed.append("watch_high")
    if math.isfinite(watch[1]):
        needed.append("fix_high")
    for name in needed:
        if name not in advice:
            raise _fail(path, f"{key}.advice.{name}", "must be a non-empty string")
    return Band(metric, label, unit, good, watch, advice, source, relative)


def parse_bands(data: Mapping[str, Any], path: Path) -> DeliveryBands:
    """Validate ``delivery.toml``'s content; every problem names the file and the key."""
    raw_settings = data.get("settings", {})
    if not isinstance(raw_settings, dict):
        raise _fail(path, "settings", "must be a table")
    defaults = DeliverySettings()
    values: dict[str, float] = {}
    for name in ("pause_s", "stretch_pause_s", "pace_window_s", "pace_step_s"):
        value = _number(raw_settings.get(name, getattr(defaults, name)), path,
                        f"settings.{name}")
        if not 0 < value <= 60:
            raise _fail(path, f"settings.{name}", "must be between 0 and 60 seconds")
        values[name] = value
    raw_metrics = data.get("metrics")
    if not isinstance(raw_metrics, dict):
        raise _fail(path, "metrics", "must be a table of metrics")
    metrics: dict[str, Band] = {}
    for metric in METRIC_ORDER:
        if metric not in raw_metrics:
            raise _fail(path, f"metrics.{metric}", "is missing")
        metrics[metric] = _band(metric, raw_metrics[metric], path, f"metrics.{metric}", None)
    for metric in raw_metrics:
        if metric not in METRIC_ORDER:
            raise _fail(path, f"metrics.{metric}",
                        f"is not a known metric ({', '.join(METRIC_ORDER)})")
    settings = DeliverySettings(**values)
    if settings.stretch_pause_s > settings.pause_s:
        # A pause that is not a beat would let "good pauses" sit beside "no beat at all".
        raise _fail(path, "settings.stretch_pause_s", "must not be longer than settings.pause_s "
                    "(every pause is also a beat)")
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise _fail(path, "profiles", "must be a table")
    profiles: dict[str, dict[str, Band]] = {"conversation": {}}
    for name, overrides in raw_profiles.items():
        if not isinstance(overrides, dict):
            raise _fail(path, f"profiles.{name}", "must be a table")
        profile: dict[str, Band] = {}
        for metric, raw in overrides.items():
            if metric not in metrics:
                raise _fail(path, f"profiles.{name}.{metric}",
                            f"is not a known metric ({', '.join(METRIC_ORDER)})")
            profile[metric] = _band(metric, raw, path, f"profiles.{name}.{metric}",
                                    metrics[metric])
        profiles[name] = profile
    for name, profile in profiles.items():
        _check_pauses(profile.get("pauses", metrics["pauses"]), settings, path,
                      f"profiles.{name}.pauses" if "pauses" in profile else "metrics.pauses")
    return DeliveryBands(settings, metrics, profiles, path)


def _check_pauses(band: Band, settings: DeliverySettings, path: Path, key: str) -> None:
    """A take with no pause (0 s) is never good, and every pause that is counted can be.

    The upper end is below ``pause_s`` rather than at it because a silence is counted from
    whole analysis frames and may measure a frame short of ``pause_s``.
    """
    if not 0 < band.good[0] < settings.pause_s:
        raise _fail(path, f"{key}.good", f"must start above 0 (no pause at all is not good "
                    f"pausing) and below settings.pause_s ({settings.pause_s:g} s)")


def bands_path() -> Path:
    return paths.drills_dir() / DELIVERY_FILE


@lru_cache(maxsize=4)
def _load_cached(path: Path, mtime_ns: int) -> DeliveryBands:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise DrillFileError(f"{path.name}: not valid TOML ({exc}).") from exc
    return parse_bands(data, path)


def load_bands(path: Path | None = None) -> DeliveryBands:
    """The delivery bands (``drills/delivery.toml`` by default), re-read when the file changes.

    Raises:
        DrillFileError: the file is missing or malformed (the message names file and key).
    """
    path = path or bands_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise DrillFileError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    return _load_cached(path, mtime)


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
