"""The desktop window, driven the way a seller drives it (keyboard first), with pytest-qt.

Everything real except the microphone: the real ``DrillLibrary``, a real ``Store`` under
``tmp_path``, the real ``Recorder`` fed by ``FakeSoundDevice`` from a speech WAV, the real
``Player``, and (for the full journey) the real tiny.en Whisper model. Waiting is always on a
signal or a condition with a timeout, never a sleep.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from tests.windows import SCENARIO_ID, Answers, close_windows, live_keeps_up, ready_window
from trainer.audio.prosody import analyse
from trainer.audio.sound import NO_MIC_MESSAGE
from trainer.audio.wavio import WavWriter, inspect_wav, read_audio
from trainer.coaching.practice import build_scorecard, score_audio
from trainer.common.errors import SILENT_MESSAGE, SilentRecording
from trainer.common.settings import Settings, load_settings, settings_path
from trainer.rubric.bands import METRIC_ORDER
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import Transcript, WhisperTranscriber, Word
from trainer.speech.wer import wer
from trainer.store.database import Store
from trainer.ui.seller.practice import State
from trainer.ui.shell import NO_AUDIO_LIBRARY_MESSAGE, MainWindow
from trainer.ui.tasks import SyncPool, pending_count, run_in_background

AGENDA_WAV = SPEECH / "agenda_good.wav"
AGENDA_TEXT = (SPEECH / "agenda_good.txt").read_text(encoding="utf-8")  # what the WAV says
FAST = 20.0  # the fake microphone feeds 20x real time: the 34 s clip takes under 2 s


class ScriptedTranscriber:
    """A ``Transcriber`` that "hears" a fixed text (or raises), for tests that are not about
    speech recognition."""

    name = "scripted"

    def __init__(self, text: str = AGENDA_TEXT, error: Exception | None = None) -> None:
        self.text = text
        self.error = error
        self.calls = 0

    def load(self) -> float:
        return 0.0

    def transcribe(self, audio: Any) -> Transcript:
        self.calls += 1
        if self.error is not None:
            raise self.error
        words = [Word(w, 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(self.text.split())]
        return Transcript(self.text, words, duration_s=len(audio) / 16000, model=self.name)


@pytest.fixture
def library() -> DrillLibrary:
    return DrillLibrary()


@pytest.fixture
def make_window(qtbot: QtBot, store: Store, library: DrillLibrary, user_dirs: Path
                ) -> Iterator[Any]:
    windows: list[MainWindow] = []

    def make(sound: Any, transcriber: Any, pool: Any = None, name: str | None = "Ana Lopez",
             wait_for_model: bool = True, **kwargs: Any) -> MainWindow:
        # Questions (the privacy note, "Delete my data") are answered "yes" unless a test
        # brings its own answers; a real modal dialog would block the test.
        kwargs.setdefault("confirm", Answers())
        window = MainWindow(library, store, sound, transcriber, user_dirs, pool=pool, **kwargs)
        windows.append(window)
        return ready_window(qtbot, window, name, wait_for_model, model_timeout_ms=30000)

    yield make
    close_windows(windows)


def choose(window: MainWindow, drill_id: str, scenario_id: str) -> None:
    window.practice.drill_combo.setCurrentIndex(window.practice.drill_combo.findData(drill_id))
    window.practice.scenario_combo.setCurrentIndex(window.practice.scenario_combo.findData(scenario_id))


def press_space(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Space)


def record_whole_clip(qtbot: QtBot, window: MainWindow, clip: Path = AGENDA_WAV,
                      timeout_ms: int = 60000) -> None:
    """Space to start, wait until the fake microphone has played the whole clip."""
    seconds = len(read_audio(clip)) / 16000
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= seconds, timeout=timeout_ms)


def history_row(window: MainWindow, attempt_id: int) -> int:
    table = window.history.history_table
    for row in range(table.rowCount()):
        item = table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == attempt_id:
            return row
    raise AssertionError(f"attempt {attempt_id} is not in the history table")


def cell(window: MainWindow, row: int, column: int) -> str:
    item = window.history.history_table.item(row, column)
    assert item is not None
    return item.text()


# -- 1. the whole journey with the real model ---------------------------------------------
@pytest.mark.model
def test_full_journey_scores_like_the_core(qtbot: QtBot, make_window: Any, store: Store,
                                           library: DrillLibrary, tiny: WhisperTranscriber
                                           ) -> None:
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=8.0)
    window = make_window(sound, tiny)  # the window's own background thread pool
    sound.pace = live_keeps_up(window)  # the live passes of a machine that keeps up
    assert window.model_status.text() == "Speech model ready (tiny.en)"
    assert "Dana Ruiz" in window.practice.brief.buyer.who.text()
    assert window.practice.brief.buyer.line.text().startswith("\u201cThanks for making time")

    record_whole_clip(qtbot, window, timeout_ms=180000)  # about a dozen passes on a busy CI
    assert window.practice.state is State.RECORDING
    with qtbot.waitSignal(window.scorecard_ready, timeout=120000) as blocker:
        press_space(qtbot, window)
        assert window.practice.state is State.SCORING
        assert window.practice.practice_stack.currentIndex() == 1  # "Scoring…"
    shown = blocker.args[0]
    assert window.practice.state is State.SCORED

    # The core's own scorecard for the same take: the model transcribed it while it was
    # recorded (the live path), so the core scores the saved live transcript, with the
    # recording's own delivery analysis, and must agree with what the window shows.
    seller = store.seller("Ana Lopez")
    attempt = store.attempts(seller)[0]
    assert attempt.audio_path is not None and attempt.audio_path.exists()
    live = Transcript(attempt.transcript or "", [
        Word(w["word"], w["start"], w["end"], w.get("probability", 1.0)) for w in attempt.words
    ], attempt.duration_s or 0.0, "tiny.en")
    expected = build_scorecard(library.drill("agenda"), library.scenario(SCENARIO_ID), live,
                               track=analyse(read_audio(attempt.audio_path)))
    delivery_id = library.drill("agenda").delivery.id  # measured from float vs 16-bit audio
    assert [c for c in shown["criteria"] if c["id"] != delivery_id] == [
        c for c in expected["criteria"] if c["id"] != delivery_id]
    assert shown["criteria"][-1]["id"] == delivery_id == "engaging_delivery"
    # And the live transcript is as good as transcribing the whole file afterwards.
    batch = score_audio(library.drill("agenda"), library.scenario(SCENARIO_ID),
                        attempt.audio_path, tiny).transcript
    assert wer(AGENDA_TEXT, shown["transcript"]) <= 1.3 * wer(AGENDA_TEXT, batch.text) + 0.03

    view = window.practice.scorecard_view
    assert [r.criterion_id for r in view.rows] == [c["id"] for c in shown["criteria"]]
    assert [r.met for r in view.rows] == [c["met"] for c in shown["criteria"]]
    for row, criterion in zip(view.rows, shown["criteria"], strict=True):
        if criterion["id"] == delivery_id:  # numbers, not a quote
            assert row.evidence_label is not None
            assert row.evidence_label.text() == criterion["evidence"]
        elif criterion["met"]:
            assert row.evidence_label is not None
            assert row.evidence_label.text() == f"\u201c{criterion['evidence']}\u201d"
            assert row.mark.text() == "\u2713"
        else:
            assert row.tip_label is not None and row.tip_label.text() == criterion["tip"]
            assert row.mark.text() == "\u2717"
    assert view.score_label.text() == f"{shown['score']:.0f}"
    assert view.verdict_label.text() == ("PASS" if shown["passed"] else "NOT YET")
    assert set(view.delivery_rows) == set(METRIC_ORDER)
    assert shown["transcript"] == view.transcript_label.text()
    assert shown["score"] >= 70  # a good agenda, heard by tiny.en, passes
    expected = shown

    # Saved and listed.
    assert attempt.status == "scored"
    assert attempt.score == expected["score"]
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert window.screens.currentIndex() == 1
    row = history_row(window, attempt.id)
    assert cell(window, row, 1) == "Set an agenda"
    assert cell(window, row, 2) == "Northwind Logistics"  # the prospect's company
    item = window.history.history_table.item(row, 2)
    assert item is not None and item.toolTip() == library.scenario(SCENARIO_ID).title
    assert cell(window, row, 3) == f"{expected['score']:.0f}"
    assert cell(window, row, 4) == ("PASS" if expected["passed"] else "NOT YET")
    assert cell(window, row, 5) == "Scored"

    # Remembered for next time.
    remembered = load_settings(settings_path(window.data_dir))
    assert (remembered.seller, remembered.drill, remembered.scenario) == (
        "Ana Lopez", "agenda", SCENARIO_ID)


# -- 2. and 3. no microphone, no PortAudio --------------------------------------------------
def test_no_microphone_says_so_and_records_nothing(qtbot: QtBot, make_window: Any,
                                                   store: Store, user_dirs: Path) -> None:
    window = make_window(FakeSoundDevice(devices=0), ScriptedTranscriber(), SyncPool())
    with qtbot.waitSignal(window.message_shown, timeout=2000):
        press_space(qtbot, window)
    assert window.message_label.text() == NO_MIC_MESSAGE
    assert window.message_label.isVisible()
    assert window.practice.state is State.IDLE
    assert store.attempts() == []
    assert not (user_dirs / "recordings").exists()
    assert window.mic_combo.currentText() == "No microphone found"


def test_missing_portaudio_gives_a_clear_sentence(qtbot: QtBot, make_window: Any,
                                                  store: Store) -> None:
    window = make_window(None, ScriptedTranscriber(), SyncPool())
    qtbot.mouseClick(window.practice.record_button, Qt.MouseButton.LeftButton)
    assert window.message_label.text() == NO_AUDIO_LIBRARY_MESSAGE
    assert "PortAudio" in window.message_label.text()
    assert window.practice.state is State.IDLE
    assert store.attempts() == []
    # Replay has nothing to play through either, and says the same thing.
    window.clear_message()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.message_label.text() == NO_AUDIO_LIBRARY_MESSAGE


def test_portaudio_message_from_start_up_is_used(qtbot: QtBot, make_window: Any) -> None:
    message = "The audio library PortAudio is missing; install it with 'sudo apt install x'."
    window = make_window(None, ScriptedTranscriber(), SyncPool(), sound_error=message)
    press_space(qtbot, window)
    assert window.message_label.text() == message


def test_name_is_needed_before_recording(qtbot: QtBot, make_window: Any, store: Store) -> None:
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), name=None)
    press_space(qtbot, window)
    assert "name" in window.message_label.text()
    assert window.practice.state is State.IDLE
    assert store.attempts() == []


class SlowLoadingTranscriber(ScriptedTranscriber):
    """A model whose load takes until the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def load(self) -> float:
        self.release.wait(timeout=20)
        return 0.0


