"""The story library on a real SQLite store: add, search by tag and word, edit, delete."""

from __future__ import annotations

import pytest

from trainer.coaching.stories import (
    add_story,
    delete_story,
    search_stories,
    story,
    tag_values,
    update_story,
)
from trainer.store.database import Store


def test_stories_are_found_by_tag_and_word(store: Store) -> None:
    ohio = add_story(store, title="Ohio hospital overtime", industry="Healthcare",
                     role="Nurse manager", pain="agency overtime",
                     text="A regional hospital group in Ohio cut agency spend by 31%.")
    add_story(store, title="Distributor close", industry="Logistics", role="Controller",
              pain="slow month-end close", text="A distributor closed the books in 4 days.")
    assert [s.id for s in search_stories(store, industry="health")] == [ohio.id]
    assert [s.id for s in search_stories(store, "31%")] == [ohio.id]
    assert [s.title for s in search_stories(store, pain="close")] == ["Distributor close"]
    assert search_stories(store, "ohio", industry="logistics") == []
    assert len(search_stories(store)) == 2
    assert search_stories(store, "100_%") == []  # LIKE wildcards are taken literally
    assert tag_values(store)["industry"] == ["Healthcare", "Logistics"]
    assert ohio.tags == ["Healthcare", "Nurse manager", "agency overtime"]


def test_a_story_needs_title_and_text_and_can_be_edited(store: Store) -> None:
    with pytest.raises(ValueError, match="title and its text"):
        add_story(store, title="  ", text="Something")
    saved = add_story(store, title="Draft", text="Old text")
    assert update_story(store, saved.id, title="Final", pain="churn").title == "Final"
    assert story(store, saved.id).pain == "churn"
    with pytest.raises(ValueError):
        update_story(store, saved.id, text=" ")
    delete_story(store, saved.id)
    with pytest.raises(KeyError):
        story(store, saved.id)


def test_a_story_hour_story_goes_with_its_teller(store: Store) -> None:
    seller = store.seller("Ana")
    add_story(store, title="Ana's story", text="...", source="story_hour", seller_id=seller.id)
    add_story(store, title="Approved", text="...")
    store.delete_seller(seller)
    assert [s.title for s in search_stories(store)] == ["Approved"]
