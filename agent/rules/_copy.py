"""Values for message templates, drawn only from the candidates and the request, never invented."""

from __future__ import annotations

import re

from nextbest.contracts import DecideRequest
from nextbest.policy import Brand

from ..prompt import neutralise


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-—")
    return f"{cut}…"


def _safe_name(name: str | None) -> str | None:
    """A first name fit for copy; anything long or instruction-like is profile data we will not echo."""
    if not name or len(name) > 40 or neutralise(name) != name or not any(ch.isalpha() for ch in name):
        return None
    return name.strip()


def first_name_for(request: DecideRequest, brand: Brand) -> str:
    profile = request.profile
    return _safe_name(profile.traits.first_name if profile else None) or brand.default_first_name


_EMPTY_NAME = re.compile(r"\s*,\s*(?=[!?.,]|$)|\s+(?=[!?.,])")


def without_empty_name(text: str) -> str:
    """Copy rendered with an empty first name, tidied to read without it: ", your X" → "Your X",
    "Thanks !" → "Thanks!", "Welcome back, " → "Welcome back"."""
    tidy = _EMPTY_NAME.sub("", text.strip()).lstrip(",; ").strip()
    return tidy[:1].upper() + tidy[1:]
