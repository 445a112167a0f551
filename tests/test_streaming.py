"""Live transcription: where windows are cut, that work never queues up, and real accuracy.

The unit tests drive ``StreamingTranscriber`` with a transcriber that records what it was
asked to do; the model tests run the real Whisper models on real speech and compare the
streaming path with whole-file transcription.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SPEECH
from trainer.audio.filesource import FileSoundDevice
from trainer.audio.recorder import Recorder
from trainer.audio.wavio import read_audio
from trainer.bench.live import speech_clip
from trainer.coaching.live import LiveTake
from trainer.coaching.realtime import run_realtime
from trainer.common.errors import ModelMissing
from trainer.speech.streaming import (
    FILLER_PROMPT,
    StreamingTranscriber,
    accepts_prompt,
    choose_cut,
    drop_invented_tail,
    frame_levels,
    quietest_point,
)
from trainer.speech.transcriber import Transcript, TranscriptionCancelled, WhisperTranscriber, Word
from trainer.speech.wer import wer

RATE = 16000


def tone(seconds: float, freq: float = 180.0, level: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


class RecordingTranscriber:
    """Hears one word per stretch of sound (a "phrase"), named by its pitch; remembers each
    call.

    A window cut inside a phrase would turn it into two words, and a phrase heard again in a
    pass's context keeps its name (as a real model writes the same word), so the words of a
    take check that cuts fall in pauses and that context is not doubled.
    """

    name = "recording"

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[int, str | None]] = []
        self.gate = gate
        self.lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None) -> Transcript:
        if self.gate is not None:
            assert self.gate.wait(30), "test gate never opened"
        with self.lock:
            self.calls.append((audio.size, initial_prompt))
        loud = frame_levels(audio, RATE) > 0.05
        edges = np.diff(np.concatenate([[0], loud.astype(np.int8), [0]]))
        words = []
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if e - s < 20:
                continue
            # The phrase's "word" is its pitch, as a real model hears the same word again.
            part = audio[s * 160: e * 160]
            crossings = np.count_nonzero(np.diff(np.signbit(part)))
            hz = int(round(crossings / 2 / (part.size / RATE) / 10.0)) * 10
            words.append(Word(f"f{hz}.", s / 100, e / 100, 0.9))
        return Transcript(" ".join(w.word for w in words), words, audio.size / RATE, self.name)


def wait_idle(stream: StreamingTranscriber, timeout: float = 60.0) -> None:
    assert stream.wait_idle(timeout), "the live transcriber stayed busy"


# -- where windows are cut ------------------------------------------------------------------
def test_cut_goes_in_the_pause_not_at_the_window_mark() -> None:
    # Speech until 9.2 s, a 0.4 s pause, speech again: the 10 s window ends in the pause.
    audio = np.concatenate([tone(9.2), silence(0.4), tone(3.0)])
    cut = choose_cut(audio, RATE, window=10 * RATE, search=4 * RATE, patience=4 * RATE,
                     threshold=0.01)
    assert cut is not None
    assert 9.2 <= cut / RATE <= 9.6
    assert cut / RATE == pytest.approx(9.2 + 0.15, abs=0.02)  # 150 ms into the pause


def test_cut_waits_for_a_pause_then_falls_back_to_the_quietest_point() -> None:
    loud = tone(12.0)
    loud[int(10.5 * RATE): int(10.6 * RATE)] *= 0.5  # a dip, never a pause
    assert choose_cut(loud[: int(11 * RATE)], RATE, 10 * RATE, 4 * RATE, 4 * RATE, 0.01) is None
    longer = np.concatenate([loud, tone(2.5)])  # 14.5 s: patience is over
    cut = choose_cut(longer, RATE, 10 * RATE, 4 * RATE, 4 * RATE, 0.01)
    assert cut is not None and 10.4 <= cut / RATE <= 10.7  # the dip is the quietest point


def test_quietest_point_takes_the_middle_of_the_quietest_run() -> None:
    audio = np.concatenate([tone(1.0), silence(0.6), tone(1.0)])
    assert quietest_point(audio, RATE) / RATE == pytest.approx(1.3, abs=0.06)


def test_invented_closing_phrase_is_dropped_and_real_speech_kept() -> None:
    levels = np.concatenate([np.full(300, 0.1), np.full(100, 0.0)])  # 3 s of speech, then 1 s
    said = [Word("He", 0.1, 0.4, 0.9), Word("was.", 0.5, 2.9, 0.95)]
    thanks = [Word("Thank", 3.1, 3.4, 0.6), Word("you.", 3.4, 3.6, 0.9)]  # over silence
    assert drop_invented_tail(said + thanks, levels, 0.01) == said
    unsure = [Word("Okay.", 2.5, 2.9, 0.05)]  # overlaps speech but the model was unsure
    assert drop_invented_tail(said + unsure, levels, 0.01) == said
    meant = [Word("Thanks.", 2.0, 2.8, 0.9)]
    assert drop_invented_tail(said + meant, levels, 0.01) == said + meant
    assert drop_invented_tail(unsure, levels, 0.01) == unsure  # a window's only sentence


# -- the worker --------------------------------------------------------------------------------
def phrases(count: int, speech_s: float = 2.6, pause_s: float = 0.5, first: int = 0
            ) -> np.ndarray:
    """``count`` phrases (tones of rising pitch, one "word" each) with pauses between."""
    return np.concatenate([np.concatenate([tone(speech_s, 150.0 + 10 * (first + k)),
                                           silence(pause_s)]) for k in range(count)])


def feed(stream: StreamingTranscriber, audio: np.ndarray, block_s: float = 0.1,
         idle: bool = True) -> None:
    step = int(block_s * RATE)
    for i in range(0, audio.size, step):
        stream.feed(audio[i: i + step])
        if idle:
            wait_idle(stream)


def test_windows_are_about_ten_seconds_and_timestamps_are_global() -> None:
    transcriber = RecordingTranscriber()
    stream = StreamingTranscriber(transcriber, partials=False)
    stream.start()
    audio = phrases(12)  # 37 s
    feed(stream, audio)
    transcript = stream.finish(timeout=30)
    stream.close()
    windows = [p for p in stream.stats.passes if p.kind == "window"]
    assert len(windows) == 3
    for w in windows:
        assert 8.0 <= w.end_s - w.start_s <= 14.0
        # Each cut is inside a pause of the phrase pattern (speech 2.6 s, pause 0.5 s).
        assert (w.end_s % 3.1) >= 2.6 - 0.01
    assert stream.stats.passes[-1].kind == "tail"
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert transcript.words[-1].end <= audio.size / RATE + 0.01
    # Every phrase became exactly one word, in order: nothing lost, split or doubled at the
    # cuts (each pass also heard a second of context either side).
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(12)]
    # The prompt: the filler hint, then (from the second window on) the text so far.
    assert transcriber.calls[0][1] == FILLER_PROMPT
    assert transcriber.calls[1][1] == f"{FILLER_PROMPT} f150. f160. f170."


def test_a_busy_worker_gets_one_longer_window_not_a_queue() -> None:
    gate = threading.Event()
    transcriber = RecordingTranscriber(gate)
    stream = StreamingTranscriber(transcriber, partials=False)
    stream.start()
    feed(stream, phrases(4), idle=False)  # 12.4 s: the first window starts, then blocks
    deadline = time.monotonic() + 10
    while not stream._busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream._busy
    feed(stream, phrases(8, first=4), idle=False)  # 24.8 s more arrive while it is busy
    gate.set()
    transcript = stream.finish(timeout=30)
    stream.close()
    passes = stream.stats.passes
    # One pass was in flight, then the backlog went in one longer window (no queue of
    # three 10 s windows), then the tail.
    assert len(passes) <= 3
    assert max(p.end_s - p.start_s for p in passes) <= 28.0 + 1e-6
    assert max(p.backlog_s for p in passes if p.kind != "tail") < 28.0
    assert len(transcript.words) == 12


def test_partial_covering_the_end_makes_stop_free() -> None:
    transcriber = RecordingTranscriber()
    stream = StreamingTranscriber(transcriber, partials=True)
    stream.start()
    feed(stream, np.concatenate([phrases(2), silence(1.0)]))  # speech, then a pause
    calls = len(transcriber.calls)
    assert stream.live_text().tentative  # the live text moved on before any window
    transcript = stream.finish(timeout=30)
    stream.close()
    assert len(transcriber.calls) == calls  # Stop cost no transcription
    assert stream.stats.reused_partial
    assert len(transcript.words) == 2


def test_stop_after_more_speech_transcribes_only_what_follows_the_partial() -> None:
    transcriber = RecordingTranscriber()
    stream = StreamingTranscriber(transcriber, partials=True, context_s=1.0)
    stream.start()
    feed(stream, np.concatenate([phrases(2), silence(1.0)]))  # 7.2 s, then a partial
    assert stream.live_text().tentative and stream._partial is not None
    partial_end = stream._partial.end  # in the second pause, 0.3 s or more after 5.6 s
    assert 5.8 * RATE <= partial_end <= 6.2 * RATE
    calls = len(transcriber.calls)
    feed(stream, tone(2.0, 300.0), idle=False)  # the seller goes on and presses Stop
    transcript = stream.finish(timeout=30)
    stream.close()
    assert len(transcriber.calls) == calls + 1
    tail_samples = transcriber.calls[-1][0]
    # The tail pass heard what was said after the partial and 1 s of context, not all 9.2 s.
    assert tail_samples == 9.2 * RATE - partial_end + 1.0 * RATE
    assert stream.stats.reused_partial
    assert [w.word for w in transcript.words] == ["f150.", "f160.", "f300."]
    assert transcript.words[-1].start == pytest.approx(7.2, abs=0.05)  # on the take's clock


def test_silence_only_gives_no_words_and_no_model_call() -> None:
    transcriber = RecordingTranscriber()
    stream = StreamingTranscriber(transcriber)
    stream.start()
    feed(stream, silence(4.0))
    transcript = stream.finish(timeout=30)
    stream.close()
    assert transcript.words == [] and transcriber.calls == []


def test_model_errors_reach_the_caller() -> None:
    class Broken(RecordingTranscriber):
        def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None
                       ) -> Transcript:
            raise ModelMissing("The model 'x' is not installed on this machine.")

    stream = StreamingTranscriber(Broken(), partials=False)
    stream.start()
    feed(stream, phrases(5), idle=False)
    with pytest.raises(ModelMissing):
        stream.finish(timeout=30)
    stream.close()


def test_only_prompt_capable_transcribers_stream() -> None:
    class NoPrompt:
        def transcribe(self, audio: Any) -> Transcript:
            raise AssertionError

    assert accepts_prompt(RecordingTranscriber())
    assert not accepts_prompt(NoPrompt())


def test_file_source_plays_through_the_real_recorder(tmp_path: Path) -> None:
    """The file-backed device behaves like a microphone for the real ``Recorder``."""
    audio = read_audio(SPEECH / "agenda_weak.wav")
    sound = FileSoundDevice(audio, speed=20.0)
    take = LiveTake(RecordingTranscriber())
    recorder = Recorder(sound, block_s=0.05, on_audio=take.feed)
    take.start()
    recorder.start(tmp_path / "take.wav")
    assert sound.finished.wait(10)
    recording = recorder.stop()
    transcript, track = take.finish(timeout=30)
    take.close()
    assert recording.error is None
    assert recording.duration_s == pytest.approx(audio.size / RATE, abs=0.3)
    assert read_audio(tmp_path / "take.wav").size >= audio.size
    assert track.speech_seconds() > 8.0 and transcript.words


# -- real models on real speech -------------------------------------------------------------
@pytest.fixture(scope="session")
def base_model() -> WhisperTranscriber:
    transcriber = WhisperTranscriber("base")
    transcriber.load()
    return transcriber


@pytest.mark.model
def test_streaming_matches_whole_file_accuracy_with_the_default_model(
        base_model: WhisperTranscriber) -> None:
    """60 s of espeak-ng and LibriVox speech: streaming WER within 1.2x of whole-file.

    The audio is fed as it would arrive, and the test waits for the worker after each block
    (as when the machine keeps up), so the windows are the ones a live take gets.
    """
    audio, reference = speech_clip(60)
    batch = base_model.transcribe(audio)
    stream = StreamingTranscriber(base_model, partials=False)
    stream.start()
    feed(stream, audio, block_s=0.5)
    transcript = stream.finish(timeout=120)
    stream.close()
    stream_wer, batch_wer = wer(reference, transcript.text), wer(reference, batch.text)
    assert stream_wer <= 1.2 * batch_wer + 0.005, (stream_wer, batch_wer)
    assert len(stream.stats.windows) >= 5
    # Timestamps on the take's timeline: the last word ends near the end of the audio.
    assert transcript.words[-1].end == pytest.approx(audio.size / RATE, abs=1.5)


@pytest.mark.model
def test_realtime_take_scores_soon_after_stop(tmp_path: Path) -> None:
    """A short take played at real speed through the recorder, with tiny.en."""
    tiny = WhisperTranscriber("tiny.en")
    tiny.load()
    from trainer.rubric.drills import DrillLibrary

    library = DrillLibrary()
    run = run_realtime(library.drill("agenda"), library.scenario("northwind-finance"),
                       SPEECH / "agenda_weak.wav", tiny, work_dir=tmp_path)
    reference = (SPEECH / "agenda_weak.txt").read_text()
    assert run.batch_transcript is not None
    assert wer(reference, run.transcript.text) <= 0.25
    assert run.stop_to_result_s < 5.0  # generous: CI machines are busy; measured in bench
    assert run.scorecard["criteria"][-1]["id"] == "engaging_delivery"
    assert run.audio_s == pytest.approx(13.6, abs=0.2)


class FirstPassHeld(RecordingTranscriber):
    """Holds its first call (a window the worker is running when Stop comes) until ``gate``
    opens; later calls run at once, as a model with two workers answers them."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.first_gate = gate
        self.first_started = threading.Event()
        self._held = False

    def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None) -> Transcript:
        hold = not self._held
        self._held = True
        if hold:
            self.first_started.set()
            assert self.first_gate.wait(30), "test gate never opened"
        return super().transcribe(audio, initial_prompt)


