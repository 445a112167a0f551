"""Playing a take back with its transcript following word by word.

The Practice screen and History each show a scorecard with a replay transcript; whichever is
on screen is the ``Source`` (the recording's path and the scorecard view). Clicking a word or
a criterion's evidence plays from there. The player's audio runs on PortAudio's thread; the
highlight is polled here by a ``QTimer`` on the UI thread, so that thread never touches Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from trainer.audio.playback import quote_start, word_at
from trainer.ui.widgets.common import ScorecardView

PLAY_INTERVAL_MS = 50  # the replay highlight moves word by word (~3 words a second)
Source = Callable[[], tuple[Path | None, ScorecardView]]
"""Where to play from: the recording on screen (``None``: nothing recorded) and its view."""


class TakeReplay(QObject):
    """Plays the take on screen; signals ``word_changed(index or -1)`` and
    ``playing_changed(playing)``."""

    word_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, player: Any, message: Callable[[str, str], None],
                 report: Callable[[BaseException], None], sound_error: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self._message = message
        self._report = report
        self._sound_error = sound_error
        self._view: ScorecardView | None = None  # whose transcript follows playback
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    @property
    def playing(self) -> bool:
        return self.player is not None and bool(self.player.playing)

    def toggle(self, source: Source) -> None:
        """Ctrl+R: play the take on screen from the start; again to stop."""
        if self.player is None:
            self._message(self._sound_error, "error")
            return
        if self.player.playing:
            self.stop()
            return
        self._start(0.0, source)

    def play_from(self, seconds: float, source: Source) -> None:
        """Play from ``seconds`` (a clicked word or agenda item); seek if already playing."""
        if self.player is not None and self.player.playing:
            self.player.seek(seconds)
            self._highlight(seconds)
            return
        self._start(seconds, source)

    def play_from_quote(self, quote: str, source: Source) -> None:
        """A criterion's evidence was clicked: play from the quote's first word."""
        view = source()[1]
        index = quote_start(view.words, quote)
        if index is None:
            self._message("These words could not be found in the recording's timing; "
                          "press Ctrl+R to play the whole take.", "info")
            return
        self.play_from(float(view.words[index].get("start") or 0.0), source)

    def stop(self) -> None:
        self._timer.stop()
        if self.player is not None:
            self.player.stop()  # also releases the finished stream
        if self._view is not None:
            self._view.replay_transcript.set_current(None)
            self._view = None
        self.playing_changed.emit(False)

    def _start(self, start_s: float, source: Source) -> bool:
        if self.player is None:
            self._message(self._sound_error, "error")
            return False
        path, view = source()
        if path is None:
            self._message("There is no recording to play yet; record a take first.", "info")
            return False
        try:
            self.player.play(path, start_s=start_s)
        except Exception as exc:
            self._report(exc)
            return False
        self._view = view
        self._highlight(start_s)
        self._timer.start()
        self.playing_changed.emit(True)
        return True

    def _highlight(self, seconds: float) -> None:
        view = self._view
        if view is None or not view.words:
            return
        index = word_at(view.words, seconds)
        if index != view.replay_transcript.current:
            view.replay_transcript.set_current(index)
            self.word_changed.emit(-1 if index is None else index)

    def _on_tick(self) -> None:
        if self.player is not None and not self.player.playing:
            self.stop()
            return
        if self.player is not None:
            self._highlight(self.player.position_s)
