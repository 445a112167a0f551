"""How the app writes numbers and user text for people: scores, weights and spreadsheet cells.

One rule each, used by every screen, the PDF and the CSV, so two places never disagree:

- ``format_score``: a 0-100 score as shown beside its verdict (whole points, rounded half up,
  never a rounded number on the wrong side of the pass mark).
- ``weight_points``: criterion weights as points out of 100, as the drill brief shows them.
- ``csv_cell`` / ``write_csv``: a cell a spreadsheet will not run as a formula (OWASP's
  "CSV injection" rule), and the one writer every CSV export goes through.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from trainer.common.errors import StorageError

# == scores =================================================================================


def passes(score: float, pass_mark: float) -> bool:
    """The verdict, always on the unrounded score (as the scorer decides it)."""
    return score >= pass_mark


def verdict_word(score: float, pass_mark: float) -> str:
    return "PASS" if passes(score, pass_mark) else "NOT YET"


def format_score(score: float, pass_mark: float | None = None) -> str:
    """A 0-100 score as people read it, consistent with its verdict.

    The rule: whole points, rounded half up (73.5 -> "74", 73.4 -> "73"). The verdict is
    decided on the unrounded score (``passes``), so a whole number that would land on the
    other side of the pass mark is never shown: then the score keeps one decimal, cut toward
    its verdict (69.6 against a pass mark of 70 reads "69.6", never "70" beside NOT YET;
    69.96 reads "69.9"). A score is only ever shown with a decimal near the mark.

    Args:
        score: the score, 0-100 (the scorer stores one decimal).
        pass_mark: the mark it is judged against; without one, whole points only.
    """
    whole = math.floor(score + 0.5)
    if pass_mark is None or passes(whole, pass_mark) == passes(score, pass_mark):
        return str(whole)
    passed = passes(score, pass_mark)
    for digits in (1, 2, 3):
        scaled = round(score * 10**digits, 6)  # 69.6 * 10 is 695.999...: not a cut at .5
        cut = (math.ceil(scaled) if passed else math.floor(scaled)) / 10**digits
        if passes(cut, pass_mark) == passed:
            return f"{cut:.{digits}f}"
    return f"{score:.3f}"


# == weights ================================================================================


def weight_points(weights: Sequence[float]) -> list[int]:
    """Weights as whole points out of 100, summing to exactly 100 (the drill brief's "pts").

    Each weight's share of the total, rounded so the points add up (largest remainder:
    25/15/25/15/20/15, a total of 115, reads 22/13/22/13/17/13). Normalised over the weights
    given, so pass the criteria the take was scored on. All zero (or none): all zero.
    """
    total = sum(weights)
    if total <= 0:
        return [0 for _ in weights]
    exact = [100.0 * w / total for w in weights]
    points = [math.floor(e) for e in exact]
    short = 100 - sum(points)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - points[i]), i))
    for i in by_remainder[:short]:
        points[i] += 1
    return points


# == spreadsheet cells ======================================================================

# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets
# (OWASP, "CSV Injection"): = + - @, tab and carriage return; line feed too, and the
# full-width forms some spreadsheets also accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

Cell = str | int | float | None


def csv_cell(value: Cell) -> str:
    """One cell as written: text that would start a formula gets a leading single quote
    (OWASP's rule; the spreadsheet then shows the text as typed). Numbers are ours, not
    user text, and are written as numbers (a negative number stays ``-3``); ``None`` is an
    empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("write a yes/no as text, not as a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, rows: Iterable[Sequence[Cell]]) -> Path:
    """Write ``rows`` to ``path`` as CSV, every cell through ``csv_cell``.

    UTF-8 with a BOM, so spreadsheet apps read accented names. Written beside the target and
    renamed, so a failure never leaves a half-written file in place of an earlier export.

    Raises:
        StorageError: the file cannot be written, in one sentence.
    """
    data = [[csv_cell(v) for v in row] for row in rows]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
                csv.writer(f).writerows(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"Could not write {path} ({exc.strerror or exc}); choose another "
                           "folder.") from exc
    return path


def clock(seconds: float) -> str:
    """Elapsed time as a clock shows it: 75.4 -> "1:15"."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
