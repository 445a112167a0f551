"""Opening the real main window the way a seller finds it, for the pytest-qt tests."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from trainer.ui.main_window import MainWindow, State

SCENARIO_ID = "northwind-finance"


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
        window.name_edit.clear()
        qtbot.keyClicks(window.name_edit, name)
    window.drill_combo.setCurrentIndex(window.drill_combo.findData("agenda"))
    window.scenario_combo.setCurrentIndex(window.scenario_combo.findData(SCENARIO_ID))
    window.record_button.setFocus()
    return window


def close_windows(windows: list[MainWindow]) -> None:
    """Stop any take still recording (its audio is kept) and let background work finish."""
    for window in windows:
        if window.state is State.RECORDING:
            window.close()
        window.wait_for_background()
