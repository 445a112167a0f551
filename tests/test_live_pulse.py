"""End to end through the real microphone path: a clip played through the sound server is
recorded by PortAudio, transcribed while it plays, and scored at Stop.

The clip goes into ``TRAINER_TEST_SINK`` or the default sink and is recorded from its monitor
(the ``pulse_loop`` fixture); CI starts a virtual one (``.ci/pulse.sh``). Without a sound
server the test is skipped and says what it needs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import SPEECH
from tests.pulse import PulseLoop
from trainer.audio.recorder import Recorder
from trainer.audio.sound import load_sounddevice
from trainer.audio.wavio import read_audio
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import score_live
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import WhisperTranscriber
from trainer.speech.wer import wer

CLIP = SPEECH / "agenda_weak.wav"  # 13.6 s of espeak-ng speech with a known text


@pytest.mark.audio
@pytest.mark.model
def test_played_clip_is_recorded_streamed_and_scored(
        tmp_path: Path, pulse_loop: PulseLoop) -> None:
    tiny = WhisperTranscriber("tiny.en")
    tiny.load()
    library = DrillLibrary()
    take = LiveTake(tiny)
    recorder = Recorder(load_sounddevice(), on_audio=take.feed)
    wav = tmp_path / "take.wav"
    take.start()
    recorder.start(wav)
    try:
        time.sleep(0.3)  # let the stream settle before the "speaker" starts
        pulse_loop.play(CLIP)
        # Transcribed while it played: the text is there before Stop.
        assert take.live_text().text
        time.sleep(0.8)
    finally:
        recording = recorder.stop()
    assert recording.error is None
    started = time.perf_counter()
    result = score_live(library.drill("agenda"), library.scenario("northwind-finance"), take)
    finish_s = time.perf_counter() - started
    take.close()
    reference = CLIP.with_suffix(".txt").read_text()
    card = result.scorecard
    assert wer(reference, card["transcript"]) <= 0.3, card["transcript"]
    assert card["criteria"][-1]["id"] == "engaging_delivery"
    delivery = card["delivery"]
    assert delivery["pace_wpm"]["value"] == pytest.approx(150, rel=0.25)  # espeak -s 150
    assert delivery["pitch_variation_st"]["band"] in ("good", "watch", "fix")
    # The recording on disk is the whole take, and the words sit on its timeline.
    audio_s = read_audio(wav).size / 16000
    assert audio_s >= read_audio(CLIP).size / 16000
    assert 0.0 <= result.transcript.words[0].start < result.transcript.words[-1].end <= audio_s
    assert finish_s < 10.0  # generous for a loaded CI machine; measured by trainer.bench