def test_recording_while_the_model_loads_then_scoring_waits(qtbot: QtBot, make_window: Any,
                                                           store: Store) -> None:
    transcriber = SlowLoadingTranscriber()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), transcriber,
                         wait_for_model=False)  # the window's own thread pool
    assert window.model_status.text() == "Loading speech model\u2026"
    record_whole_clip(qtbot, window)
    press_space(qtbot, window)
    assert window.practice.state is State.SCORING
    assert "Waiting for the speech model" in window.practice.scoring_detail.text()
    assert transcriber.calls == 0
    assert store.attempts()[0].status == "recorded"
    with qtbot.waitSignal(window.model_ready, timeout=10000):
        transcriber.release.set()
    qtbot.waitUntil(lambda: window.practice.state is State.SCORED, timeout=20000)
    assert transcriber.calls == 1
    assert window.model_status.text() == "Speech model ready (scripted)"
    assert store.attempts()[0].status == "scored"


# -- 4. silence ---------------------------------------------------------------------------
def test_silent_take_is_kept_and_marked_failed(qtbot: QtBot, make_window: Any,
                                               store: Store) -> None:
    transcriber = ScriptedTranscriber(error=SilentRecording(SILENT_MESSAGE))
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), transcriber,
                         SyncPool())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 3.0, timeout=10000)
    failures: list[tuple[int, str, str]] = []
    window.attempt_failed.connect(lambda *args: failures.append(args))
    with qtbot.waitSignal(window.message_shown, timeout=10000) as blocker:
        press_space(qtbot, window)
    assert blocker.args[0].startswith("We didn't hear you")
    assert window.message_label.text() == SILENT_MESSAGE
    assert window.practice.state is State.IDLE
    # A screen waiting for this take (a story-hour turn) hears why it has no score.
    assert failures == [(store.attempts()[0].id, "", SILENT_MESSAGE)]
    assert window.practice.practice_stack.currentIndex() == 0  # back to the brief, ready to retry
    attempt = store.attempts()[0]
    assert attempt.status == "failed"
    assert attempt.message == SILENT_MESSAGE
    assert attempt.audio_path is not None
    assert len(read_audio(attempt.audio_path)) >= 3 * 16000  # the audio is kept


