"""The team's story library: find a saved client story, read it, hear it, practise telling it.

``StoryLibraryPanel`` finds saved stories (from a story hour, or approved by the manager) by
word, industry, role or pain, shows the transcript, plays the recording and starts a practice
take of the story on the main window's Practice screen. The search is
``trainer.coaching.stories``'s; this module only shows it.

Titles, stories and tags are the team's own words: shown as plain text (labels, list items,
tooltips escaped with ``style.plain_tooltip``), never as rich text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from trainer.audio.playback import Player
from trainer.coaching import storyhour as core
from trainer.coaching.stories import Story, search_stories, tag_values
from trainer.common.errors import StorageError, TrainerError
from trainer.store.database import Store
from trainer.ui.guided import Guided, GuidedTakes
from trainer.ui.style import GAP, INK, MARGIN, MUTED, plain_tooltip
from trainer.ui.team.controls import NO_PLAYER_MESSAGE, ScaledWidget, shortcut_button
from trainer.ui.widgets.common import MessageBanner


class StoryLibraryPanel(ScaledWidget):
    """Find a client story by word, industry, role or pain; read it, hear it, practise it.

    Args:
        store: the practice history (the ``stories`` table).
        host: the main window: its Practice screen records "Practise telling this" takes.
        player: plays a story's recording; ``None`` when there is no sound device.
    """

    results_changed = Signal(int)
    practice_scored = Signal(int)  # attempt id
    message_shown = Signal(str)

    def __init__(self, store: Store, host: GuidedTakes, player: Player | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.host = host
        self.player = player
        self.stories: list[Story] = []
        self._practising: str | None = None  # the context of our guided take
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(100)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._build()
        host.attempt_scored.connect(self._on_attempt_scored)
        self.refresh()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(GAP)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        filters = QGridLayout()
        self.word_edit = QLineEdit()
        self.word_edit.setPlaceholderText("Any word of the story")
        self.word_edit.setClearButtonEnabled(True)
        self.word_edit.setToolTip("Search the stories' words (Ctrl+F)")
        self.industry_combo, self.role_combo, self.pain_combo = (
            QComboBox(), QComboBox(), QComboBox())
        for col, (text, widget) in enumerate((("&Find", self.word_edit),
                                              ("&Industry", self.industry_combo),
                                              ("&Role", self.role_combo),
                                              ("P&ain", self.pain_combo))):
            label = QLabel(text)
            label.setBuddy(widget)
            widget.setAccessibleName(text.replace("&", ""))
            self.fonts.scale(widget, 1.15)
            filters.addWidget(label, 0, col)
            filters.addWidget(widget, 1, col)
        outer.addLayout(filters)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._focus_search)
        self.word_edit.textChanged.connect(self.search)
        for combo in (self.industry_combo, self.role_combo, self.pain_combo):
            combo.currentIndexChanged.connect(self.search)

        splitter = QSplitter()
        self.results = QListWidget()
        self.results.setAccessibleName("Stories found")
        self.results.setWordWrap(True)  # a long tag line wraps instead of scrolling
        self.results.setSpacing(3)
        self.fonts.scale(self.results, 1.2)
        self.results.currentRowChanged.connect(self._on_selected)
        splitter.addWidget(self.results)
        self.word_edit.returnPressed.connect(self.results.setFocus)
        detail = QWidget()
        layout = QVBoxLayout(detail)
        self.title_label = self.fonts.label("", 1.7, bold=True, color=INK)
        self.tags_label = self.fonts.label("", 1.1, color=MUTED)
        self.text_label = self.fonts.label("", 1.25, color=INK)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setAccessibleName("The story")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.text_label)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.title_label)
        layout.addWidget(self.tags_label)
        layout.addWidget(scroll, 1)
        self.play_button = shortcut_button("\u25b6  Play", "Ctrl+P",
                                           "Play the story's recording", self.play, self)
        self.practise_button = shortcut_button("Practise telling this", "Ctrl+T",
                                               "Record yourself telling this story on the "
                                               "Practice screen", self.practise, self)
        # The primary action at the bottom right; Tab still goes Play, Practise.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.play_button)
        row.addWidget(self.practise_button)
        layout.addLayout(row)
        splitter.addWidget(detail)
        splitter.setSizes([340, 620])
        outer.addWidget(splitter, 1)
        self._on_selected(-1)

    def _focus_search(self) -> None:
        self.word_edit.setFocus()
        self.word_edit.selectAll()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.refresh()  # stories saved in the story hour since we were last shown
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._stop_playback()
        super().hideEvent(event)

    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    # == search ===========================================================================
    def refresh(self) -> None:
        """Reload the tag pickers (keeping the choices) and the results."""
        try:
            tags = tag_values(self.store)
        except StorageError as exc:
            self.show_message(str(exc))
            return
        for combo, column in ((self.industry_combo, "industry"), (self.role_combo, "role"),
                              (self.pain_combo, "pain")):
            chosen = combo.currentData() or ""
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("Any", "")
            for value in tags[column]:
                combo.addItem(value, value)
            index = combo.findData(chosen)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.search()

    def search(self) -> None:
        selected = self.selected_story()
        try:
            self.stories = search_stories(
                self.store, self.word_edit.text(),
                industry=str(self.industry_combo.currentData() or ""),
                role=str(self.role_combo.currentData() or ""),
                pain=str(self.pain_combo.currentData() or ""))
        except StorageError as exc:
            self.show_message(str(exc))
            return
        self.results.blockSignals(True)
        self.results.clear()
        for found in self.stories:
            tags = " \u00b7 ".join(found.tags)
            item = QListWidgetItem(f"{found.title}\n{tags}" if tags else found.title)
            item.setToolTip(plain_tooltip(found.text[:300]))
            self.results.addItem(item)
        keep = next((i for i, s in enumerate(self.stories)
                     if selected is not None and s.id == selected.id), 0 if self.stories else -1)
        self.results.setCurrentRow(keep)
        self.results.blockSignals(False)
        self._on_selected(keep)
        self.results_changed.emit(len(self.stories))

    def selected_story(self) -> Story | None:
        row = self.results.currentRow()
        return self.stories[row] if 0 <= row < len(self.stories) else None

    def select_story(self, story_id: int) -> None:
        for row, found in enumerate(self.stories):
            if found.id == story_id:
                self.results.setCurrentRow(row)

    def _on_selected(self, row: int) -> None:
        found = self.stories[row] if 0 <= row < len(self.stories) else None
        self._stop_playback()
        self.play_button.setEnabled(found is not None)
        self.practise_button.setEnabled(found is not None)
        if found is None:
            self.title_label.setText("No stories found" if self.stories == [] else "")
            self.tags_label.setText("Stories saved from a story hour, or approved by your "
                                    "manager, appear here.")
            self.text_label.clear()
            return
        self.title_label.setText(found.title)
        origin = "from a story hour" if found.source == "story_hour" else "approved story"
        teller = self._teller(found)
        self.tags_label.setText(" \u00b7 ".join(
            [*found.tags, origin, *([f"told by {teller}"] if teller else [])]))
        self.text_label.setText(found.text)

    def _teller(self, found: Story) -> str:
        if found.seller_id is None:
            return ""
        return next((s.name for s in self.store.sellers() if s.id == found.seller_id), "")

    # == playback =========================================================================
    def play(self) -> None:
        """Ctrl+P: play the story's recording (again to stop)."""
        found = self.selected_story()
        if found is None:
            return
        if self.player is None:
            self.show_message(NO_PLAYER_MESSAGE, "info")
            return
        if self.player.playing:
            self._stop_playback()
            return
        if found.audio_path is None or not found.audio_path.exists():
            self.show_message("This story has no recording on this computer; read the "
                              "transcript instead.", "info")
            return
        try:
            self.player.play(found.audio_path)
        except TrainerError as exc:
            self.show_message(str(exc))
            return
        self.play_button.setText("\u25a0  Stop")
        self._play_timer.start()

    def _on_play_tick(self) -> None:
        if self.player is None or not self.player.playing:
            self._stop_playback()

    def _stop_playback(self) -> None:
        self._play_timer.stop()
        if self.player is not None and self.player.playing:
            self.player.stop()
        self.play_button.setText("\u25b6  Play")

    # == practice =========================================================================
    def practise(self) -> None:
        """Ctrl+T: record yourself telling the selected story on the Practice screen."""
        found = self.selected_story()
        if found is None:
            return
        seller = self.host.seller_name()
        if not seller:
            self.show_message("Type your name on the Practice screen first, so the take is saved "
                              "under it.")
            return
        industry = found.industry.casefold()
        scenario_id = next((s.id for s in self.host.library.scenarios()
                            if industry and s.industry.casefold() == industry), None)
        context = f"story_library:{found.id}"
        guided = Guided(seller, core.DRILL_ID, scenario_id, context,
                        f"Practise telling \u201c{found.title}\u201d")
        self._stop_playback()
        self.host.start_guided_take(guided)
        if self.host.guided is guided:
            self._practising = context

    def _on_attempt_scored(self, attempt_id: int, context: str) -> None:
        if self._practising is None or context != self._practising:
            return
        self._practising = None
        self.host.end_guided_take()  # the scorecard stays on the Practice screen
        self.practice_scored.emit(attempt_id)
