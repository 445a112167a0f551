"""Find a sound-server loop for the real-microphone tests: a sink to play a clip into, and its
monitor to record it from.

The sink is ``TRAINER_TEST_SINK`` when set, else the server's default sink (``.ci/pulse.sh``
makes that a null sink called ``vsink``; on a desktop it is whatever PulseAudio or PipeWire
plays through). Without a sound server, or without the tools to talk to one, the tests that
need it are skipped with a sentence saying what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from trainer.audio.sound import load_sounddevice
from trainer.common.errors import NoInputDevice

SINK_VARIABLE = "TRAINER_TEST_SINK"


@dataclass(frozen=True)
class PulseLoop:
    """A sink to play into and the source (its monitor) that hears what it plays."""

    sink: str

    @property
    def source(self) -> str:
        return f"{self.sink}.monitor"

    def play(self, wav: Path, timeout_s: float = 60.0) -> None:
        """Play ``wav`` into the sink and return when it has been played."""
        subprocess.run(["paplay", f"--device={self.sink}", str(wav)], check=True,
                       timeout=timeout_s)


class LoopUnavailable(Exception):
    """Why the loop cannot be used here (one sentence, shown as the skip reason)."""


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    # The C locale: `pactl info` translates its labels.
    env = dict(os.environ, LC_ALL="C")
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10,
                          env=env)


def _default_sink() -> str:
    answer = _pactl("get-default-sink")  # pactl 15+
    if answer.returncode == 0 and answer.stdout.strip():
        return answer.stdout.strip()
    for line in _pactl("info").stdout.splitlines():  # older pactl
        if line.startswith("Default Sink:"):
            return line.split(":", 1)[1].strip()
    return ""


def find_loop() -> PulseLoop:
    """The sink named by ``TRAINER_TEST_SINK`` or the default sink of the running server.

    Raises:
        LoopUnavailable: no pactl/paplay, no PortAudio, no server answering, no sink.
        ValueError: ``TRAINER_TEST_SINK`` names a sink the server does not have (a setup
            mistake the person running the tests should hear about, not a skip).
    """
    if not shutil.which("pactl") or not shutil.which("paplay"):
        raise LoopUnavailable(
            "needs pactl and paplay (Debian: sudo apt install pulseaudio-utils) to play a "
            "clip into the sound server")
    try:
        load_sounddevice()
    except NoInputDevice as exc:
        raise LoopUnavailable(f"needs PortAudio: {exc}") from None
    if _pactl("info").returncode != 0:
        raise LoopUnavailable(
            "needs a running PulseAudio or PipeWire sound server (none answered); .ci/run "
            "starts a virtual one with .ci/pulse.sh")
    sinks = [line.split("\t")[1] for line in _pactl("list", "short", "sinks").stdout.splitlines()
             if "\t" in line]
    wanted = os.environ.get(SINK_VARIABLE, "").strip()
    if wanted:
        if wanted not in sinks:
            raise ValueError(f"{SINK_VARIABLE}={wanted!r} is not a sink of the running sound "
                             f"server; it has: {', '.join(sinks) or 'none'}")
        return PulseLoop(wanted)
    sink = _default_sink()
    if not sink or sink not in sinks:
        raise LoopUnavailable(
            "needs a sink to play into: the sound server has no default sink; set "
            f"{SINK_VARIABLE} to one of: {', '.join(sinks) or 'none'}")
    return PulseLoop(sink)