def test_stop_does_not_wait_for_a_running_pass_with_a_parallel_tail() -> None:
    gate = threading.Event()
    transcriber = FirstPassHeld(gate)
    stream = StreamingTranscriber(transcriber, partials=False, parallel_tail=True)
    stream.start()
    feed(stream, phrases(4), idle=False)  # 12.4 s: the first window starts and is held
    assert transcriber.first_started.wait(10)
    # Stop while that pass is still running: the tail covers everything uncommitted, now.
    transcript = stream.finish(timeout=10)
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(4)]
    assert [p.kind for p in stream.stats.passes] == ["tail"]
    gate.set()  # the superseded pass ends later; its words are dropped, not added twice
    stream.close()
    deadline = time.monotonic() + 10
    while stream.stats.dropped_passes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.stats.dropped_passes == 1
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(4)]
    assert len(stream._words) == 4


def test_without_a_parallel_tail_stop_waits_for_the_running_pass() -> None:
    gate = threading.Event()
    transcriber = FirstPassHeld(gate)
    stream = StreamingTranscriber(transcriber, partials=False)
    stream.start()
    feed(stream, phrases(4), idle=False)
    assert transcriber.first_started.wait(10)
    with pytest.raises(TimeoutError):
        stream.finish(timeout=0.5)
    gate.set()
    transcript = stream.finish(timeout=10)
    stream.close()
    assert len(transcript.words) == 4 and stream.stats.dropped_passes == 0


