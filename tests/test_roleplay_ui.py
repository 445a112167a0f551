"""The roleplay panel, driven with pytest-qt: a full three-turn roleplay, captions only, keys.

The seller's turns are real speech WAVs (``tests/data/speech/roleplay_*.wav``, espeak-ng)
played through ``FakeSoundDevice`` into the panel's own recorder and live take, transcribed by
the real tiny.en model and scored by the real judge. The buyer speaks with espeak-ng (the
Piper path is tested in test_voice.py). Waiting is on signals or conditions, never a sleep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from tests.conftest import SPEECH
from tests.fakes import FakeSoundDevice
from trainer.audio.wavio import read_audio
from trainer.coaching import roleplay_resume
from trainer.coaching.roleplay import Conversation, load_script
from trainer.common.errors import SILENT_MESSAGE
from trainer.rubric.drills import DrillLibrary
from trainer.speech.transcriber import WhisperTranscriber
from trainer.speech.voice import NO_ENGINE_MESSAGE, Voice, find_engines
from trainer.store.database import Store
from trainer.ui.seller.roleplay import RoleplayPanel
from trainer.ui.seller.roleplay_transcript import conversation_html
from trainer.ui.tasks import SyncPool
from trainer.ui.widgets.common import MessageBanner, ScorecardView

# Offscreen Qt says this when a top-level widget with a splitter is shown; it is harmless.
pytestmark = [pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]
model = pytest.mark.model  # the tests that transcribe with the real tiny.en model
SPEED = 6.0  # the fake microphone and speaker run six times faster than real time
TURNS = [SPEECH / f"roleplay_{name}.wav" for name in ("agenda", "handling", "pricing")]


class Mic:
    """The sound device, re-pointed at the next answer's WAV before each turn."""

    def __init__(self) -> None:
        self.devices = [self._device(None)]

    @staticmethod
    def _device(wav: Path | None) -> FakeSoundDevice:
        # 48 kHz only, like many sound cards: the recorder resamples what it hears to 16 kHz
        # and the player resamples what it plays to 48 kHz, so played samples count seconds.
        return FakeSoundDevice(wav, rates=(48000,), speed=SPEED)

    def use(self, wav: Path | None) -> None:
        self.devices.append(self._device(wav))

    def played_seconds(self) -> float:
        return sum(d.played_audio().size / d.default_rate for d in self.devices)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.devices[-1], name)


def make_panel(qtbot: QtBot, store: Store, mic: Mic, tiny: WhisperTranscriber,
               data_dir: Path, voice: Voice) -> RoleplayPanel:
    panel = RoleplayPanel(store, DrillLibrary(), mic, tiny, SyncPool(), data_dir, voice=voice,
                          seed_source=lambda: 7)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.turns.model_ready, timeout=60000)
    panel.set_seller_name("Ana Lopez")
    panel.select("agenda", "northwind-finance", "friendly")
    return panel


def answer(qtbot: QtBot, panel: RoleplayPanel, mic: Mic, wav: Path | None,
           seconds: float) -> None:
    """Record one answer once the buyer has finished speaking; play it out; stop."""
    player = panel.buyer_voice.player
    assert player is not None
    qtbot.waitUntil(lambda: not player.playing, timeout=60000)
    mic.use(wav)
    with qtbot.waitSignal(panel.recording_started, timeout=5000):
        panel.toggle_recording()
    recorder = panel.turns.recorder
    assert recorder is not None
    qtbot.waitUntil(lambda: recorder.elapsed_s >= seconds + 0.5, timeout=60000)


