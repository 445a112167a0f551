"""The seller's written agenda per interaction type, and how much of it a spoken take covered.

The fundamentals: write the agenda down once per interaction type (discovery, demo,
follow-up...) and keep it ~90% the same for every call of that type. So a seller writes it
here once; each spoken agenda take is then compared with it, item by item.

``agenda_coverage`` splits the written agenda into items (one per line, or per sentence when
a line holds several) and, for each, looks for the window of the spoken take that says it:

- content-word overlap (stems minus stop words, digits spelled out, the same helper the
  rubric uses): half or more of the item's content words (at least two when it has two or
  more) said in one window;
- or, for paraphrases, the cosine similarity of sentence embeddings (all-MiniLM-L6-v2) at or
  above ``SIMILARITY``.

Both are deterministic, so the same take and agenda always give the same coverage. Each
covered item carries the spoken words that covered it and when they were said, so the app
can play that moment back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from trainer.common.errors import TrainerError
from trainer.rubric.scoring import content_words
from trainer.store.database import Seller, Store

INTERACTIONS = ("discovery", "demo", "follow-up")
TARGET_PERCENT = 90.0  # "the agenda should remain 90% the same for any conversation"
# Cosine similarity at which a spoken window counts as saying an item in other words. Chosen
# on hand-made items against tests/data/speech/agenda_good.txt (tests/test_agendas.py):
# items the take says in other words score 0.55-0.85, items it never mentions 0.15-0.41.
SIMILARITY = 0.5
_WINDOW = 14  # words per spoken window (an agenda item is said in one breath)
_STEP = 5
MAX_AGENDA_CHARS = 4000


class InvalidAgenda(TrainerError):
    """The written agenda or its interaction type cannot be saved; one sentence."""


def normalise_interaction(name: str) -> str:
    """"Follow up" / "FOLLOW-UP " -> "follow-up": one key per interaction type."""
    clean = re.sub(r"[\s_]+", "-", " ".join(str(name).split()).lower()).strip("-")
    if clean in ("follow-up", "followup"):
        return "follow-up"
    if clean in ("discovery-call",):
        return "discovery"
    return clean


def interaction_for_scenario(interaction: str) -> str:
    """The agenda type of a scenario's ``interaction`` ("discovery call" -> "discovery")."""
    clean = normalise_interaction(interaction)
    for known in INTERACTIONS:
        if clean.startswith(known):
            return known
    return clean or INTERACTIONS[0]


def _check_interaction(interaction: str) -> str:
    clean = normalise_interaction(interaction)
    if not clean:
        raise InvalidAgenda("Name the type of call this agenda is for (e.g. discovery).")
    if len(clean) > 40:
        raise InvalidAgenda("Keep the call type's name under 40 characters.")
    return clean


# -- storage ------------------------------------------------------------------------------
def save_agenda(store: Store, seller: Seller, interaction: str, text: str) -> None:
    """Save (or replace) the seller's agenda for an interaction type; empty text deletes it.

    Raises:
        InvalidAgenda: no interaction type, or the agenda is far too long.
    """
    key = _check_interaction(interaction)
    clean = text.strip()
    if len(clean) > MAX_AGENDA_CHARS:
        raise InvalidAgenda(f"Keep the agenda under {MAX_AGENDA_CHARS} characters; it is "
                            "what you say in the first minute of the call.")
    with store.transaction() as db:
        if not clean:
            db.execute("DELETE FROM written_agendas WHERE seller_id = ? AND interaction = ?",
                       (seller.id, key))
            return
        db.execute(
            "INSERT INTO written_agendas (seller_id, interaction, text, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (seller_id, interaction) "
            "DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
            (seller.id, key, clean, store.clock()))


def written_agenda(store: Store, seller: Seller, interaction: str) -> str | None:
    """The seller's agenda for this interaction type, or None when they have not written one."""
    rows = store.query("SELECT text FROM written_agendas WHERE seller_id = ? AND "
                       "interaction = ?", (seller.id, normalise_interaction(interaction)))
    return str(rows[0]["text"]) if rows else None


def written_agendas(store: Store, seller: Seller) -> dict[str, str]:
    """Every agenda this seller wrote, by interaction type (known types first)."""
    rows = store.query("SELECT interaction, text FROM written_agendas WHERE seller_id = ?",
                       (seller.id,))
    found = {str(r["interaction"]): str(r["text"]) for r in rows}
    order = [i for i in INTERACTIONS if i in found] + sorted(set(found) - set(INTERACTIONS))
    return {i: found[i] for i in order}


# -- coverage -----------------------------------------------------------------------------
_BULLET = re.compile(r"^\s*(?:[-*\u2022>]+|\(?\d+[.):]|\(?[a-z][.)])\s+", re.IGNORECASE)


def agenda_items(text: str) -> list[str]:
    """The items of a written agenda: one per line, or one per sentence of a long line."""
    items: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            sentence = sentence.strip()
            if re.search(r"[A-Za-z0-9]", sentence):
                items.append(sentence)
    return items