def test_unexpected_error_is_one_sentence_and_keeps_the_take(qtbot: QtBot, make_window: Any,
                                                             store: Store) -> None:
    transcriber = ScriptedTranscriber(error=ZeroDivisionError("boom"))
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), transcriber,
                         SyncPool())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 2.0, timeout=10000)
    press_space(qtbot, window)
    assert window.message_label.text() == (
        "Something went wrong: ZeroDivisionError; your recording is kept.")
    attempt = store.attempts()[0]
    assert attempt.status == "recorded"  # ready for "Score now"
    assert attempt.audio_path is not None and attempt.audio_path.exists()


def test_lost_microphone_stops_and_keeps_the_audio(qtbot: QtBot, make_window: Any,
                                                   store: Store) -> None:
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=1.0)
    sound.die_after_s = 1.0
    transcriber = ScriptedTranscriber()
    window = make_window(sound, transcriber, SyncPool())
    assert window.recorder is not None
    window.recorder.stall_timeout_s = 0.5  # declare the device lost quickly
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    with qtbot.waitSignal(window.message_shown, timeout=10000) as blocker:
        pass
    assert "unplugged" in blocker.args[0]
    assert window.practice.state is State.IDLE
    assert transcriber.calls == 0  # a broken take is not scored automatically
    attempt = store.attempts()[0]
    assert attempt.status == "recorded"
    assert attempt.audio_path is not None
    assert len(read_audio(attempt.audio_path)) >= 0.9 * 16000


