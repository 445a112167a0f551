"""The roleplay buyer's voice: each line spoken, the next ones made ahead, the replay.

``BuyerVoice`` synthesises a buyer line off the UI thread (``trainer.speech.voice``, on a pool
of its own so speech made ahead never holds up scoring) and plays it; while the seller thinks
it synthesises every line the buyer might say next; it plays a line again, and replays the
whole conversation, buyer and seller in turn. With the buyer muted, or no speech engine on this
machine, a line is only shown: ``spoke`` is emitted at once. It never plays while the seller is
answering (``quiet``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from trainer.audio.playback import Player
from trainer.coaching.roleplay import Conversation
from trainer.common.errors import TrainerError
from trainer.speech.voice import Voice, VoiceUnavailable
from trainer.ui.tasks import Pool, run_in_background

log = logging.getLogger(__name__)

TICK_MS = 50


class BuyerVoice(QObject):
    """Speaks the buyer's lines and replays the conversation.

    Args:
        voice: the speech engines.
        sound: the ``sounddevice`` module (or a fake); ``None`` when PortAudio is missing.
        pool: the panel's pool; a ``QThreadPool`` gets a one-thread pool of its own for speech
            (a ``SyncPool`` in tests runs everything in order instead).
        current: the conversation under way (its buyer's persona speaks).
        quiet: true while nothing may be played (the seller is answering).
        parent: the panel.
    """

    spoke = Signal(str)  # a caption, when it is shown (and its audio started)
    replay_finished = Signal()
    replaying_changed = Signal(bool)
    note = Signal(str)  # why the buyer cannot be heard (shown under the choices)
    failed = Signal(object)  # an error to say

    def __init__(self, voice: Voice, sound: Any, pool: Pool,
                 current: Callable[[], Conversation | None], quiet: Callable[[], bool],
                 parent: QObject) -> None:
        super().__init__(parent)
        self.voice = voice
        self.player = Player(sound) if sound is not None else None
        if isinstance(pool, QThreadPool):
            self.voice_pool: Any = QThreadPool(self)
            self.voice_pool.setMaxThreadCount(1)
        else:
            self.voice_pool = pool
        self._current = current
        self._quiet = quiet
        self.muted = False
        self.buyer_wavs: dict[str, Path] = {}  # caption -> its audio
        self._replay_queue: list[Path] = []
        self._replaying = False
        self._play_tick = QTimer(self)
        self._play_tick.setInterval(TICK_MS)
        self._play_tick.timeout.connect(self._on_play_tick)

    def speaks(self) -> bool:
        """Whether the buyer's lines are heard (not muted, and an engine is here)."""
        return not self.muted and self.voice.available_engine().available

    # == a line ===========================================================================
    def say(self, text: str, wav: Path | None = None) -> None:
        """Speak a buyer line of the conversation under way (synthesising it unless given)."""
        conversation = self._current()
        if conversation is None:
            return
        if not self.speaks():
            self.spoke.emit(text)
            self.prefetch()
            return
        if wav is not None:
            self._play(text, wav)
            self.prefetch()
            return
        run_in_background(partial(self.voice.synthesize, text, conversation.persona),
                          partial(self._on_spoken, text), partial(self._on_voice_failed, text),
                          self.voice_pool, context=self)

    def _on_spoken(self, text: str, wav: Path) -> None:
        self._play(text, wav)
        self.prefetch()

    def _on_voice_failed(self, text: str, exc: Exception) -> None:
        if isinstance(exc, VoiceUnavailable):
            self.note.emit(str(exc))
        else:
            self.failed.emit(exc)
        self.spoke.emit(text)

    def _play(self, text: str, wav: Path) -> None:
        self.buyer_wavs[text] = wav
        if self.player is not None and not self._quiet():
            try:
                self.player.play(wav)
                self._play_tick.start()
            except TrainerError as exc:
                self.note.emit(str(exc))
        self.spoke.emit(text)

    def prefetch(self) -> None:
        """Synthesise every line the buyer might say next while the seller thinks."""
        conversation = self._current()
        if conversation is None or conversation.finished or not self.speaks():
            return
        lines, persona = conversation.possible_lines(), conversation.persona
        run_in_background(partial(self.voice.prefetch, lines, persona), lambda _: None,
                          lambda exc: log.warning("Prefetching speech failed: %s", exc),
                          self.voice_pool, context=self)

    def repeat(self, text: str) -> bool:
        """Play ``text`` again (synthesising it if its audio is gone); False if it cannot be
        heard on this machine."""
        wav = self.buyer_wavs.get(text)
        conversation = self._current()
        if wav is not None and wav.exists():
            self._play(text, wav)
        elif self.voice.available_engine().available and conversation is not None:
            run_in_background(partial(self.voice.synthesize, text, conversation.persona),
                              partial(self._play, text), partial(self._on_voice_failed, text),
                              self.voice_pool, context=self)
        else:
            return False
        return True

    # == the replay =======================================================================
    @property
    def replaying(self) -> bool:
        return self._replaying

    def replay(self, conversation: Conversation, seller_wavs: list[Path | None]) -> bool:
        """Play the conversation, the buyer's lines and the seller's answers (``seller_wavs``,
        per turn) in turn, to the end or until stopped; False if no audio of it is left."""
        queue: list[Path] = []
        lines = [t.buyer.text for t in conversation.turns]
        lines.append(conversation.closing.text if conversation.closing else "")
        for i, text in enumerate(lines):
            buyer = self.buyer_wavs.get(text)
            if buyer is not None and buyer.exists():
                queue.append(buyer)
            seller = seller_wavs[i] if i < len(seller_wavs) else None
            if seller is not None and seller.exists():
                queue.append(seller)
        if not queue:
            return False
        self._replay_queue = queue
        self._replaying = True
        self.replaying_changed.emit(True)
        self._play_next()
        return True

    def _play_next(self) -> None:
        if not self._replay_queue or self.player is None:
            self._end_replay()
            return
        path = self._replay_queue.pop(0)
        try:
            self.player.play(path)
        except TrainerError as exc:
            self._replay_queue = []
            self._end_replay()
            self.failed.emit(exc)
            return
        self._play_tick.start()

    def _on_play_tick(self) -> None:
        if self.player is None or self.player.playing:
            return
        if self._replay_queue:
            self._play_next()
        elif self._replaying:
            self._end_replay()
        else:
            self._play_tick.stop()
            self.player.stop()  # releases the finished stream

    def _end_replay(self) -> None:
        self._play_tick.stop()
        if self.player is not None:
            self.player.stop()
        self._replaying = False
        self.replaying_changed.emit(False)
        self.replay_finished.emit()

    def stop(self) -> None:
        """Silence: the line playing, or the replay."""
        was_replaying, self._replaying = self._replaying, False
        self._replay_queue = []
        self._play_tick.stop()
        if self.player is not None:
            self.player.stop()
        if was_replaying:
            self.replaying_changed.emit(False)

    def close(self) -> None:
        """Stop playing and close the speech engine (waits for speech being made)."""
        self.stop()
        if isinstance(self.voice_pool, QThreadPool):
            self.voice_pool.waitForDone(30000)
        self.voice.close()
