"""A few remembered choices (who practises, which drill, which model and microphone, presenter
mode, the agenda's call type), as JSON.

It also remembers that the privacy note (where audio is kept) was shown, so it appears once,
before the first recording, and not again.

The file lives beside the practice history (``<data folder>/settings.json``). It is a
convenience, never a source of truth: a missing, unreadable or corrupt file gives the
defaults, unknown keys are ignored, and a value of the wrong type falls back to its default.
Writes go to a temporary file that replaces the old one, so a crash mid-write leaves either
the old settings or the new ones, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from trainer.common import paths
from trainer.common.errors import StorageError

SETTINGS_FILE = "settings.json"


@dataclass
class Settings:
    """What the app restores on start; an empty string means "not chosen yet"."""

    seller: str = ""
    drill: str = ""
    scenario: str = ""
    model: str = ""
    input_device: str = ""
    privacy_note_seen: bool = False
    # Presenter mode: the whole window's type ~1.6x larger, for a meeting-room screen.
    presenter: bool = False
    # The call type whose written agenda agenda takes are compared with ("discovery"...).
    interaction: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Settings:
        """Build settings from parsed JSON, keeping known keys whose value has the right type."""
        if not isinstance(data, dict):
            return cls()
        defaults = cls()
        kinds = {f.name: type(getattr(defaults, f.name)) for f in fields(cls)}
        # ``type(v) is kind``, not isinstance: JSON's true/false must not pass for text or
        # numbers, nor 1/0 for a yes/no.
        return cls(**{k: v for k, v in data.items() if k in kinds and type(v) is kinds[k]})

    def to_json(self) -> dict[str, str | bool]:
        return asdict(self)


def settings_path(data_dir: Path | None = None) -> Path:
    """``settings.json`` in ``data_dir`` (default: the user's data folder)."""
    return (data_dir if data_dir is not None else paths.data_dir()) / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings; any problem with the file gives the defaults instead of an error."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        # Missing, unreadable or corrupt: settings are only a convenience, so start fresh.
        return Settings()
    return Settings.from_json(data)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings atomically.

    Raises:
        StorageError: the data folder cannot be written.
    """
    path = path or settings_path()
    tmp_name: str | None = None
    try:
        paths.ensure_private_dir(path.parent)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                         prefix=".settings-", suffix=".tmp",
                                         delete=False) as tmp:
            tmp_name = tmp.name
            json.dump(settings.to_json(), tmp, indent=2, ensure_ascii=False)
            tmp.write("\n")
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise StorageError(
            f"Cannot save your settings in {path.parent} ({exc.strerror or exc}); "
            "check free disk space and permissions."
        ) from exc
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