# -- 5. replay ----------------------------------------------------------------------------
def test_replay_plays_the_take_through_the_player(qtbot: QtBot, make_window: Any,
                                                  store: Store) -> None:
    sound = FakeSoundDevice(source=AGENDA_WAV, speed=FAST)
    window = make_window(sound, ScriptedTranscriber(), SyncPool())
    record_whole_clip(qtbot, window)
    with qtbot.waitSignal(window.scorecard_ready, timeout=10000):
        press_space(qtbot, window)
    assert window.practice.state is State.SCORED

    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.player is not None
    player = window.player
    assert window.practice.replay_button.text().endswith("Stop playback")
    qtbot.waitUntil(lambda: not player.playing, timeout=20000)
    qtbot.waitUntil(lambda: window.practice.replay_button.text().endswith("Replay"), timeout=2000)

    attempt = store.attempts()[0]
    assert attempt.audio_path is not None
    recorded = read_audio(attempt.audio_path)
    played = sound.played_audio()
    assert played.size >= recorded.size
    np.testing.assert_allclose(played[:recorded.size], recorded, atol=1e-6)
    assert np.all(played[recorded.size:] == 0.0)


def test_try_again_keeps_drill_and_scenario(qtbot: QtBot, make_window: Any,
                                            store: Store) -> None:
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool())
    record_whole_clip(qtbot, window)
    with qtbot.waitSignal(window.scorecard_ready, timeout=10000):
        press_space(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.practice.state is State.IDLE
    assert window.practice.practice_stack.currentIndex() == 0
    assert window.practice.scenario_combo.currentData() == SCENARIO_ID
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 2.0, timeout=10000)
    with qtbot.waitSignal(window.scorecard_ready, timeout=10000):
        press_space(qtbot, window)
    attempts = store.attempts()
    assert len(attempts) == 2
    assert {a.scenario_id for a in attempts} == {SCENARIO_ID}
    assert attempts[0].audio_path != attempts[1].audio_path  # two takes, two files


def test_a_guided_take_is_locked_tagged_and_handed_back(qtbot: QtBot, make_window: Any,
                                                       store: Store) -> None:
    """Another screen (a certification, a story-hour turn) asks for a take: the Practice screen
    records it with the seller, drill and scenario it named, tags the attempt with its
    context and hands the attempt back; the seller's own choices are not overwritten."""
    from trainer.ui.guided import Guided

    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool())
    window.screens.setCurrentIndex(1)
    window.start_guided_take(Guided("Ben Okafor", "value_prop", SCENARIO_ID,
                                    "certification:7", "Certification: Ben Okafor"))
    assert window.screens.currentIndex() == 0
    assert window.seller_name() == "Ben Okafor"
    assert window.practice.drill_combo.currentData() == "value_prop"
    assert not window.practice.name_edit.isEnabled() and not window.practice.drill_combo.isEnabled()
    assert "Certification: Ben Okafor" in window.message_label.text()
    record_whole_clip(qtbot, window)
    with qtbot.waitSignal(window.attempt_scored, timeout=10000) as scored:
        press_space(qtbot, window)
    attempt_id, context = scored.args
    assert context == "certification:7"
    attempt = store.attempt(attempt_id)
    assert (attempt.drill_id, attempt.context, attempt.status) == (
        "value_prop", "certification:7", "scored")
    assert store.find_seller("Ben Okafor") is not None
    window.end_guided_take()
    assert window.practice.name_edit.isEnabled() and window.practice.drill_combo.isEnabled()
    assert load_settings(settings_path(window.data_dir)).seller == "Ana Lopez"
    assert (window.seller_name(),
            window.practice.drill_combo.currentData()) == ("Ana Lopez", "agenda")


