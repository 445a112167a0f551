"""'Test mic' on the Practice screen: three seconds recorded, then whether the mic hears you.

``trainer.audio.mictest`` records and judges; this drives the Practice screen's meter, clock
and buttons while it runs (polled by a ``QTimer``, so the audio thread never touches Qt) and
says the verdict in one sentence.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton

from trainer.audio.mictest import MicCheck, MicTest
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices
from trainer.common.formatting import clock
from trainer.ui.seller.host import MicHost
from trainer.ui.seller.replay import TakeReplay
from trainer.ui.widgets.common import LevelMeter

METER_INTERVAL_MS = 50  # ~20 Hz: smooth to the eye, negligible CPU


class MicScreen(Protocol):
    """The Practice screen's side: its meter, clock and buttons."""

    takes_replay: TakeReplay
    meter: LevelMeter
    elapsed_label: QLabel
    record_hint: QLabel
    record_button: QPushButton
    mic_test_button: QPushButton

    @property
    def host(self) -> MicHost: ...

    def message(self, text: str, kind: str = "error") -> None: ...

    def update_record_button(self) -> None: ...


class MicCheckFlow(QObject):
    """One mic test at a time; ``done(MicCheck)`` when it has a verdict."""

    done = Signal(object)

    def __init__(self, screen: MicScreen) -> None:
        super().__init__()
        self.screen = screen
        self.test: MicTest | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(METER_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    @property
    def running(self) -> bool:
        return self.test is not None

    def start(self) -> None:
        screen, host = self.screen, self.screen.host
        if self.test is not None:
            return
        if host.sound is None:
            screen.message(host.sound_error)
            return
        if not input_devices(host.sound):
            screen.message(NO_MIC_MESSAGE)
            return
        if screen.takes_replay.playing:
            screen.takes_replay.stop()
        test = MicTest(host.sound, host.data_dir / ".mic-test.wav", host.input_device())
        try:
            test.start()
        except Exception as exc:
            host.report(exc)
            return
        self.test = test
        host.clear_message()
        screen.mic_test_button.setEnabled(False)
        screen.record_button.setEnabled(False)
        screen.record_hint.setText("Testing the microphone: say a few words\u2026")
        self._timer.start()

    def _on_tick(self) -> None:
        test = self.test
        if test is None:
            return
        self.screen.meter.set_level(test.recorder.level_db, test.recorder.clipping)
        self.screen.elapsed_label.setText(clock(test.recorder.elapsed_s))
        if test.done:  # 3 s of audio heard (or the device failed)
            self.finish()

    def finish(self, report: bool = True) -> None:
        """End the test (``report=False``: the window is closing, say nothing)."""
        test, self.test = self.test, None
        if test is None:
            return
        screen = self.screen
        self._timer.stop()
        screen.meter.reset()
        screen.elapsed_label.setText("0:00")
        screen.mic_test_button.setEnabled(True)
        screen.record_button.setEnabled(True)
        screen.update_record_button()
        try:
            check: MicCheck = test.finish()
        except Exception as exc:
            screen.host.report(exc)
            return
        if report:
            screen.message(check.message, "info" if check.ok else "error")
        self.done.emit(check)
