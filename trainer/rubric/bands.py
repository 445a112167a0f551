"""The delivery coaching bands: ``drills/delivery.toml`` read, validated and cached.

Each metric of a take's delivery (pace, fillers, pauses, pitch and loudness variation, questions,
talk time) is judged good / watch / fix against bands a coach can edit; the file also names
where each band comes from. Errors name the file and the key. Kept apart from the metrics
(``trainer.rubric.delivery``) so the drill library can check a drill's delivery profile
without importing the metrics that need the drill's criteria.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import DrillFileError

DELIVERY_FILE = "delivery.toml"
METRIC_ORDER = ("pace_wpm", "fillers_per_min", "pauses", "longest_stretch_s",
                "pitch_variation_st", "loudness_variation_db", "questions", "talk_time_s")
_ADVICE_KEYS = ("good", "watch_low", "watch_high", "fix_low", "fix_high")
_RELATIVE = ("target_seconds",)
PAUSE_S = 1.0


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
