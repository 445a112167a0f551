"""The real PortAudio path: record a clip played through the sound server.

The clip is played into ``TRAINER_TEST_SINK`` or the default sink and recorded from its
monitor (the ``pulse_loop`` fixture); CI starts a virtual one (``.ci/pulse.sh``). Without a
sound server the test is skipped with what it needs. The no-microphone test runs everywhere:
it points PortAudio at a server that does not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import LIBRIVOX
from tests.pulse import PulseLoop
from trainer.audio.recorder import Recorder
from trainer.audio.sound import NO_MIC_MESSAGE, input_devices, load_sounddevice
from trainer.audio.wavio import read_audio

ROOT = Path(__file__).parent.parent
SOURCE = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"  # 7.1 s, human speech


def envelope(audio: np.ndarray, hop: int = 800) -> np.ndarray:
    n = audio.size // hop
    return np.sqrt(np.mean(np.square(audio[: n * hop].reshape(n, hop)), axis=1))


@pytest.mark.audio
def test_records_a_clip_played_through_the_sound_server(
        tmp_path: Path, pulse_loop: PulseLoop) -> None:
    sound = load_sounddevice()
    assert input_devices(sound), "PulseAudio runs but PortAudio lists no input device"
    recorder = Recorder(sound)
    wav = tmp_path / "take.wav"
    recorder.start(wav)
    try:
        time.sleep(0.3)  # let the stream settle before the "speaker" starts
        pulse_loop.play(SOURCE)
        time.sleep(0.8)
    finally:
        take = recorder.stop()
    assert take.error is None
    recorded = read_audio(wav)
    source = read_audio(SOURCE)
    source_s = source.size / 16000
    assert take.duration_s >= source_s, (take.duration_s, source_s)
    assert take.duration_s <= source_s + 5.0
    # Same loudness envelope, at whatever offset the audio server introduced.
    rec_env, src_env = envelope(recorded), envelope(source)
    best = max(
        float(np.corrcoef(rec_env[lag: lag + src_env.size], src_env)[0, 1])
        for lag in range(0, rec_env.size - src_env.size + 1)
    )
    assert best > 0.85, best
    rms_ratio = np.sqrt(np.mean(recorded**2)) / np.sqrt(np.mean(source**2))
    assert 0.3 < rms_ratio < 1.5


def test_no_audio_server_means_no_microphone_message(tmp_path: Path) -> None:
    """With PortAudio present but nothing to record from, the user gets one sentence."""
    code = (
        "from pathlib import Path\n"
        "from trainer.common.errors import TrainerError\n"
        "from trainer.audio.recorder import Recorder\n"
        "from trainer.audio.sound import load_sounddevice\n"
        "try:\n"
        "    Recorder(load_sounddevice()).start(Path(r'%s'))\n"
        "except TrainerError as exc:\n"
        "    print(type(exc).__name__, exc)\n" % (tmp_path / "x.wav")
    )
    env = dict(os.environ, PULSE_SERVER="unix:/nonexistent/pulse",
               XDG_RUNTIME_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in (
        f"NoInputDevice {NO_MIC_MESSAGE}",
        # a machine without libportaudio2 fails earlier, with the install hint
        "NoInputDevice The audio library PortAudio is missing; install it with "
        "'sudo apt install libportaudio2'.",
    )