@model
def test_a_full_roleplay_with_a_speaking_buyer(qtbot: QtBot, store: Store, tmp_path: Path,
                                               tiny: WhisperTranscriber) -> None:
    engines, reason = find_engines("espeak-ng")
    if not engines:
        pytest.skip(f"espeak-ng is not available: {reason}")
    mic = Mic()
    panel = make_panel(qtbot, store, mic, tiny, tmp_path / "data",
                       Voice(engines, tmp_path / "voice", reason))
    assert "espeak-ng" in panel.voice_label.text()
    with qtbot.waitSignal(panel.buyer_spoke, timeout=30000) as opened:
        panel.start_conversation()
    assert opened.args == ["Thanks for making time \u2014 so what did you want to cover?"]
    assert panel.caption.text() == opened.args[0]
    conversation = panel.conversation
    assert conversation is not None and conversation.seed == 7

    latencies: list[float] = []
    panel.reply_started.connect(latencies.append)
    cards: list[dict[str, Any]] = []
    for wav in TURNS:
        answer(qtbot, panel, mic, wav, read_audio(wav).size / 16000)
        with qtbot.waitSignal(panel.turn_scored, timeout=120000) as scored:
            panel.toggle_recording()
        cards.append(scored.args[0])
        if len(cards) < len(TURNS):
            assert not conversation.finished

    # Three turns: the agenda (which missed the time check and the invitation to add
    # topics), then the buyer raised both gaps, one after the other. Each answer is scored on
    # what its line asked for: "I have a hard stop" on the time check, "I also need to
    # understand pricing" as an objection.
    assert conversation.finished
    first = {c["id"]: c["met"] for c in cards[0]["criteria"]}
    assert not first["time_check"] and not first["invite_input"] and first["purpose"]
    # (Which comes first rests on the words heard, and live recognition may differ by a word.)
    reactions = [t.buyer.reaction for t in conversation.turns[1:]]
    assert sorted(r for r in reactions if r) == ["adds_topic", "hard_stop"]
    judged = dict(zip(reactions, cards[1:], strict=True))
    assert judged["hard_stop"]["drill"] == "agenda"
    assert [c["id"] for c in judged["hard_stop"]["criteria"]] == ["time_check"]
    assert judged["adds_topic"]["drill"] == "objection"
    assert {c["id"] for c in judged["adds_topic"]["criteria"]} >= {
        "acknowledges", "clarifies", "responds", "checks"}
    assert cards[0]["drill"] == "agenda"
    assert "logistics team" in conversation.turns[1].transcript.lower()  # what was said
    assert all(c["roleplay"]["seed"] == 7 for c in cards)

    # The conversation scorecard: every turn, with evidence and tips, and the closing line.
    card = panel.transcript.conversation_card
    assert card.isVisible()
    summary = conversation.scorecard()
    assert len(summary["turns"]) == 3 and summary["closing"] is not None
    text = card.toPlainText()
    assert "Just so you know" in text or "pricing today" in text
    assert f"{summary['score']:.0f}/100" in panel.transcript.summary.text()
    assert not panel.record_button.isEnabled()  # finished: start a new one

    # History keeps every turn as a scored attempt of this roleplay.
    attempts = [a for a in store.attempts() if a.context == conversation.context()]
    assert len(attempts) == 3 and {a.status for a in attempts} == {"scored"}
    assert sorted(a.drill_id for a in attempts) == ["agenda", "agenda", "objection"]

    # The buyer was heard, to the end of every line: the opening, two reactions, the closing.
    assert len(latencies) == 3 and all(s < 30 for s in latencies)
    player = panel.buyer_voice.player
    assert player is not None
    qtbot.waitUntil(lambda: not player.playing, timeout=60000)
    spoken = [panel.buyer_voice.buyer_wavs[t.buyer.text] for t in conversation.turns]
    assert conversation.closing is not None
    spoken.append(panel.buyer_voice.buyer_wavs[conversation.closing.text])
    assert len(set(spoken)) == 4
    heard = mic.played_seconds()
    assert heard >= sum(read_audio(w).size / 16000 for w in spoken) - 0.1

    # Replay end to end: buyer lines and the seller's three answers, in turn.
    with qtbot.waitSignal(panel.replay_finished, timeout=120000):
        panel.replay_conversation()
    answers = sum(read_audio(w).size / 16000 for w in TURNS)
    assert mic.played_seconds() - heard >= answers


@model
def test_captions_only_and_a_silent_answer(qtbot: QtBot, store: Store, tmp_path: Path,
                                           tiny: WhisperTranscriber) -> None:
    mic = Mic()
    panel = make_panel(qtbot, store, mic, tiny, tmp_path / "data",
                       Voice([], tmp_path / "voice"))
    assert panel.voice_label.text() == NO_ENGINE_MESSAGE
    with qtbot.waitSignal(panel.buyer_spoke, timeout=5000):
        panel.start_conversation()
    assert panel.caption.text()
    answer(qtbot, panel, mic, None, 2.0)  # the microphone hears nothing
    with qtbot.waitSignal(panel.message_shown, timeout=60000) as shown:
        panel.toggle_recording()
    assert shown.args[0].startswith(SILENT_MESSAGE)
    conversation = panel.conversation
    assert conversation is not None and not conversation.turns  # the buyer still waits
    assert panel.record_button.isEnabled()
    assert mic.played_seconds() == 0.0
    failed = [a for a in store.attempts() if a.context == conversation.context()]
    assert [a.status for a in failed] == ["failed"]


