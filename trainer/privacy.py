""""Delete my data": remove one seller's practice history and recordings from this computer.

Everything the app knows about a seller lives in two places: their rows in the store (the
seller, each attempt with its transcript and scorecard) and their WAV files under
``<data folder>/recordings/seller-<id>/``. ``forget_seller`` removes both, and forgets the
name in ``settings.json`` if it was the remembered one. The store zeroes the deleted rows on
disk, so nothing can be undeleted from the database file either.

Files are removed only inside the data folder: a path in the database that points elsewhere
(a data folder that was moved, say) is reported as kept rather than deleted blindly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trainer.errors import StorageError, UnknownSeller
from trainer.settings import load_settings, save_settings, settings_path
from trainer.store import Store


@dataclass(frozen=True)
class ForgetReport:
    """What ``forget_seller`` removed, and anything it had to leave behind."""

    seller: str
    attempts: int
    files_deleted: int
    kept: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the user."""
        takes = "take" if self.attempts == 1 else "takes"
        files = "recording" if self.files_deleted == 1 else "recordings"
        text = (f"Deleted {self.attempts} {takes} and {self.files_deleted} {files} of "
                f"{self.seller} from this computer.")
        if self.kept:
            text = text[:-1] + (f"; {len(self.kept)} file(s) could not be deleted, remove them "
                                f"by hand: {', '.join(str(p) for p in self.kept)}.")
        return text


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def forget_seller(store: Store, data_dir: Path, name: str) -> ForgetReport:
    """Delete everything stored for the seller called ``name`` (any case).

    Raises:
        UnknownSeller: nobody by that name has practised here.
        StorageError: the database could not be changed (nothing was deleted).
    """
    seller = store.find_seller(name)
    if seller is None:
        known = ", ".join(s.name for s in store.sellers()) or "none"
        raise UnknownSeller(
            f"Nobody called '{' '.join(name.split())}' has practised on this computer "
            f"(names on file: {known})."
        )
    attempts = store.attempt_count(seller)
    # Rows first: once they are gone the app no longer lists the takes, and a file that
    # refuses to go is reported below rather than left pointed to by the history.
    audio_paths = store.delete_seller(seller)
    deleted = 0
    kept: list[Path] = []
    for path in dict.fromkeys(audio_paths):
        if not path.exists():
            continue
        if not _inside(path, data_dir):
            kept.append(path)
            continue
        try:
            path.unlink()
            deleted += 1
        except OSError:
            kept.append(path)
    folder = data_dir / "recordings" / f"seller-{seller.id}"
    if folder.is_dir():
        # Leftovers of this seller only (a take abandoned before its row was written); the
        # folder goes too, so a later seller who gets the same id starts empty.
        for path in sorted(folder.rglob("*"), reverse=True):  # children before parents
            try:
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()
                    deleted += 1
            except OSError:
                kept.append(path)
        try:
            folder.rmdir()
        except OSError:
            pass  # something in it could not be deleted; it is listed in ``kept``
    _forget_remembered_name(data_dir, seller.name)
    return ForgetReport(seller.name, attempts, deleted, kept)


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
