"""What a cut-off decision is made of: the answer a run prepared before asking the model, and the once guard
that lets exactly one of the run and the service's cut-off commit the decision."""

from __future__ import annotations

from dataclasses import dataclass

from nextbest.contracts import ActionProposal, CandidateSet

from .moment import Moment

__all__ = ["Ready"]


@dataclass
class Ready:
    """What the caller can still use if the run is cut off: the moment, its candidates, the rules answer,
    and whether the model was being asked at the time.

    `claim` is the once guard of the commit: the run's `emit` step and the service's cut-off each claim the
    decision before committing it, and only the first claim wins, so a model answering at the very instant
    of the cut-off still makes exactly one commit. `cut_off` tells a run that has not yet gathered its
    candidates (so has no rules answer ready) to stop asking the model."""

    moment: Moment | None = None
    candidates: CandidateSet | None = None
    proposal: ActionProposal | None = None
    asking_model: bool = False
    asking_since: float = 0.0
    cut_off: bool = False
    claimed_by: str | None = None
    claimed_at: float = 0.0

    def claim(self, who: str, at: float) -> bool:
        """True for the first caller only: it, and nobody else, commits this decision."""
        if self.claimed_by is not None:
            return False
        self.claimed_by, self.claimed_at = who, at
        return True
