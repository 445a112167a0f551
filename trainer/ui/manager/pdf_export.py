"""The certification 1:1 as a one-page PDF (``QPdfWriter``), for the seller's file.

The page says who, what and when (seller, manager, date), then per drill performed: the score
the manager signed beside the app's, the verdict against the pass mark and the re-certification
date, each criterion's judgement by the app and by the manager with the manager's comment;
then the action items (agreed now, and still open from earlier 1:1s) and the answer to the
closing question. It is laid out as rich text and scaled down, if needed, to stay on one page.

The content comes from ``trainer.coaching.certification.session_summary``; nothing here reads the
store.
"""

from __future__ import annotations

import html
import os
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from trainer.coaching.certification import ActionItem, SessionSummary, SessionTake
from trainer.common.errors import StorageError

_LAYOUT_WIDTH = 720.0  # the width the text is laid out at, before scaling to the page


def _date(ts: float | None) -> str:
    return time.strftime("%d %b %Y", time.localtime(ts)) if ts is not None else "\u2014"


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _verdict(take: SessionTake) -> str:
    r, cert = take.review, take.certificate
    verdict = "PASS" if r.passed else "NOT YET"
    if cert is not None and cert.passed:
        status = f"certified; re-certify by {_date(cert.due_at)}"
    elif cert is not None:
        status = "recorded as not yet"
    else:
        status = "not certified in this 1:1"
    # The verdict is on the manager's score; the app's own score is named beside it.
    return (f"<p><b>Manager's score {r.score_text}</b> (app's score {r.app_score_text}) "
            f"\u00b7 pass mark {r.pass_threshold:g} \u00b7 <b>{verdict}</b> \u2014 {status} \u00b7 "
            f"attempt{'s' if take.attempts_used != 1 else ''} used: {take.attempts_used}</p>")


def _take_html(take: SessionTake) -> str:
    r = take.review
    rows = []
    for c in r.criteria:
        app = "Met" if c.app_met else "Missed"
        mgr = "Met" if c.met else "Missed"
        if c.overridden:
            mgr = f"<b>{mgr} (changed)</b>"
        rows.append(f"<tr><td>{_e(c.name)}</td><td>{c.points}</td><td>{app}</td>"
                    f"<td>{mgr}</td><td>{_e(c.comment)}</td></tr>")
    comments = take.certificate.comments if take.certificate else ""
    return (f"<h2>{_e(r.drill_title)}</h2>{_verdict(take)}"
            "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
            "<tr><th align='left'>Criterion</th><th>Points</th><th>App</th><th>Manager</th>"
            "<th align='left'>Manager's comment</th></tr>" + "".join(rows) + "</table>"
            + (f"<p><b>Manager's comments:</b> {_e(comments)}</p>" if comments else ""))


def _items_html(title: str, items: tuple[ActionItem, ...]) -> str:
    if not items:
        return ""
    rows = "".join(
        f"<tr><td>{_e(i.text)}</td><td>{_e(i.owner)}</td><td>{_date(i.due_at)}</td>"
        f"<td>{'Done' if i.done else 'Open'}</td></tr>" for i in items)
    return (f"<h3>{_e(title)}</h3><table border='1' cellspacing='0' cellpadding='3' "
            "width='100%'><tr><th align='left'>Action</th><th align='left'>Owner</th>"
            "<th align='left'>Due</th><th align='left'>Status</th></tr>" + rows + "</table>")


def session_html(summary: SessionSummary) -> str:
    s = summary.session
    parts = [f"<h1>Certification 1:1 \u2014 {_e(s.seller.name)}</h1>",
             f"<p>Seller: <b>{_e(s.seller.name)}</b> \u00b7 Manager: <b>{_e(s.manager)}</b>"
             f" \u00b7 Date: {_date(s.started_at)}</p>"]
    if summary.takes:
        parts.extend(_take_html(t) for t in summary.takes)
    else:
        parts.append("<p>No drill was performed in this 1:1.</p>")
    parts.append("<h2>Wrap-up</h2>")
    parts.append(_items_html("Action items", summary.action_items)
                 or "<p>No action items were agreed.</p>")
    parts.append(_items_html("From earlier 1:1s", summary.carried_over))
    answer = s.feedback or "Not answered."
    parts.append(f"<h3>{_e(summary.closing_question)}</h3><p>{_e(answer)}</p>")
    return "".join(parts)


def write_session_pdf(summary: SessionSummary, path: Path) -> Path:
    """Write the one-page session PDF to ``path`` (replacing it only once it is complete).

    Raises:
        StorageError: the file cannot be written, in one sentence.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".pdf", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise StorageError(f"Could not write {path} ({exc.strerror or exc}); choose another "
                           "folder.") from exc
    tmp = Path(tmp_name)
    try:
        writer = QPdfWriter(str(tmp))
        writer.setTitle(f"Certification 1:1 \u2014 {summary.session.seller.name}")
        writer.setCreator("Sales Trainer")
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
        writer.setResolution(300)
        doc = QTextDocument()
        doc.setDefaultStyleSheet("h1 { font-size: 18pt; } h2 { font-size: 14pt; } "
                                 "h3 { font-size: 12pt; } body, td, th, p { font-size: 10pt; }")
        doc.setHtml(session_html(summary))
        doc.setTextWidth(_LAYOUT_WIDTH)
        painter = QPainter()
        if not painter.begin(writer):
            raise StorageError(f"Could not write {path}; choose another folder.")
        try:
            page = writer.pageLayout().paintRectPixels(writer.resolution())
            height = doc.size().height()
            # One page: fit the width, and shrink further when the content is long.
            scale = min(page.width() / _LAYOUT_WIDTH, page.height() / max(height, 1.0))
            painter.scale(scale, scale)
            doc.drawContents(painter)
        finally:
            painter.end()
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"Could not write {path} ({exc.strerror or exc}); choose another "
                           "folder.") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path
