""""Delete my data" in the app offers to delete the damaged copies set aside earlier (issue 14)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.windows import Answers, close_windows, ready_window
from trainer.coaching.practice import attempt_audio_path
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.shell import MainWindow
from trainer.ui.tasks import SyncPool


@pytest.fixture
def windows() -> Iterator[list[MainWindow]]:
    opened: list[MainWindow] = []
    yield opened
    close_windows(opened)


def _history_with_a_copy(store: Store, data_dir: Path) -> tuple[Path, Path]:
    seller = store.seller("Ana Lopez")
    wav = attempt_audio_path(data_dir, seller, "agenda")
    wav.parent.mkdir(parents=True)
    shutil.copyfile(SPEECH / "agenda_weak.wav", wav)
    store.mark_recorded(store.begin_attempt(seller, "agenda", None, None, wav), 13.6)
    copy = store.path.with_name("trainer.damaged-20250101-090000.sqlite3")
    copy.write_bytes(b"an older history, with her transcripts in it")
    return wav, copy


@pytest.mark.parametrize("delete_copies", [True, False])
def test_delete_my_data_asks_about_the_damaged_copies(qtbot: QtBot, store: Store,
                                                      user_dirs: Path,
                                                      windows: list[MainWindow],
                                                      delete_copies: bool) -> None:
    wav, copy = _history_with_a_copy(store, user_dirs)
    answers = Answers(True, delete_copies)
    window = MainWindow(DrillLibrary(), store, None, None, user_dirs, pool=SyncPool(),
                        confirm=answers)
    windows.append(window)
    ready_window(qtbot, window, "Ana Lopez", wait_for_model=False)
    window.screens.setCurrentIndex(1)
    with qtbot.waitSignal(window.message_shown, timeout=5000) as blocker:
        qtbot.mouseClick(window.history.forget_button, Qt.MouseButton.LeftButton)
    (_, _, first_label, _), (title, text, label, destructive) = answers.asked
    assert first_label == "Delete"
    assert (title, label, destructive) == ("Delete my data", "Delete them too", True)
    assert f"may still hold Ana Lopez's transcripts: {copy}." in text
    assert "other sellers' history" in text
    assert not wav.exists() and store.find_seller("Ana Lopez") is None
    assert copy.exists() is not delete_copies
    if delete_copies:
        assert "Deleted 1 damaged copy(ies)" in blocker.args[0]
    else:
        assert f"may still hold their transcripts: {copy}." in blocker.args[0]


def test_no_question_without_damaged_copies(qtbot: QtBot, store: Store, user_dirs: Path,
                                            windows: list[MainWindow]) -> None:
    _, copy = _history_with_a_copy(store, user_dirs)
    copy.unlink()
    answers = Answers()
    window = MainWindow(DrillLibrary(), store, None, None, user_dirs, pool=SyncPool(),
                        confirm=answers)
    windows.append(window)
    ready_window(qtbot, window, "Ana Lopez", wait_for_model=False)
    window.screens.setCurrentIndex(1)
    with qtbot.waitSignal(window.message_shown, timeout=5000):
        qtbot.mouseClick(window.history.forget_button, Qt.MouseButton.LeftButton)
    assert len(answers.asked) == 1
