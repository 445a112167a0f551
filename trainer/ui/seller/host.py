"""What the seller's screens use of the shell, as interfaces (the shell implements them).

The Practice screen needs the shell's devices, its speech model, the remembered settings and
the banner; the mic check a part of that. Typed here, the screens never import the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from trainer.common.settings import Settings
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.guided import Guided
from trainer.ui.shared import Confirm
from trainer.ui.widgets.sellers import SellerDirectory


class MicHost(Protocol):
    """The sound device, where to write a test recording, which microphone."""

    sound: Any
    sound_error: str
    data_dir: Path

    def input_device(self) -> int | None: ...

    def report(self, exc: BaseException) -> None: ...

    def clear_message(self) -> None: ...


class PracticeHost(MicHost, Protocol):
    """The devices, the speech model, the settings, the banner, the seller list."""

    library: DrillLibrary
    store: Store
    sellers: SellerDirectory
    sound: Any
    recorder: Any
    transcriber: Any
    data_dir: Path
    settings: Settings
    confirm: Confirm
    guided: Guided | None
    sound_error: str
    model_error: str

    def show_message(self, text: str, kind: str = "error") -> None: ...

    def clear_message(self) -> None: ...

    def report(self, exc: BaseException) -> None: ...

    def save_choices(self) -> None: ...

    def input_device(self) -> int | None: ...

    def can_stream(self) -> bool: ...

    def show_practice(self) -> None: ...
