"""Delivery metrics from the audio and word timings: pace, fillers, pauses, talk time.

Also the silence check that runs before any scoring: Whisper invents short phrases
("you", "thank you") on silence and noise, so a take with too little speech energy, or too few
recognised words, is reported as "we didn't hear you" and never scored.

Bands (good / watch / fix), with where they come from:
- Pace: conversational business speech sits around 125-160 words per minute; value
  propositions land best nearer 110-120; sellers under pressure speed up towards 190.
- Fillers: more than about 4 per minute is distracting to a listener.
- Pauses: a pause over 1 s reads as a pause; several of 3 s or more read as losing the thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.errors import SilentRecording
from trainer.transcriber import Word
from trainer.wavio import FloatArray

SILENT_MESSAGE = "We didn't hear you \u2014 check the microphone and try again."
MIN_SPEECH_S = 1.0
MIN_WORDS = 4
PAUSE_S = 1.0
_FRAME_S = 0.03
_SINGLE_FILLERS = {"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "basically",
                   "actually", "literally"}
_PAIR_FILLERS = {("you", "know"), ("sort", "of"), ("kind", "of"), ("i", "mean")}


def speech_seconds(audio: FloatArray, samplerate: int = 16000) -> float:
    """Seconds of frames clearly louder than the take's own noise floor."""
    frame = int(samplerate * _FRAME_S)
    usable = audio.size - audio.size % frame
    if usable <= 0:
        return 0.0
    rms = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    floor = float(np.percentile(rms, 10))
    threshold = max(0.003, 4.0 * floor)
    return float(np.count_nonzero(rms > threshold)) * _FRAME_S


def check_heard(audio: FloatArray | None, words: Sequence[Word], samplerate: int = 16000) -> None:
    """Raise ``SilentRecording`` unless the take holds real speech."""
    if audio is not None and speech_seconds(audio, samplerate) < MIN_SPEECH_S:
        raise SilentRecording(SILENT_MESSAGE)
    if len([w for w in words if re.search(r"\w", w.word)]) < MIN_WORDS:
        raise SilentRecording(SILENT_MESSAGE)


@dataclass(frozen=True)
class Metric:
    value: float
    band: str  # "good" | "watch" | "fix"
    advice: str
    unit: str = ""


def _tokens(words: Sequence[Word]) -> list[str]:
    return [re.sub(r"[^a-z']", "", w.word.lower()) for w in words]


def count_fillers(words: Sequence[Word]) -> list[tuple[str, float]]:
    """Filler words and phrases with their start times."""
    tokens = _tokens(words)
    found = []
    i = 0
    while i < len(tokens):
        pair = (tokens[i], tokens[i + 1]) if i + 1 < len(tokens) else None
        if pair in _PAIR_FILLERS:
            found.append((" ".join(pair), words[i].start))
            i += 2
            continue
        if tokens[i] in _SINGLE_FILLERS:
            found.append((tokens[i], words[i].start))
        i += 1
    return found


def delivery_metrics(words: Sequence[Word], duration_s: float,
                     target_seconds: tuple[float, float]) -> dict[str, Any]:
    """The delivery block of a scorecard (JSON-ready)."""
    spoken = [w for w in words if re.search(r"\w", w.word)]
    speaking_s = (spoken[-1].end - spoken[0].start) if spoken else 0.0
    minutes = max(speaking_s, 1e-6) / 60.0
    wpm = len(spoken) / minutes if spoken else 0.0
    fillers = count_fillers(spoken)
    fillers_per_min = len(fillers) / minutes if spoken else 0.0
    gaps = [(a.end, b.start - a.end) for a, b in zip(spoken, spoken[1:], strict=False)
            if b.start - a.end > PAUSE_S]
    longest_pause = max((g for _, g in gaps), default=0.0)

    if 110 <= wpm <= 160:
        pace = Metric(wpm, "good", "A clear, conversational pace.", "wpm")
    elif 95 <= wpm < 110 or 160 < wpm <= 185:
        pace = Metric(wpm, "watch", "Close: aim for 110-160 words a minute." if wpm > 160
                      else "A little slow: lift the energy towards 110-160 words a minute.", "wpm")
    else:
        pace = Metric(wpm, "fix", "Too fast to follow: slow down and pause after key points."
                      if wpm > 185 else "Too slow: tighten your sentences and keep moving.", "wpm")
    if fillers_per_min <= 2:
        filler = Metric(fillers_per_min, "good", "Few fillers: you sound sure of yourself.", "/min")
    elif fillers_per_min <= 4:
        filler = Metric(fillers_per_min, "watch",
                        "Some fillers: replace 'um' with a short silent pause.", "/min")
    else:
        filler = Metric(fillers_per_min, "fix",
                        "Fillers are distracting (over 4 a minute): pause instead.", "/min")
    low, high = target_seconds
    if low <= duration_s <= high:
        talk = Metric(duration_s, "good", f"Within the target of {low:.0f}-{high:.0f} s.", "s")
    elif duration_s < low:
        talk = Metric(duration_s, "watch", f"Shorter than the {low:.0f} s target: cover all "
                      "the points.", "s")
    else:
        talk = Metric(duration_s, "watch" if duration_s <= high * 1.3 else "fix",
                      f"Longer than the {high:.0f} s target: keep it tight.", "s")
    long_pauses = sum(1 for _, g in gaps if g >= 3.0)
    pauses = Metric(longest_pause, "good" if long_pauses == 0 else
                    ("watch" if long_pauses == 1 else "fix"),
                    "Pauses are well placed." if long_pauses == 0 else
                    "Long silences: know your next point before you pause.", "s")
    return {
        "duration_s": round(duration_s, 2),
        "speaking_s": round(speaking_s, 2),
        "words": len(spoken),
        "pace_wpm": {"value": round(pace.value, 1), "band": pace.band, "advice": pace.advice},
        "fillers_per_min": {"value": round(filler.value, 2), "band": filler.band,
                            "advice": filler.advice, "count": len(fillers),
                            "found": [f for f, _ in fillers]},
        "pauses": {"value": round(pauses.value, 2), "band": pauses.band,
                   "advice": pauses.advice, "count": len(gaps),
                   "at_s": [round(t, 2) for t, _ in gaps]},
        "talk_time_s": {"value": round(talk.value, 2), "band": talk.band, "advice": talk.advice,
                        "target_s": [low, high]},
    }
