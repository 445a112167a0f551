"""The team's story library: client stories sellers can find and practise telling.

Two kinds of story live here. A manager's *approved* stories (typed in once, with the
industry, role and pain they fit) feed the scenarios and the certification drill; the best
stories from a *story hour* are saved with the teller, the attempt, its transcript and audio.
Sellers search both by industry, role, pain or any word of the text.

Rows are in the ``stories`` table (schema v2 of ``trainer.store.database``); a story-hour story goes
with its teller when the seller is deleted, an approved story has no seller and stays.

``suggest_tags`` proposes a told story's industry, role and pain from *its own words*: a tag is
suggested only when the transcript says it (an industry by its usual words, a known role or
pain by its words), and left blank otherwise for the teller to fill. The scenario the story was
told against is never a default: a seller pitching a hospital may well tell a story about a
freight distributor.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trainer.store.database import Store

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


# -- tags from a story's own words ------------------------------------------------------------
# The words a story uses when it is about a client in that industry. Kept short and
# unambiguous: a word that fits several industries ("plant", "store" as a verb) would tag a
# story wrongly, and a blank tag costs the teller one word to type.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "healthcare": ("healthcare", "health", "hospital", "clinic", "nurse", "nursing", "patient",
                   "physician", "medical"),
    "retail": ("retail", "retailer", "grocer", "grocery", "supermarket", "shopper", "shelf",
               "shelves", "storefront"),
    "manufacturing": ("manufacturing", "manufacturer", "factory", "factories", "stamping",
                      "assembly", "machining"),
    "logistics": ("logistics", "freight", "distributor", "distribution", "warehouse",
                  "trucking", "shipping", "carrier"),
    "financial services": ("bank", "banking", "lender", "insurer", "insurance"),
    "education": ("school", "university", "universities", "college", "campus"),
    "hospitality": ("hotel", "restaurant", "resort"),
    "construction": ("construction", "contractor", "builder"),
}
MIN_PAIN_SHARE = 0.6  # a pain counts as told when the story says most of its words
MIN_PAIN_WORDS = 2

_TAG_STOPWORDS = frozenset(
    "a an and the of on to in is are was were for at by with their they our it its as from "
    "be been has had have not no too very".split())


@dataclass(frozen=True)
class TagVocabulary:
    """The tags a story can be given: industries with their words, and known roles and pains
    (from the scenarios and the stories already in the library)."""

    industries: Mapping[str, frozenset[str]]
    roles: tuple[str, ...]
    pains: tuple[str, ...]


def tag_vocabulary(store: Store, prospects: Iterable[Mapping[str, object]] = ()
                   ) -> TagVocabulary:
    """Every tag a told story could be matched against.

    Args:
        prospects: the ``prospect`` of each known scenario (industry, role, pains).
    """
    industries: dict[str, frozenset[str]] = {
        name: frozenset(_stem(w) for w in words) for name, words in INDUSTRY_WORDS.items()}
    roles: list[str] = []
    pains: list[str] = []
    library = tag_values(store)
    for prospect in prospects:
        roles.append(str(prospect.get("role") or ""))
        found = prospect.get("pains")
        if isinstance(found, list):
            pains.extend(str(p) for p in found if p)
        _add_industry(industries, str(prospect.get("industry") or ""))
    for industry in library["industry"]:
        _add_industry(industries, industry)
    roles.extend(library["role"])
    pains.extend(library["pain"])
    return TagVocabulary(industries, _unique(roles), _unique(pains))


def suggest_tags(text: str, vocabulary: TagVocabulary) -> dict[str, str]:
    """The industry, role and pain a story's text tells, each ``""`` when it does not.

    * industry: the one whose words the story uses most (ties: the first listed);
    * role: a known role whose words appear together in the story ("our finance director");
    * pain: the known pain with the largest share of its words in the story, when that share
      is at least ``MIN_PAIN_SHARE`` of at least ``MIN_PAIN_WORDS`` words.
    """
    tokens = _tokens(text)
    spoken = set(tokens)
    counts = {name: sum(1 for t in tokens if t in words)
              for name, words in vocabulary.industries.items()}
    industry = max(counts, key=lambda n: counts[n], default="")
    industry = industry if counts.get(industry) else ""
    role = next((r for r in vocabulary.roles if _says_phrase(tokens, _tokens(r))), "")

    def share(pain: str) -> float:
        words = set(_tokens(pain))
        hits = len(words & spoken)
        return hits / len(words) if hits >= MIN_PAIN_WORDS else 0.0

    best = max(vocabulary.pains, key=share, default="")
    pain = best if best and share(best) >= MIN_PAIN_SHARE else ""
    return {"industry": industry, "role": role, "pain": pain}


def _add_industry(industries: dict[str, frozenset[str]], name: str) -> None:
    """A known industry joins under its own spelling; its words are its name's words."""
    name = _clean(name)
    if not name:
        return
    same = next((k for k in industries if k.casefold() == name.casefold()), None)
    words = frozenset(_tokens(name))
    if same is None:
        industries[name] = words
    elif same != name and same in INDUSTRY_WORDS:
        # The library's spelling ("Logistics") wins, so the new story joins that filter.
        industries[name] = industries.pop(same) | words


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        value = _clean(value)
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


def _stem(word: str) -> str:
    """Plural to singular, enough for tags ("hospitals" ~ "hospital", "shelves" kept whole)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.casefold())
            if w not in _TAG_STOPWORDS]


def _says_phrase(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(tokens[i:i + n] == phrase for i in range(len(tokens) - n + 1))
