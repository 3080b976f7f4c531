"""Learning within guardrails: a playbook's declared arms, drawn before anyone decides, learned from feedback.

`Learner.draw` masks the declared arms with what the guardrails left open in the candidate set, draws one
with the playbook's policy (Thompson sampling or epsilon-greedy), and narrows the candidates to it: the
model sees only the drawn channel, offer or slot in its prompt, and the rules pick it on their path, so
both honour the draw and a blocked arm can never be served. `served` counts a serve once the decision is
committed; `credit` adds the reward of a feedback. Statistics live in an `ArmStore` (SQLite, PostgreSQL,
Redis), shared by workers.
"""

from __future__ import annotations

import numpy as np

from nextbest.contracts import ActionKind, ArmDraw, ArmKind, CandidateSet, Channel, Decision, FeedbackOutcome
from nextbest.policy import Learning, Playbook, SegmentKey
from nextbest.settings import Settings

from ._policy import THOMPSON_DRAWS, ArmStats, Drawn, draw_arm, probabilities
from ._stores import ArmStore, PostgresArmStore, RedisArmStore, SqliteArmStore

__all__ = [
    "ARMS_FILE",
    "THOMPSON_DRAWS",
    "ArmStats",
    "ArmStore",
    "Drawn",
    "Learner",
    "PostgresArmStore",
    "RedisArmStore",
    "SqliteArmStore",
    "draw_arm",
    "open_arm_store",
    "open_arms",
    "probabilities",
    "segment_key",
]

ARMS_FILE = "arms.sqlite3"


def segment_key(learning: Learning, *, tier: str | None, surface: str | None) -> str:
    """The posterior's segment, e.g. `tier=gold|surface=web`; `all` when the playbook declares none."""
    values = {SegmentKey.TIER: tier, SegmentKey.SURFACE: surface}
    parts = [f"{key.value}={values[key] or '-'}" for key in learning.segment]
    return "|".join(parts) or "all"


def open_arms(learning: Learning, candidates: CandidateSet) -> list[str]:
    """The declared arms the guardrails left open in this candidate set, in declared order."""
    if learning.arms is None:
        return []
    kind = learning.arms.kind
    if kind is ArmKind.CHANNEL:
        allowed = {channel.value for channel in candidates.channels}
    elif kind is ArmKind.OFFER:
        allowed = {offer.offer_id for offer in candidates.offers}
    else:
        allowed = set(candidates.placements)
    return [arm for arm in learning.arms.ids if arm in allowed]


def _narrowed(kind: ArmKind, arm: str, candidates: CandidateSet) -> CandidateSet:
    if kind is ArmKind.CHANNEL:
        return candidates.model_copy(update={"channels": [Channel(arm)]})
    if kind is ArmKind.OFFER:
        return candidates.model_copy(update={"offers": [o for o in candidates.offers if o.offer_id == arm]})
    return candidates.model_copy(update={"placements": [arm]})


def _served_arm(decision: Decision, kind: ArmKind) -> str | None:
    if decision.action is ActionKind.NONE or decision.holdout:
        return None
    if kind is ArmKind.CHANNEL:
        return decision.channel.value if decision.channel else None
    if kind is ArmKind.OFFER:
        return decision.offer.offer_id if decision.offer else None
    return decision.placement


class Learner:
    """Draws arms and learns from feedback for every learning playbook, over one `ArmStore`."""

    def __init__(self, store: ArmStore, *, seed: int | None = None, draws: int = THOMPSON_DRAWS) -> None:
        self.store = store
        self._rng = np.random.default_rng(seed)
        self._draws = draws

    async def draw(
        self, playbook: Playbook, candidates: CandidateSet, segment: str
    ) -> tuple[CandidateSet, ArmDraw | None]:
        """The candidates narrowed to the drawn arm, and the draw; unchanged and None when nothing is open."""
        learning = playbook.learning
        arms = open_arms(learning, candidates)
        if not learning.on or not arms or learning.arms is None:
            return candidates, None
        stats = await self.store.stats(playbook.id, segment, arms)
        drawn = draw_arm(learning, arms, stats, self._rng, self._draws)
        draw = ArmDraw(
            arm=drawn.arm,
            kind=learning.arms.kind,
            propensity=drawn.propensity,
            open_arms=arms,
            probabilities=list(drawn.probabilities),
            segment=segment,
            policy=learning.policy.value,
            reward=learning.reward.value,
            draws=drawn.draws,
        )
        return _narrowed(learning.arms.kind, drawn.arm, candidates), draw

    async def served(self, decision: Decision) -> bool:
        """Count the serve of a committed decision that served its drawn arm; False when it served none."""
        draw = decision.exploration
        if draw is None or decision.use_case is None or _served_arm(decision, draw.kind) != draw.arm:
            return False
        await self.store.serve(decision.use_case, draw.segment, draw.arm)
        return True

    async def credit(self, decision: Decision, outcome: FeedbackOutcome, value: float | None = None) -> bool:
        """Add a first feedback's reward to the arm the decision served; False when it earns nothing."""
        draw = decision.exploration
        if draw is None or decision.use_case is None or _served_arm(decision, draw.kind) != draw.arm:
            return False
        reward = draw.earned(outcome, value)
        if reward is None:
            return False
        await self.store.credit(decision.use_case, draw.segment, draw.arm, reward)
        return True

    async def reset(self, playbook: str, arm: str | None = None) -> int:
        return await self.store.reset(playbook, arm)

    async def close(self) -> None:
        await self.store.close()


async def open_arm_store(settings: Settings) -> ArmStore:
    """The arm store beside the configured ledger: PostgreSQL, else Redis, else SQLite in the data dir."""
    if settings.database_url:
        return await PostgresArmStore.open(settings.database_url, schema=settings.database_schema)
    if settings.redis_url:
        return RedisArmStore(settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteArmStore(settings.data_dir / ARMS_FILE)