def test_space_records_only_on_the_practice_tab(qtbot: QtBot, make_window: Any,
                                               store: Store) -> None:
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool())
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert window.screens.currentWidget() is window.manager_panel
    press_space(qtbot, window)
    assert window.practice.state is State.IDLE and store.attempts() == []
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.screens.currentIndex() == 0
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    # While recording, Space stops the take whichever tab is showing.
    window.screens.setCurrentWidget(window.cards_panel)
    with qtbot.waitSignal(window.recording_stopped, timeout=5000):
        press_space(qtbot, window)


# -- 6. history ---------------------------------------------------------------------------
def _scored_attempt(store: Store, library: DrillLibrary, data_dir: Path) -> tuple[int, dict]:
    seller = store.seller("Ana Lopez")
    drill, scenario = library.drill("agenda"), library.scenario(SCENARIO_ID)
    attempt_id = store.begin_attempt(seller, drill.id, scenario.id, scenario.to_json(),
                                     data_dir / "old.wav")
    transcript = ScriptedTranscriber().transcribe(np.zeros(16000 * 40, dtype=np.float32))
    card = build_scorecard(drill, scenario, transcript)
    store.save_result(attempt_id, transcript.text, transcript.words_json(), card, "scripted")
    return attempt_id, card


def _recovered_attempt(store: Store, library: DrillLibrary, data_dir: Path) -> int:
    seller = store.seller("Ana Lopez")
    scenario = library.scenario(SCENARIO_ID)
    wav = data_dir / "recordings" / "recovered.wav"
    wav.parent.mkdir(parents=True)
    shutil.copyfile(AGENDA_WAV, wav)
    attempt_id = store.begin_attempt(seller, "agenda", scenario.id, scenario.to_json(), wav)
    store.mark_recorded(attempt_id, 34.1,
                        "Recovered after the app closed unexpectedly; ready to score.")
    return attempt_id


def test_history_shows_stored_scorecards_and_scores_recovered_takes(
        qtbot: QtBot, make_window: Any, store: Store, library: DrillLibrary,
        user_dirs: Path) -> None:
    scored_id, card = _scored_attempt(store, library, user_dirs)
    recovered_id = _recovered_attempt(store, library, user_dirs)
    transcriber = ScriptedTranscriber()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), transcriber)

    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert window.screens.currentIndex() == 1
    assert window.history.history_table.rowCount() == 2

    row = history_row(window, scored_id)
    assert cell(window, row, 3) == f"{card['score']:.0f}"
    assert cell(window, row, 5) == "Scored"
    window.history.history_table.selectRow(row)
    assert window.history.history_view.isVisible()
    assert window.history.history_view.score_label.text() == f"{card['score']:.0f}"
    assert [r.criterion_id for r in window.history.history_view.rows] == [
        c["id"] for c in card["criteria"]]
    assert not window.history.score_now_button.isVisible()

    row = history_row(window, recovered_id)
    assert cell(window, row, 5) == "Ready to score"
    window.history.history_table.selectRow(row)
    assert not window.history.history_view.isVisible()
    assert "Score now" in window.history.history_status.text()
    score_now = window.history.score_now_button
    assert score_now.isVisible() and score_now.isEnabled()
    with qtbot.waitSignal(window.scorecard_ready, timeout=30000) as blocker:
        qtbot.mouseClick(window.history.score_now_button, Qt.MouseButton.LeftButton)
    assert transcriber.calls == 1
    stored = store.attempt(recovered_id)
    assert stored.status == "scored"
    assert stored.scorecard == blocker.args[0]
    assert window.history.selected_attempt_id() == recovered_id
    assert window.history.history_view.isVisible()
    assert cell(window, history_row(window, recovered_id), 5) == "Scored"


def test_history_is_per_seller(qtbot: QtBot, make_window: Any, store: Store,
                               library: DrillLibrary, user_dirs: Path) -> None:
    _scored_attempt(store, library, user_dirs)
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), name="Someone Else")
    assert window.history.history_table.rowCount() == 0
    window.practice.name_edit.setText("ana lopez")  # names match regardless of case
    assert window.history.history_table.rowCount() == 1


def test_settings_restore_name_drill_and_scenario(qtbot: QtBot, make_window: Any) -> None:
    settings = Settings(seller="Bo Chen", drill="agenda", scenario="mercy-health")
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), name=None, settings=settings)
    assert window.practice.name_edit.text() == "Bo Chen"
    assert window.practice.drill_combo.currentData() == "agenda"


