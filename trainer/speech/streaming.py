"""Transcribe while the seller speaks: ~10 s windows cut at quiet points, on a worker thread.

The recorder hands every 16 kHz block to ``feed`` (on its writer thread; ``feed`` only copies
and returns). A worker thread owns the model and decides what to transcribe next:

- **Windows.** When ~10 s of audio is waiting, it is cut in a pause: the longest stretch of
  at least 100 ms below speech level in its last ~4 s (or, if none yet, in the next few
  seconds as they arrive; failing that, the quietest 100 ms), 150 ms after the pause starts.
  Fixed cuts split words (measured WER 15-17% vs 8-10%); cutting at the first quiet 100 ms
  made the base model drop the sentence before it, and cutting mid-pause made tiny.en invent
  "Thank you." in the trailing silence. Each window is transcribed with the text so far as the
  prompt and the VAD filter on; word timestamps are moved onto the take's timeline; a short
  final phrase that Whisper invented (unsure first word, or only over silence) is dropped.
- **Nothing queues up behind the speaker.** There is never more than one job: if the worker
  is still busy when the next window is due, audio keeps accumulating and the next window is
  simply longer (up to ``max_window_s``), so one slow pass is caught up by one longer pass
  instead of a growing queue. ``stats`` records how late each window was.
- **Partials.** When the speaker pauses (or a few seconds of new speech are waiting) and the
  worker is idle, the audio not yet committed is transcribed speculatively: the live
  transcript moves on between windows, and if the seller then stops without saying anything
  more, that result is final and Stop costs no transcription at all.
- **Stop.** ``finish`` transcribes only the tail (the audio after the last window, or after
  the latest partial), or reuses the partial that already covers it. A window still running
  on the main model is superseded: the quick model's tail covers its audio too, and the window
  is cancelled at its next step so it stops competing for the CPU. A window that is cut in the
  pause the seller is in gets a quick partial first, so a Stop in that pause costs nothing.

Memory stays flat over a long take: the worker keeps only the audio not yet committed (at most
``max_window_s`` plus what arrives during one pass) and the words.

**Exit.** A pass superseded at Stop is left to end on its own (``close`` does not wait for
it, so the scorecard is not held up), but it must end before the process does: a thread still
inside CTranslate2 while the interpreter tears down aborted ``trainer score --realtime`` in 1
of 9 runs (issue 14: "terminate called without an active exception"). ``join`` waits for it,
and an ``atexit`` hook joins every worker still running, so no model pass outlives ``main``.
"""

from __future__ import annotations

import atexit
import collections
import inspect
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.audio.wavio import FloatArray
from trainer.speech.transcriber import Transcript, TranscriptionCancelled, Word

# A short, filler-rich prompt: Whisper drops "um"/"uh" unless the prompt shows it they belong
# in the transcript (measured: trainer.bench fillers). Kept short: long or first-person
# prompts made Whisper drop sentences or loop.
FILLER_PROMPT = "Um, so, uh, we help teams like yours, you know, close faster."
_FRAME_S = 0.01
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "ah", "er", "erm", "hmm", "mm"})
TAIL_S = 0.15
# At exit, how long to wait for a cancelled pass to reach the model's next step (one encoder
# run or decoding of a 28 s window with base: a few seconds on the 2-core target).
EXIT_JOIN_S = 30.0


@dataclass(frozen=True)
class WindowStat:
    """One pass of the model: what it covered and how far behind the speaker it ran."""

    kind: str  # "window" (committed), "partial" (speculative) or "tail" (after Stop)
    start_s: float
    end_s: float
    backlog_s: float  # audio that had arrived beyond this pass's end when it started
    lag_s: float  # wall time from the pass's last sample arriving to its text being ready
    busy_s: float  # time spent in the model