def test_a_quick_model_takes_the_partials_and_the_tail_and_windows_stay() -> None:
    main, quick = RecordingTranscriber(), RecordingTranscriber()
    stream = StreamingTranscriber(main, partials=True, quick_transcriber=quick)
    stream.start()
    feed(stream, phrases(6))  # 18.6 s: one window, partials at the pauses after it
    feed(stream, phrases(1, first=6), idle=False)
    transcript = stream.finish(timeout=30)
    stream.close()
    kinds = [p.kind for p in stream.stats.passes]
    assert kinds.count("window") >= 1 and ("tail" in kinds or stream.stats.reused_partial)
    windows = sum(1 for k in kinds if k == "window")
    assert len(main.calls) == windows  # the main model only ever ran the windows
    assert len(quick.calls) == len(kinds) - windows  # partials and the tail: the quick one
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(7)]


def test_stop_during_a_quick_partial_waits_for_it_instead_of_queueing_a_tail() -> None:
    """The quick model has one worker: a tail started beside its running partial would only
    queue behind it, so Stop lets the partial finish and keeps it."""
    gate = threading.Event()
    entered: list[int] = []

    class HeldQuick(RecordingTranscriber):
        concurrent_calls = 1

        def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None
                       ) -> Transcript:
            entered.append(audio.size)
            return super().transcribe(audio, initial_prompt)

    main, quick = RecordingTranscriber(), HeldQuick(gate)
    stream = StreamingTranscriber(main, partials=True, quick_transcriber=quick,
                                  parallel_tail=True)
    stream.start()
    feed(stream, np.concatenate([phrases(2), silence(0.6)]), idle=False)
    deadline = time.monotonic() + 10
    while stream._running_kind != "partial" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream._running_kind == "partial"  # held at the gate
    partials_started = len(entered)
    result: list[Transcript] = []
    stopper = threading.Thread(target=lambda: result.append(stream.finish(timeout=30)))
    stopper.start()
    time.sleep(0.3)
    assert len(entered) == partials_started  # no tail started beside the held partial
    gate.set()
    stopper.join(timeout=30)
    stream.close()
    assert result and [w.word for w in result[0].words] == ["f150.", "f160."]
    assert stream.stats.reused_partial and stream.stats.dropped_passes == 0
    assert main.calls == []  # no window was due; the main model never ran


