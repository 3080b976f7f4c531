"""Consent-tool signals → per-channel consent, through legal's prompts/consent.yaml.

A channel is consented when its own flag is true or a mapped signal grants it, and nothing denies it: an
explicit false, or any mapped signal saying no, wins. A signal the file does not map is not consent.
"""

from __future__ import annotations

from collections import defaultdict

from nextbest.contracts import Channel, Consent, GrantState
from nextbest.policy import ConsentSignals

__all__ = ["resolve_consent"]


def _onetrust(value: str | list[str] | None) -> set[str] | None:
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else value
    return {part.strip() for part in parts if part.strip()}


def _signals(consent: Consent, table: ConsentSignals) -> dict[Channel, list[bool]]:
    said: dict[Channel, list[bool]] = defaultdict(list)
    for category, granted in (consent.category_preferences or {}).items():
        for channel in table.segment_categories.get(category, []):
            said[channel].append(granted)
    for key, channels in table.google_consent_mode.items():
        state = getattr(consent, key, None)
        if state is not None:
            for channel in channels:
                said[channel].append(state == GrantState.GRANTED)
    active = _onetrust(consent.onetrust_groups)
    if active is not None:
        for group, channels in table.onetrust_groups.items():
            for channel in channels:
                said[channel].append(group in active)
    for key, rule in table.braze.items():
        state = getattr(consent, key, None)
        if state is not None:
            said[rule.channel].append(state in rule.grants)
    return said


def resolve_consent(consent: Consent, table: ConsentSignals) -> Consent:
    """The per-channel flags once the signals are read; the signals themselves are kept as sent."""
    said = _signals(consent, table)
    flags: dict[str, bool | None] = {}
    for channel in Channel:
        own: bool | None = getattr(consent, channel.value)
        votes = [*said.get(channel, []), *([own] if own is not None else [])]
        flags[channel.value] = all(votes) if votes else None  # one no is a no
    return consent.model_copy(update=flags)
