"""Typed errors the core raises, each carrying one plain sentence a user can act on.

The UI and the CLI show ``str(error)`` as-is (the CLI exits with code 2), so every message
says what happened and what to do, in one sentence, without jargon or tracebacks.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base class: an expected failure with a user-facing message."""


class NoInputDevice(TrainerError):
    """No microphone is available, or PortAudio itself is missing."""


class NoOutputDevice(TrainerError):
    """No speaker or headphones are available to play a recording back."""


class AudioDeviceError(TrainerError):
    """The sound device failed while opening or during recording."""


class AudioFileError(TrainerError):
    """An audio file is missing, empty, corrupt or in a format we cannot read."""


class SilentRecording(TrainerError):
    """The recording holds no speech we can score (silence, noise or a few words)."""


class ModelMissing(TrainerError):
    """A named transcription model is not installed on this machine."""


class DrillFileError(TrainerError):
    """A drill file is malformed; the message names the file and the key."""


class ScenarioError(TrainerError):
    """A scenario file is missing or malformed; the message names the file and the key."""


class UnknownDrill(TrainerError):
    """A drill id that no drill file defines."""


class EmptyTranscript(TrainerError):
    """A transcript with no words in it cannot be scored."""


class StorageError(TrainerError):
    """The data folder or database cannot be written (full disk, permissions, corruption)."""


class CorruptStore(StorageError):
    """The practice history file is damaged or unreadable (``open_store`` sets it aside).

    ``reason`` keeps SQLite's own words ("file is not a database") for the message that
    tells the user where the damaged file went.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class NoPermission(StorageError):
    """The practice history or its folder cannot be read or written by this user.

    Not damage: the file is left exactly as it is and nothing is set aside.
    """


class DataFolderInUse(StorageError):
    """Another copy of the trainer (the app or a command) is using the same data folder."""


class UnknownSeller(TrainerError):
    """A seller name that has no practice history on this computer."""


# What the seller is told when a take holds too little speech to judge (every screen says it
# the same way).
SILENT_MESSAGE = "We didn't hear you \u2014 check the microphone and try again."
