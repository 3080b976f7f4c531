"""Replays: a re-sent `event_id` returns the stored decision, marked so the caller can tell."""

from __future__ import annotations

from fastapi import Response

from nextbest.contracts import Decision

__all__ = ["REPLAYED_HEADER", "mark_replay"]

REPLAYED_HEADER = "Nextbest-Replayed"


def mark_replay(decision: Decision, response: Response) -> Decision:
    """Set `Nextbest-Replayed: true` when the decision is a stored one (its body already says `replayed`)."""
    if decision.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return decision
