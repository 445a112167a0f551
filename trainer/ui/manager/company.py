"""The manager's company view: what we sell, and the approved client stories.

The profile (name, offering, value points, differentiators) feeds every scenario and the
scoring (``trainer.coaching.company``); the approved stories, with their industry, role and
pain tags, are what sellers may tell (``trainer.coaching.stories``). The view needs no takes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from trainer.coaching import stories
from trainer.coaching.company import load_company, make_profile, save_company
from trainer.store.database import Store
from trainer.ui.manager.base import ManagerView, spaced
from trainer.ui.style import plain_tooltip


class CompanyView(ManagerView):
    """The company profile and the approved client stories, edited in place."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        row = spaced(QHBoxLayout(self))
        row.addWidget(self._build_profile(), 1)
        row.addWidget(self._build_stories(), 1)

    def _build_profile(self) -> QGroupBox:
        profile = QGroupBox("What we sell")
        form = QFormLayout(profile)
        self.company_name = QLineEdit()
        self.company_offering = QLineEdit()
        self.company_offering.setPlaceholderText("e.g. close-management software that "
                                                 "automates month-end reconciliations")
        self.value_points = QPlainTextEdit()
        self.value_points.setPlaceholderText("One value point per line")
        self.differentiators = QPlainTextEdit()
        self.differentiators.setPlaceholderText("One differentiator per line")
        for widget in (self.value_points, self.differentiators):
            widget.setTabChangesFocus(True)
            widget.setMinimumHeight(int(self.base * 9))
        form.addRow("Company &name", self.company_name)
        form.addRow("What we &sell", self.company_offering)
        form.addRow("&Value points", self.value_points)
        form.addRow("&Differentiators", self.differentiators)
        self.save_company_button = self.action(
            "Save company", "Ctrl+S",
            "Save the profile: it feeds every scenario and the scoring", self.save_company)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_company_button)
        form.addRow(buttons)
        return profile

    def _build_stories(self) -> QGroupBox:
        group = QGroupBox("Approved client stories")
        layout = QVBoxLayout(group)
        self.story_table = QTableWidget(0, 4)
        self.story_table.setHorizontalHeaderLabels(["Title", "Industry", "Role", "Pain"])
        self.story_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.story_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.story_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.story_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.story_table.verticalHeader().hide()
        self.story_table.setAccessibleName("Approved client stories")
        self.story_table.itemSelectionChanged.connect(self._on_story_selected)
        layout.addWidget(self.story_table, 1)
        story_form = QFormLayout()
        self.story_title = QLineEdit()
        self.story_industry = QLineEdit()
        self.story_role = QLineEdit()
        self.story_pain = QLineEdit()
        self.story_text = QPlainTextEdit()
        self.story_text.setTabChangesFocus(True)
        self.story_text.setPlaceholderText("The story: the client, their situation, what "
                                           "they did with us, the result in numbers")
        self.story_text.setMinimumHeight(int(self.base * 7))
        story_form.addRow("&Title", self.story_title)
        story_form.addRow("&Industry", self.story_industry)
        story_form.addRow("&Role", self.story_role)
        story_form.addRow("&Pain", self.story_pain)
        story_form.addRow("Stor&y", self.story_text)
        layout.addLayout(story_form)
        self.add_story_button = self.action("Add story", "Ctrl+Shift+A",
                                            "Add this story to the approved stories",
                                            self.add_story)
        self.update_story_button = self.action("Save changes", "Ctrl+Shift+U",
                                               "Save changes to the selected story",
                                               self.update_story)
        self.delete_story_button = self.action("Delete story", "Ctrl+Shift+Del",
                                               "Delete the selected story", self.delete_story)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.add_story_button, self.update_story_button,
                       self.delete_story_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        return group

    def focus_first(self) -> None:
        self.company_name.setFocus()

    def load(self) -> None:
        """Show the saved profile and stories (once the panel shows this view's messages)."""
        self._load_company()
        self.refresh_stories()

    # == the profile ======================================================================
    def _load_company(self) -> None:
        profile = self.run(lambda: load_company(self.store))
        if profile is None:
            return
        self.company_name.setText(profile.name)
        self.company_offering.setText(profile.offering)
        self.value_points.setPlainText("\n".join(profile.value_points))
        self.differentiators.setPlainText("\n".join(profile.differentiators))

    def save_company(self) -> None:
        """Ctrl+S: save the profile (a one-sentence message says what is missing)."""
        def save() -> bool:
            save_company(self.store, make_profile(
                name=self.company_name.text(), offering=self.company_offering.text(),
                value_points=self.value_points.toPlainText(),
                differentiators=self.differentiators.toPlainText()))
            return True
        if self.run(save):
            self.show_message("Saved: scenarios and scoring now use this company.", "info")

    # == the approved stories =============================================================
    def _selected_story_id(self) -> int | None:
        row = self.story_table.currentRow()
        item = self.story_table.item(row, 0) if row >= 0 else None
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _story_fields(self) -> dict[str, str]:
        return {"title": self.story_title.text(), "text": self.story_text.toPlainText(),
                "industry": self.story_industry.text(), "role": self.story_role.text(),
                "pain": self.story_pain.text()}

    def add_story(self) -> None:
        """Ctrl+Shift+A: add the story in the form to the approved stories."""
        f = self._story_fields()
        saved = self.run(lambda: stories.add_story(
            self.store, title=f["title"], text=f["text"], industry=f["industry"],
            role=f["role"], pain=f["pain"], source="approved"))
        if saved is not None:
            for widget in (self.story_title, self.story_industry, self.story_role,
                           self.story_pain):
                widget.clear()
            self.story_text.clear()
            self.refresh_stories()
            self.clear_message()
            self.story_title.setFocus()

    def update_story(self) -> None:
        """Ctrl+Shift+U: save the form over the selected story."""
        story_id = self._selected_story_id()
        if story_id is None:
            self.show_message("Select a story in the list to change it.", "info")
            return
        fields = self._story_fields()
        if self.run(lambda: stories.update_story(self.store, story_id, **fields)):
            self.refresh_stories(select_id=story_id)

    def delete_story(self) -> None:
        """Ctrl+Shift+Del: delete the selected story."""
        story_id = self._selected_story_id()
        if story_id is None:
            self.show_message("Select a story in the list to delete it.", "info")
            return
        self.run(lambda: stories.delete_story(self.store, story_id))
        self.refresh_stories()

    def refresh_stories(self, select_id: int | None = None) -> None:
        found = self.run(lambda: stories.search_stories(self.store, source="approved")) or []
        table = self.story_table
        table.blockSignals(True)
        table.setRowCount(len(found))
        for row, story in enumerate(found):
            for col, text in enumerate((story.title, story.industry, story.role, story.pain)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, story.id)
                item.setToolTip(plain_tooltip(story.text))
                table.setItem(row, col, item)
            if story.id == select_id:
                table.selectRow(row)
        table.blockSignals(False)

    def _on_story_selected(self) -> None:
        story_id = self._selected_story_id()
        if story_id is None:
            return
        story = self.run(lambda: stories.story(self.store, story_id))
        if story is None:
            return
        self.story_title.setText(story.title)
        self.story_industry.setText(story.industry)
        self.story_role.setText(story.role)
        self.story_pain.setText(story.pain)
        self.story_text.setPlainText(story.text)
