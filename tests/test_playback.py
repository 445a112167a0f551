"""``trainer.audio.playback.Player`` against the fake sound device's output stream."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice, PortAudioError
from trainer.audio.playback import NO_SPEAKER_MESSAGE, Player
from trainer.audio.wavio import read_audio, write_wav
from trainer.common.errors import AudioDeviceError, AudioFileError, NoOutputDevice

AGENDA_WAV = SPEECH / "agenda_good.wav"


def wait_until_done(player: Player, sound: FakeSoundDevice) -> None:
    stream = sound.output_streams[-1]
    assert stream._thread is not None
    stream._thread.join(timeout=30)  # the fake's own feeder thread: no sleeping
    assert not player.playing


def test_plays_a_wav_sample_for_sample() -> None:
    sound = FakeSoundDevice(speed=50.0)
    player = Player(sound)
    player.play(AGENDA_WAV)
    assert player.playing
    wait_until_done(player, sound)
    expected = read_audio(AGENDA_WAV)
    played = sound.played_audio()
    np.testing.assert_allclose(played[:expected.size], expected, atol=1e-6)
    assert np.all(played[expected.size:] == 0.0)
    assert player.position_s == pytest.approx(expected.size / 16000)
    assert player.duration_s == pytest.approx(expected.size / 16000)
    player.stop()  # releasing a finished stream is harmless


def test_a_rate_the_device_refuses_is_resampled(tmp_path: Path) -> None:
    sound = FakeSoundDevice(speed=50.0, rates=(48000,))
    tone = np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050).astype(np.float32) * 0.5
    player = Player(sound)
    player.play(tone, samplerate=22050)
    wait_until_done(player, sound)
    assert sound.output_streams[-1].samplerate == 48000
    assert sound.played_audio().size >= 48000  # one second at the device's rate


def test_stop_silences_at_once() -> None:
    sound = FakeSoundDevice(speed=1.0)
    player = Player(sound)
    player.play(AGENDA_WAV)
    player.stop()
    assert not player.playing
    assert player.position_s < 2.0
    assert not sound.output_streams[-1].active


def test_no_speaker_is_one_plain_sentence() -> None:
    player = Player(FakeSoundDevice(outputs=0))
    with pytest.raises(NoOutputDevice) as info:
        player.play(AGENDA_WAV)
    assert str(info.value) == NO_SPEAKER_MESSAGE
    assert not player.playing


def test_a_device_that_refuses_to_open(monkeypatch: pytest.MonkeyPatch) -> None:
    sound = FakeSoundDevice()

    def refuse(**_: object) -> None:
        raise PortAudioError("Device busy [PaErrorCode -9985]")

    monkeypatch.setattr(sound, "OutputStream", refuse)
    player = Player(sound)
    with pytest.raises(AudioDeviceError, match="Could not play the recording"):
        player.play(AGENDA_WAV)
    assert not player.playing


def test_missing_file_is_an_audio_file_error(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError):
        Player(FakeSoundDevice()).play(tmp_path / "gone.wav")


def test_plays_a_short_generated_wav(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    samples = np.linspace(-0.5, 0.5, 8000, dtype=np.float32)
    write_wav(path, samples, 16000)
    sound = FakeSoundDevice(speed=50.0)
    player = Player(sound)
    player.play(path)
    wait_until_done(player, sound)
    np.testing.assert_allclose(sound.played_audio()[:8000], read_audio(path), atol=1e-6)


def test_play_from_a_point_and_seek() -> None:
    sound = FakeSoundDevice(speed=50.0)
    player = Player(sound)
    player.play(AGENDA_WAV, start_s=30.0)
    wait_until_done(player, sound)
    expected = read_audio(AGENDA_WAV)[30 * 16000:]
    played = sound.played_audio()
    np.testing.assert_allclose(played[:expected.size], expected, atol=1e-6)

    slow = FakeSoundDevice(speed=1.0)
    player = Player(slow)
    player.play(AGENDA_WAV)
    player.seek(20.0)
    assert player.position_s >= 20.0
    player.seek(1000.0)  # past the end: clamped, playback ends
    wait_until_done(player, slow)
    assert player.position_s == pytest.approx(player.duration_s)


def test_words_and_quotes_map_to_times() -> None:
    from trainer.audio.playback import quote_start, word_at

    words = [{"word": w, "start": 0.5 * i, "end": 0.5 * i + 0.4}
             for i, w in enumerate("Thanks for making time today. I have us down for "
                                   "thirty minutes, does that still work?".split())]
    assert word_at(words, 0.0) == 0
    assert word_at(words, 1.1) == 2
    assert word_at(words, 99.0) == len(words) - 1
    assert word_at(words[1:], 0.2) is None  # before the first word
    assert quote_start(words, "\u201cI have us down for thirty minutes, does that "
                              "still work?\u201d") == 5
    assert quote_start(words, "...down for thirty minutes...") == 8
    assert quote_start(words, "we should talk about pricing") is None
    assert quote_start([], "anything") is None
