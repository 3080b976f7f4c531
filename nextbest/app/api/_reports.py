"""Report routes: `GET /v1/reports/lift`, treatment against holdout per playbook (secret keys only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from pydantic import AwareDatetime, BeforeValidator

from nextbest.app.bootstrap import Runtime
from nextbest.contracts import FeedbackOutcome, LiftReport

from ._scopes import authorize

__all__ = ["DEFAULT_LIFT_DAYS", "install_report_routes"]

DEFAULT_LIFT_DAYS = 30


def _iso_text(value: Any) -> Any:
    """A query string is text: only ISO 8601 is a time (pydantic would read "0.5" as seconds since 1970)."""
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("an ISO 8601 time with a UTC offset, e.g. 2026-11-01T00:00:00Z") from None
    return value


Since = Annotated[
    AwareDatetime | None,
    BeforeValidator(_iso_text),
    Query(description=f"From this moment on (ISO 8601 with offset); default {DEFAULT_LIFT_DAYS} days ago"),
]


def install_report_routes(app: FastAPI) -> None:
    @app.get(
        "/v1/reports/lift",
        response_model=LiftReport,
        dependencies=[Depends(authorize)],
        tags=["reports"],
        responses={503: {}},
    )
    async def lift(
        request: Request,
        since: Since = None,
        playbook: Annotated[str | None, Query(max_length=200, description="Only this playbook")] = None,
        outcome: Annotated[FeedbackOutcome, Query(description="What counts as success")] = FeedbackOutcome.CONVERTED,
    ) -> LiftReport:
        from evals.lift import read_lift
        from guardrails.ledger.log import iter_decisions, iter_outcomes

        runtime: Runtime = request.app.state.runtime
        if since is None:
            since = runtime.decider.ctx.clock.now() - timedelta(days=DEFAULT_LIFT_DAYS)
        return await read_lift(
            iter_decisions(runtime.ledger, since),
            iter_outcomes(runtime.ledger, since),
            since=since,
            holdout_percent=runtime.settings.holdout_percent,
            outcome=outcome,
            playbook=playbook,
        )
