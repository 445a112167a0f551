""""Delete my data": remove one seller's practice history and recordings from this computer.

Everything the app knows about a seller lives in their rows in the store (the seller, each
attempt with its transcript and scorecard, their stories, card rounds, story-hour turns and the
ratings they gave) and their WAV files. ``forget_seller`` removes both, and forgets the name in
``settings.json`` if it was the remembered one. The store zeroes the deleted rows on disk, so
nothing can be undeleted from the database file either.

Which files go: those the seller's rows refer to (and no other row does), and whatever is in
their own folder, ``recordings/seller-<uid>``, named by the random id in their row (spoken
card answers, a take abandoned before its row was written). Nothing else: an old-style
``seller-<id>`` folder may also hold the recordings of a seller from a history set aside
earlier, who had the same id, so it is removed only once empty, and a path outside the data
folder (a data folder that was moved, say) is reported as kept rather than deleted blindly.

Damaged copies of the history set aside earlier (``*.damaged-*.sqlite3``) may still hold the
seller's transcripts; they hold everyone else's too, so they are deleted only when asked.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from trainer.common.errors import StorageError, UnknownSeller
from trainer.common.settings import load_settings, save_settings, settings_path
from trainer.store.database import Store
from trainer.store.datafolder import damaged_copies, delete_copy


@dataclass(frozen=True)
class ForgetReport:
    """What ``forget_seller`` removed, and anything it had to leave behind.

    Attributes:
        kept: files that could not be deleted (or lie outside the data folder).
        shared_folders: old-style folders their takes were in that still hold other files.
        damaged_copies: set-aside copies of the history still on disk.
        copies_deleted: set-aside copies deleted at the seller's request.
    """

    seller: str
    attempts: int
    files_deleted: int
    kept: list[Path] = field(default_factory=list)
    shared_folders: list[Path] = field(default_factory=list)
    damaged_copies: list[Path] = field(default_factory=list)
    copies_deleted: int = 0

    def summary(self) -> str:
        """What was done, for the user: one sentence, and one more for each thing left."""
        takes = "take" if self.attempts == 1 else "takes"
        files = "recording" if self.files_deleted == 1 else "recordings"
        text = (f"Deleted {self.attempts} {takes} and {self.files_deleted} {files} of "
                f"{self.seller} from this computer.")
        if self.kept:
            text = text[:-1] + (f"; {len(self.kept)} file(s) could not be deleted, remove them "
                                f"by hand: {', '.join(str(p) for p in self.kept)}.")
        if self.copies_deleted:
            text += (f" Deleted {self.copies_deleted} damaged copy(ies) of the practice "
                     "history set aside earlier.")
        if self.shared_folders:
            text += (f" {_listed(self.shared_folders)} still hold(s) recordings none of their "
                     "takes refers to (they may be another seller's, from a history set aside "
                     "earlier), so it was left; look through it by hand.")
        if self.damaged_copies:
            text += (f" {len(self.damaged_copies)} damaged copy(ies) of the practice history, "
                     f"set aside earlier, may still hold their transcripts: "
                     f"{_listed(self.damaged_copies)}.")
        return text


def _listed(items: list[Path]) -> str:
    return ", ".join(str(p) for p in items)


def damaged_copies_question(copies: list[Path], seller: str) -> str:
    """The question to ask before deleting the set-aside copies that may hold ``seller``'s
    transcripts."""
    return (f"{len(copies)} damaged copy(ies) of the practice history, set aside earlier, may "
            f"still hold {seller}'s transcripts: {_listed(copies)}. They hold the other "
            "sellers' history from that time too. Delete them as well?")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _unknown(store: Store, name: str) -> UnknownSeller:
    """No seller of that name; a typo of one name on file is pointed out, nothing more
    (listing the names would tell anyone at the keyboard who practises here)."""
    clean = " ".join(name.split())
    names = {s.name.casefold(): s.name for s in store.sellers()}
    close = difflib.get_close_matches(clean.casefold(), list(names), n=2, cutoff=0.85)
    hint = f"; did you mean '{names[close[0]]}'?" if len(close) == 1 else "."
    return UnknownSeller(f"Nobody called '{clean}' has practised on this computer{hint}")


def forget_seller(store: Store, data_dir: Path, name: str, *,
                  include_damaged_copies: bool = False) -> ForgetReport:
    """Delete everything stored for the seller called ``name`` (any case).

    Args:
        include_damaged_copies: also delete the set-aside damaged copies of the history
            beside the store (they hold every seller's older history).

    Raises:
        UnknownSeller: nobody by that name has practised here.
        StorageError: the database could not be changed (nothing was deleted).
    """
    seller = store.find_seller(name)
    if seller is None:
        raise _unknown(store, name)
    attempts = store.attempt_count(seller)
    # Rows first: once they are gone the app no longer lists the takes, and a file that
    # refuses to go is reported below rather than left pointed to by the history.
    audio_paths = store.delete_seller(seller)
    deleted = 0
    kept: list[Path] = []
    for path in dict.fromkeys(audio_paths):
        if not _inside(path, data_dir):
            if path.exists():
                kept.append(path)
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        except OSError:
            kept.append(path)
    recordings = data_dir / "recordings"
    own = recordings / seller.folder if seller.uid else None
    if own is not None and own.is_dir() and not own.is_symlink():
        # Named by the random id in their row, so all of it is theirs.
        gone, stuck = _empty_folder(own)
        deleted += gone
        kept.extend(stuck)
    shared: list[Path] = []
    for folder in dict.fromkeys(p.parent for p in audio_paths):
        if folder == own or folder == recordings or not _inside(folder, recordings):
            continue
        try:
            folder.rmdir()  # only once empty: it may hold another seller's recordings
        except FileNotFoundError:
            pass
        except OSError:
            if folder.is_dir():
                shared.append(folder)
    copies = damaged_copies(store.path)
    copies_deleted = 0
    if include_damaged_copies:
        for copy in copies:
            stuck = delete_copy(copy)
            kept.extend(stuck)
            copies_deleted += not stuck
        copies = damaged_copies(store.path)
    _forget_remembered_name(data_dir, seller.name)
    return ForgetReport(seller.name, attempts, deleted, kept, shared, copies, copies_deleted)


def _empty_folder(folder: Path) -> tuple[int, list[Path]]:
    """Delete everything in ``folder`` and the folder; (files deleted, paths that stayed).

    Symbolic links are removed, never followed.
    """
    deleted = 0
    stuck: list[Path] = []
    for root, dirs, files in os.walk(folder, topdown=False):
        for entry in files:
            try:
                Path(root, entry).unlink()
                deleted += 1
            except OSError:
                stuck.append(Path(root, entry))
        for entry in dirs:
            child = Path(root, entry)
            try:
                child.unlink() if child.is_symlink() else child.rmdir()
            except OSError:
                pass  # something in it could not be deleted; it is listed in ``stuck``
    try:
        folder.rmdir()
    except OSError:
        pass
    return deleted, stuck


def _forget_remembered_name(data_dir: Path, name: str) -> None:
    path = settings_path(data_dir)
    settings = load_settings(path)
    if settings.seller.casefold() != name.casefold():
        return
    settings.seller = ""
    try:
        save_settings(settings, path)
    except StorageError:
        pass  # the name in settings is a convenience; the history itself is already gone


def privacy_note(data_dir: Path) -> str:
    """The note shown once, before the first recording: what is kept, where, and for whom."""
    return (
        "Your practice takes are recorded, transcribed and scored on this computer only; "
        "nothing is sent over the Internet. The audio is kept in "
        f"{data_dir / 'recordings'} and your scores in {data_dir}. You can delete your "
        "recordings and history at any time with \u201cDelete my data\u201d on the History tab."
    )