# -- 7. closing mid-take ------------------------------------------------------------------
def test_closing_while_recording_leaves_a_valid_wav(qtbot: QtBot, make_window: Any,
                                                    store: Store) -> None:
    transcriber = ScriptedTranscriber()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=1.0), transcriber, SyncPool())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 1.0, timeout=10000)
    window.close()
    assert not recorder.recording
    attempt = store.attempts()[0]
    assert attempt.status == "recorded"  # ready to score next time
    assert attempt.audio_path is not None
    info = inspect_wav(attempt.audio_path)
    assert not info.needs_repair
    assert info.samplerate == 16000
    assert info.data_bytes >= 2 * 16000  # at least a second of audio
    assert transcriber.calls == 0


def test_without_a_model_takes_are_kept_for_later(qtbot: QtBot, make_window: Any,
                                                  store: Store) -> None:
    message = "The model 'base' is not installed on this machine; reinstall the app."
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), None, SyncPool(),
                         model_error=message)
    assert window.model_status.text() == "No speech model installed"
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)  # recording still works
    assert window.recorder is not None
    recorder = window.recorder
    qtbot.waitUntil(lambda: recorder.elapsed_s >= 1.0, timeout=10000)
    press_space(qtbot, window)
    assert window.message_label.text() == message
    assert window.practice.state is State.IDLE
    assert store.attempts()[0].status == "recorded"  # "Score now" once a model is there


# -- the background helper ----------------------------------------------------------------
def test_run_in_background_delivers_results_and_errors_on_the_gui_thread(qtbot: QtBot
                                                                          ) -> None:
    gui = threading.get_ident()
    seen: list[tuple[str, Any, int]] = []

    def done(value: Any) -> None:
        seen.append(("done", value, threading.get_ident()))

    def failed(exc: Exception) -> None:
        seen.append(("error", exc, threading.get_ident()))

    def boom() -> None:
        raise ValueError("bad input")

    run_in_background(threading.get_ident, done, failed)
    run_in_background(boom, done, failed)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    by_kind = {kind: (value, thread) for kind, value, thread in seen}
    worker, delivered_on = by_kind["done"]
    assert worker != gui and delivered_on == gui
    error, delivered_on = by_kind["error"]
    assert isinstance(error, ValueError) and str(error) == "bad input"
    assert delivered_on == gui
    assert pending_count() == 0


def test_sync_pool_delivers_before_returning() -> None:
    seen: list[Any] = []
    run_in_background(lambda: 42, seen.append, seen.append, SyncPool())
    assert seen == [42]


def test_nothing_is_delivered_to_a_destroyed_context(qtbot: QtBot) -> None:
    release = threading.Event()
    context = QObject()
    seen: list[Any] = []
    run_in_background(lambda: release.wait(10), seen.append, seen.append, context=context)
    shiboken6.delete(context)  # the window went away while its job was running
    release.set()
    qtbot.waitUntil(lambda: pending_count() == 0, timeout=5000)
    assert seen == []


# -- 8. privacy: the note before the first take, "Delete my data" ----------------------------
def test_privacy_note_is_shown_once_before_the_first_recording(
        qtbot: QtBot, make_window: Any, store: Store, user_dirs: Path) -> None:
    answers = Answers()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), confirm=answers)
    record_whole_clip(qtbot, window)
    assert len(answers.asked) == 1
    title, text, _, destructive = answers.asked[0]
    assert "stay on this computer" in title and not destructive
    assert str(user_dirs / "recordings") in text and "Delete my data" in text
    assert load_settings(settings_path(user_dirs)).privacy_note_seen
    with qtbot.waitSignal(window.scorecard_ready, timeout=10000):
        press_space(qtbot, window)
    window.practice.try_again()
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    window.practice.stop_recording(score=False)
    assert len(answers.asked) == 1  # once, not before every take
    assert len(store.attempts()) == 2


def test_declining_the_privacy_note_records_nothing(qtbot: QtBot, make_window: Any,
                                                    store: Store, user_dirs: Path) -> None:
    answers = Answers(False)
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), confirm=answers)
    press_space(qtbot, window)
    assert len(answers.asked) == 1
    assert window.practice.state is State.IDLE
    assert store.attempts() == []
    assert not (user_dirs / "recordings").exists()
    assert not load_settings(settings_path(user_dirs)).privacy_note_seen  # asked again next time


