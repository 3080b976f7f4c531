"""A timeline entry from an event: the page is kept as one string, whatever shape the caller sent."""

from __future__ import annotations

from typing import Any

import pytest

from nextbest.contracts import Event
from nextbest.subjects._timeline import remembered


@pytest.mark.parametrize(
    ("page", "kept"),
    [
        ("/garden/hoses", "/garden/hoses"),
        ({"path": "/garden/hoses", "url": "https://shop.example/garden/hoses"}, "/garden/hoses"),
        ({"url": "https://shop.example/p/77", "title": "Hose reel"}, "https://shop.example/p/77"),
        ({"title": "Hose reel"}, "Hose reel"),
        ({"referrer": "https://search.example/"}, None),
    ],
)
def test_a_segment_context_page_is_remembered_as_its_path(page: Any, kept: str | None) -> None:
    event = Event.model_validate(
        {
            "event_id": "m-81c2",
            "type": "page_view",
            "occurred_at": "2026-12-01T09:30:00Z",
            "anonymous_id": "anon-77",
            "context": {"page": page},
        }
    )
    entry = remembered(event)
    assert entry is not None
    assert entry.page == kept
