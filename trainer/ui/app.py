"""Start the desktop app: build the core objects, recover interrupted takes, open the window.

Every expected start-up failure (a malformed drill file, an unusable data folder) becomes one
sentence, in a dialog and on stderr, with exit code 2; never a traceback. Problems that still
leave something useful to do (no PortAudio, no microphone, no speech model) open the window
anyway and say what is missing in its message banner. A damaged practice history is set
aside (renamed, never deleted) and a fresh one started; the banner says where it went.

``TRAINER_SCREENSHOT=path.png`` grabs the window once the speech model has loaded, saves it
and quits (used for the README screenshots).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from trainer.audio.sound import load_sounddevice
from trainer.coaching.practice import recover_unfinished
from trainer.common import paths
from trainer.common.errors import DrillFileError, ModelMissing, NoInputDevice, TrainerError
from trainer.common.settings import load_settings, settings_path
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import LIVE_QUICK, MODEL_ENV, WhisperTranscriber
from trainer.store.database import Store, open_store
from trainer.ui.shell import MainWindow

APP_NAME = "Sales Trainer"
EXIT_START_FAILED = 2
SCREENSHOT_ENV = "TRAINER_SCREENSHOT"
_SCREENSHOT_TIMEOUT_MS = 120_000

log = logging.getLogger(__name__)


def _fail(message: str) -> int:
    print(f"trainer: {message}", file=sys.stderr)
    # Nobody can click a dialog on the offscreen/minimal platforms (tests, CI, screenshots).
    if QGuiApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, APP_NAME, message)
    return EXIT_START_FAILED


def _readable_font(app: QApplication) -> None:
    # Some desktops default to 9 pt; sellers read this at arm's length, so never go below 10.5.
    font = app.font()
    if 0 < font.pointSizeF() < 10.5:
        font.setPointSizeF(10.5)
        app.setFont(font)


def _transcriber(preferred: str) -> tuple[Any, str | None]:
    """The speech model: ``TRAINER_MODEL``, then the remembered one, then the default."""
    chosen = os.environ.get(MODEL_ENV) or preferred or None
    try:
        return WhisperTranscriber(chosen, quick=LIVE_QUICK), None
    except ModelMissing as exc:
        if chosen and chosen == preferred and not os.environ.get(MODEL_ENV):
            try:  # a stale remembered name should not cost the seller their scoring
                return WhisperTranscriber(None, quick=LIVE_QUICK), None
            except ModelMissing:
                pass
        return None, str(exc)


def _arm_screenshot(app: QApplication, window: MainWindow, target: Path) -> None:
    shot = {"taken": False}

    def take() -> None:
        if shot["taken"]:
            return
        shot["taken"] = True
        if not window.grab().save(str(target)):
            print(f"trainer: could not save the screenshot to {target}.", file=sys.stderr)
            app.exit(1)
            return
        app.quit()

    def soon(*_: object) -> None:
        QTimer.singleShot(400, take)  # let the layout settle and the status line repaint

    window.model_ready.connect(soon)
    window.model_failed.connect(soon)
    QTimer.singleShot(_SCREENSHOT_TIMEOUT_MS, take)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the process exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else \
        QApplication(list(sys.argv if argv is None else argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    _readable_font(app)

    store: Store | None = None
    store_note: str | None = None
    try:
        library = DrillLibrary()
        if not library.drills():
            raise DrillFileError(
                f"No drill files were found in {library.folder}; reinstall the app.")
        library.scenarios()  # surface a malformed scenario file now, not mid-practice
        data_dir = paths.data_dir()
        # A damaged history is set aside (never overwritten) and a fresh one started. One app
        # per data folder (exclusive): a second one must not "recover" a take still recording.
        store, store_note = open_store(data_dir / "trainer.sqlite3", exclusive=True)
        if store_note:
            log.warning("%s", store_note)
        recovered = recover_unfinished(store)
    except TrainerError as exc:
        if store is not None:
            store.close()
        return _fail(str(exc))

    settings = load_settings(settings_path(data_dir))
    notes: list[str] = [store_note] if store_note else []
    sound: Any = None
    sound_error: str | None = None
    try:
        sound = load_sounddevice()
    except NoInputDevice as exc:
        sound_error = str(exc)
        notes.append(sound_error)
    transcriber, model_error = _transcriber(settings.model)
    if model_error:
        notes.append(model_error)
    if recovered:
        takes = "take was" if len(recovered) == 1 else "takes were"
        notes.append(f"{len(recovered)} unfinished {takes} recovered after the app closed "
                     "unexpectedly; find them in History, ready to score.")

    window = MainWindow(library, store, sound, transcriber, data_dir, settings=settings,
                        sound_error=sound_error, model_error=model_error,
                        start_on_home=not settings.seller)  # first run: who are you?
    if notes:
        window.show_message(" ".join(notes),
                            "error" if sound_error or model_error or store_note else "info")
    screenshot = os.environ.get(SCREENSHOT_ENV)
    if screenshot:
        _arm_screenshot(app, window, Path(screenshot).expanduser())
    window.show()
    try:
        code = app.exec()
    finally:
        window.close()
        if not window.wait_for_background():
            log.warning("A background task was still running at exit")
        store.close()
    return int(code)