# The offscreen platform cannot resize a dialog to its size hints and says so; harmless.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_privacy_note_is_a_real_dialog(qtbot: QtBot, make_window: Any, user_dirs: Path) -> None:
    """The default ``confirm``: a modal box whose accept button starts the take."""
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), confirm=None)
    seen: list[str] = []

    def accept_when_shown() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, accept_when_shown)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == "Start recording").click()

    QTimer.singleShot(0, accept_when_shown)
    with qtbot.waitSignal(window.recording_started, timeout=10000):
        press_space(qtbot, window)
    assert len(seen) == 1 and str(user_dirs / "recordings") in seen[0]
    window.practice.stop_recording(score=False)


def _other_sellers_take(store: Store, user_dirs: Path) -> Path:
    bo = store.seller("Bo Chen")
    wav = user_dirs / "recordings" / f"seller-{bo.id}" / "bo.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SPEECH / "agenda_weak.wav", wav)
    attempt_id = store.begin_attempt(bo, "agenda", None, None, wav)
    store.mark_recorded(attempt_id, 13.6)
    return wav


def test_delete_my_data_removes_only_this_sellers_takes(qtbot: QtBot, make_window: Any,
                                                       store: Store, user_dirs: Path) -> None:
    bo_wav = _other_sellers_take(store, user_dirs)
    answers = Answers()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), confirm=answers)
    record_whole_clip(qtbot, window)
    with qtbot.waitSignal(window.scorecard_ready, timeout=10000):
        press_space(qtbot, window)
    ana = store.find_seller("Ana Lopez")
    assert ana is not None
    ana_wav = store.attempts(ana)[0].audio_path
    assert ana_wav is not None and ana_wav.exists()

    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert window.history.history_table.rowCount() == 1
    assert window.history.forget_button.isEnabled()
    with qtbot.waitSignal(window.message_shown, timeout=5000) as blocker:
        qtbot.mouseClick(window.history.forget_button, Qt.MouseButton.LeftButton)
    title, text, label, destructive = answers.asked[-1]
    assert (title, label, destructive) == ("Delete my data", "Delete", True)
    assert "1 take of Ana Lopez" in text and "cannot be undone" in text
    assert blocker.args[0] == ("Deleted 1 take and 1 recording of Ana Lopez from this "
                               "computer.")
    assert store.find_seller("Ana Lopez") is None
    assert not ana_wav.exists() and not ana_wav.parent.exists()
    assert window.practice.name_edit.text() == "" and window.history.history_table.rowCount() == 0
    assert load_settings(settings_path(user_dirs)).seller == ""
    # Another seller's takes are untouched.
    assert bo_wav.exists() and len(store.attempts()) == 1
    assert not window.history.forget_button.isEnabled()


def test_delete_my_data_can_be_cancelled(qtbot: QtBot, make_window: Any, store: Store,
                                         user_dirs: Path, library: DrillLibrary) -> None:
    scored_id, _ = _scored_attempt(store, library, user_dirs)
    answers = Answers(False)
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool(), confirm=answers)
    window.screens.setCurrentIndex(1)
    qtbot.mouseClick(window.history.forget_button, Qt.MouseButton.LeftButton)
    assert len(answers.asked) == 1
    assert store.attempt(scored_id).status == "scored"
    assert window.practice.name_edit.text() == "Ana Lopez"


# -- 9. the disk fills up, the recordings folder cannot be written -----------------------
def test_disk_full_while_recording_is_reported_at_once(qtbot: QtBot, make_window: Any,
                                                      store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = WavWriter.write
    failed_at: list[float] = []

    def write_until_full(self: WavWriter, samples: np.ndarray) -> None:
        if self.frames_written >= 16000:  # one second fits, then the disk is full
            failed_at.append(time.monotonic())
            raise OSError(28, "No space left on device")
        real_write(self, samples)

    monkeypatch.setattr(WavWriter, "write", write_until_full)
    transcriber = ScriptedTranscriber()
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=1.0), transcriber, SyncPool())
    with qtbot.waitSignal(window.recording_started, timeout=5000):
        press_space(qtbot, window)
    with qtbot.waitSignal(window.message_shown, timeout=10000) as blocker:
        pass
    told_at = time.monotonic()
    assert "No space left on device" in blocker.args[0] and "kept" in blocker.args[0]
    assert told_at - failed_at[0] < 0.5  # at once: the next meter tick, not at "Stop"
    assert window.practice.state is State.IDLE
    assert window.message_label.isVisible()
    assert transcriber.calls == 0
    attempt = store.attempts()[0]
    assert attempt.status == "recorded"  # kept, ready for "Score now"
    assert attempt.audio_path is not None
    assert read_audio(attempt.audio_path).size == 16000


