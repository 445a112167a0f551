"""The card game's set-up page: who plays, how many cards each, the timer, call or spoken round.

Players are the sellers on file: the players box is an editable list of them (kept current by
``SellerDirectory``); typing still works ("Ana, Ben" take turns), and a seller picked from the
list joins the names typed so far. When the game starts (``CardGamePanel`` asks,
``players_on_file``) a first name alone ("Ana") is offered as the one seller it names ("Ana
Lopez"), and a name not on file becomes a new seller only after the host says yes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from trainer.coaching.cards import Deck, PlayerMatch, match_player
from trainer.common.errors import StorageError
from trainer.ui.style import GAP, HEADING, MUTED
from trainer.ui.team.controls import ROOM_TITLE, ScaledWidget
from trainer.ui.widgets.sellers import SellerDirectory

DEFAULT_CARDS = 10
DEFAULT_SECONDS = 10
SAME_NAME_MESSAGE = "Each player needs a different name."
NOTHING_ADDED_MESSAGE = ("Nothing was added: pick the players from the list, or type each new "
                         "player's full name.")

Confirm = Callable[[str, str, str, bool], bool]
"""``confirm(title, text, accept_label, destructive) -> accepted`` (the app's own questions)."""


def parse_players(text: str) -> list[str]:
    """"Ana, Ben ,, Chris" -> ["Ana", "Ben", "Chris"]."""
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def players_question(matches: list[PlayerMatch]) -> str:
    """The host's question before a game names sellers by first name or adds new ones."""
    lines = [f"\u201c{m.typed}\u201d is {m.name}, already on file." for m in matches
             if m.by_first_name]
    lines += [f"{m.name} is not on file and will be added as a new seller." for m in matches
              if m.is_new]
    return "\n".join(lines) + "\n\nStart the game with " + ", ".join(m.name for m in matches) + "?"


def _ask(parent: QWidget, title: str, text: str, accept_label: str, destructive: bool) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the text quotes names the host typed
    accept = box.addButton(accept_label, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else accept)
    box.exec()
    return box.clickedButton() is accept


class CardSetup(ScaledWidget):
    """Players, cards each, the timer and the kind of round; "Start game".

    Args:
        deck: the deck (its title, and how many cards there are); None when it is missing.
        sellers: the app's one list of sellers, offered in the players box.
        confirm: asks the host before a first name is taken for a seller on file or a new
            seller is added (a dialog by default).
    """

    start_requested = Signal()
    problem = Signal(str, str)  # a sentence for the host, and its kind ("info", "error")

    def __init__(self, deck: Deck | None, sellers: SellerDirectory,
                 confirm: Confirm | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sellers = sellers
        self.confirm: Confirm = confirm or partial(_ask, self)
        self._typed = ""  # the players box as typed, before a pick from its list
        layout = QVBoxLayout(self)
        layout.setSpacing(GAP)
        title = deck.title if deck else "Feature or benefit?"
        layout.addWidget(self.fonts.label(title, ROOM_TITLE, bold=True))
        layout.addWidget(self.fonts.label(
            "Flip a card and call it: a feature says what the product is, has or does; a "
            "benefit says what the customer gains. Press F for feature, B for benefit.",
            1.15, color=MUTED))

        form = QFormLayout()
        form.setHorizontalSpacing(GAP)
        form.setVerticalSpacing(GAP)
        # The sellers on file, to pick from; typing still works ("Ana, Ben" takes turns).
        self.players_combo = QComboBox()
        self.players_combo.setEditable(True)
        self.players_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.players_combo.setAccessibleName("Players")
        self.players_combo.setToolTip("Pick a seller, or type names separated by commas to "
                                      "take turns (Alt+P)")
        self.fonts.scale(self.players_combo, 1.2)
        edit = self.players_combo.lineEdit()
        assert edit is not None
        self.players_edit: QLineEdit = edit
        self.players_edit.setPlaceholderText("Your name, or several: Ana, Ben, Chris")
        self.players_edit.setClearButtonEnabled(True)
        self.players_edit.setAccessibleName("Players")
        # No inline completion: it would turn "Ana" into whichever Ana comes first. A first
        # name is matched, and offered, when the game starts.
        self.players_combo.setCompleter(None)  # type: ignore[arg-type]  # Qt takes nullptr
        self.players_edit.textEdited.connect(self._remember_typed)
        self.players_combo.activated.connect(self._add_picked)
        players_label = QLabel("&Players")
        players_label.setBuddy(self.players_combo)
        form.addRow(players_label, self.players_combo)

        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, len(deck.cards) if deck else 70)
        self.count_spin.setValue(DEFAULT_CARDS)
        self.count_spin.setAccessibleName("Cards each")
        self.count_spin.setToolTip("How many cards each player calls (Alt+E)")
        count_label = QLabel("Cards &each")
        count_label.setBuddy(self.count_spin)
        form.addRow(count_label, self.count_spin)

        timer_row = QHBoxLayout()
        self.timer_check = QCheckBox("&Timer:")
        self.timer_check.setToolTip("Answer each card within the time limit, or it counts as "
                                    "a miss (Alt+T)")
        self.seconds_spin = QSpinBox()
        self.seconds_spin.setRange(3, 60)
        self.seconds_spin.setValue(DEFAULT_SECONDS)
        self.seconds_spin.setSuffix(" s per card")
        self.seconds_spin.setAccessibleName("Seconds per card")
        self.seconds_spin.setToolTip("Seconds to call each card")
        self.seconds_spin.setEnabled(False)
        self.timer_check.toggled.connect(self._update)
        timer_row.addWidget(self.timer_check)
        timer_row.addWidget(self.seconds_spin)
        timer_row.addStretch(1)
        form.addRow("", timer_row)

        mode_row = QVBoxLayout()
        self.call_radio = QRadioButton("&Call it: feature or benefit?")
        self.call_radio.setToolTip("Read the card and call it with F or B (Alt+C)")
        self.spoken_radio = QRadioButton("&Spoken round: say the feature as a benefit")
        self.spoken_radio.setToolTip(
            "The card shows a feature; say it out loud as a benefit for the named prospect, "
            "press R to record and R to stop (Alt+S)")
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.call_radio)
        self.mode_group.addButton(self.spoken_radio)
        self.call_radio.setChecked(True)
        self.spoken_radio.toggled.connect(self._update)
        mode_row.addWidget(self.call_radio)
        mode_row.addWidget(self.spoken_radio)
        form.addRow("Game", mode_row)
        layout.addLayout(form)

        self.start_button = QPushButton("Start game")
        self.start_button.setToolTip("Deal the cards and flip the first one (Enter)")
        self.start_button.clicked.connect(self.start_requested)
        self.fonts.scale(self.start_button, HEADING, bold=True)
        buttons = QHBoxLayout()  # the primary action at the bottom right
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.fill_players()
        sellers.changed.connect(self.fill_players)

    # == the choices ======================================================================
    @property
    def spoken(self) -> bool:
        return self.spoken_radio.isChecked()

    def mode(self) -> str:
        return "spoken" if self.spoken else "call"

    def players(self) -> list[str]:
        """The names typed, in turn order."""
        return parse_players(self.players_edit.text())

    def cards_each(self) -> int:
        return self.count_spin.value()

    def time_limit_s(self) -> float | None:
        """Seconds to call each card; None without the timer (or in the spoken round, which
        has its own limit)."""
        if self.timer_check.isChecked() and not self.spoken:
            return float(self.seconds_spin.value())
        return None

    def _set_players(self, names: list[str]) -> None:
        """The players as the game will know them (full names, once matched)."""
        self._typed = ", ".join(names)
        self.players_combo.setEditText(self._typed)

    def take_focus(self) -> None:
        self.players_edit.setFocus()

    def _update(self) -> None:
        # The spoken round has its own limit (the recording stops after 20 s).
        self.timer_check.setEnabled(not self.spoken)
        self.seconds_spin.setEnabled(self.timer_check.isChecked() and not self.spoken)

    # == the players box ==================================================================
    def players_on_file(self, players: list[str]) -> list[str] | None:
        """The players as sellers on file, after the host agreed to any first-name match or
        new seller; None (with a ``problem``) when the game should not start."""
        try:
            on_file = self.sellers.sellers()
        except StorageError as exc:
            self.problem.emit(str(exc), "error")
            return None
        matches = [match_player(p, on_file) for p in players]
        for m in matches:
            if m.ambiguous:
                which = " or ".join(s.name for s in m.candidates)
                self.problem.emit(f"\u201c{m.typed}\u201d could be {which}: type the full "
                                  "name.", "info")
                return None
        names = [m.name for m in matches]
        if len({n.casefold() for n in names}) != len(names):
            self.problem.emit(SAME_NAME_MESSAGE, "info")
            return None
        if any(m.by_first_name or m.is_new for m in matches):
            if not self.confirm("Players", players_question(matches), "Start game", False):
                self.problem.emit(NOTHING_ADDED_MESSAGE, "info")
                return None
            try:
                for m in matches:
                    if m.is_new:
                        self.sellers.seller(m.name)  # every screen's list gains them now
            except StorageError as exc:
                self.problem.emit(str(exc), "error")
                return None
        self._set_players(names)
        return names

    def fill_players(self) -> None:
        """The sellers on file in the players list (what is typed stays)."""
        names = self.sellers.names()
        text = self.players_edit.text()
        self.players_combo.blockSignals(True)
        self.players_combo.clear()
        self.players_combo.addItems(names)
        self.players_combo.setCurrentIndex(-1)
        self.players_combo.setEditText(text)
        self.players_combo.blockSignals(False)

    def _remember_typed(self, text: str) -> None:
        self._typed = text

    def _add_picked(self, index: int) -> None:
        """A seller picked from the list joins the players typed so far (in place of a
        name half typed)."""
        picked = self.players_combo.itemText(index)
        names = parse_players(self._typed)
        if names and not self._typed.rstrip().endswith(",") \
                and names[-1].casefold() in picked.casefold():
            names.pop()
        if all(n.casefold() != picked.casefold() for n in names):
            names.append(picked)
        self._typed = ", ".join(names)
        self.players_combo.setEditText(self._typed)
