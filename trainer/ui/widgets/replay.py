"""The transcript of a take as it plays back: the word being heard is highlighted.

``ReplayTranscript`` shows the take's words (the stored word dicts with their timestamps);
the window polls the player's position on its timer and calls ``set_current`` with the word
being heard (``trainer.audio.playback.word_at``). Each word is also a link: clicking it (or Tab to
it and Enter) emits ``word_clicked`` so the window can play from there.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from trainer.ui.style import HIGHLIGHT, INK, MUTED


class ReplayTranscript(QLabel):
    """The take's words, one of them highlighted while the take plays."""

    word_clicked = Signal(int)  # the word's index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Transcript (click a word to play from it)")
        self.setToolTip("Click a word (or Tab to it and press Enter) to play from there")
        self.linkActivated.connect(self._on_link)
        self.words: list[Mapping[str, Any]] = []
        self.current: int | None = None

    def set_words(self, words: Sequence[Mapping[str, Any]]) -> None:
        self.words = list(words)
        self.current = None
        self._render()

    def set_current(self, index: int | None) -> None:
        if index == self.current:
            return
        self.current = index
        self._render()

    def word_text(self, index: int) -> str:
        return str(self.words[index].get("word", "")).strip()

    def _render(self) -> None:
        if not self.words:
            self.setText(f"<span style='color:{MUTED}'>No words to show.</span>")
            return
        parts = []
        for i, w in enumerate(self.words):
            word = html.escape(str(w.get("word", "")).strip())
            style = f"color:{INK}; text-decoration:none;"
            if i == self.current:
                style += f" background-color:{HIGHLIGHT}; font-weight:bold;"
            parts.append(f"<a href='w:{i}' style='{style}'>{word}</a>")
        self.setText(" ".join(parts))

    def _on_link(self, link: str) -> None:
        if link.startswith("w:"):
            self.word_clicked.emit(int(link[2:]))
