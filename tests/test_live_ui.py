"""The live side of the window, with pytest-qt: live transcript, mic test, device picker,
silence, a lost microphone, and the delivery card.

The microphone is ``FakeSoundDevice`` fed from real speech WAVs; the model is the real
tiny.en where transcription matters. Waiting is on signals or conditions, never a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from tests.windows import Answers, close_windows, ready_window
from trainer.audio.mictest import MicCheck
from trainer.audio.wavio import read_audio, write_wav
from trainer.common.errors import SILENT_MESSAGE
from trainer.common.settings import Settings, load_settings, settings_path
from trainer.rubric.bands import METRIC_ORDER
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, WhisperTranscriber, Word
from trainer.store.database import Store
from trainer.ui.seller.practice import State
from trainer.ui.shell import MainWindow
from trainer.ui.widgets.delivery import DeliveryChart

AGENDA_WAV = SPEECH / "agenda_good.wav"


class PromptedScript:
    """A prompt-capable transcriber (so the window streams) that "hears" fixed words."""

    name = "prompted-script"

    def __init__(self, text: str = "so we help finance teams close faster") -> None:
        self.text = text
        self.calls = 0
        self.lock = threading.Lock()

    def load(self) -> float:
        return 0.0

    def transcribe(self, audio: Any, initial_prompt: str | None = None) -> Transcript:
        with self.lock:
            self.calls += 1
        words = [Word(w, 0.3 + 0.4 * i, 0.6 + 0.4 * i) for i, w in enumerate(self.text.split())]
        return Transcript(self.text, words, len(audio) / 16000, self.name)


@pytest.fixture
def make_window(qtbot: QtBot, store: Store, user_dirs: Path) -> Iterator[Any]:
    windows: list[MainWindow] = []

    def make(sound: Any, transcriber: Any, name: str = "Ana Lopez", **kwargs: Any
             ) -> MainWindow:
        kwargs.setdefault("confirm", Answers())
        window = MainWindow(DrillLibrary(), store, sound, transcriber, user_dirs, **kwargs)
        windows.append(window)
        return ready_window(qtbot, window, name, model_timeout_ms=30000)

    yield make
    close_windows(windows)


def space(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Space)


# -- live transcript -------------------------------------------------------------------------
@pytest.mark.model
def test_live_transcript_appears_while_the_seller_speaks(qtbot: QtBot, make_window: Any,
                                                         tiny: WhisperTranscriber,
                                                         store: Store) -> None:
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=2.0)
    window = make_window(sound, tiny)
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        space(qtbot, window)
    assert window.practice.live_transcript.isVisible()
    # Words appear before Stop: the take is still being recorded when the signal arrives.
    with qtbot.waitSignal(window.live_text_changed, timeout=60000,
                          check_params_cb=lambda text: "purpose" in text.lower()):
        pass
    assert window.practice.state is State.RECORDING
    assert "purpose" in window.practice.live_transcript.plain_text.lower()
    recorder = window.recorder
    assert recorder is not None
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 34.5, timeout=60000)
    with qtbot.waitSignal(window.scorecard_ready, timeout=60000) as blocker:
        space(qtbot, window)
    card = blocker.args[0]
    assert card["model"] == "tiny.en"
    assert card["criteria"][-1]["id"] == "engaging_delivery"
    assert not window.practice.live_transcript.isVisible()
    # The delivery card: every metric banded, the chart drawn from the take's timeline.
    view = window.practice.scorecard_view
    assert set(view.delivery_rows) == set(METRIC_ORDER)
    for key, label in view.delivery_rows.items():
        assert label.text() == card["delivery"][key]["band"]
        assert view.delivery_card.advice[key].toolTip() == card["delivery"][key]["source"]
    chart = view.delivery_card.chart
    assert chart.isVisible() and chart.has_data and chart.pitch and chart.pace
    assert chart.grab().width() > 0  # paints without error
    attempt = store.attempts()[0]
    assert attempt.status == "scored" and attempt.transcript == card["transcript"]
    assert attempt.model == "tiny.en"


def test_scripted_transcriber_without_a_prompt_is_scored_after_stop(
        qtbot: QtBot, make_window: Any) -> None:
    """A transcriber that cannot take a prompt is not streamed: the file is scored at Stop."""
    from tests.test_ui import ScriptedTranscriber

    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=20.0), ScriptedTranscriber())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        space(qtbot, window)
    assert window.practice.take is not None and window.practice.take.live is None
    assert not window.practice.live_transcript.isVisible()


# -- microphone test ------------------------------------------------------------------------
def test_mic_test_says_the_microphone_works(qtbot: QtBot, make_window: Any,
                                            user_dirs: Path) -> None:
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=10.0), PromptedScript())
    with qtbot.waitSignal(window.mic_test_done, timeout=10000) as blocker:
        qtbot.mouseClick(window.practice.mic_test_button, Qt.MouseButton.LeftButton)
        assert not window.practice.mic_test_button.isEnabled()
    check: MicCheck = blocker.args[0]
    assert check.ok and check.speech_s > 1.0 and not check.clipped
    assert window.message_label.text() == "Your microphone works: we hear you clearly."
    assert window.practice.mic_test_button.isEnabled() and window.practice.record_button.isEnabled()
    assert not (user_dirs / ".mic-test.wav").exists()  # the throw-away recording is gone


def test_mic_test_reports_silence_and_clipping(qtbot: QtBot, make_window: Any) -> None:
    window = make_window(FakeSoundDevice(source=None, speed=10.0), PromptedScript())
    with qtbot.waitSignal(window.mic_test_done, timeout=10000) as blocker:
        qtbot.mouseClick(window.practice.mic_test_button, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].ok
    assert window.message_label.text() == SILENT_MESSAGE
    loud = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=10.0, gain=8.0),
                       PromptedScript())
    with qtbot.waitSignal(loud.mic_test_done, timeout=10000) as blocker:
        qtbot.mouseClick(loud.practice.mic_test_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].clipped
    assert loud.message_label.text().startswith("Too loud")


def test_clipping_warning_during_a_take(qtbot: QtBot, make_window: Any) -> None:
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=10.0, gain=8.0),
                         PromptedScript())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        space(qtbot, window)
    qtbot.waitUntil(lambda: window.practice.record_hint.text().startswith("Too loud"),
                    timeout=10000)
    assert window.practice.meter.clipping
    window.practice.stop_recording(score=False)


# -- device picker ------------------------------------------------------------------------
def test_chosen_microphone_is_remembered_and_used(qtbot: QtBot, make_window: Any,
                                                  user_dirs: Path) -> None:
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=10.0, devices=2)
    window = make_window(sound, PromptedScript())
    assert [window.mic_combo.itemText(i) for i in range(window.mic_combo.count())] == [
        "System default", "Fake Mic 0", "Fake Mic 1"]
    window.mic_combo.setCurrentIndex(window.mic_combo.findData("Fake Mic 1"))
    assert load_settings(settings_path(user_dirs)).input_device == "Fake Mic 1"
    assert window.input_device() == 1
    window.close()
    again = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=10.0, devices=2),
                        PromptedScript(), settings=load_settings(settings_path(user_dirs)))
    assert again.mic_combo.currentText() == "Fake Mic 1"
    # A remembered microphone that is gone falls back to the system default.
    gone = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=10.0, devices=1),
                       PromptedScript(), settings=Settings(input_device="Fake Mic 1"))
    assert gone.mic_combo.currentText() == "System default"


# -- "We didn't hear you" -------------------------------------------------------------------
def _record_and_stop(qtbot: QtBot, window: MainWindow, seconds: float) -> str:
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        space(qtbot, window)
    recorder = window.recorder
    assert recorder is not None
    qtbot.waitUntil(lambda: recorder.elapsed_s >= seconds, timeout=60000)
    with qtbot.waitSignal(window.message_shown, timeout=60000) as blocker:
        space(qtbot, window)
    return str(blocker.args[0])


@pytest.mark.model
@pytest.mark.parametrize("kind", ["silence", "near-silence", "two words"])
def test_silence_or_too_few_words_gives_no_score(qtbot: QtBot, make_window: Any,
                                                 tiny: WhisperTranscriber, store: Store,
                                                 tmp_path: Path, kind: str) -> None:
    if kind == "silence":
        sound = FakeSoundDevice(source=None, speed=4.0)
    elif kind == "near-silence":  # real speech 60 dB down: only hiss reaches the take
        sound = FakeSoundDevice(source=AGENDA_WAV, speed=4.0, gain=0.001)
    else:
        clip = tmp_path / "two-words.wav"
        speech = read_audio(SPEECH / "agenda_weak.wav")[: int(1.25 * 16000)]  # "Hi, great"
        write_wav(clip, np.concatenate([speech, np.zeros(16000 * 3, np.float32)]), 16000)
        sound = FakeSoundDevice(source=clip, speed=4.0)
    window = make_window(sound, tiny)
    message = _record_and_stop(qtbot, window, 4.0)
    assert message == SILENT_MESSAGE
    assert window.practice.state is State.IDLE
    attempt = store.attempts()[0]
    assert attempt.status == "failed" and attempt.message == SILENT_MESSAGE
    assert attempt.score is None
    assert attempt.audio_path is not None and attempt.audio_path.exists()


# -- a microphone that goes away -------------------------------------------------------------
def test_unplugged_mid_take_keeps_the_audio_and_says_so(qtbot: QtBot, make_window: Any,
                                                        store: Store) -> None:
    transcriber = PromptedScript()
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=10.0)
    sound.die_after_s = 2.0
    window = make_window(sound, transcriber)
    assert window.recorder is not None
    window.recorder.stall_timeout_s = 0.5
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        space(qtbot, window)
    take = window.practice.take
    assert take is not None and take.live is not None
    with qtbot.waitSignal(window.message_shown, timeout=20000) as blocker:
        pass
    assert "unplugged" in blocker.args[0] and "kept" in blocker.args[0]
    assert window.practice.state is State.IDLE
    attempt = store.attempts()[0]
    assert attempt.status == "recorded"  # ready to score from History
    assert attempt.audio_path is not None
    assert len(read_audio(attempt.audio_path)) >= int(1.9 * 16000)
    stream = take.live.stream
    assert stream._thread is not None
    stream._thread.join(timeout=10)
    assert not stream._thread.is_alive()  # the live transcriber was stopped


def test_delivery_chart_draws_old_and_new_cards(qtbot: QtBot) -> None:
    chart = DeliveryChart()
    qtbot.addWidget(chart)
    chart.resize(500, 170)
    chart.set_data({})  # a scorecard saved before delivery timelines existed
    assert not chart.has_data and chart.grab().width() == 500
    chart.set_data({"duration_s": 30, "pace_wpm": {"good_range": [120, 165]},
                    "timeline": {"pace_wpm": [[5, 130], [15, 170], [25, 150]],
                                 "pitch_hz": [[1, 110], [2, 125], [3, 98]]}})
    assert chart.has_data and chart.good_pace == (120, 165)
    assert chart.grab().width() == 500