@dataclass(frozen=True)
class CoveredItem:
    """One written item: covered or not, and by which spoken words (and when)."""

    item: str
    covered: bool
    quote: str | None = None
    start_s: float | None = None
    how: str | None = None  # "words" (content-word overlap) or "meaning" (embeddings)


@dataclass(frozen=True)
class Coverage:
    items: tuple[CoveredItem, ...]

    @property
    def covered(self) -> int:
        return sum(1 for i in self.items if i.covered)

    @property
    def percent(self) -> float:
        return round(100.0 * self.covered / len(self.items), 1) if self.items else 0.0

    @property
    def missed(self) -> list[str]:
        return [i.item for i in self.items if not i.covered]

    def summary(self) -> str:
        """One sentence for the scorecard."""
        if not self.items:
            return "Your written agenda has no items yet."
        total = len(self.items)
        said = f"You covered {self.covered} of the {total} items of your written agenda " \
               f"({self.percent:.0f}%)"
        if self.percent >= TARGET_PERCENT:
            return said + ": on script."
        return said + f"; aim for about {TARGET_PERCENT:.0f}%, the same agenda every call."

    def to_json(self) -> dict[str, Any]:
        return {"percent": self.percent, "covered": self.covered, "total": len(self.items),
                "target": TARGET_PERCENT, "summary": self.summary(),
                "items": [asdict(i) for i in self.items]}


@dataclass(frozen=True)
class _Window:
    text: str
    start_s: float | None
    words: frozenset[str]


def _word_parts(transcript_words: Sequence[Any]) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for w in transcript_words:
        if isinstance(w, str):
            text, start = w, None
        elif isinstance(w, Mapping):
            text, start = str(w.get("word", "")), w.get("start")
        else:  # trainer.speech.transcriber.Word
            text, start = str(getattr(w, "word", "")), getattr(w, "start", None)
        if text.strip():
            out.append((text.strip(), float(start) if start is not None else None))
    return out


def _windows(parts: list[tuple[str, float | None]]) -> list[_Window]:
    """Spoken windows: each sentence, and overlapping runs of ``_WINDOW`` words inside it."""
    sentences: list[list[tuple[str, float | None]]] = [[]]
    for part in parts:
        sentences[-1].append(part)
        if part[0].endswith((".", "?", "!")):
            sentences.append([])
    windows: list[_Window] = []
    for sentence in (s for s in sentences if s):
        spans = [(0, len(sentence))]
        if len(sentence) > _WINDOW:
            spans += [(i, min(i + _WINDOW, len(sentence)))
                      for i in range(0, len(sentence) - _STEP, _STEP)]
        for lo, hi in spans:
            chunk = sentence[lo:hi]
            text = " ".join(p[0] for p in chunk)
            windows.append(_Window(text, chunk[0][1], frozenset(content_words(text))))
    return windows


def _overlap_hit(item_words: set[str], window: _Window) -> float:
    """Share of the item's content words said in the window (0 when too few are)."""
    if not item_words:
        return 0.0
    shared = len(item_words & window.words)
    needed = 1 if len(item_words) == 1 else 2
    if shared < needed:
        return 0.0
    share = shared / len(item_words)
    return share if share >= 0.5 else 0.0


def agenda_coverage(written: str, transcript_words: Sequence[Any], embedder: Any = None
                    ) -> Coverage:
    """Which items of the written agenda the spoken take covered.

    Args:
        written: the seller's written agenda (one item per line or sentence).
        transcript_words: the take's words, as the store keeps them (dicts with ``word`` and
            ``start``), as ``Word`` objects, or plain strings (no times then).
        embedder: an ``Embedder`` for paraphrases; without one only shared words count.
    """
    items = agenda_items(written)
    windows = _windows(_word_parts(transcript_words))
    if not items:
        return Coverage(())
    similarity = None
    if embedder is not None and windows:
        item_vectors = embedder.embed(items)
        window_vectors = embedder.embed([w.text for w in windows])
        similarity = item_vectors @ window_vectors.T
    # Shortest window first among equals, so the quote is the tightest one that says it.
    order = sorted(range(len(windows)), key=lambda i: (len(windows[i].text), i))
    result = []
    for i, item in enumerate(items):
        wanted = content_words(item)
        best: tuple[float, int, str] | None = None
        for j in order:
            share = _overlap_hit(wanted, windows[j])
            if share and (best is None or share > best[0]):
                best = (share, j, "words")
        if best is None and similarity is not None:
            j = max(order, key=lambda k: (float(similarity[i, k]), -len(windows[k].text)))
            if float(similarity[i, j]) >= SIMILARITY:
                best = (float(similarity[i, j]), j, "meaning")
        if best is None:
            result.append(CoveredItem(item, False))
        else:
            window = windows[best[1]]
            result.append(CoveredItem(item, True, window.text, window.start_s, best[2]))
    return Coverage(tuple(result))


def coverage_block(interaction: str, written: str, transcript_words: Sequence[Any],
                   embedder: Any = None) -> dict[str, Any]:
    """The scorecard's ``agenda_coverage`` block (JSON-ready)."""
    block = agenda_coverage(written, transcript_words, embedder).to_json()
    block["interaction"] = normalise_interaction(interaction)
    return block