@dataclass
class StreamStats:
    passes: list[WindowStat] = field(default_factory=list)
    reused_partial: bool = False
    finish_s: float = 0.0  # wall time from ``finish`` to the full transcript
    dropped_passes: int = 0  # running at Stop and superseded by the tail (``parallel_tail``)

    @property
    def windows(self) -> list[WindowStat]:
        return [p for p in self.passes if p.kind == "window"]

    def max_lag_s(self) -> float:
        return max((p.lag_s for p in self.windows), default=0.0)

    def max_backlog_s(self) -> float:
        return max((p.backlog_s for p in self.passes if p.kind != "tail"), default=0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "windows": len(self.windows),
            "partials": sum(1 for p in self.passes if p.kind == "partial"),
            "tail_s": round(sum(p.end_s - p.start_s for p in self.passes if p.kind == "tail"),
                            2),
            "reused_partial": self.reused_partial,
            "max_window_lag_s": round(self.max_lag_s(), 3),
            "max_backlog_s": round(self.max_backlog_s(), 3),
            "finish_s": round(self.finish_s, 3),
            "dropped_passes": self.dropped_passes,
        }


@dataclass(frozen=True)
class LiveText:
    """What the live transcript shows: settled text, then the latest guess at the rest."""

    committed: str
    tentative: str

    @property
    def text(self) -> str:
        return " ".join(t for t in (self.committed, self.tentative) if t)


@dataclass
class _Job:
    kind: str
    audio: FloatArray  # from ``audio_start``: a little context either side of [start, end)
    start: int  # global sample index of the first sample this pass is responsible for
    end: int
    prompt: str | None
    arrived_at: float
    backlog_s: float
    audio_start: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Partial:
    start: int
    end: int
    words: list[Word]
    text: str


def _norm(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum() or ch == "'")


def join_words(words: list[Word]) -> str:
    """Text from recognised words ("ill" + "-disposed" -> "ill-disposed")."""
    text = ""
    for word in words:
        token = word.word.strip()
        if not token:
            continue
        text += token if not text or token[0] in "-'\u2019,.?!%" else f" {token}"
    return text


def _parameters(transcriber: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(transcriber.transcribe).parameters)
    except (TypeError, ValueError, AttributeError):
        return frozenset()


def accepts_prompt(transcriber: Any) -> bool:
    """Whether ``transcriber.transcribe`` takes ``initial_prompt`` (streaming needs it)."""
    return "initial_prompt" in _parameters(transcriber)


def frame_levels(audio: FloatArray, samplerate: int) -> npt.NDArray[np.float64]:
    """RMS of each 10 ms frame."""
    hop = max(1, int(samplerate * _FRAME_S))
    frames = audio.size // hop
    return np.asarray(np.sqrt(np.mean(np.square(audio[: frames * hop].reshape(frames, hop),
                                                dtype=np.float64), axis=1)), dtype=np.float64)


