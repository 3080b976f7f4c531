"""Reports computed from the decision log: treatment-versus-holdout lift, and off-policy estimates."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeInt

from ._common import Contract

__all__ = ["Interval", "LiftReport", "OpeEstimate", "OpeReport", "PlaybookLift", "RatioCheck", "RevenueLift"]


class Interval(Contract):
    """A point estimate with its 95% confidence interval."""

    estimate: float
    low: float
    high: float


class RatioCheck(Contract):
    """Sample-ratio mismatch: the observed holdout share against the configured one (chi-square test)."""

    expected_share: Annotated[float, Field(ge=0, le=1)]
    observed_share: Annotated[float, Field(ge=0, le=1)]
    p_value: Annotated[float, Field(ge=0, le=1)]
    mismatch: bool


class RevenueLift(Contract):
    """Revenue per decided customer in one currency (never added across currencies), treatment against holdout.

    Each group's mean carries a Student t interval, the difference a Welch interval; a group without spread
    (every customer spent the same, e.g. nothing) has a zero-width interval, and the difference is None when
    neither group has spread or a group has fewer than two customers. `XXX` (ISO 4217: no currency) holds
    values that came without one.
    """

    currency: str
    treatment_customers: NonNegativeInt
    holdout_customers: NonNegativeInt
    treatment: Interval | None
    holdout: Interval | None
    lift: Interval | None


class PlaybookLift(Contract):
    """Treatment against holdout for one playbook; rates and revenue are per decided customer.

    Rates carry Wilson intervals; the absolute lift a Newcombe interval, the relative lift (treatment rate /
    holdout rate - 1) a log relative-risk interval. None where a group is empty. `revenue` has one entry per
    currency that a converted outcome's value came in (empty when none carried a value).
    """

    playbook: str
    treatment_customers: NonNegativeInt
    holdout_customers: NonNegativeInt
    treatment_rate: Interval | None
    holdout_rate: Interval | None
    absolute_lift: Interval | None
    relative_lift: Interval | None
    ratio: RatioCheck | None
    revenue: list[RevenueLift] = Field(default_factory=list)


class LiftReport(Contract):
    """`nextbest report lift` and `GET /v1/reports/lift`: one entry per playbook, over one window."""

    since: AwareDatetime
    outcome: str
    holdout_percent: Annotated[float, Field(ge=0, le=100)]
    playbooks: list[PlaybookLift]


class OpeEstimate(Contract):
    """One estimator's value of the evaluated policy, with its bootstrap 95% interval."""

    estimator: str
    value: float
    low: float
    high: float


class OpeReport(Contract):
    """What a different policy would have earned on the logged decisions."""

    rows: NonNegativeInt
    logged_value: float
    estimates: list[OpeEstimate]
    effective_sample_size: float
    bootstrap_rounds: NonNegativeInt
    warnings: list[str]