def test_every_action_has_a_scoped_shortcut_and_a_tooltip(qtbot: QtBot, store: Store,
                                                         tmp_path: Path) -> None:
    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"))
    qtbot.addWidget(panel)
    shortcuts = {s.key().toString(): s for s in panel.findChildren(QShortcut)}
    assert set(shortcuts) == {"Space", "Ctrl+Return", "Ctrl+Shift+L", "Ctrl+Shift+M",
                              "Ctrl+Shift+R"}
    assert all(s.context() == Qt.ShortcutContext.WidgetWithChildrenShortcut
               for s in shortcuts.values())
    for button in (panel.start_button, panel.record_button, panel.line_button,
                   panel.mute_button, panel.replay_button):
        assert any(key in button.toolTip() for key in shortcuts), button.toolTip()
    # Without a conversation, or without a name, one sentence and nothing recorded.
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as shown:
        panel.toggle_recording()
    assert shown.args[0] == "Press Start (Ctrl+Return) to begin a roleplay first."
    panel.start_conversation()
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as shown:
        panel.toggle_recording()
    assert shown.args[0].startswith("Type your name first")
    panel.set_seller_name("Ana")
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as shown:
        panel.toggle_recording()
    assert "PortAudio" in shown.args[0]
    assert store.attempts() == []
    panel.set_muted(True)
    assert panel.mute_button.isChecked() and panel.mute_button.text() == "Unmute buyer"


def test_the_conversation_card_escapes_what_was_said() -> None:
    card = {"drill": "agenda", "persona": "busy", "score": 50.0, "closing": None,
            "turns": [{"turn": 1, "buyer": {"text": "<b>hi</b>"}, "transcript": "a < b & c",
                       "rubric": "agenda", "score": 50.0,
                       "criteria": [{"name": "x", "met": True, "evidence": "<i>"},
                                    {"name": "y", "met": False, "tip": "t", "example": "e"}]}]}
    out = conversation_html(card)
    assert "<b>hi</b>" not in out and "&lt;b&gt;hi&lt;/b&gt;" in out
    assert "a &lt; b &amp; c" in out and "\u2717 y: t" in out


def test_the_buyer_is_pitched_the_managers_company_once_set_up(qtbot: QtBot, store: Store,
                                                                tmp_path: Path) -> None:
    from trainer.coaching.company import make_profile, save_company

    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"))
    qtbot.addWidget(panel)
    bundled = panel._scenario()
    assert bundled is not None and bundled.company.get("name") != "Acme Close"
    save_company(store, make_profile(name="Acme Close", offering="month-end close software",
                                     value_points="Close in five days",
                                     differentiators="Flux analysis built in"))
    pitched = panel._scenario()
    assert pitched is not None and pitched.company["name"] == "Acme Close"
    assert pitched.prospect == bundled.prospect  # the buyer stays who they were


# == a roleplay in progress survives a crash (issue 14, section 1) =========================
def _state_files(data_dir: Path) -> list[Path]:
    return roleplay_resume.saved_files(data_dir)


@model
def test_a_roleplay_killed_mid_way_resumes_with_the_same_turns(
        qtbot: QtBot, store: Store, tmp_path: Path, tiny: WhisperTranscriber) -> None:
    data_dir = tmp_path / "data"
    mic = Mic()
    first = make_panel(qtbot, store, mic, tiny, data_dir, Voice([], tmp_path / "voice"))
    with qtbot.waitSignal(first.buyer_spoke, timeout=5000):
        first.start_conversation()
    answer(qtbot, first, mic, TURNS[0], read_audio(TURNS[0]).size / 16000)
    with qtbot.waitSignal(first.turn_scored, timeout=120000):
        first.toggle_recording()
    before = first.conversation
    assert before is not None and len(before.turns) == 1 and not before.finished
    assert len(_state_files(data_dir)) == 1  # saved after the turn

    # The crash: the panel goes away without the roleplay ending (no shutdown, no finish).
    first.hide()
    del first

    mic2 = Mic()
    second = RoleplayPanel(store, DrillLibrary(), mic2, tiny, SyncPool(), data_dir,
                           voice=Voice([], tmp_path / "voice2"), seed_source=lambda: 99)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.resume_offered, timeout=5000) as offered:
        second.show()
    assert offered.args == ["Resume the roleplay you were in (turn 2 of 3 with Dana Ruiz)?"]
    assert second.resume_bar.isVisible() and second.resume_button.isVisible()
    qtbot.waitUntil(lambda: second.turns.model_ready, timeout=60000)
    with qtbot.waitSignal(second.conversation_resumed, timeout=5000):
        qtbot.mouseClick(second.resume_button, Qt.MouseButton.LeftButton)
    after = second.conversation
    assert after is not None and after.id == before.id and after.seed == 7
    assert [(t.buyer, t.rubric, t.transcript, t.card) for t in after.turns] == [
        (t.buyer, t.rubric, t.transcript, t.card) for t in before.turns]
    assert after.current == before.current
    assert second.name_edit.text() == "Ana Lopez"
    assert second.caption.text() == before.current.text
    assert second.transcript.chat.count() == 3  # the opening, the answer, the buyer's waiting line
    assert not second.resume_bar.isVisible() and second.record_button.isEnabled()

    # Carry on to the end: the file goes once the roleplay has ended.
    while not after.finished:
        wav = TURNS[len(after.turns) % len(TURNS)]
        answer(qtbot, second, mic2, wav, read_audio(wav).size / 16000)
        with qtbot.waitSignal(second.turn_scored, timeout=120000):
            second.toggle_recording()
        if not after.finished:
            assert len(_state_files(data_dir)) == 1
    assert _state_files(data_dir) == []
    attempts = [a for a in store.attempts() if a.context == after.context()]
    assert len(attempts) == len(after.turns) and {a.status for a in attempts} == {"scored"}


