"""Opening the real main window the way a seller finds it, for the pytest-qt tests."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from trainer.ui.seller.practice import State
from trainer.ui.shell import MainWindow

SCENARIO_ID = "northwind-finance"


class Answers:
    """A ``confirm`` callable that records each question and gives scripted answers (then
    yes once they run out)."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, str, bool]] = []

    def __call__(self, title: str, text: str, accept_label: str, destructive: bool) -> bool:
        self.asked.append((title, text, accept_label, destructive))
        return self.answers.pop(0) if self.answers else True


def ready_window(qtbot: QtBot, window: MainWindow, name: str | None = "Ana Lopez",
                 wait_for_model: bool = True, model_timeout_ms: int = 60000) -> MainWindow:
    """Show ``window``, make it active (shortcuts need that), wait for the model, type the
    seller's name, choose the agenda drill on the Northwind scenario, and leave the focus on
    Record (away from the name field, as the seller does, so Space reaches the shortcut)."""
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    if window.transcriber is not None and wait_for_model:
        qtbot.waitUntil(lambda: window.model_state == "ready", timeout=model_timeout_ms)
    if name is not None:
        window.practice.name_edit.clear()
        qtbot.keyClicks(window.practice.name_edit, name)
    window.practice.drill_combo.setCurrentIndex(window.practice.drill_combo.findData("agenda"))
    window.practice.scenario_combo.setCurrentIndex(window.practice.scenario_combo.findData(SCENARIO_ID))
    window.practice.record_button.setFocus()
    return window


def close_windows(windows: list[MainWindow]) -> None:
    """Stop any take still recording (its audio is kept) and let background work finish."""
    for window in windows:
        if window.practice.state is State.RECORDING:
            window.close()
        window.wait_for_background()


def live_keeps_up(window: MainWindow) -> Callable[[], None]:
    """A ``FakeSoundDevice.pace`` that waits until the take's live transcriber has caught up.

    Tests feed the clip faster than real time; without this, whether the live passes keep up
    depends on the machine's speed and load. On a busy 2-core AMD EPYC at 8x, the first
    partial ("Thanks", 0.6 s) took 2-3 s, the rest of the take arrived meanwhile and was
    transcribed as one tail at Stop ("Thanks. Thank you. Now your team handles...", WER 0.36
    instead of 0.11). With it, the passes are those of a live take on a machine that keeps up.
    The recorder is told not to take the wait for an unplugged microphone.
    """
    assert window.recorder is not None
    window.recorder.stall_timeout_s = 120.0

    def pace() -> None:
        take = window.practice.take
        if take is not None and take.live is not None:
            take.live.stream.wait_idle(timeout=60.0)
    return pace
