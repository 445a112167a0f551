"""PyInstaller runtime hook: make sounddevice load the PortAudio library bundled with the app.

sounddevice looks PortAudio up with ctypes.util.find_library, which ignores the bundle; point
it at the copy inside sys._MEIPASS when there is one (Linux wheels do not ship PortAudio, so
the build copies the system's libportaudio.so.2 into the bundle).
"""

import ctypes.util
import os
import sys

_bundle = getattr(sys, "_MEIPASS", None)
if _bundle:
    _bundled = os.path.join(_bundle, "libportaudio.so.2")
    if os.path.exists(_bundled):
        _original_find_library = ctypes.util.find_library

        def _find_library(name: str) -> str | None:
            if name in ("portaudio", "portaudio-2", "libportaudio-2"):
                return _bundled
            return _original_find_library(name)

        ctypes.util.find_library = _find_library
