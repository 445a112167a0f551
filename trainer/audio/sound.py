"""Access to the sound system (PortAudio through ``sounddevice``), with errors people can act on.

``sounddevice`` is imported lazily because importing it without the PortAudio library raises
``OSError``; callers get ``NoInputDevice`` with an install hint instead. Everything else takes
the module as a constructor argument so tests can hand in a fake of the same shape.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from trainer.common.errors import AudioDeviceError, NoInputDevice

NO_MIC_MESSAGE = (
    "No microphone was found; plug one in (or enable it in your system's sound settings) "
    "and try again."
)


def load_sounddevice() -> Any:
    """Import ``sounddevice``, turning a missing PortAudio library into ``NoInputDevice``."""
    try:
        import sounddevice
    except OSError as exc:
        hint = (
            "install it with 'sudo apt install libportaudio2'"
            if sys.platform.startswith("linux") else "reinstall the app"
        )
        raise NoInputDevice(f"The audio library PortAudio is missing; {hint}.") from exc
    return sounddevice


def is_portaudio_error(sound: Any, exc: BaseException) -> bool:
    error_type = getattr(sound, "PortAudioError", None)
    return isinstance(error_type, type) and isinstance(exc, error_type)


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_samplerate: float
    is_default: bool


def input_devices(sound: Any) -> list[InputDevice]:
    """The devices that can record, default first. Empty when none (or no audio server)."""
    try:
        devices = sound.query_devices()
        default = sound.default.device[0] if sound.default.device else -1
    except Exception as exc:
        if is_portaudio_error(sound, exc):
            return []
        raise
    found = []
    for index, info in enumerate(devices):
        if int(info.get("max_input_channels", 0)) > 0:
            found.append(InputDevice(index, str(info["name"]), int(info["max_input_channels"]),
                                     float(info["default_samplerate"]), index == default))
    found.sort(key=lambda d: not d.is_default)
    return found


def describe_device_error(exc: BaseException, action: str = "open the microphone") -> str:
    text = str(exc)
    if "Error querying device -1" in text or "No Default Input Device" in text or \
            "Invalid device" in text or "device unavailable" in text.lower():
        return NO_MIC_MESSAGE
    return (
        f"Could not {action} ({text.strip() or type(exc).__name__}); check that no other app "
        "is using it and try again."
    )


def as_device_error(sound: Any, exc: BaseException, action: str = "open the microphone"
                    ) -> AudioDeviceError | NoInputDevice:
    message = describe_device_error(exc, action)
    return NoInputDevice(message) if message == NO_MIC_MESSAGE else AudioDeviceError(message)
