"""``trainer --selftest``: prove, offline, that this installation can do its job.

Run on a fresh machine (and by CI against the frozen app) before a seller relies on it. Each
check prints one line as soon as it finishes: ``ok``, ``warn`` (something the app works
around, like no microphone) or ``FAIL`` (the app cannot do its job), with a detail. The exit
code is 0 only when every required check passed.

The checks use the real parts, not stand-ins: the bundled drills, the speech model the app
would use (``TRAINER_MODEL`` or ``base``) on a bundled spoken sample, the scorer, the
sentence-similarity model, a real store and WAV written in a throw-away folder inside the data
folder, and PortAudio's device list. While they run, any Internet connection attempt is
refused and reported as a failure: the app must never need the network.
"""

from __future__ import annotations

import errno
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from trainer.audio.sound import NO_MIC_MESSAGE, input_devices, load_sounddevice
from trainer.common import paths
from trainer.common.errors import NoInputDevice, TrainerError
from trainer.rubric.drills import DrillLibrary

SAMPLE_WAV = "selftest.wav"
SAMPLE_TEXT = "selftest.txt"
MAX_SAMPLE_WER = 0.35  # espeak speech: base measured 0-7 %, tiny.en 0-12 %; generous margin
EXIT_OK = 0
EXIT_FAILED = 1


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: str  # "ok" | "warn" | "FAIL"
    detail: str
    required: bool = True

    @property
    def passed(self) -> bool:
        return self.status != "FAIL"

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<11} {self.detail}"


class _Context:
    """What later checks need from earlier ones (the transcript feeds the score check)."""

    def __init__(self, data_dir: Path, model: str | None) -> None:
        self.data_dir = data_dir
        self.model = model
        self.library: DrillLibrary | None = None
        self.transcriber: Any = None
        self.transcript: Any = None


def _check_drills(ctx: _Context) -> Check:
    library = DrillLibrary()
    drills = library.drills()
    if not drills:
        return Check("drills", "FAIL", f"no drill files in {library.folder}")
    scenarios = library.scenarios()
    ctx.library = library
    return Check("drills", "ok", f"{len(drills)} drill(s) ({', '.join(d.id for d in drills)}), "
                 f"{len(scenarios)} scenario(s)")


def _check_model(ctx: _Context) -> Check:
    from trainer.speech.transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(ctx.model)
    load_s = transcriber.load()
    ctx.transcriber = transcriber
    return Check("model", "ok", f"{transcriber.name} from {transcriber.folder}, "
                 f"loaded in {load_s:.1f} s")


def _check_transcribe(ctx: _Context) -> Check:
    from trainer.audio.wavio import read_audio
    from trainer.speech.wer import wer

    if ctx.transcriber is None:
        return Check("transcribe", "FAIL", "skipped: no speech model")
    sample = paths.assets_dir() / SAMPLE_WAV
    reference = (paths.assets_dir() / SAMPLE_TEXT).read_text(encoding="utf-8")
    audio = read_audio(sample)
    ctx.transcript = ctx.transcriber.transcribe(audio)
    error = wer(reference, ctx.transcript.text)
    detail = (f"{len(audio) / 16000:.1f} s sample in {ctx.transcript.transcribe_s:.1f} s, "
              f"WER {error:.0%}: \"{ctx.transcript.text}\"")
    return Check("transcribe", "ok" if error <= MAX_SAMPLE_WER else "FAIL", detail)


def _check_score(ctx: _Context) -> Check:
    from trainer.coaching.practice import build_scorecard

    if ctx.transcript is None or ctx.library is None:
        return Check("score", "FAIL", "skipped: no transcript or no drills")
    drill = ctx.library.drills()[0]
    card = build_scorecard(drill, None, ctx.transcript)
    met = sum(1 for c in card["criteria"] if c["met"])
    if not 0 <= card["score"] <= 100 or not card["criteria"]:
        return Check("score", "FAIL", f"{drill.id}: scorecard out of range ({card['score']})")
    return Check("score", "ok", f"{drill.id}: {card['score']:.0f}/100, "
                 f"{met} of {len(card['criteria'])} criteria met")


def _check_embeddings(ctx: _Context) -> Check:
    from trainer.rubric.embeddings import Embedder

    # A paraphrase must sit closer than an unrelated sentence (measured 0.58 against 0.15).
    vectors = Embedder().embed(["We have twenty minutes today.", "We have about half an hour.",
                                "Our platform has many features."])
    related = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    status = "ok" if vectors.shape == (3, 384) and related > unrelated else "FAIL"
    return Check("embeddings", status,
                 f"MiniLM {vectors.shape[1]}-d, similar {related:.2f} > unrelated {unrelated:.2f}")


