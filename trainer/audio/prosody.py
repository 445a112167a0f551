"""How the voice moves: a pitch (F0) track, loudness and speech/silence, from audio alone.

Everything here is numpy: a YIN pitch tracker (de Cheveigné & Kawahara, 2002: the cumulative
mean normalised difference function, an absolute threshold, parabolic interpolation) on 10 ms
hops, and the RMS level of the same frames. ``ProsodyTracker`` is fed block by block while the
seller speaks (from the recorder's writer thread), so at Stop the analysis is already done
and only a few milliseconds of summary remain; the batch path feeds the whole file at once and
gets the same numbers.

Memory: three float32 values per 10 ms frame (1.2 KB per second, ~0.7 MB for ten minutes) and
less than one analysis window of audio; the audio itself is never kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trainer.audio.wavio import FloatArray

HOP_S = 0.01
F0_MIN = 70.0
F0_MAX = 400.0
_YIN_THRESHOLD = 0.15
_VOICED_MAX_APERIODICITY = 0.3
_INTEGRATION_S = 0.025
# Frames quieter than this (absolute, ~-50 dBFS) are never speech, however quiet the room.
MIN_SPEECH_RMS = 0.003
_FLOOR_FACTOR = 4.0
_FFT_SIZE = 1024
_MAX_FRAMES_PER_PASS = 200


@dataclass(frozen=True)
class Track:
    """Per-frame analysis of a take: time (s), level (RMS), F0 (Hz, NaN when unvoiced)."""

    times: npt.NDArray[np.float64]
    rms: npt.NDArray[np.float32]
    f0: npt.NDArray[np.float32]
    speech_threshold: float

    @property
    def speech(self) -> npt.NDArray[np.bool_]:
        return self.rms > self.speech_threshold

    @property
    def voiced(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.f0) & self.speech

    def speech_seconds(self) -> float:
        return float(np.count_nonzero(self.speech)) * HOP_S

    def heard_seconds(self) -> float:
        """The silence gate's measure (``heard_seconds``) on this track's frames."""
        return heard_seconds(self.rms, HOP_S)

    def silences(self, min_s: float) -> list[tuple[float, float]]:
        """(start, length) of every silence of at least ``min_s`` between speech frames.

        Silence before the first and after the last speech frame is not a pause.
        """
        speech = self.speech
        idx = np.flatnonzero(speech)
        if idx.size < 2:
            return []
        gaps = np.diff(idx)
        found = []
        for i in np.flatnonzero(gaps * HOP_S >= min_s):
            start = (idx[i] + 1) * HOP_S
            found.append((float(start), float((gaps[i] - 1) * HOP_S)))
        return found

    def speech_span(self) -> tuple[float, float]:
        idx = np.flatnonzero(self.speech)
        if idx.size == 0:
            return 0.0, 0.0
        return float(idx[0] * HOP_S), float((idx[-1] + 1) * HOP_S)


def yin_frames(frames: npt.NDArray[np.float32], samplerate: int,
               fmin: float = F0_MIN, fmax: float = F0_MAX) -> tuple[
                   npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """F0 (Hz) and aperiodicity (0 = perfectly periodic) of each row of ``frames``.

    Each row holds ``w + tau_max`` samples, where ``w`` is the integration window.
    """
    w = int(round(_INTEGRATION_S * samplerate))
    tau_min = max(2, int(samplerate / fmax))
    tau_max = int(np.ceil(samplerate / fmin))
    x = frames.astype(np.float64)
    n = _FFT_SIZE
    while n < w + tau_max + 1:
        n *= 2
    a = np.zeros((x.shape[0], n))
    a[:, :w] = x[:, :w]
    spec_a = np.fft.rfft(a, n)
    spec_b = np.fft.rfft(x, n)
    r = np.fft.irfft(np.conj(spec_a) * spec_b, n)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x * x, axis=1)], axis=1)
    energy0 = sq[:, w][:, None]
    taus = np.arange(tau_max + 1)
    energy_tau = sq[:, taus + w] - sq[:, taus]
    d = np.maximum(energy0 + energy_tau - 2.0 * r, 0.0)
    d[:, 0] = 0.0
    cum = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        cmnd[:, 1:] = np.where(cum > 0, d[:, 1:] * taus[1:] / cum, 1.0)
    search = cmnd[:, tau_min: tau_max]
    below = search < _YIN_THRESHOLD
    # The first dip under the threshold, followed down to its local minimum (avoids octave
    # errors); without one, the global minimum.
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    rows = np.arange(search.shape[0])
    best = first.copy()
    for _ in range(tau_max - tau_min):
        nxt = np.minimum(best + 1, search.shape[1] - 1)
        step = search[rows, nxt] < search[rows, best]
        if not step.any():
            break
        best = np.where(step, nxt, best)
    tau = best + tau_min
    aperiodicity = search[rows, best]
    # Parabolic interpolation around the chosen lag.
    left = cmnd[rows, np.maximum(tau - 1, 1)]
    mid = cmnd[rows, tau]
    right = cmnd[rows, np.minimum(tau + 1, tau_max)]
    denom = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / denom, 0.0)
    shift = np.clip(shift, -1.0, 1.0)
    f0 = samplerate / (tau + shift)
    return f0.astype(np.float32), aperiodicity.astype(np.float32)


class ProsodyTracker:
    """Incremental level and pitch analysis: ``feed`` blocks, then ``track()``.

    Thread-safe: one thread feeds while another may read the track.

    Args:
        samplerate: rate of the fed audio (the recorder delivers 16 kHz mono).
    """

    def __init__(self, samplerate: int = 16000) -> None:
        self.samplerate = samplerate
        self.hop = int(round(HOP_S * samplerate))
        w = int(round(_INTEGRATION_S * samplerate))
        self.span = w + int(np.ceil(samplerate / F0_MIN))
        self._buffer = np.zeros(0, dtype=np.float32)
        self._frames_done = 0
        self._rms: list[npt.NDArray[np.float32]] = []
        self._f0: list[npt.NDArray[np.float32]] = []
        self._lock = threading.Lock()
        self._samples = 0

    @property
    def duration_s(self) -> float:
        return self._samples / self.samplerate

    def feed(self, block: FloatArray) -> None:
        """Analyse every complete frame the new audio allows (a few ms per second of audio)."""
        with self._lock:
            self._samples += block.size
            self._buffer = np.concatenate([self._buffer, block.astype(np.float32)])
            available = (self._buffer.size - self.span) // self.hop + 1
            if available < 8:  # batch small blocks: numpy per-call overhead dominates
                return
            # At most ~2 s of frames per pass keeps the FFT matrices small (a whole file at
            # once would need hundreds of MB).
            while available > 0:
                count = int(min(available, _MAX_FRAMES_PER_PASS))
                self._analyse(count)
                available -= count

    def _analyse(self, count: int) -> None:
        starts = np.arange(count) * self.hop
        index = starts[:, None] + np.arange(self.span)[None, :]
        frames = self._buffer[index]
        hop_frames = self._buffer[starts[:, None] + np.arange(self.hop)[None, :]]
        rms = np.sqrt(np.mean(np.square(hop_frames, dtype=np.float64), axis=1))
        f0, aperiodicity = yin_frames(frames, self.samplerate)
        f0 = np.where(aperiodicity <= _VOICED_MAX_APERIODICITY, f0, np.nan)
        self._rms.append(rms.astype(np.float32))
        self._f0.append(f0.astype(np.float32))
        self._frames_done += count
        self._buffer = self._buffer[count * self.hop:]

    def flush(self) -> None:
        """Analyse the last partial frames (zero-padded) once the take has ended."""
        with self._lock:
            remaining = self._samples - self._frames_done * self.hop
            if remaining <= 0:
                return
            pad = self.span + self.hop
            self._buffer = np.concatenate([self._buffer, np.zeros(pad, dtype=np.float32)])
            count = int(np.ceil(remaining / self.hop))
            self._analyse(count)
            self._buffer = np.zeros(0, dtype=np.float32)

    def track(self) -> Track:
        """Everything analysed so far (call ``flush`` first for the very end of a take)."""
        with self._lock:
            rms = np.concatenate(self._rms) if self._rms else np.zeros(0, np.float32)
            f0 = np.concatenate(self._f0) if self._f0 else np.zeros(0, np.float32)
        threshold = speech_threshold(rms)
        times = np.arange(rms.size, dtype=np.float64) * HOP_S
        f0 = clean_f0(np.where(rms > threshold, f0, np.nan).astype(np.float32))
        return Track(times, rms, f0, threshold)


def speech_threshold(rms: npt.NDArray[np.floating]) -> float:
    """The level above which a frame counts as speech: well above this take's noise floor."""
    if rms.size == 0:
        return MIN_SPEECH_RMS
    floor = float(np.percentile(rms, 10))
    loud = float(np.percentile(rms, 95))
    # Well above the noise floor, but never above the level halfway (in dB) between the floor
    # and loud speech: a take with no silence at all still has its speech counted.
    return max(MIN_SPEECH_RMS, min(_FLOOR_FACTOR * floor, 0.5 * float(np.sqrt(floor * loud))))