def test_a_window_due_while_the_seller_is_silent_gets_a_quick_partial_first() -> None:
    """The pause a window is cut in may be the end of the take: a quick partial over the same
    audio runs first, so a Stop that lands while the main model is on that window reuses the
    partial instead of re-transcribing the whole window."""
    gate = threading.Event()
    main, quick = RecordingTranscriber(gate), RecordingTranscriber()
    stream = StreamingTranscriber(main, partials=True, quick_transcriber=quick,
                                  parallel_tail=True)
    # Four phrases, the last ending at 11.9 s, then silence: the window (due from 10 s) is
    # cut in that last pause, and the seller stays silent. (Fed before the worker starts, so
    # it sees the whole take at once.)
    feed(stream, np.concatenate([phrases(4, pause_s=0.5), silence(0.5)]), idle=False)
    stream.start()
    deadline = time.monotonic() + 10
    while stream._running_kind != "window" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream._running_kind == "window"  # held at the gate, after the partial
    assert [p.kind for p in stream.stats.passes] == ["partial"]
    transcript = stream.finish(timeout=10)  # Stop while the main model is on the window
    assert stream.stats.reused_partial and stream.stats.dropped_passes == 0
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(4)]
    gate.set()
    stream.close()


def test_no_partial_before_a_window_when_the_seller_is_still_talking() -> None:
    main, quick = RecordingTranscriber(), RecordingTranscriber()
    stream = StreamingTranscriber(main, partials=True, quick_transcriber=quick)
    stream.start()
    # Phrases end at 2.6, 5.7, 8.8 and 11.9 s: the window is due at 10 s and cut in the pause
    # after 8.8 s, but the seller is talking again by then.
    feed(stream, phrases(5, pause_s=0.5))
    passes = stream.stats.passes
    kinds = [p.kind for p in passes]
    assert "window" in kinds and kinds.count("partial") >= 1  # the pauses' own partials
    first_window = kinds.index("window")
    assert passes[first_window].end_s == pytest.approx(8.95, abs=0.1)
    assert all(p.end_s < 10.0 for p in passes[:first_window])  # none once the window was due
    stream.finish(timeout=10)
    stream.close()


