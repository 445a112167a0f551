"""Scoring a take off the UI thread, for the Practice screen and for History's "Score now".

``TakeScorer.score`` runs ``finish_live_attempt`` (a take transcribed while it was recorded:
only the tail is left) or ``finish_attempt`` (the whole file) through ``run_in_background``
and emits ``scored`` or ``failed`` on the UI thread. While the speech model is still loading,
takes wait and are scored when it is ready; without a model they are refused. It holds no
widget: each screen shows what the outcome means for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from trainer.coaching.agendas import interaction_for_scenario, written_agenda
from trainer.coaching.live import LiveTake
from trainer.coaching.practice import WrittenAgenda, finish_attempt, finish_live_attempt
from trainer.common.errors import StorageError
from trainer.rubric.drills import Drill, Scenario
from trainer.store.database import Seller, Store
from trainer.ui.tasks import run_in_background

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Take:
    """One attempt on its way through the app: what was practised and where the audio is."""

    attempt_id: int
    seller: Seller
    drill: Drill
    scenario: Scenario | None
    wav: Path
    # Transcribed while recorded (the model was loaded at Record): Stop only waits for the
    # tail. ``None``: the whole file is transcribed after Stop.
    live: LiveTake | None = None
    context: str = ""  # see ``trainer.ui.guided.Guided``


class SpeechModel(Protocol):
    """The shell's speech model, as scoring needs it."""

    transcriber: Any
    model_state: str  # "loading", "ready" or "missing"
    model_error: str
    embedder: Any
    pool: Any


class TakeScorer(QObject):
    """Scores takes one after another on the shell's pool.

    Signals ``scored(take, origin, AttemptResult)`` and ``failed(take, origin, exception)``;
    ``origin`` is who asked ("practice" or "history").
    """

    scored = Signal(object, str, object)
    failed = Signal(object, str, object)

    def __init__(self, store: Store, model: SpeechModel,
                 written_agenda: Callable[[Take], WrittenAgenda | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.model = model
        self.written_agenda = written_agenda
        self.scoring_ids: set[int] = set()  # attempts being scored now
        self.waiting: list[tuple[Take, str]] = []  # takes waiting for the model to load

    @property
    def busy(self) -> bool:
        return bool(self.scoring_ids or self.waiting)

    def score(self, take: Take, origin: str) -> str:
        """Start scoring ``take``: "started", "waiting" (for the model) or "missing" (none)."""
        if self.model.model_state == "missing" or self.model.transcriber is None:
            return "missing"
        self.scoring_ids.add(take.attempt_id)
        if self.model.model_state == "loading":
            self.waiting.append((take, origin))
            return "waiting"
        agenda = self.written_agenda(take)
        if take.live is not None:
            # Transcribed while recorded: only the tail is left, then scoring.
            job = partial(finish_live_attempt, self.store, take.attempt_id, take.drill,
                          take.scenario, take.live, self.model.embedder, agenda=agenda)
        else:
            job = partial(finish_attempt, self.store, take.attempt_id, take.drill,
                          take.scenario, take.wav, self.model.transcriber, agenda=agenda)
        run_in_background(job, partial(self._done, take, origin),
                          partial(self._failed, take, origin), self.model.pool, context=self)
        return "started"

    def model_ready(self) -> list[tuple[Take, str]]:
        """The model has loaded: score every waiting take; returns them."""
        waiting, self.waiting = self.waiting, []
        for take, origin in waiting:
            self.scoring_ids.discard(take.attempt_id)
            self.score(take, origin)
        return waiting

    def model_failed(self) -> list[tuple[Take, str]]:
        """The model will not load: drop the waiting takes (their audio stays); returns them."""
        waiting, self.waiting = self.waiting, []
        for take, _ in waiting:
            self.scoring_ids.discard(take.attempt_id)
        return waiting

    def _done(self, take: Take, origin: str, result: object) -> None:
        self.scoring_ids.discard(take.attempt_id)
        self.scored.emit(take, origin, result)

    def _failed(self, take: Take, origin: str, exc: Exception) -> None:
        self.scoring_ids.discard(take.attempt_id)
        self.failed.emit(take, origin, exc)


def agenda_type(scenario: Scenario | None) -> str:
    """The kind of call a scenario is (its written agenda's type): discovery by default."""
    return interaction_for_scenario(scenario.interaction if scenario else "discovery")


def written_agenda_for(store: Store, take: Take) -> WrittenAgenda | None:
    """The agenda an agenda take is compared with: the seller's for the call's type."""
    if take.drill.skill != "agenda":
        return None
    kind = agenda_type(take.scenario)
    try:
        text = written_agenda(store, take.seller, kind)
    except StorageError as exc:
        log.warning("Written agenda not read: %s", exc)
        return None
    return WrittenAgenda(kind, text) if text else None
