"""The manager's screen: company set-up, the certification 1:1, its wrap-up, and the team.

``ManagerPanel`` is four views in a tab widget (Alt+1..Alt+4), each in its own module and
owning its controls:

- **Company** (``company.CompanyView``): the profile that feeds scenarios and scoring, and
  the approved client stories with their tags.
- **Certification 1:1** (``certification.CertificationView``): choose the seller and the
  drill, record the seller through the host, review the take criterion by criterion, certify.
- **Wrap-up** (``wrapup.WrapupView``): action items, the closing question's answer, the
  one-page PDF.
- **Team** (``team.TeamView``): who is certified on what and who is due, the team's rates
  beside the 2018 benchmark, the CSV export.

The panel holds what the views share: the banner their messages go to, and the 1:1 under way
(``session``), handed to the 1:1 view and its wrap-up whenever one of them changes it. Every
action has a shortcut scoped to its view (named in its tooltip).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from trainer.coaching import certification as cert
from trainer.rubric.drills import DrillLibrary
from trainer.store.database import Store
from trainer.ui.guided import GuidedTakes
from trainer.ui.manager.base import AskPath, ManagerView, ask_save_path
from trainer.ui.manager.certification import CertificationView
from trainer.ui.manager.company import CompanyView
from trainer.ui.manager.team import TeamView
from trainer.ui.manager.wrapup import WrapupView
from trainer.ui.tasks import Pool
from trainer.ui.widgets.common import MessageBanner
from trainer.ui.widgets.sellers import SellerDirectory

COMPANY, CERTIFICATION, WRAPUP, TEAM = range(4)  # the views' places in ``views``


class ManagerPanel(QWidget):
    """The manager's journey.

    Args:
        store: the practice history.
        library: drills and scenarios.
        host: the window that records takes (``start_guided_take``, ``end_guided_take``,
            ``attempt_scored``).
        manager_name_default: pre-filled manager name.
        pool: where team figures and the CSV are computed (a ``SyncPool`` in tests).
        ask_path: asks where to save an export; a file dialog by default.
        attempt_cap: attempts allowed per drill in one 1:1 (0: no cap).
        valid_days: how long a certificate lasts before re-certification.
        sellers: the team list shared by every screen (one of its own by default).
    """

    session_started = Signal(object)  # OneOnOne
    review_changed = Signal(object)  # Review
    certified = Signal(object)  # Certificate
    exported = Signal(str)  # path of a written PDF or CSV
    team_refreshed = Signal()
    message_shown = Signal(str)

    def __init__(self, store: Store, library: DrillLibrary, host: GuidedTakes, *,
                 manager_name_default: str = "", pool: Pool | None = None,
                 ask_path: AskPath | None = None, export_dir: Path | None = None,
                 attempt_cap: int = cert.DEFAULT_ATTEMPT_CAP,
                 valid_days: int = cert.DEFAULT_VALID_DAYS,
                 sellers: SellerDirectory | None = None) -> None:
        super().__init__()
        self.store = store
        self.sellers = sellers if sellers is not None else SellerDirectory(store, self)
        self.library = library
        self.host = host
        if pool is None:
            own = QThreadPool(self)
            own.setMaxThreadCount(1)
            pool = own
        self.pool: Any = pool
        self.ask_path = ask_path or ask_save_path(self, export_dir or Path.home())
        self._session: cert.OneOnOne | None = None
        self.company = CompanyView(store)
        self.certification = CertificationView(store, library, host, self.sellers,
                                               manager_name_default, attempt_cap, valid_days)
        self.wrapup = WrapupView(store, library, self.ask_path)
        self.team = TeamView(store, library, self.pool, self.ask_path)
        self._build()
        self._wire()
        self.company.load()
        self.certification.fill_sellers()
        self.session = None

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.banner = MessageBanner()
        outer.addWidget(self.banner)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        for view, title in ((self.company, "Company"), (self.certification, "Certification 1:1"),
                            (self.wrapup, "Wrap-up"), (self.team, "Team")):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(view)
            self.views.addTab(scroll, title)
        for i in range(self.views.count()):
            self.views.setTabToolTip(i, f"{self.views.tabText(i)} (Alt+{i + 1})")
            shortcut = QShortcut(QKeySequence(f"Alt+{i + 1}"), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(partial(self.show_view, i))
        self.views.currentChanged.connect(self._on_view_changed)
        outer.addWidget(self.views, 1)

    def _wire(self) -> None:
        """The views' signals: messages to the banner, the 1:1 shared, the panel's own."""
        for view in self._pages():
            view.message.connect(self.show_message)
            view.message_cleared.connect(self.banner.clear)
        one_on_one, wrapup = self.certification, self.wrapup
        one_on_one.session_started.connect(self._on_session_started)
        one_on_one.review_changed.connect(self.review_changed)
        one_on_one.review_ready.connect(self._show_review)
        one_on_one.certified.connect(self.certified)
        one_on_one.items_changed.connect(wrapup.refresh_items)
        wrapup.items_changed.connect(one_on_one.show_open_items)
        wrapup.session_changed.connect(self._set_session)
        wrapup.exported.connect(self.exported)
        self.team.exported.connect(self.exported)
        self.team.refreshed.connect(self.team_refreshed)

    def _pages(self) -> list[ManagerView]:
        return [self.company, self.certification, self.wrapup, self.team]

    # == the 1:1 under way, shared by the 1:1 view and its wrap-up =========================
    @property
    def session(self) -> cert.OneOnOne | None:
        return self._session

    @session.setter
    def session(self, session: cert.OneOnOne | None) -> None:
        self._set_session(session)

    def _set_session(self, session: cert.OneOnOne | None) -> None:
        self._session = session
        self.certification.set_session(session)
        self.wrapup.set_session(session)

    def _on_session_started(self, session: cert.OneOnOne) -> None:
        self.session = session
        self.wrapup.begin(session)
        self.session_started.emit(session)

    # == views and messages ===============================================================
    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_text(text, kind)
        self.message_shown.emit(text)

    def show_view(self, index: int) -> None:
        self.views.setCurrentIndex(index)
        self._pages()[index].focus_first()

    def _show_review(self) -> None:
        """The seller's take is reviewed: the 1:1 view comes to the front in the shell."""
        self.views.setCurrentIndex(CERTIFICATION)
        self.host.show_panel(self)
        self.window().activateWindow()

    def _on_view_changed(self, index: int) -> None:
        if index == TEAM:
            self.team.refresh()