def test_a_window_superseded_at_stop_is_cancelled_not_left_running() -> None:
    """At Stop the tail redoes a running window's audio; the window is told to stop so it no
    longer competes with the tail for the CPU, and its result is dropped."""
    asked: list[bool] = []

    class CancellableMain(RecordingTranscriber):
        def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None,
                       cancel: threading.Event | None = None) -> Transcript:
            asked.append(cancel is not None)
            assert cancel is not None and cancel.wait(10), "the window was never cancelled"
            raise TranscriptionCancelled()

    main, quick = CancellableMain(), RecordingTranscriber()
    stream = StreamingTranscriber(main, partials=False, quick_transcriber=quick,
                                  parallel_tail=True)
    feed(stream, phrases(4), idle=False)  # 12.4 s: the window is cut in the pause at 8.95 s
    stream.start()
    deadline = time.monotonic() + 10
    while stream._running_kind != "window" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream._running_kind == "window"
    transcript = stream.finish(timeout=10)
    assert [w.word for w in transcript.words] == [f"f{150 + 10 * k}." for k in range(4)]
    stream.close()
    assert stream._thread is not None
    stream._thread.join(10)  # the cancelled window returns at once
    assert not stream._thread.is_alive()
    assert asked == [True]
    assert stream.stats.dropped_passes == 1 and stream.error is None
    assert [p.kind for p in stream.stats.passes] == ["tail"]