def test_unwritable_recordings_folder_is_one_sentence(qtbot: QtBot, make_window: Any,
                                                     store: Store, user_dirs: Path) -> None:
    user_dirs.mkdir(parents=True, exist_ok=True)
    (user_dirs / "recordings").write_text("a file where the folder should be")
    window = make_window(FakeSoundDevice(source=AGENDA_WAV, speed=FAST), ScriptedTranscriber(),
                         SyncPool())
    with qtbot.waitSignal(window.message_shown, timeout=5000) as blocker:
        press_space(qtbot, window)
    assert blocker.args[0].startswith("Cannot save the recording in")
    assert "\n" not in blocker.args[0]
    assert window.practice.state is State.IDLE
    assert [a.status for a in store.attempts()] == ["failed"]


# -- start-up -----------------------------------------------------------------------------
# These run ``app.main`` (exec, then quit): marked ``app_exec``, they run after every other
# test (see conftest.py), because after the app has quit once new offscreen windows no longer
# become active and a window test after them could not press its shortcuts.
@pytest.mark.app_exec
def test_app_exits_2_with_one_sentence_on_a_bad_drill_file(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.ui import app

    drills = tmp_path / "drills"
    drills.mkdir()
    (drills / "broken.toml").write_text('id = "broken"\ntitle = "Broken"\n', encoding="utf-8")
    monkeypatch.setenv("TRAINER_DRILLS_DIR", str(drills))
    dialogs: list[str] = []  # on a real display the sentence also goes in a dialog
    monkeypatch.setattr(app.QMessageBox, "critical",
                        lambda parent, title, text: dialogs.append(text))
    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trainer: broken.toml: missing key")
    assert "Traceback" not in err
    assert all(err == f"trainer: {text}\n" for text in dialogs)


@pytest.mark.app_exec
@pytest.mark.model
def test_app_screenshot_and_recovery(qtbot: QtBot, tmp_path: Path, user_dirs: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The real start-up path: recovers a crashed take, loads tiny.en, grabs, quits."""
    from trainer.ui import app

    with Store(user_dirs / "trainer.sqlite3") as crashed:
        seller = crashed.seller("Ana Lopez")
        wav = user_dirs / "recordings" / "crashed.wav"
        wav.parent.mkdir(parents=True)
        shutil.copyfile(AGENDA_WAV, wav)
        crashed_id = crashed.begin_attempt(seller, "agenda", None, None, wav)
    monkeypatch.setenv("TRAINER_MODEL", "tiny.en")
    shot = tmp_path / "shot.png"
    monkeypatch.setenv("TRAINER_SCREENSHOT", str(shot))
    # The machine may or may not have PortAudio; either way the app must start.
    monkeypatch.setattr(app, "load_sounddevice", lambda: FakeSoundDevice(source=AGENDA_WAV))
    assert app.main([]) == 0
    assert shot.stat().st_size > 10_000
    with Store(user_dirs / "trainer.sqlite3") as reopened:
        assert reopened.attempt(crashed_id).status == "recorded"


@pytest.mark.app_exec
def test_app_sets_a_damaged_history_aside_and_says_where(
        qtbot: QtBot, user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.ui import app

    user_dirs.mkdir(parents=True)
    damaged = b"SQLite format 3\x00" + b"\xde\xad" * 4000
    (user_dirs / "trainer.sqlite3").write_bytes(damaged)
    shown: list[str] = []

    class Window(MainWindow):
        def show_message(self, text: str, kind: str = "error") -> None:
            shown.append(text)
            super().show_message(text, kind)

    monkeypatch.setattr(app, "MainWindow", Window)
    monkeypatch.setattr(app, "_transcriber", lambda preferred: (None, "No model here."))
    monkeypatch.setattr(app, "load_sounddevice", lambda: FakeSoundDevice(source=AGENDA_WAV))
    monkeypatch.setenv("TRAINER_SCREENSHOT", str(user_dirs / "shot.png"))  # quits by itself
    assert app.main([]) == 0
    moved = [p for p in user_dirs.iterdir() if ".damaged-" in p.name]
    assert len(moved) == 1 and moved[0].read_bytes() == damaged  # set aside, byte for byte
    assert any(f"moved to {moved[0]}" in text for text in shown), shown
    with Store(user_dirs / "trainer.sqlite3") as fresh:  # and a working history in its place
        assert fresh.attempts() == []
