"""The team's story library: client stories sellers can find and practise telling.

Two kinds of story live here. A manager's *approved* stories (typed in once, with the
industry, role and pain they fit) feed the scenarios and the certification drill; the best
stories from a *story hour* are saved with the teller, the attempt, its transcript and audio.
Sellers search both by industry, role, pain or any word of the text.

Rows are in the ``stories`` table (schema v2 of ``trainer.store``); a story-hour story goes
with its teller when the seller is deleted, an approved story has no seller and stays.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from trainer.store import Store

SOURCES = ("approved", "story_hour")
_FIELDS = ("title", "text", "industry", "role", "pain")


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    text: str
    industry: str
    role: str
    pain: str
    source: str  # "approved" | "story_hour"
    seller_id: int | None
    attempt_id: int | None
    audio_path: Path | None
    created_at: float

    @property
    def tags(self) -> list[str]:
        """The non-empty industry, role and pain, for display."""
        return [t for t in (self.industry, self.role, self.pain) if t]


def _story(row: sqlite3.Row) -> Story:
    return Story(
        id=row["id"], title=row["title"], text=row["text"], industry=row["industry"],
        role=row["role"], pain=row["pain"], source=row["source"], seller_id=row["seller_id"],
        attempt_id=row["attempt_id"],
        audio_path=Path(row["audio_path"]) if row["audio_path"] else None,
        created_at=row["created_at"],
    )


def _clean(value: str) -> str:
    return " ".join(value.split())


def add_story(store: Store, *, title: str, text: str, industry: str = "", role: str = "",
              pain: str = "", source: str = "approved", seller_id: int | None = None,
              attempt_id: int | None = None, audio_path: Path | None = None) -> Story:
    """Save a story. Raises ``ValueError`` (one sentence) when the title or text is empty."""
    if source not in SOURCES:
        raise ValueError(f"unknown story source {source!r}")
    title, text = _clean(title), text.strip()
    if not title or not text:
        raise ValueError("A story needs a title and its text.")
    with store.transaction() as db:
        cur = db.execute(
            "INSERT INTO stories (title, text, industry, role, pain, source, seller_id, "
            "attempt_id, audio_path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (title, text, _clean(industry), _clean(role), _clean(pain), source, seller_id,
             attempt_id, str(audio_path) if audio_path else None, store.clock()),
        )
        story_id = int(cur.lastrowid or 0)
    return story(store, story_id)


def story(store: Store, story_id: int) -> Story:
    rows = store.query("SELECT * FROM stories WHERE id = ?", (story_id,))
    if not rows:
        raise KeyError(story_id)
    return _story(rows[0])


def update_story(store: Store, story_id: int, **fields: str) -> Story:
    """Change the title, text, industry, role or pain of a story."""
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} of a story")
    if not fields:
        return story(store, story_id)
    values = {k: (v.strip() if k == "text" else _clean(v)) for k, v in fields.items()}
    if not values.get("title", "x") or not values.get("text", "x"):
        raise ValueError("A story needs a title and its text.")
    assignments = ", ".join(f"{k} = ?" for k in values)
    with store.transaction() as db:
        db.execute(f"UPDATE stories SET {assignments} WHERE id = ?",
                   (*values.values(), story_id))
    return story(store, story_id)


def delete_story(store: Store, story_id: int) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM stories WHERE id = ?", (story_id,))


def search_stories(store: Store, text: str = "", *, industry: str = "", role: str = "",
                   pain: str = "", source: str | None = None) -> list[Story]:
    """Stories matching every filter given, newest first.

    ``industry``, ``role`` and ``pain`` match a story whose tag contains them (any case);
    ``text`` matches any word of it in the title, the text or a tag.
    """
    clauses: list[str] = []
    params: list[str] = []
    for column, value in (("industry", industry), ("role", role), ("pain", pain)):
        if _clean(value):
            clauses.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append(f"%{_escape(_clean(value))}%")
    for word in text.split():
        clauses.append("(title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\' OR industry "
                       "LIKE ? ESCAPE '\\' OR role LIKE ? ESCAPE '\\' OR pain LIKE ? "
                       "ESCAPE '\\')")
        params.extend([f"%{_escape(word)}%"] * 5)
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.query(f"SELECT * FROM stories {where} ORDER BY created_at DESC, id DESC",
                       tuple(params))
    return [_story(r) for r in rows]


def tag_values(store: Store) -> dict[str, list[str]]:
    """The distinct industries, roles and pains in the library (for filter pickers)."""
    result: dict[str, list[str]] = {}
    for column in ("industry", "role", "pain"):
        rows = store.query(f"SELECT DISTINCT {column} FROM stories WHERE {column} != '' "
                           f"ORDER BY {column} COLLATE NOCASE")
        result[column] = [r[0] for r in rows]
    return result


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
