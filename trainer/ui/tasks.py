"""The one way the UI runs slow work: ``run_in_background`` on a thread pool.

The function runs on a pool thread; its result (or the exception it raised, as the exception
object) is handed to ``on_done``/``on_error`` on the GUI thread. Delivery goes through one
long-lived ``QObject`` created on the GUI thread, so a queued signal carries every result
across threads and no short-lived ``QObject`` is ever created or destroyed off the GUI thread.

Tests pass ``SyncPool()``: the job then runs at once on the calling thread and the callbacks
fire before ``run_in_background`` returns.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class Pool(Protocol):
    """What ``run_in_background`` needs from a pool (``QThreadPool`` or ``SyncPool``)."""

    def start(self, job: Callable[[], None]) -> None: ...


class SyncPool:
    """Runs each job immediately on the calling thread (deterministic tests)."""

    def start(self, job: Callable[[], None]) -> None:
        job()

    def waitForDone(self, msecs: int = -1) -> bool:  # noqa: N802 - QThreadPool's name
        return True

    def activeThreadCount(self) -> int:  # noqa: N802 - QThreadPool's name
        return 0


class _Dispatcher(QObject):
    """Lives on the GUI thread; runs delivered callbacks there."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        # AutoConnection: queued when emitted from a pool thread, direct from the GUI thread
        # (SyncPool), so synchronous tests see results immediately.
        self.deliver.connect(self._run)

    @Slot(object)
    def _run(self, call: Callable[[], None]) -> None:
        call()


_dispatcher: _Dispatcher | None = None
# Jobs not yet delivered, by id: the strong reference that keeps each job's closure (its
# function, callbacks and context) alive until its callback has run on the GUI thread.
_pending: dict[int, Callable[[], None]] = {}
_ids = itertools.count(1)


def _get_dispatcher() -> _Dispatcher:
    global _dispatcher
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("run_in_background needs a QApplication")
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("run_in_background must be called from the GUI thread")
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher()
    return _dispatcher


def pending_count() -> int:
    """How many jobs have not delivered their result yet (for tests and shutdown)."""
    return len(_pending)


def run_in_background(func: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[Exception], None], pool: Pool | None = None,
                      context: QObject | None = None) -> None:
    """Run ``func()`` on ``pool`` and deliver its outcome on the GUI thread.

    Args:
        func: the slow work; takes no arguments (bind them with a lambda or ``partial``).
        on_done: called with ``func``'s return value.
        on_error: called with the exception ``func`` raised.
        pool: a ``QThreadPool`` (default: the global one) or a ``SyncPool``.
        context: if given and destroyed before the job finishes, nothing is delivered
            (a window closed while its job was still running).
    """
    dispatcher = _get_dispatcher()
    job_id = next(_ids)

    def deliver(callback: Callable[[Any], None], value: Any) -> None:
        def call() -> None:
            _pending.pop(job_id, None)
            if context is not None and not shiboken6.isValid(context):
                return
            callback(value)
        dispatcher.deliver.emit(call)

    def job() -> None:
        try:
            result = func()
        except Exception as exc:  # every failure goes to on_error, typed or not
            deliver(on_error, exc)
        else:
            deliver(on_done, result)

    _pending[job_id] = job
    (pool if pool is not None else QThreadPool.globalInstance()).start(job)