def quietest_point(audio: FloatArray, samplerate: int, quiet_s: float = 0.1) -> int:
    """Index of the centre of the quietest ``quiet_s`` stretch of ``audio``.

    Among equally quiet positions (a pause in clean audio is all near-zero) it takes the
    middle of the longest run, so the words before a pause keep their tail.
    """
    hop = max(1, int(samplerate * _FRAME_S))
    energy = frame_levels(audio, samplerate) ** 2
    span = max(1, int(round(quiet_s / _FRAME_S)))
    if energy.size <= span:
        return audio.size // 2
    sums = np.convolve(energy, np.ones(span), mode="valid")
    quiet = sums <= float(sums.min()) * 1.5 + 1e-9 * span
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int(np.argmax(ends - starts))
    best = (int(starts[longest]) + int(ends[longest]) - 1) // 2
    return (best + span // 2) * hop


def pause_point(audio: FloatArray, samplerate: int, threshold: float,
                min_s: float = 0.1, tail_s: float = TAIL_S) -> int | None:
    """A cut in the longest pause (frames under ``threshold`` for at least ``min_s``; of
    pauses nearly as long, the latest).

    The cut sits ``tail_s`` into the pause (or at its middle if shorter): the words before it
    keep their tail (the base model dropped a final sentence cut 50 ms after it), and the
    window does not end in a long silence (where tiny.en invents "Thank you.").
    """
    hop = max(1, int(samplerate * _FRAME_S))
    quiet = frame_levels(audio, samplerate) < threshold
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return None
    lengths = ends - starts
    if int(lengths.max()) * _FRAME_S < min_s:
        return None
    # The latest of the longest pauses (within 80 %): a sentence break rather than a breath,
    # and the window as close to its full length as it can be.
    best = int(np.flatnonzero(lengths >= 0.8 * lengths.max())[-1])
    tail = min(int(round(tail_s / _FRAME_S)), int(lengths[best]) // 2)
    return (int(starts[best]) + tail) * hop


def drop_invented_tail(words: list[Word], levels: npt.NDArray[np.float64],
                       threshold: float) -> list[Word]:
    """Remove a phrase Whisper invented at the end of a window.

    Whisper (tiny.en especially) ends a window that closes in silence with "Thank you." or
    "Okay.": a short last sentence whose first word it was unsure of (probability < 0.2), or
    whose words all sit in audio quieter than speech. Such a tail is dropped; a real closing
    sentence is heard clearly and kept.
    """
    if not words:
        return words
    # Words crammed into no time at the very end ("Thank you so much for watching" at one
    # timestamp) were never spoken.
    end = len(words)
    while end > 0 and words[end - 1].end - words[end - 1].start < 0.03:
        end -= 1
    if len(words) - end >= 3:
        words = words[:end]
        if not words:
            return words
    start = 0  # the first word of the last sentence
    for i, word in enumerate(words[:-1]):
        if word.word.rstrip().endswith((".", "?", "!")):
            start = i + 1
    tail = words[start:]
    if len(tail) > 4:
        return words

    def silent(word: Word) -> bool:
        lo = int(word.start / _FRAME_S)
        hi = max(int(np.ceil(word.end / _FRAME_S)), lo + 1)
        chunk = levels[lo:hi]
        return chunk.size == 0 or float(chunk.max()) < threshold

    if all(silent(w) for w in tail):
        return words[:start]
    # Fillers are low-probability words by nature: an "uh" over real sound is kept.
    fillers = all(w.word.strip(" ,.?!").lower() in _FILLERS for w in tail)
    unsure = start > 0 and tail[0].probability < 0.2  # never the window's only sentence
    if unsure and not fillers:
        return words[:start]
    return words


def choose_cut(pending: FloatArray, samplerate: int, window: int, search: int,
               patience: int, threshold: float, quiet_s: float = 0.1) -> int | None:
    """Where to end the next window of ``pending`` audio, or ``None`` to wait for more.

    From ``window`` samples on, the cut goes in the longest pause of the audio from
    ``window - search`` to now; with no pause there yet, it waits up to ``patience`` more
    samples for one, then falls back to the quietest ``quiet_s`` of the last ``search``.
    """
    if pending.size < window:
        return None
    lo = max(0, window - search)
    at = pause_point(pending[lo:], samplerate, threshold, quiet_s)
    if at is not None:
        return lo + at
    if pending.size < window + patience:
        return None
    end = pending.size
    lo = max(0, end - search)
    return lo + quietest_point(pending[lo:end], samplerate, quiet_s)


class StreamingTranscriber:
    """Live transcription of one take. ``start``, ``feed`` blocks, then ``finish``.

    Args:
        transcriber: a loaded model whose ``transcribe(audio, initial_prompt=...)`` returns a
            ``Transcript`` (``WhisperTranscriber``); it stays loaded between takes.
        samplerate: rate of the fed audio (the recorder's 16 kHz).
        window_s: audio per committed window when the worker keeps up.
        search_s: the cut goes in the longest pause of the window's last ``search_s``...
        patience_s: ...or, with no pause there yet, of the next ``patience_s`` as it arrives;
            failing that, at the quietest ``quiet_s`` of the last ``search_s``.
        max_window_s: longest window (Whisper reads 30 s at a time).
        partials: transcribe the uncommitted audio speculatively when the speaker pauses and
            the worker is idle (and no window is due).
        pause_s: the silence that counts as a pause for a partial.
        partial_every_s: also run a partial after this much new audio (off by default: on
            the 2-core target it kept the worker busy and made windows lag).
        quick_beam: beam width for partials and the tail (the passes a Stop may wait for),
            when the transcriber takes ``beam_size``; ``None`` keeps the model's own.
        quick_transcriber: a faster model for partials and the tail (``tiny.en``), so Stop
            waits for a small encoder run instead of the main model's; windows, which make
            up most of the transcript, stay with ``transcriber``.
        parallel_tail: at Stop, if a pass is still running, don't wait for it: transcribe
            everything not yet committed at once, on the caller's thread, and drop the
            running pass's result. Only for a transcriber that runs two calls at once
            (``WhisperTranscriber(num_workers=2)``); otherwise the call would just queue.
        prompt: the prompt before any text exists (the filler hint).
        keep_prompt: keep ``prompt`` in front of the previous text in every later window.
        context_s: audio before (and, when it has arrived, after) each window that the
            model hears for context; its words belong to the neighbouring window.
        prompt_words: how many of the latest words are passed as the prompt.
        clock: monotonic time, injectable for tests.
    """

    def __init__(self, transcriber: Any, *, samplerate: int = 16000, window_s: float = 10.0,
                 search_s: float = 4.0, patience_s: float = 4.0, quiet_s: float = 0.1,
                 max_window_s: float = 28.0,
                 partials: bool = True, pause_s: float = 0.3,
                 partial_every_s: float | None = None, quick_beam: int | None = None,
                 parallel_tail: bool = False, quick_transcriber: Any = None,
                 prompt: str | None = FILLER_PROMPT, keep_prompt: bool = True,
                 prompt_words: int = 40, context_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.transcriber = transcriber
        self.samplerate = samplerate
        self.window = int(window_s * samplerate)
        self.search = int(search_s * samplerate)
        self.patience = int(patience_s * samplerate)
        self.quiet_s = quiet_s
        self.max_window = int(max_window_s * samplerate)
        self.partials = partials
        self.pause = int(pause_s * samplerate)
        self.partial_every = int(partial_every_s * samplerate) if partial_every_s else None
        self.quick_beam = quick_beam
        self.parallel_tail = parallel_tail
        self.quick_transcriber = quick_transcriber
        self._beam_arg = quick_beam is not None and "beam_size" in _parameters(transcriber)
        self.partial_min_new = int(0.6 * samplerate)
        self.context = int(context_s * samplerate)
        self._history = np.zeros(0, dtype=np.float32)  # committed audio kept as context
        self.prompt = prompt
        self.keep_prompt = keep_prompt
        self.prompt_words = prompt_words
        self.clock = clock
        self.stats = StreamStats()
        self._cond = threading.Condition()
        self._buf = np.zeros(self.max_window + 8 * samplerate, dtype=np.float32)
        self._len = 0  # samples waiting in _buf
        self._offset = 0  # global index of _buf[0]
        self._arrivals: collections.deque[tuple[int, float]] = collections.deque()
        self._levels: collections.deque[float] = collections.deque(maxlen=3000)
        self._level_carry = np.zeros(0, dtype=np.float32)
        self._words: list[Word] = []
        self._texts: list[str] = []
        self._partial: _Partial | None = None
        self._partial_mark = 0  # global sample count when the last partial was taken
        self._running_job: _Job | None = None  # the pass the worker is on, if any
        self._abandoned = False  # the pass in hand was superseded by a tail run at Stop
        self._own_tail = False  # finish() runs the tail itself; the worker stands down
        self._finishing = False
        self._closing = False
        self._done = False
        self._error: BaseException | None = None
        self._busy_s = 0.0
        self._finish_started = 0.0
        self._thread: threading.Thread | None = None
        self._version = 0  # bumped whenever the live text changes
        self._fed = 0  # blocks fed so far...
        self._checked = 0  # ...and how many the worker had seen when it last found no work

    # -- the recorder's side ------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._start_worker()

    def _start_worker(self) -> None:
        # A daemon thread, so a take never keeps the process alive by itself; the exit hook
        # (``_join_workers_at_exit``) still waits for a pass in the model before teardown.
        self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
        _track(self)
        self._thread.start()

    def feed(self, block: FloatArray) -> None:
        """Take one block of audio (called on the recorder's writer thread; returns at once)."""
        if block.size == 0:
            return
        with self._cond:
            if self._finishing:
                return
            needed = self._len + block.size
            if needed > self._buf.size:
                grown = np.zeros(max(needed, 2 * self._buf.size), dtype=np.float32)
                grown[: self._len] = self._buf[: self._len]
                self._buf = grown
            self._buf[self._len: needed] = block
            self._len = needed
            self._arrivals.append((self._offset + self._len, self.clock()))
            self._track_levels(block)
            self._fed += 1
            self._cond.notify_all()

    def _track_levels(self, block: FloatArray) -> None:
        hop = int(self.samplerate * _FRAME_S)
        data = np.concatenate([self._level_carry, block.astype(np.float32)])
        frames = data.size // hop
        if frames:
            rms = np.sqrt(np.mean(np.square(data[: frames * hop].reshape(frames, hop),
                                            dtype=np.float64), axis=1))
            self._levels.extend(float(v) for v in rms)
        self._level_carry = data[frames * hop:]

    # -- what the UI reads --------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    def live_text(self) -> LiveText:
        with self._cond:
            committed = " ".join(t for t in self._texts if t)
            tentative = self._partial.text if self._partial is not None else ""
            return LiveText(committed, tentative)

    @property
    def error(self) -> BaseException | None:
        return self._error

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until the worker has caught up with everything fed (tests and benchmarks:
        it makes the windows those of a machine that keeps up, whatever the feed speed)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: (not self._busy and self._checked == self._fed) or self._done
                or self._error is not None, timeout=timeout)

    # -- Stop -----------------------------------------------------------------------------
    def finish(self, timeout: float | None = None) -> Transcript:
        """Finish the take: wait for the pass in hand, transcribe only the tail, return all.

        Raises:
            TrainerError: the model failed during the take (its own message).
            TimeoutError: ``timeout`` seconds passed first.
        """
        with self._cond:
            self._finish_started = self.clock()
            self._finishing = True
            self._cond.notify_all()
            if self._thread is None:  # never started: do the work here
                self._start_worker()
            tail = None
            if (self._tail_can_run_beside(self._running_kind) and not self._done
                    and self._error is None):
                # The worker is mid-pass: that pass and then a tail would be two model runs
                # in a row after Stop. One tail over everything uncommitted, run now beside
                # it, is one run (and the model answers both calls at once).
                self._own_tail = self._abandoned = True
                self._cancel_running()  # so it stops competing with the tail for the CPU
                tail = self._tail_job()  # None: a partial covered it, or nothing was said
        if tail is not None:
            self._run_own_tail(tail)
        with self._cond:
            if not self._cond.wait_for(lambda: self._done or self._error is not None,
                                       timeout=timeout):
                raise TimeoutError("live transcription did not finish in time")
            if self._error is not None:
                raise self._error
            self.stats.finish_s = self.clock() - self._finish_started
            words = list(self._words)
            text = " ".join(t for t in self._texts if t)
            end = self._offset + self._len
        model = str(getattr(self.transcriber, "name", "model"))
        return Transcript(text=text, words=words, duration_s=end / self.samplerate, model=model,
                          transcribe_s=self._busy_s, extra={"stream": self.stats.to_json()})

    def _tail_can_run_beside(self, running: str | None) -> bool:
        """Whether a tail started now runs at once beside the worker's ``running`` pass.

        With a quick model, a window runs on the main model and the tail on the quick one;
        a partial runs on the quick model too, so a tail beside it would only queue inside
        that model (one worker): better to let the partial finish and reuse it.
        """
        if not self.parallel_tail or running is None:
            return False
        if self.quick_transcriber is None or running == "window":
            return True
        return int(getattr(self.quick_transcriber, "concurrent_calls", 1)) >= 2

    @property
    def _running_kind(self) -> str | None:
        return self._running_job.kind if self._running_job is not None else None

    @property
    def _busy(self) -> bool:
        return self._running_job is not None

    def _cancel_running(self) -> None:
        """Ask the pass in hand to stop at the model's next step (its result is not wanted)."""
        if self._running_job is not None:
            self._running_job.cancel.set()

    def _run_own_tail(self, job: _Job) -> None:
        started = self.clock()
        try:
            transcript = self._transcribe(job)
        except BaseException as exc:  # reported by finish()
            with self._cond:
                self._error = exc
                self._cond.notify_all()
            return
        finished = self.clock()
        with self._cond:
            self._busy_s += finished - started
            self.stats.passes.append(WindowStat(
                job.kind, job.start / self.samplerate, job.end / self.samplerate,
                job.backlog_s, finished - job.arrived_at, finished - started))
            self._apply(job, transcript)
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the worker without finishing (a take abandoned); safe to call twice."""
        with self._cond:
            self._closing = True
            self._finishing = True
            if not self._done:
                self._cancel_running()
            self._cond.notify_all()
            abandoned = self._abandoned
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and not abandoned:
            # (A superseded pass is left to end on its own: its result is dropped, and
            # waiting for it would add its run time back to the Stop-to-scorecard delay.
            # ``join`` waits for it once the scorecard is out.)
            thread.join(timeout=30)

    def join(self, timeout: float | None = EXIT_JOIN_S) -> bool:
        """Close the take (if not yet) and wait until its worker has ended, a pass superseded
        at Stop included (it was cancelled, so it stops at the model's next step).

        Call it before the process exits; the exit hook calls it for any take left running.

        Returns:
            True when no thread of this take is running any more.
        """
        self.close()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- the worker -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                while job is None and not self._done and not self._closing:
                    self._checked = self._fed
                    self._cond.notify_all()  # for wait_idle
                    self._cond.wait(timeout=0.5)
                    job = self._next_job()
                if job is None:
                    return
                self._running_job = job
            started = self.clock()
            try:
                transcript = self._transcribe(job)
            except TranscriptionCancelled:  # superseded by the tail at Stop, or closed
                with self._cond:
                    self._running_job = None
                    if self._abandoned:
                        self.stats.dropped_passes += 1
                    self._cond.notify_all()
                return
            except BaseException as exc:  # reported to whoever calls finish()
                with self._cond:
                    self._error = exc
                    self._running_job = None
                    self._cond.notify_all()
                return
            finished = self.clock()
            with self._cond:
                self._running_job = None
                if self._abandoned:  # finish() ran one tail over this pass's audio too
                    self.stats.dropped_passes += 1
                    self._cond.notify_all()
                    return
                self._busy_s += finished - started
                self.stats.passes.append(WindowStat(
                    job.kind, job.start / self.samplerate, job.end / self.samplerate,
                    job.backlog_s, finished - job.arrived_at, finished - started))
                self._apply(job, transcript)
                self._cond.notify_all()

    def _transcribe(self, job: _Job) -> Transcript:
        model = self.transcriber
        options: dict[str, Any] = {}
        if self.quick_transcriber is not None and job.kind != "window":
            model = self.quick_transcriber
            if "beam_size" in _parameters(model):
                options["beam_size"] = self.quick_beam or 1
        elif self._beam_arg and job.kind != "window":
            # Partials and the tail are on the critical path to the scorecard after Stop.
            options["beam_size"] = self.quick_beam
        if job.kind != "tail" and "cancel" in _parameters(model):
            options["cancel"] = job.cancel  # the worker's passes can be superseded at Stop
        result: Transcript = model.transcribe(job.audio, initial_prompt=job.prompt, **options)
        return result

    def _prompt(self) -> str | None:
        recent = " ".join(" ".join(t for t in self._texts if t).split()[-self.prompt_words:])
        if not recent:
            return self.prompt
        if self.keep_prompt and self.prompt:
            return f"{self.prompt} {recent}"
        return recent

    def _arrival_of(self, end: int) -> float:
        for sample, at in self._arrivals:
            if sample >= end:
                return at
        return self.clock()

    def _speech_threshold(self) -> float:
        if not self._levels:
            return 0.003
        levels = np.fromiter(self._levels, dtype=np.float64)
        floor = float(np.percentile(levels, 10))
        loud = float(np.percentile(levels, 95))
        return max(0.003, min(4.0 * floor, 0.5 * float(np.sqrt(floor * loud))))

    def _has_speech(self, audio: FloatArray) -> bool:
        """At least ~150 ms of frames above the speech threshold."""
        hop = int(self.samplerate * _FRAME_S)
        frames = audio.size // hop
        if frames == 0:
            return False
        rms = np.sqrt(np.mean(np.square(audio[: frames * hop].reshape(frames, hop),
                                        dtype=np.float64), axis=1))
        return int(np.count_nonzero(rms > self._speech_threshold())) >= 15

    def _job(self, kind: str, end_local: int) -> _Job:
        # Context either side of the window: Whisper drops a soft "uh" that opens a window
        # and the last phrase of one that stops dead (measured), so each pass hears a second
        # of what came before and after; only the words inside [start, end) are kept.
        ahead = min(self.context, self._len - end_local) if kind == "window" else 0
        audio = np.concatenate([self._history, self._buf[: end_local + ahead]])
        start = self._offset
        end = self._offset + end_local
        backlog = (self._len - end_local) / self.samplerate
        return _Job(kind, audio, start, end, self._prompt(), self._arrival_of(end), backlog,
                    audio_start=start - self._history.size)

    def _next_job(self) -> _Job | None:
        """Decide the next pass (called with the lock held); ``None`` = nothing to do yet."""
        if self._closing or self._done or self._error is not None or self._own_tail:
            return None
        threshold = self._speech_threshold()
        if self._len > self.max_window:
            # Far behind (or a very long pause-free stretch): the longest window Whisper
            # takes, cut at the best point of its last few seconds.
            lo = self.max_window - self.search
            segment = self._buf[lo: self.max_window]
            at = pause_point(segment, self.samplerate, threshold, self.quiet_s)
            if at is None:
                at = quietest_point(segment, self.samplerate, self.quiet_s)
            return self._job("window", lo + max(at, 1))
        if not self._finishing:
            # After Stop, everything waiting goes in one tail pass instead (one encoder run).
            cut = choose_cut(self._buf[: self._len], self.samplerate, self.window,
                             self.search, self.patience, threshold, self.quiet_s)
            if cut is not None:
                if self._quick_partial_first(max(cut, 1)):
                    self._partial_mark = self._offset + self._len
                    return self._job("partial", self._len)
                return self._job("window", max(cut, 1))
        if self._finishing:
            return self._tail_job()
        if not self.partials or self._len < self.partial_min_new:
            return None
        new = self._offset + self._len - self._partial_mark
        if new < self.partial_min_new or self._len > self.window - self.search // 2:
            # A window is due soon: it will cover this audio; keep the worker free for it.
            return None
        paused = self._len >= self.pause and not self._has_speech(
            self._buf[self._len - self.pause: self._len])
        periodic = self.partial_every is not None and new >= self.partial_every
        if (paused or periodic) and self._has_speech(
                self._buf[max(0, self._len - new): self._len]):
            self._partial_mark = self._offset + self._len
            return self._job("partial", self._len)
        return None

    def _quick_partial_first(self, cut: int) -> bool:
        """Whether a quick-model partial over everything waiting should run before the
        window due now (ending at ``cut``).

        A window is cut in a pause, and often the pause is the one the seller is in right now,
        which may be the end of the take: a Stop that lands while the main model is starting
        on that window would leave the whole window to re-transcribe (measured 1.6 s: the
        quick model over ~12 s, sharing the CPU with the window it replaces). A quick partial
        first (0.5-0.9 s) covers the same audio, so that Stop reuses it, and Stop during the
        partial itself waits only for the rest of it. When the seller goes on talking, the
        window follows as planned: its text is the main model's.
        """
        if not self.partials or self.quick_transcriber is None:
            return False
        partial = self._partial
        if partial is not None and partial.start == self._offset and partial.end >= (
                self._offset + cut):
            return False  # a partial already covers the window
        if self._offset + self._len - self._partial_mark < self.partial_min_new:
            return False  # a partial was just taken here (and the window is still to come)
        # The seller is silent from the cut to now: the pause may be the end of the take.
        return not self._has_speech(self._buf[cut: self._len])

    def _tail_job(self) -> _Job | None:
        """After Stop: the tail, from the end of the latest partial when there is one.

        A partial is taken in a pause, so its end is a clean cut: its words are kept, and
        only what was said after it is transcribed now (a shorter pass: measured 0.5 s
        instead of 0.8 s for a 10 s tail with tiny.en). If nothing was said after it, it is
        the whole tail and Stop costs no transcription.
        """
        partial = self._partial
        if partial is not None and partial.start == self._offset:
            self.stats.reused_partial = True
            self._consume(partial.end - self._offset, partial.words, partial.text)
        if self._len == 0 or not self._has_speech(self._buf[: self._len]):
            self._mark_done()
            return None
        return self._job("tail", self._len)

    def _new_words(self, context: list[Word]) -> list[Word]:
        """``context`` without its opening words that repeat the end of the committed text.

        If the pass re-wrote the last committed words ("...for them." then "them. Uh, most"),
        they are the same words in the same order, at its very start.
        """
        tokens = [_norm(w.word) for w in context]
        committed = [_norm(w.word) for w in self._words[-len(context):]] if context else []
        repeated = 0
        for m in range(min(len(tokens), len(committed)), 0, -1):
            if tokens[:m] == committed[-m:]:
                repeated = m
                break
        return [w for w, t in zip(context[repeated:], tokens[repeated:], strict=True) if t]

    def _mark_done(self) -> None:
        self._done = True
        self._partial = None
        self._cond.notify_all()

    def _commit(self, words: list[Word], text: str) -> None:
        self._words.extend(words)
        if text:
            self._texts.append(text)
        self._version += 1

    def _apply(self, job: _Job, transcript: Transcript) -> None:
        offset_s = job.audio_start / self.samplerate
        kept = drop_invented_tail(transcript.words, frame_levels(job.audio, self.samplerate),
                                  self._speech_threshold())
        lo = job.start / self.samplerate
        hi = job.end / self.samplerate if job.kind == "window" else float("inf")
        shifted = [Word(w.word, w.start + offset_s, w.end + offset_s, w.probability)
                   for w in kept]
        # Cuts are in pauses, so this pass keeps the words whose middle is in [lo, hi) and
        # leaves the look-ahead to the next pass. From the context before lo, Whisper writes
        # only what is not already in its prompt (the previous text), and its timestamps
        # there are loose (the first word's start is stretched back into the context): so
        # a context word is dropped when it repeats the text already committed, and kept
        # when the previous pass missed it (a soft "uh" that opened this window).
        own = [w for w in shifted if (w.start + w.end) / 2 < hi]
        before = [w for w in own if (w.start + w.end) / 2 < lo]
        words = self._new_words(before) + [w for w in own if (w.start + w.end) / 2 >= lo]
        text = join_words(words)
        if job.kind == "partial":
            if job.start == self._offset:  # still about the uncommitted audio
                self._partial = _Partial(job.start, job.end, words, text)
                self._version += 1
            return
        self._consume(job.end - self._offset, words, text)
        if job.kind == "tail":
            self._mark_done()

    def _consume(self, consumed: int, words: list[Word], text: str) -> None:
        """Commit ``words`` as the text of the next ``consumed`` samples and drop them."""
        self._commit(words, text)
        heard = np.concatenate([self._history, self._buf[:consumed]])
        self._history = heard[heard.size - self.context:] if self.context else heard[:0]
        remaining = self._len - consumed
        self._buf[:remaining] = self._buf[consumed: self._len]
        self._len = remaining
        self._offset += consumed
        while self._arrivals and self._arrivals[0][0] <= self._offset:
            self._arrivals.popleft()
        self._partial = None
        self._partial_mark = max(self._partial_mark, self._offset)


# Takes whose worker thread was started, for the exit hook (weak: a finished, dropped take
# is forgotten; a running worker holds its take alive through its target).
_workers: weakref.WeakSet[StreamingTranscriber] = weakref.WeakSet()
_workers_lock = threading.Lock()
_hook_registered = False


def _track(stream: StreamingTranscriber) -> None:
    global _hook_registered
    with _workers_lock:
        _workers.add(stream)
        if not _hook_registered:  # registered on first use, not at import
            atexit.register(_join_workers_at_exit)
            _hook_registered = True


def _join_workers_at_exit() -> None:
    """Before the interpreter tears down, no model pass may still be running on a daemon
    thread (atexit hooks run while every thread can still finish normally)."""
    with _workers_lock:
        streams = list(_workers)
    for stream in streams:
        stream.join(EXIT_JOIN_S)