def _saved_roleplay(store: Store, data_dir: Path, seller: str = "Ana Lopez",
                    prospect_name: str | None = None) -> Conversation:
    library = DrillLibrary()
    scenario = library.scenario("northwind-finance")
    if prospect_name is not None:
        from dataclasses import replace

        prospect = {**scenario.prospect, "name": prospect_name}
        scenario = replace(scenario, prospect=prospect,
                           raw={**scenario.raw, "prospect": prospect})
    conversation = Conversation(library, load_script(library), library.drill("agenda"),
                                scenario, "friendly", seed=3, conversation_id="c-3")
    conversation.respond("The purpose of today is to see how your month-end close runs.")
    roleplay_resume.save(data_dir, store.seller(seller), conversation, [(None, None)])
    return conversation


def test_a_saved_roleplay_can_be_discarded(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    _saved_roleplay(store, tmp_path)
    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"), seller_name="Ben Carter")
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.resume_bar.isVisible()  # Ben's roleplay? there is none: Ana's is hers
    with qtbot.waitSignal(panel.resume_offered, timeout=1000):
        panel.set_seller_name("Ana Lopez")
    assert panel.resume_bar.isVisible()
    qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    assert not panel.resume_bar.isVisible() and _state_files(tmp_path) == []
    assert panel.conversation is None


def test_starting_over_abandons_the_resumed_roleplay(qtbot: QtBot, store: Store,
                                                     tmp_path: Path) -> None:
    _saved_roleplay(store, tmp_path)
    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"), seller_name="Ana Lopez")
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.conversation_resumed, timeout=1000):
        panel.resume()
    assert len(_state_files(tmp_path)) == 1
    panel.start_conversation()  # a new roleplay instead: the old one is abandoned
    assert _state_files(tmp_path) == [] and panel.conversation is not None
    assert not panel.conversation.turns


def test_a_damaged_saved_roleplay_is_said_in_one_sentence(qtbot: QtBot, store: Store,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "in_progress"
    folder.mkdir()
    (folder / "roleplay-x.json").write_bytes(b'{"format": "trainer.roleplay-in-prog')
    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as shown:
        panel.show()
    assert shown.args[0].startswith("The roleplay you were in could not be read (the file is "
                                    "damaged), so it was set aside as ")
    assert not panel.resume_bar.isVisible()
    assert [p.name.split(".damaged-")[0] for p in folder.iterdir()] == ["roleplay-x.json"]


# == user text is plain text (issue 14, section 4) =========================================
HOSTILE = "<img src=x><a href='http://x.example'>Ana</a><h1>big</h1>"


def _own_labels(panel: RoleplayPanel) -> list[QLabel]:
    """The panel's labels, not those of shared widgets (their owners test them)."""
    def shared(label: QWidget) -> bool:
        parent = label.parentWidget()
        while parent is not None and parent is not panel:
            if isinstance(parent, (ScorecardView, MessageBanner)):
                return True
            parent = parent.parentWidget()
        return False
    return [label for label in panel.findChildren(QLabel) if not shared(label)]


def test_every_label_shows_user_text_as_plain_text(qtbot: QtBot, store: Store,
                                                   tmp_path: Path) -> None:
    _saved_roleplay(store, tmp_path, seller=HOSTILE, prospect_name=HOSTILE)
    panel = RoleplayPanel(store, DrillLibrary(), None, None, SyncPool(), tmp_path,
                          voice=Voice([], tmp_path / "voice"), seller_name=HOSTILE)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.resume_offered, timeout=1000):
        panel.show()
    assert panel.resume_label.text() == (
        f"Resume the roleplay you were in (turn 2 of 3 with {HOSTILE})?")
    with qtbot.waitSignal(panel.conversation_resumed, timeout=1000):
        panel.resume()
    panel.live_label.setText(HOSTILE)  # a transcript as it is heard
    labels = _own_labels(panel)
    assert {panel.caption, panel.live_label, panel.transcript.summary, panel.voice_label,
            panel.resume_label, panel.elapsed} <= set(labels)
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    assert panel.name_edit.text() == HOSTILE