def _check_store(ctx: _Context) -> Check:
    from trainer.audio.wavio import read_audio, write_wav
    from trainer.store.database import Store

    paths.ensure_private_dir(ctx.data_dir)
    folder = Path(tempfile.mkdtemp(prefix=".selftest-", dir=ctx.data_dir))
    try:
        wav = folder / "recordings" / "take.wav"
        wav.parent.mkdir(mode=0o700)
        write_wav(wav, np.zeros(1600, dtype=np.float32), 16000)
        with Store(folder / "trainer.sqlite3") as store:
            seller = store.seller("Self Test")
            attempt_id = store.begin_attempt(seller, "selftest", None, None, wav)
            store.mark_recorded(attempt_id, 0.1)
            ok = store.attempt(attempt_id).status == "recorded" and read_audio(wav).size == 1600
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Check("store", "ok" if ok else "FAIL",
                 f"wrote and read back a take and a WAV in {ctx.data_dir} (then removed them)")


def _check_audio(ctx: _Context) -> Check:
    try:
        sound = load_sounddevice()
    except NoInputDevice as exc:
        return Check("audio", "warn", str(exc), required=False)
    devices = input_devices(sound)
    if not devices:
        return Check("audio", "warn", f"no input device: {NO_MIC_MESSAGE}", required=False)
    default = devices[0].name
    return Check("audio", "ok", f"{len(devices)} input device(s), default \"{default}\"",
                 required=False)


_CHECKS: tuple[tuple[str, Callable[[_Context], Check]], ...] = (
    ("drills", _check_drills), ("model", _check_model), ("transcribe", _check_transcribe),
    ("score", _check_score), ("embeddings", _check_embeddings), ("store", _check_store),
    ("audio", _check_audio),
)


@contextmanager
def refuse_network() -> Iterator[list[str]]:
    """Refuse Internet connections (and name lookups) made from Python; list the attempts.

    Local sockets (PulseAudio's, say) are left alone: only AF_INET/AF_INET6 are refused.
    """
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _refuse(what: str) -> OSError:
        attempts.append(what)
        return OSError(errno.ENETUNREACH, f"network disabled by the self-test ({what})")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise _refuse(f"connect {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse(f"connect {address!r}")
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, str(_refuse(f"lookup {host!r}")))

    setattr(socket.socket, "connect", connect)  # noqa: B010 - patching a class attribute
    setattr(socket.socket, "connect_ex", connect_ex)  # noqa: B010
    setattr(socket, "getaddrinfo", getaddrinfo)  # noqa: B010
    try:
        yield attempts
    finally:
        setattr(socket.socket, "connect", real_connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", real_connect_ex)  # noqa: B010
        setattr(socket, "getaddrinfo", real_getaddrinfo)  # noqa: B010


def run_selftest(data_dir: Path | None = None, model: str | None = None,
                 out: TextIO | None = None) -> list[Check]:
    """Run every check, printing each line as it finishes; returns the checks.

    Args:
        data_dir: the data folder to test writing in (default: the app's data folder).
        model: the speech model (default: ``TRAINER_MODEL`` or ``base``, as the app).
        out: where the lines go (default: stdout).
    """
    out = out if out is not None else sys.stdout
    ctx = _Context(data_dir if data_dir is not None else paths.data_dir(), model)
    results: list[Check] = []
    with refuse_network() as attempts:
        for name, check in _CHECKS:
            try:
                result = check(ctx)
            except TrainerError as exc:
                result = Check(name, "FAIL", str(exc))
            except Exception as exc:  # a self-test reports every failure, typed or not
                result = Check(name, "FAIL", f"{type(exc).__name__}: {exc}")
            results.append(result)
            print(result.line(), file=out, flush=True)
    network = Check("network", "ok", "no connection attempted") if not attempts else Check(
        "network", "FAIL", f"{len(attempts)} attempt(s), first: {attempts[0]}")
    results.append(network)
    print(network.line(), file=out, flush=True)
    return results


def main(data_dir: Path | None = None, model: str | None = None,
         out: TextIO | None = None) -> int:
    """Run the self-test and print a verdict; the process exit code."""
    out = out if out is not None else sys.stdout
    results = run_selftest(data_dir, model, out)
    failed = [c.name for c in results if c.required and not c.passed]
    if failed:
        print(f"selftest: FAILED ({', '.join(failed)})", file=out, flush=True)
        return EXIT_FAILED
    print("selftest: all required checks passed", file=out, flush=True)
    return EXIT_OK