def heard_seconds(rms: npt.NDArray[np.floating], frame_s: float) -> float:
    """Seconds of frames clearly louder than the take's noise floor: the "did we hear you" gate.

    Stricter than ``speech_threshold`` on purpose (four times the floor, whatever the speech
    level): a steady hum or hiss must not pass for speech.
    """
    if rms.size == 0:
        return 0.0
    threshold = max(MIN_SPEECH_RMS, _FLOOR_FACTOR * float(np.percentile(rms, 10)))
    return float(np.count_nonzero(rms > threshold)) * frame_s


def clean_f0(f0: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Drop isolated voiced frames and octave jumps away from the take's median pitch."""
    out = f0.copy()
    voiced = np.isfinite(out)
    if np.count_nonzero(voiced) < 5:
        return np.full_like(out, np.nan)
    # Voiced runs shorter than 30 ms are clicks or consonant noise, not pitch.
    edges = np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    for s, e in zip(starts, ends, strict=True):
        if e - s < 3:
            out[s:e] = np.nan
    voiced = np.isfinite(out)
    if not voiced.any():
        return out
    median = float(np.median(out[voiced]))
    with np.errstate(invalid="ignore"):
        semis = 12.0 * np.log2(out / median)
    out[np.abs(semis) > 12.0] = np.nan  # more than an octave away: a tracking error
    return out


def analyse(audio: FloatArray, samplerate: int = 16000) -> Track:
    """The whole-file equivalent of feeding a ``ProsodyTracker``."""
    tracker = ProsodyTracker(samplerate)
    tracker.feed(audio)
    tracker.flush()
    return tracker.track()


def semitone_spread(f0: npt.NDArray[np.float32]) -> float:
    """Pitch variation: standard deviation of F0 in semitones around its median (voiced only)."""
    voiced = f0[np.isfinite(f0)]
    if voiced.size < 20:
        return 0.0
    semis = 12.0 * np.log2(voiced / np.median(voiced))
    return float(np.std(semis))


def loudness_spread_db(track: Track, window_s: float = 0.5) -> float:
    """Loudness variation: standard deviation of the speech level (dB) over half-second spans.

    Phrase-level, not syllable-level: the level of each 0.5 s span that is mostly speech.
    """
    per = max(1, int(round(window_s / HOP_S)))
    n = track.rms.size // per
    if n < 4:
        return 0.0
    rms = track.rms[: n * per].reshape(n, per).astype(np.float64)
    speech = track.speech[: n * per].reshape(n, per)
    keep = speech.mean(axis=1) >= 0.5
    if np.count_nonzero(keep) < 4:
        return 0.0
    levels = []
    for row, mask in zip(rms[keep], speech[keep], strict=True):
        levels.append(10.0 * np.log10(np.mean(np.square(row[mask])) + 1e-12))
    return float(np.std(levels))


_FRAME_S = 0.03


def speech_seconds(audio: FloatArray, samplerate: int = 16000) -> float:
    """Seconds of frames clearly louder than the take's own noise floor."""
    frame = int(samplerate * _FRAME_S)
    usable = audio.size - audio.size % frame
    if usable <= 0:
        return 0.0
    rms = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    return heard_seconds(rms, _FRAME_S)
