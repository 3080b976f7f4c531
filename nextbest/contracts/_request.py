"""What an API caller sends: the live event, the stitched profile, and delivery options."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from ._common import ChannelName, Contract, Flag, Integral
from ._event import Event
from ._profile import Profile


class DecideRequest(Contract):
    """One decision request. When both are given, `profile.user_id` must equal `event.user_id` (a 422
    otherwise): a rule across fields that JSON Schema cannot express."""

    event: Event
    profile: Profile | None = None
    channels: list[ChannelName] | None = Field(
        default=None, description="Channels the caller can deliver on; null means any."
    )
    placements: list[str] | None = Field(default=None, max_length=50)
    deadline_ms: Annotated[StrictInt, Field(gt=0, le=60_000), Integral] | None = None
    dry_run: Flag = Field(default=False, description="Decide without recording or reserving anything.")

    @model_validator(mode="after")
    def _profile_matches_event(self) -> DecideRequest:
        if self.profile and self.event.user_id and self.profile.user_id != self.event.user_id:
            raise ValueError(
                f"profile.user_id {self.profile.user_id!r} does not match event.user_id {self.event.user_id!r}"
            )
        return self