# -- exit: no model pass outlives the process's main -----------------------------------------
SUPERSEDED_AT_EXIT = """
import threading, time
from tests.test_streaming import RecordingTranscriber, feed, phrases
from trainer.speech.streaming import StreamingTranscriber
from trainer.speech.transcriber import TranscriptionCancelled

class OneSlowStep(RecordingTranscriber):
    '''A window pass in the middle of a model step that cannot be interrupted (an encoder run
    inside CTranslate2): it sees its cancel event only when the step ends.'''
    started = threading.Event()

    def transcribe(self, audio, initial_prompt=None, cancel=None):
        self.started.set()
        time.sleep(1.0)
        print("pass ended", flush=True)
        if cancel is not None and cancel.is_set():
            raise TranscriptionCancelled()
        return super().transcribe(audio, initial_prompt)

main = OneSlowStep()
stream = StreamingTranscriber(main, partials=False, quick_transcriber=RecordingTranscriber(),
                              parallel_tail=True)
feed(stream, phrases(4), idle=False)
stream.start()
assert main.started.wait(10)
stream.finish(timeout=10)  # the window is superseded by the tail and left to end on its own
stream.close()  # what the app does after a scorecard; then the process ends
print("main done", flush=True)
"""


def test_a_pass_superseded_at_stop_ends_before_the_process_does() -> None:
    """Issue 14: 1 of 9 ``score --realtime`` runs crashed after the scorecard, a window pass
    still inside the model while the interpreter tore down. Before the fix this child printed
    only "main done": its daemon thread was killed mid-pass at exit."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", SUPERSEDED_AT_EXIT], capture_output=True,
                            text=True, cwd=Path(__file__).parent.parent, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["main done", "pass ended"], result.stdout


def test_join_waits_for_a_superseded_pass() -> None:
    release = threading.Event()

    class Held(RecordingTranscriber):
        def transcribe(self, audio: np.ndarray, initial_prompt: str | None = None,
                       cancel: threading.Event | None = None) -> Transcript:
            assert release.wait(10)
            raise TranscriptionCancelled()

    stream = StreamingTranscriber(Held(), partials=False, quick_transcriber=RecordingTranscriber(),
                                  parallel_tail=True)
    feed(stream, phrases(4), idle=False)
    stream.start()
    deadline = time.monotonic() + 10
    while stream._running_kind != "window" and time.monotonic() < deadline:
        time.sleep(0.01)
    stream.finish(timeout=10)
    stream.close()  # returns at once: the scorecard is not held up by the superseded pass
    assert stream._thread is not None and stream._thread.is_alive()
    assert not stream.join(timeout=0.2)  # still in its model step
    release.set()
    assert stream.join(timeout=10) and not stream._thread.is_alive()
