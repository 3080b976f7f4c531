"""The two intake tables of a policy folder: event names (events.yaml) and consent signals (consent.yaml).

events.yaml is the integrator's: which Segment/RudderStack call means which nextbest event type.
consent.yaml is legal's: which consent-tool signal grants (or denies) which channel. Anything it does not
map is not consent. Both are optional; a folder without them maps nothing (nextbest's own shapes still work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from nextbest.contracts import Channel, SubscriptionState
from nextbest.errors import PolicyError
from nextbest.yamlfile import parse_yaml, read_policy_text, validate_yaml

from ._report import Finding

EVENTS_FILE = "events.yaml"
CONSENT_FILE = "consent.yaml"

NextbestType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.:-]*$")]
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def event_key(name: str) -> str:
    """The form a spec name is matched in: 'Order Completed', 'order_completed' and 'order-completed' are one."""
    return _NOT_WORD.sub("_", name.strip().lower()).strip("_")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventNames(_Strict):
    """events.yaml: a track call's `event` name → nextbest type; page, screen and identify calls' types."""

    track: dict[str, NextbestType] = Field(default_factory=dict)
    page: NextbestType = "page_view"
    screen: NextbestType = "page_view"
    identify: NextbestType = "identify"

    def track_type(self, name: str) -> str | None:
        """The nextbest type of a track call's event name, or None when the table does not list it."""
        return _keyed(self.track).get(event_key(name))


def _keyed(table: dict[str, str]) -> dict[str, str]:
    return {event_key(name): value for name, value in table.items()}


class BrazeState(_Strict):
    channel: Channel
    grants: list[SubscriptionState] = Field(min_length=1)


class ConsentSignals(_Strict):
    """consent.yaml: for each consent tool, which signal grants which channels."""

    segment_categories: dict[str, list[Channel]] = Field(default_factory=dict)
    google_consent_mode: dict[str, list[Channel]] = Field(default_factory=dict)
    onetrust_groups: dict[str, list[Channel]] = Field(default_factory=dict)
    braze: dict[str, BrazeState] = Field(default_factory=dict)


GOOGLE_KEYS = ("ad_storage", "ad_user_data", "ad_personalization", "analytics_storage")
BRAZE_KEYS = ("email_subscribe", "push_subscribe")


@dataclass(frozen=True)
class IntakeTables:
    events: EventNames = field(default_factory=EventNames)
    consent: ConsentSignals = field(default_factory=ConsentSignals)
    files: dict[str, str] = field(default_factory=dict, compare=False)


def load_intake(root: Path) -> IntakeTables:
    """Read events.yaml and consent.yaml (each optional); any error raises PolicyError naming file:line."""
    events, consent, files = EventNames(), ConsentSignals(), {}
    if (root / EVENTS_FILE).is_file():
        files[EVENTS_FILE] = read_policy_text(root / EVENTS_FILE)
        events = validate_yaml(EventNames, files[EVENTS_FILE], root / EVENTS_FILE)
        _check_events(events, files[EVENTS_FILE], root / EVENTS_FILE)
    if (root / CONSENT_FILE).is_file():
        files[CONSENT_FILE] = read_policy_text(root / CONSENT_FILE)
        consent = validate_yaml(ConsentSignals, files[CONSENT_FILE], root / CONSENT_FILE)
        _check_consent(consent, files[CONSENT_FILE], root / CONSENT_FILE)
    return IntakeTables(events=events, consent=consent, files=files)


def _check_events(events: EventNames, text: str, path: Path) -> None:
    document = parse_yaml(text, path)
    seen: dict[str, str] = {}
    for name in events.track:
        key = event_key(name)
        if not key:
            raise document.error(f"event name {name!r} has no letters or digits", ["track", name])
        if key in seen and events.track[seen[key]] != events.track[name]:
            raise document.error(
                f"{name!r} and {seen[key]!r} are the same name and map to different types", ["track", name]
            )
        seen[key] = name


def _check_consent(consent: ConsentSignals, text: str, path: Path) -> None:
    document = parse_yaml(text, path)
    for key in consent.google_consent_mode:
        if key not in GOOGLE_KEYS:
            raise document.error(
                f"unknown Google Consent Mode key {key!r} (one of {', '.join(GOOGLE_KEYS)})",
                ["google_consent_mode", key],
            )
    for key in consent.braze:
        if key not in BRAZE_KEYS:
            raise document.error(f"unknown Braze subscription {key!r} (one of {', '.join(BRAZE_KEYS)})", ["braze", key])


def intake_findings(root: Path) -> list[Finding]:
    """Lint of events.yaml and consent.yaml: the loader's first error, at file:line."""
    try:
        load_intake(root)
    except PolicyError as exc:
        return [Finding.of(exc)]
    return []
