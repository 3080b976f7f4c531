"""What exploration decided for one request: the arm drawn, from which open arms, with what probability."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, PositiveInt

from ._common import Contract
from ._feedback import FeedbackOutcome

__all__ = ["ArmDraw", "ArmKind"]


class ArmKind(StrEnum):
    """What a playbook's declared arms are: channels, offer ids, or content slots (placements)."""

    CHANNEL = "channel"
    OFFER = "offer"
    PLACEMENT = "placement"


class ArmDraw(Contract):
    """The arm a learning policy drew before anyone decided; a holdout decision keeps the one it would have served.

    `propensity` is the probability the policy gave this arm among `open_arms` (the declared arms the
    guardrails left open); for Thompson sampling it is the share of `draws` simulated posterior draws the arm
    won, and the served arm is the winner of one of those draws, so the logged probability is exact.
    """

    arm: str
    kind: ArmKind
    propensity: Annotated[float, Field(gt=0, le=1)]
    open_arms: list[str]
    probabilities: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        description="The probability of each open arm, in the order of open_arms (the served one's is propensity)"
    )
    segment: str
    policy: str
    reward: str = Field(description="What credits the arm: converted, clicked or revenue")
    draws: PositiveInt | None = None

    def earned(self, outcome: FeedbackOutcome, value: float | None) -> float | None:
        """What a first feedback of `outcome` earns the drawn arm; None when it is not the playbook's reward.

        `converted` and `clicked` earn 1; `revenue` earns a converted feedback's value (0 when it carried none).
        """
        if self.reward == "revenue":
            return (value or 0.0) if outcome is FeedbackOutcome.CONVERTED else None
        return 1.0 if outcome.value == self.reward else None
