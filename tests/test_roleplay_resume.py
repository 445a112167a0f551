"""A roleplay in progress survives a crash: atomic state files, set-aside damage, the replay.

The conversation is the real engine with the real conversations file; its answers are scored
by the real judge (cue patterns only, no sentence model: the round trip is what is tested
here, not the judge). Files are real files in ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from trainer.coaching import roleplay_resume
from trainer.coaching.roleplay import Conversation, Script, load_script
from trainer.common.errors import StorageError
from trainer.rubric.drills import DrillLibrary
from trainer.store import inprogress
from trainer.store.database import Seller
from trainer.store.inprogress import DamagedFile, read_json_or_set_aside, write_json_atomic

AGENDA = ("The purpose of today is to understand how your month-end close runs. I'd like to "
          "cover three things: your process, the reconciliations, and how other teams "
          "automated it.")
HANDLING = ("That's a fair point. Can I ask what matters most to you today? One logistics team "
            "went from eleven days to five. Does that help?")
ANA = Seller(1, "Ana Lopez")


@pytest.fixture(scope="module")
def library() -> DrillLibrary:
    return DrillLibrary()


@pytest.fixture(scope="module")
def script(library: DrillLibrary) -> Script:
    return load_script(library)


def conversation(library: DrillLibrary, script: Script, scenario: str = "mercy-health",
                 persona: str = "skeptical") -> Conversation:
    return Conversation(library, script, library.drill("agenda"), library.scenario(scenario),
                        persona, seed=11, conversation_id="20250102-093000-11")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# == the atomic file =====================================================================
def test_a_state_file_is_written_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "in_progress" / "x.json"
    write_json_atomic(path, {"turns": [1, 2], "name": "Zoë"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"turns": [1, 2], "name": "Zoë"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    write_json_atomic(path, {"turns": [1, 2, 3]})
    assert read_json_or_set_aside(path) == {"turns": [1, 2, 3]}
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]  # no temp files left


def test_a_crash_mid_write_leaves_the_previous_state(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.json"
    write_json_atomic(path, {"turn": 1})

    def power_cut(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inprogress.os, "replace", power_cut)
    with pytest.raises(StorageError, match=r"Cannot save your work in progress in .*No space"):
        write_json_atomic(path, {"turn": 2})
    assert read_json_or_set_aside(path) == {"turn": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize("content", [
    b'{"format": "trainer.roleplay-in-progress", "turns": [{"buyer": "Hi', b"\x00\xff\xfe garbage",
    b"", b"[" * 200_000])
def test_a_damaged_file_is_set_aside_whole_in_one_sentence(tmp_path: Path,
                                                          content: bytes) -> None:
    path = tmp_path / "roleplay-x.json"
    path.write_bytes(content)
    before = digest(path)
    with pytest.raises(DamagedFile) as caught:
        read_json_or_set_aside(path, "The roleplay you were in", clock=lambda: 0.0)
    message = str(caught.value)
    assert message.startswith("The roleplay you were in could not be read (the file is "
                              "damaged), so it was set aside as ")
    assert message.count(".") >= 1 and "\n" not in message and "Traceback" not in message
    moved = caught.value.moved
    assert moved is not None and not path.exists()
    assert moved.name.startswith("roleplay-x.json.damaged-") and digest(moved) == before
    assert str(moved) in message


def test_an_unreadable_file_is_not_damage_and_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "roleplay-x.json"
    path.write_text("{}")

    def denied(*args: Any, **kwargs: Any) -> Any:  # as for a file owned by someone else
        raise PermissionError(13, "Permission denied")

    # Not chmod 000: root reads it anyway, and the suite also runs as root in containers.
    monkeypatch.setattr(inprogress, "open", denied, raising=False)
    with pytest.raises(StorageError, match=r"cannot be read from .*Permission denied.*check "
                                           r"the folder's permissions"):
        read_json_or_set_aside(path, "The roleplay you were in")
    assert path.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_fifo_is_set_aside_without_being_opened(tmp_path: Path) -> None:
    path = tmp_path / "roleplay-x.json"
    os.mkfifo(path)
    with pytest.raises(DamagedFile, match=r"\(it is not a regular file\)"):
        read_json_or_set_aside(path, "The roleplay you were in")  # would hang if opened
    assert not path.exists()


def test_a_missing_file_is_nothing_to_resume(tmp_path: Path) -> None:
    assert read_json_or_set_aside(tmp_path / "nope.json") is None
    inprogress.remove(tmp_path / "nope.json")  # missing is fine


# == the roleplay round trip =============================================================
def test_a_roleplay_round_trips_and_carries_on_as_it_would_have(
        tmp_path: Path, library: DrillLibrary, script: Script) -> None:
    original = conversation(library, script)
    original.respond(AGENDA)
    original.respond(HANDLING)
    assert not original.finished and len(original.turns) == 2
    takes = [(7, tmp_path / "a.wav"), (8, None)]
    path = roleplay_resume.save(tmp_path, ANA, original, takes,
                                {original.opening.text: tmp_path / "o.wav"})
    assert path.parent == tmp_path / "in_progress" and path.name.startswith("roleplay-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    saved, messages = roleplay_resume.find(tmp_path, "  Ana   Lopez ")
    assert messages == [] and saved is not None
    assert saved.question() == ("Resume the roleplay you were in (turn 3 of 4 with Priya "
                                "Shah)?")
    assert [t.attempt_id for t in saved.turns] == [7, 8]
    assert [t.audio for t in saved.turns] == [str(tmp_path / "a.wav"), None]
    assert saved.buyer_audio == {original.opening.text: str(tmp_path / "o.wav")}

    resumed = roleplay_resume.restore(saved, library, script)
    assert resumed.id == original.id and resumed.seed == original.seed
    assert resumed.scenario == original.scenario
    assert [(t.buyer, t.rubric, t.transcript, t.card) for t in resumed.turns] == [
        (t.buyer, t.rubric, t.transcript, t.card) for t in original.turns]
    assert resumed.current == original.current
    # Carrying on: the same answer gets the same reaction in both.
    assert resumed.respond(HANDLING) == original.respond(HANDLING)
    assert resumed.scorecard() == original.scorecard()
    assert path.exists()  # the file is the caller's to clear when the roleplay ends
    roleplay_resume.clear(path)
    assert roleplay_resume.find(tmp_path, "Ana Lopez") == (None, [])


def test_each_seller_is_offered_their_own(tmp_path: Path, library: DrillLibrary,
                                          script: Script) -> None:
    clock = iter([100.0, 200.0])
    for seller, scenario in ((ANA, "mercy-health"), (Seller(1, "Ben Carter"),
                                                     "northwind-finance")):
        conv = conversation(library, script, scenario)
        conv.respond(AGENDA)
        roleplay_resume.save(tmp_path, seller, conv, [(1, None)], clock=lambda: next(clock))
    # Same id (a fresh history restarts ids), different people: two files, nothing shared.
    assert len(roleplay_resume.saved_files(tmp_path)) == 2
    ana, _ = roleplay_resume.find(tmp_path, "Ana Lopez")
    ben, _ = roleplay_resume.find(tmp_path, "Ben Carter")
    assert ana is not None and ana.prospect == "Priya Shah"
    assert ben is not None and ben.seller_name == "Ben Carter" and ana.path != ben.path
    assert roleplay_resume.find(tmp_path, "Cleo")[0] is None
    newest, _ = roleplay_resume.find(tmp_path)  # no name yet: the latest one
    assert newest is not None and newest.seller_name == "Ben Carter"


def test_the_file_is_named_by_the_sellers_stable_uid_when_there_is_one(tmp_path: Path) -> None:
    class WithUid:
        id, name, uid = 1, "Ana Lopez", "9f86d081884c7d659a2feaa0c55ad015"

    path = roleplay_resume.state_path(tmp_path, WithUid())  # type: ignore[arg-type]
    assert path.name == "roleplay-9f86d081884c7d659a2feaa0c55ad015.json"
    assert roleplay_resume.state_path(tmp_path, Seller(1, "<img src=x>")).name.startswith(
        "roleplay-n")


def test_a_truncated_state_file_is_set_aside_and_said(tmp_path: Path, library: DrillLibrary,
                                                      script: Script) -> None:
    conv = conversation(library, script)
    conv.respond(AGENDA)
    path = roleplay_resume.save(tmp_path, ANA, conv, [(1, None)])
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # the write a crash cut short (pre-atomic)
    cut = digest(path)
    saved, messages = roleplay_resume.find(tmp_path, "Ana Lopez")
    assert saved is None and len(messages) == 1
    assert messages[0].startswith("The roleplay you were in could not be read (the file is "
                                  "damaged), so it was set aside as ")
    aside = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and digest(aside[0]) == cut and not path.exists()
    assert roleplay_resume.find(tmp_path, "Ana Lopez") == (None, [])  # said once


def test_json_that_is_not_a_saved_roleplay_is_set_aside(tmp_path: Path) -> None:
    folder = tmp_path / "in_progress"
    folder.mkdir()
    (folder / "roleplay-x.json").write_text(json.dumps({"format": "something else"}))
    (folder / "roleplay-y.json").write_text(json.dumps({
        "format": roleplay_resume.FORMAT, "version": 1, "saved_at": 1.0,
        "seller": {"name": "Ana"}, "conversation": {"id": "c", "drill": "agenda"},
        "turns": [{"buyer": "Hi.", "transcript": "Hello.", "card": {}}]}))
    saved, messages = roleplay_resume.find(tmp_path, "Ana")
    assert saved is None
    assert sorted(messages) == [
        f"The roleplay you were in could not be read (it is not a saved roleplay: key "
        f"'{key}'), so it was set aside as {folder / name}.damaged-{stamp}."
        for key, name, stamp in (("format", "roleplay-x.json", _stamp(folder, "x")),
                                 ("persona", "roleplay-y.json", _stamp(folder, "y")))]


def _stamp(folder: Path, which: str) -> str:
    moved = next(folder.glob(f"roleplay-{which}.json.damaged-*"))
    return moved.name.split(".damaged-")[1]


def test_a_conversation_that_no_longer_replays_is_set_aside(
        tmp_path: Path, library: DrillLibrary, script: Script) -> None:
    conv = conversation(library, script)
    conv.respond(AGENDA)
    path = roleplay_resume.save(tmp_path, ANA, conv, [(1, None)])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"][0]["buyer"] = "A line the conversations file no longer has."
    path.write_text(json.dumps(data), encoding="utf-8")
    saved, _ = roleplay_resume.find(tmp_path, "Ana Lopez")
    assert saved is not None
    with pytest.raises(DamagedFile) as caught:
        roleplay_resume.restore(saved, library, script)
    assert str(caught.value).startswith(
        "The roleplay you were in could not be resumed (the buyer's lines have changed since "
        "it was saved), so it was set aside as ")
    assert str(caught.value).endswith("Its turns are still in your history.")
    assert caught.value.moved is not None and json.loads(
        caught.value.moved.read_text(encoding="utf-8")) == data
    data["conversation"]["persona"] = "grumpy"
    path.write_text(json.dumps(data), encoding="utf-8")
    saved, _ = roleplay_resume.find(tmp_path, "Ana Lopez")
    assert saved is not None
    with pytest.raises(DamagedFile, match=r"could not be resumed \(No buyer persona called "
                                          r"'grumpy'"):
        roleplay_resume.restore(saved, library, script)
