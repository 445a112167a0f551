"""Real offline transcription on the bundled models: accuracy, timestamps, no network."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LIBRIVOX, SPEECH
from trainer.audio.wavio import read_audio
from trainer.common.errors import ModelMissing
from trainer.speech.transcriber import (
    BASE_MODEL_BYTES,
    DEFAULT_MODEL,
    KNOWN_MODELS,
    TranscriptionCancelled,
    WhisperTranscriber,
    _whisper_model_class,
    available_models,
    resolve_model,
)
from trainer.speech.wer import wer

pytestmark = pytest.mark.model

_loaded: dict[str, WhisperTranscriber] = {}


@pytest.fixture(params=KNOWN_MODELS)
def transcriber(request: pytest.FixtureRequest) -> WhisperTranscriber:
    """Each model loads once per session (the model stays loaded, as in the app)."""
    name = request.param
    if name not in _loaded:
        _loaded[name] = WhisperTranscriber(name)
    return _loaded[name]


def test_both_models_are_installed_and_base_is_default() -> None:
    assert available_models() == list(KNOWN_MODELS)
    assert DEFAULT_MODEL == "base"
    _, folder = resolve_model("base")
    assert (folder / "model.bin").stat().st_size == BASE_MODEL_BYTES


def test_espeak_agenda_is_transcribed_with_word_timestamps(
        transcriber: WhisperTranscriber, sockets_refused: list[str]) -> None:
    reference = (SPEECH / "agenda_good.txt").read_text()
    result = transcriber.transcribe(read_audio(SPEECH / "agenda_good.wav"))
    error = wer(reference, result.text)
    assert error <= 0.15, f"{transcriber.name}: WER {error:.2%}: {result.text}"
    assert len(result.words) >= 80
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(w.end >= w.start for w in result.words)
    assert result.words[-1].end <= result.duration_s + 0.5
    assert result.duration_s == pytest.approx(34.1, abs=0.2)
    assert result.model == transcriber.name


def test_real_human_speech(transcriber: WhisperTranscriber, sockets_refused: list[str]) -> None:
    references = json.loads((LIBRIVOX / "transcripts.json").read_text())
    total_errors = 0.0
    total_words = 0
    for name, reference in sorted(references.items()):
        result = transcriber.transcribe(read_audio(LIBRIVOX / name))
        words = len(reference.split())
        total_errors += wer(reference, result.text) * words
        total_words += words
    assert total_errors / total_words <= 0.15


def test_silence_produces_no_words(transcriber: WhisperTranscriber) -> None:
    import numpy as np

    result = transcriber.transcribe(np.zeros(16000 * 3, dtype=np.float32))
    assert result.words == [] and result.text == ""


def test_unknown_model_name_never_downloads(sockets_refused: list[str]) -> None:
    with pytest.raises(ModelMissing, match="'large-v3' is not installed; choose one of"):
        WhisperTranscriber("large-v3")


def test_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelMissing, match="is not a Whisper model folder"):
        resolve_model(str(tmp_path))


def test_model_folder_path_is_accepted(sockets_refused: list[str]) -> None:
    _, folder = resolve_model("tiny.en")
    name, resolved = resolve_model(str(folder))
    assert resolved == folder and name == folder.name


def test_a_short_clip_costs_one_encoder_run_and_keeps_its_words(
        transcriber: WhisperTranscriber, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick model never re-reads the last chunk once the decoder has read it to its end,
    and keeps every word of that first pass; the same model without ``skip_final_reread``
    does exactly what stock faster-whisper does.

    Whether stock faster-whisper re-reads a given clip depends on the decoder's last
    timestamp token, which differs between CPUs (on an AMD EPYC, base closes this clip with a
    timestamp and never re-reads it). So this asserts our rule applied to what the decoder
    produced on this machine; ``python -m trainer.bench.reread`` prints the stock re-reads.
    """
    from faster_whisper import WhisperModel

    from trainer.speech.streaming import FILLER_PROMPT  # the live passes' prompt

    # Takes cut mid-phrase, as at a Stop: 2 s of a LibriVox reading ("And Mr. John Dashwood
    # had then...") for tiny.en, 2.5 s of a spoken reply ("That's a fair point, and thanks
    # for-") for base.
    path, seconds = {"tiny.en": (LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav", 2.0),
                     "base": (SPEECH / "roleplay_handling.wav", 2.5)}[transcriber.name]
    audio = read_audio(path)[: int(16000 * seconds)]
    passes: list[tuple[int, int, int]] = []  # (seek, segment_size, new_seek) of each pass
    stock_split = WhisperModel._split_segments_by_timestamps

    def spy(self: Any, **kwargs: Any) -> Any:
        result = stock_split(self, **kwargs)
        passes.append((kwargs["seek"], kwargs["segment_size"], result[1]))
        return result

    monkeypatch.setattr(WhisperModel, "_split_segments_by_timestamps", spy)
    quick = WhisperTranscriber(transcriber.name, cpu_threads=2, num_workers=1,
                               skip_final_reread=True)  # as the app's quick model is made
    quick.load()
    with _encoder_runs(quick._model) as runs:
        ours = quick.transcribe(audio, initial_prompt=FILLER_PROMPT, beam_size=1)
    assert ours.words, "the clip's words were heard"
    seek, size, new_seek = passes[0]
    read_to_end = new_seek >= seek + size  # no unfinished segment left to read again
    # The same model as stock: the flag off (the main model's setting).
    quick._model.skip_final_reread = False
    with _encoder_runs(quick._model) as stock_runs:
        stock = quick.transcribe(audio, initial_prompt=FILLER_PROMPT, beam_size=1)
    if read_to_end:
        assert len(runs) == 1
    else:  # an unfinished segment is read again, as stock does
        assert len(runs) == len(stock_runs)
    # Every word of the first pass is kept (a re-read can only add words after them).
    assert [w.word for w in stock.words][: len(ours.words)] == [w.word for w in ours.words]
    # Off, our subclass (there for cancelling) is stock faster-whisper, run for run.
    plain = WhisperModel(str(transcriber.folder), device="cpu", compute_type="int8",
                         cpu_threads=2, num_workers=1, local_files_only=True)
    with _encoder_runs(plain) as plain_runs:
        segments, _ = plain.transcribe(audio, language="en", beam_size=1, vad_filter=True,
                                       word_timestamps=True, condition_on_previous_text=False,
                                       initial_prompt=FILLER_PROMPT)
        plain_words = [w.word.strip() for s in segments for w in s.words or ()]
    assert len(stock_runs) == len(plain_runs)
    assert [w.word for w in stock.words] == plain_words


class _Tokenizer:
    timestamp_begin = 50_000  # token ids from here on are timestamps, 0.02 s apart


def _split(skip: bool, tokens: list[int], segment_size: int) -> tuple[int, bool]:
    """(new seek, finished) of our model's split of one decoded chunk that starts at 0."""
    model = object.__new__(_whisper_model_class())  # the rule needs no weights
    model.skip_final_reread = skip
    model.feature_extractor = types.SimpleNamespace(nb_max_frames=3000)  # 30 s chunks
    model.time_precision = 0.02
    model.input_stride = 2
    _, new_seek, finished = model._split_segments_by_timestamps(
        tokenizer=_Tokenizer(), tokens=tokens, time_offset=0.0, segment_size=segment_size,
        segment_duration=segment_size / 100, seek=0)
    return new_seek, finished


def test_the_quick_model_does_not_re_read_a_last_chunk_read_to_its_end() -> None:
    """The rule behind one encoder run, on token sequences of each shape the decoder makes."""
    ts = _Tokenizer.timestamp_begin
    open_ended = [ts, 11, 12, 13]  # speech to the end of the chunk: no closing timestamp
    assert _split(skip=True, tokens=open_ended, segment_size=250) == (250, True)
    assert _split(skip=False, tokens=open_ended, segment_size=250) == (250, False)  # stock
    # An unfinished segment after a finished one: read again from its start, as stock does.
    unfinished = [ts, 11, ts + 50, ts + 50, 12, 13]
    assert _split(skip=True, tokens=unfinished, segment_size=250) == (100, False)
    # A full 30 s chunk is not the last one: the next chunk starts where the words end.
    assert _split(skip=True, tokens=open_ended, segment_size=3000) == (3000, False)
    # Closed with a timestamp: finished either way.
    closed = [ts, 11, 12, ts + 100]
    assert _split(skip=True, tokens=closed, segment_size=250) == (250, True)
    assert _split(skip=False, tokens=closed, segment_size=250) == (250, True)


@contextlib.contextmanager
def _encoder_runs(model: Any) -> Iterator[list[int]]:
    """Counts ``model``'s encoder runs inside the block (one entry per run)."""
    runs: list[int] = []
    real_encode = model.encode
    model.encode = lambda features: (runs.append(1), real_encode(features))[1]
    try:
        yield runs
    finally:
        del model.encode


def test_a_cancelled_call_stops_at_the_next_step_and_the_next_call_is_whole(
        transcriber: WhisperTranscriber) -> None:
    audio = read_audio(SPEECH / "agenda_good.wav")[: 16000 * 10]
    already = threading.Event()
    already.set()
    with pytest.raises(TranscriptionCancelled):
        transcriber.transcribe(audio, cancel=already)
    during = threading.Event()
    timer = threading.Timer(0.05, during.set)  # while the encoder or the decoder runs
    timer.start()
    started = time.perf_counter()
    with pytest.raises(TranscriptionCancelled):
        transcriber.transcribe(audio, cancel=during)
    cancelled_s = time.perf_counter() - started
    started = time.perf_counter()
    whole = transcriber.transcribe(audio, cancel=threading.Event())
    assert len(whole.words) > 15  # the cancel of the last call did not stick to this thread
    assert cancelled_s < time.perf_counter() - started


def test_the_app_loads_tiny_en_beside_base_for_the_live_tail() -> None:
    base = WhisperTranscriber("base", quick="auto")
    assert base.quick_transcriber is not None
    assert base.quick_transcriber.name == "tiny.en"
    assert WhisperTranscriber("tiny.en", quick="auto").quick_transcriber is None
    assert WhisperTranscriber("base", quick="none").quick_transcriber is None
    assert base.quick_transcriber.skip_final_reread and not base.skip_final_reread
    assert WhisperTranscriber("base").quick_transcriber is None  # batch scoring: one model
