"""Run as a script: count how a Qt binding call changes Python's reference count of None.

Used by ``tests/test_qt_binding.py`` in a separate process, because a binding that leaks
references to None aborts the interpreter ("deallocating None") once the count reaches zero:
a crash here must fail one test, not end the test run. Prints one JSON object: for each call
the app makes that can return None, the change in ``sys.getrefcount(None)`` over ``CALLS``
calls (0 on a sound binding; -CALLS on PySide6 6.12.0).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, QSettings, Qt, Signal  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QComboBox,
    QLabel,
    QListWidget,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

CALLS = 200


class _Emitter(QObject):
    """A signal carrying an object, as the background-task adapter emits results."""

    done = Signal(object)


def probes(tmp_settings: str) -> dict[str, Callable[[], object]]:
    """The calls, each on a widget in the state where it answers None."""
    window = QWidget()
    layout = QVBoxLayout(window)
    combo = QComboBox(window)
    combo.addItem("no data")
    listing = QListWidget(window)
    listing.addItem("item")
    item = listing.item(0)
    table = QTableWidget(2, 2, window)
    stack = QStackedWidget(window)
    tabs = QTabWidget(window)
    scroll = QScrollArea(window)
    settings = QSettings(tmp_settings, QSettings.Format.IniFormat)
    emitter = _Emitter()
    # The slot keeps nothing, so a sound binding leaves None's count as it was.
    emitter.done.connect(lambda value: None)
    assert item is not None
    return {
        "QObject.property (unset)": lambda: window.property("font_rel"),
        "QComboBox.currentData (none set)": combo.currentData,
        "QComboBox.itemData (none set)": lambda: combo.itemData(0),
        "QListWidgetItem.data (unset role)": lambda: item.data(Qt.ItemDataRole.UserRole),
        "QListWidget.item (out of range)": lambda: listing.item(5),
        "QListWidget.currentItem (none)": listing.currentItem,
        "QListWidget.takeItem (out of range)": lambda: listing.takeItem(9),
        "QTableWidget.item (empty cell)": lambda: table.item(0, 0),
        "QStackedWidget.currentWidget (empty)": stack.currentWidget,
        "QTabWidget.widget (out of range)": lambda: tabs.widget(3),
        "QScrollArea.widget (none)": scroll.widget,
        "QWidget.parentWidget (top level)": window.parentWidget,
        "QApplication.focusWidget (none)": QApplication.focusWidget,
        "QSettings.value (missing key)": lambda: settings.value("missing"),
        "QLayout.itemAt (out of range)": lambda: layout.itemAt(7),
        "QObject.findChild (missing)": lambda: window.findChild(QLabel, "missing"),
        "Signal(object).emit(None)": lambda: emitter.done.emit(None),
    }


def main() -> None:
    app = QApplication.instance() or QApplication([])
    results: dict[str, int] = {}
    for name, call in probes(sys.argv[1]).items():
        call()  # first call: any one-off caching happens outside the count
        before = sys.getrefcount(None)
        for _ in range(CALLS):
            call()
        results[name] = sys.getrefcount(None) - before
    print(json.dumps({"calls": CALLS, "deltas": results}))
    sys.stdout.flush()
    del app
    os._exit(0)  # skip teardown: on a leaking binding it could itself abort


if __name__ == "__main__":
    main()
