"""``trainer.common.settings``: remembered choices survive restarts and never crash the app."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trainer.common.errors import StorageError
from trainer.common.settings import Settings, load_settings, save_settings, settings_path


def test_defaults_when_there_is_no_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "settings.json") == Settings()


def test_round_trip_in_the_data_folder(user_dirs: Path) -> None:
    chosen = Settings(seller="Ana Lopez", drill="agenda", scenario="northwind-finance",
                      model="tiny.en", input_device="USB Mic")
    save_settings(chosen)
    assert settings_path() == user_dirs / "settings.json"
    assert load_settings() == chosen
    assert os.listdir(user_dirs) == ["settings.json"]  # no temporary file left behind


@pytest.mark.parametrize("content", [
    b"{not json", b"", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"null", b'"text"',
])
def test_corrupt_file_gives_defaults(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    assert load_settings(path) == Settings()


def test_wrong_types_and_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"seller": "Bo", "drill": 7, "scenario": None,
                                "colour": "blue"}), encoding="utf-8")
    assert load_settings(path) == Settings(seller="Bo")


def test_save_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{corrupt", encoding="utf-8")
    save_settings(Settings(seller="Bo"), path)
    assert json.loads(path.read_text(encoding="utf-8"))["seller"] == "Bo"


def test_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StorageError, match="Cannot save your settings"):
        save_settings(Settings(seller="Bo"), blocker / "settings.json")


def test_presenter_mode_and_call_type_are_remembered(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(presenter=True, interaction="follow-up"), path)
    assert load_settings(path) == Settings(presenter=True, interaction="follow-up")
    path.write_text(json.dumps({"presenter": "yes", "interaction": 3}), encoding="utf-8")
    assert load_settings(path) == Settings()  # wrong types fall back to the defaults
