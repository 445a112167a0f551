"""One cleaning step for text that reaches the judges: what a person sees is what is scored.

Transcripts and statements come from speech recognition, files, pasted text and scripts. A
zero-width space, a soft hyphen or a byte-order mark is invisible on screen but splits a word
for the rubric's patterns (issue 14: zero-width characters changed a score from 40 to 0), and
a lone surrogate (from JSON ``"\\ud800"`` or a non-UTF-8 command-line argument) cannot even be
printed. ``clean_text`` runs at the entry of rubric scoring (``scoring.normalise``) and of the
feature/benefit judge (``FeatureBenefitJudge.classify``), so every caller gets it.
"""

from __future__ import annotations

import re
import unicodedata

# Categories: Cf = format (zero-width space/joiners U+200B-U+200D, direction marks U+200E-F and
# U+202A-E, word joiner U+2060, invisible operators, BOM U+FEFF, soft hyphen U+00AD, ...);
# Cs = a lone surrogate; Cc = control characters, of which tab and newlines are kept.
_KEPT_CONTROLS = frozenset("\t\n\r")
_ANY_SPECIAL = re.compile(r"[^\x20-\x7e\t\n\r]")  # plain ASCII text needs no work at all


def clean_text(text: str) -> str:
    """``text`` as it reads: NFKC-normalised, invisible format characters removed, lone
    surrogates replaced by U+FFFD, other control characters turned into spaces.

    NFKC folds look-alikes a person reads as the same word (full-width letters, ligatures
    such as "ﬁ", a no-break space). A format character is dropped rather than turned into a
    space: "to\\u200bday" shows as "today".
    """
    if not _ANY_SPECIAL.search(text):
        return text
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            chars.append("\ufffd")
        elif category == "Cf":
            continue
        elif category == "Cc" and ch not in _KEPT_CONTROLS:
            chars.append(" ")
        else:
            chars.append(ch)
    # (No character's NFKC form holds a format character, so one pass is enough: checked
    # over every code point with Python 3.11's Unicode 14 tables.)
    return unicodedata.normalize("NFKC", "".join(chars))
