"""Benchmark: how soon after the seller presses Stop does the buyer start to reply?

    uv run python -m trainer.bench.roleplay [--model base] [--engine piper --engine espeak-ng]

Plays two roleplay answers (``tests/data/speech/roleplay_agenda.wav`` then
``roleplay_handling.wav``) through the real recording pipeline at real speed (as if spoken
into the microphone: ``FileSoundDevice`` -> ``Recorder`` -> ``LiveTake``), and at Stop times
what the app does before the buyer's reply can play:

- ``tail``: the streaming transcriber finishes the last words;
- ``score``: the silence check, rubric (cues + sentence model) and delivery scoring;
- ``react``: choosing the buyer's reaction;
- ``speak``: synthesising the reply (``cold``: a line never spoken before, with the engine
  already running; ``prefetched``: the app synthesises every possible next line while the
  seller is still thinking, so at Stop the reply is a cache hit).

Per engine (Piper, espeak-ng, captions only), with the chosen Whisper model, on this machine.
The machine's load average is printed too: other work on the two cores slows everything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.common import paths

SPEECH = paths.resource_root() / "tests" / "data" / "speech"
ANSWERS = ("roleplay_agenda.wav", "roleplay_handling.wav")
BUDGET_S = 1.5  # the bar: the reply starts within 1.5 s of Stop


@dataclass
class TurnTiming:
    engine: str
    turn: int
    audio_s: float
    tail_s: float
    score_s: float
    react_s: float
    speak_cold_s: float
    speak_prefetched_s: float
    line: str
    backlog_s: float = 0.0  # how far the streaming transcriber had fallen behind the speech

    @property
    def cold_total(self) -> float:
        return self.tail_s + self.score_s + self.react_s + self.speak_cold_s

    @property
    def prefetched_total(self) -> float:
        return self.tail_s + self.score_s + self.react_s + self.speak_prefetched_s


def _one_turn(conversation: Any, wav: Path, transcriber: Any, embedder: Any, voice: Any,
              engine: str, work: Path, streaming: dict[str, Any]) -> TurnTiming:
    from trainer.audio.filesource import FileSoundDevice
    from trainer.audio.recorder import Recorder
    from trainer.audio.wavio import read_audio
    from trainer.coaching.live import LiveTake
    from trainer.coaching.practice import build_scorecard
    from trainer.rubric.delivery import check_heard
    from trainer.speech.transcriber import SAMPLE_RATE

    samples = read_audio(wav, SAMPLE_RATE)
    rubric = conversation.rubric()
    if voice is not None:
        # What the app does while the seller reads the buyer's line: speak every line the
        # buyer could say next, into a cache. Timed separately below (cold vs prefetched).
        voice.prefetch(conversation.possible_lines(), conversation.persona)
    sound = FileSoundDevice(samples, SAMPLE_RATE, speed=1.0)
    take = LiveTake(transcriber, **streaming)
    recorder = Recorder(sound, block_s=0.05, on_audio=take.feed)
    take.start()
    try:
        recorder.start(work / f"turn-{engine}-{len(conversation.turns)}.wav")
        sound.finished.wait()
        stop = time.perf_counter()  # the seller presses Stop
        recording = recorder.stop()
        if recording.error is not None:
            raise recording.error
        transcript, track = take.finish()
        tail = time.perf_counter()
        check_heard(None, transcript.words, speech_s=track.heard_seconds())
        card = build_scorecard(rubric, conversation.scenario, transcript, embedder,
                               track=track)
        scored = time.perf_counter()
        line = conversation.record(transcript.text, card)
        reacted = time.perf_counter()
    finally:
        take.close()
    cold = prefetched = 0.0
    if voice is not None:
        started = time.perf_counter()
        voice.synthesize(line.text, conversation.persona)  # a cache hit: it was prefetched
        prefetched = time.perf_counter() - started
        cached = voice.cached(line.text, conversation.persona.rate)
        if cached is not None:
            cached.unlink()  # now the same line, never spoken before
        started = time.perf_counter()
        voice.synthesize(line.text, conversation.persona)
        cold = time.perf_counter() - started
    stream = transcript.extra.get("stream", {})
    return TurnTiming(engine, len(conversation.turns), samples.size / SAMPLE_RATE,
                      tail - stop, scored - tail, reacted - scored, cold, prefetched, line.text,
                      float(stream.get("max_backlog_s", 0.0)))


def bench(model: str, engines: list[str], persona: str = "friendly",
          streaming: dict[str, Any] | None = None, quick: str | None = "auto"
          ) -> list[TurnTiming]:
    from trainer.coaching.practice import default_embedder
    from trainer.coaching.roleplay import Conversation, load_script
    from trainer.rubric.drills import DrillLibrary
    from trainer.speech.transcriber import WhisperTranscriber
    from trainer.speech.voice import Voice, find_engines

    library = DrillLibrary()
    script = load_script(library)
    transcriber = WhisperTranscriber(model, quick=quick)  # "auto": as the app loads it
    transcriber.load()
    embedder = default_embedder()
    if embedder is not None:
        embedder.load()
    timings: list[TurnTiming] = []
    for engine in engines:
        work = Path(tempfile.mkdtemp(prefix="bench-roleplay-"))
        voice = None
        if engine != "none":
            found, reason = find_engines(engine)
            if not found:
                print(f"{engine}: skipped ({reason})")
                shutil.rmtree(work, ignore_errors=True)
                continue
            voice = Voice(found, work / "voice", reason)
        conversation = Conversation(library, script, library.drill("agenda"),
                                    library.scenario("northwind-finance"), persona, seed=7)
        try:
            if voice is not None:
                # The app starts the engine and speaks the opening before the first answer.
                voice.warm_up(conversation.persona)
                voice.synthesize(conversation.opening.text, conversation.persona)
            for name in ANSWERS:
                timings.append(_one_turn(conversation, SPEECH / name, transcriber, embedder,
                                         voice, engine, work, streaming or {}))
        finally:
            if voice is not None:
                voice.close()
            shutil.rmtree(work, ignore_errors=True)
    return timings


def report(timings: list[TurnTiming], model: str) -> None:
    load = os.getloadavg()
    print(f"Stop -> buyer's reply, model {model}, {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} (budget {BUDGET_S} s)")
    print(f"{'engine':10} {'turn':>4} {'audio':>6} {'backlog':>7} {'tail':>6} {'score':>6} "
          f"{'react':>6} {'speak':>6} {'total':>6} {'prefetched':>10}  reply")
    for t in timings:
        print(f"{t.engine:10} {t.turn:>4} {t.audio_s:6.1f} {t.backlog_s:7.2f} {t.tail_s:6.2f} "
              f"{t.score_s:6.2f} "
              f"{t.react_s * 1000:5.1f}m {t.speak_cold_s:6.2f} {t.cold_total:6.2f} "
              f"{t.prefetched_total:10.2f}  {t.line}")
    for engine in dict.fromkeys(t.engine for t in timings):
        rows = [t for t in timings if t.engine == engine]
        cold = statistics.mean(t.cold_total for t in rows)
        warm = statistics.mean(t.prefetched_total for t in rows)
        print(f"{engine}: mean Stop -> reply {warm:.2f} s with prefetch, {cold:.2f} s "
              f"synthesising at Stop ({'within' if warm <= BUDGET_S else 'over'} the "
              f"{BUDGET_S} s budget)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.bench.roleplay",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="base", help="Whisper model (default: base)")
    parser.add_argument("--engine", action="append", choices=("piper", "espeak-ng", "none"),
                        help="engines to measure (default: all three)")
    parser.add_argument("--persona", default="friendly")
    parser.add_argument("--quick-beam", type=int, help="beam width for partials and the tail")
    parser.add_argument("--no-partials", action="store_true",
                        help="no live partial transcripts while the seller speaks")
    parser.add_argument("--quick-model", default="auto",
                        help="a faster model for partials and the tail: auto (as the app: "
                        "tiny.en beside a bigger model), a model name, or none")
    args = parser.parse_args(argv)
    engines = args.engine or ["piper", "espeak-ng", "none"]
    streaming: dict[str, Any] = {}
    if args.quick_beam:
        streaming["quick_beam"] = args.quick_beam
    if args.no_partials:
        streaming["partials"] = False
    report(bench(args.model, engines, args.persona, streaming, args.quick_model), args.model)
    print(f"quick model: {args.quick_model}")
    if streaming:
        shown = {k: getattr(v, "name", v) for k, v in streaming.items()}
        print(f"streaming options: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
