"""Reports computed from the decision log: treatment-versus-holdout lift, and off-policy estimates."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeInt

from ._common import Contract

__all__ = ["Interval", "LiftReport", "OpeEstimate", "OpeReport", "PlaybookLift", "RatioCheck"]


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


class PlaybookLift(Contract):
    """Treatment against holdout for one playbook; rates and revenue are per decided customer.

    Rates carry Wilson intervals; the absolute lift a Newcombe interval, the relative lift (treatment rate /
    holdout rate - 1) a log relative-risk interval, revenue a Welch interval. None where a group is empty
    or no outcome carried a value.
    """

    playbook: str
    treatment_customers: NonNegativeInt
    holdout_customers: NonNegativeInt
    treatment_rate: Interval | None
    holdout_rate: Interval | None
    treatment_revenue: float | None
    holdout_revenue: float | None
    absolute_lift: Interval | None
    relative_lift: Interval | None
    revenue_lift: Interval | None
    ratio: RatioCheck | None


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
