"""How a screen asks the shell for a take it needs, without importing the window.

A manager's certification, a story-hour turn and "practise telling this" in the story library
all need a take recorded and scored exactly as the seller's own practice takes are. They ask
the shell through ``GuidedTakes``: start a ``Guided`` take (the Practice screen comes forward
with the seller, drill and scenario locked and a banner saying what the take is for), hear
``attempt_scored(attempt_id, context)`` when its scorecard is ready, and end it. The shell
implements the protocol; screens depend only on this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QWidget

from trainer.rubric.drills import DrillLibrary


@dataclass(frozen=True)
class Guided:
    """A take another screen asked for (a certification, a story-hour turn...).

    The Practice screen records it like any take, tags the attempt with ``context``, and the
    shell emits ``attempt_scored(attempt_id, context)`` when its scorecard is ready, so that
    screen can take over again.
    """

    seller: str
    drill_id: str
    scenario_id: str | None
    context: str
    label: str


class GuidedTakes(Protocol):
    """What the shell offers the screens that need takes recorded for them."""

    library: DrillLibrary
    guided: Guided | None  # the guided take under way, if any

    @property
    def attempt_scored(self) -> SignalInstance: ...  # (attempt id, context)

    def start_guided_take(self, guided: Guided) -> None:
        """Bring the Practice screen forward for ``guided``; leaves ``guided`` unset when
        the shell refuses (a take is being recorded)."""

    def end_guided_take(self) -> None:
        """Back to plain practice with the seller's own choices."""

    def seller_name(self) -> str:
        """The name on the Practice screen."""

    def show_panel(self, widget: QWidget) -> None:
        """Bring the screen holding ``widget`` to the front."""
