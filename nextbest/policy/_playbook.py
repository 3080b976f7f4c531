"""The schema of a playbook: one use case, written by marketers as YAML front matter plus instructions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from nextbest.contracts import ActionKind, ArmKind, Channel, Offer, OfferSource, RedemptionChannel


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(StrEnum):
    """Facts about the moment that trigger conditions can test. The rules engine computes each one."""

    CART_ITEMS = "cart_items"
    CART_VALUE = "cart_value"
    SURFACE = "surface"
    PAGE = "page"
    IS_ANONYMOUS = "is_anonymous"
    PURCHASE_COUNT = "purchase_count"
    HOURS_SINCE_LAST_PURCHASE = "hours_since_last_purchase"
    DAYS_SINCE_LAST_PURCHASE = "days_since_last_purchase"
    NEAREST_STORE_KM = "nearest_store_km"
    SESSION_VIEWS = "session_views"
    HAS_QUERY = "has_query"
    HAS_PRODUCT = "has_product"
    HAS_ORDER = "has_order"
    HAS_CATEGORY = "has_category"
    LOYALTY_TIER = "loyalty_tier"


Operator = Literal["==", "!=", ">", ">=", "<", "<=", "in", "not_in", "exists", "missing"]


class Condition(Strict):
    fact: Fact
    op: Operator = "=="
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list value")
        if self.op not in ("exists", "missing") and self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        return self


class Trigger(Strict):
    event_types: Annotated[list[str], Field(min_length=1)]
    surfaces: list[str] = Field(default_factory=list, description="Empty means any surface")
    when: list[Condition] = Field(default_factory=list, description="Every condition must hold")


class ProductSource(StrEnum):
    """Where candidate products come from; each source is a tool query the pipeline runs."""

    CART = "cart"
    EVENT_PRODUCT = "event_product"
    BOUGHT_TOGETHER = "bought_together"
    COMPATIBLE = "compatible"
    SESSION_INTENT = "session_intent"
    HISTORY_AFFINITY = "history_affinity"
    ORDER_ITEMS = "order_items"
    ORDER_PAIRS = "order_pairs"
    NEARBY_STOCK = "nearby_stock"
    BROWSED_CATEGORY = "browsed_category"


class CandidateSpec(Strict):
    products: list[ProductSource] = Field(default_factory=list)
    max_products: Annotated[int, Field(ge=1, le=50)] = 12
    store_radius_km: Annotated[float, Field(gt=0, le=100)] | None = Field(
        default=None, description="Only products in stock at a store this close to the event's location"
    )


class MessageTemplate(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=2000)]
    cta: Annotated[str, Field(max_length=80)] | None = None
    offer_line: Annotated[str, Field(max_length=300)] | None = Field(
        default=None, description="Appended to the body only when an offer is attached; may use {offer.*}"
    )
    no_code_offer_line: Annotated[str, Field(max_length=300)] | None = Field(
        default=None,
        description="Appended instead of offer_line when the attached offer has no code (a NO_CODE promotion); "
        "may use {offer.title} and {offer.discount}. Without it, an offer_line that names {offer.code} is left out "
        "for such an offer",
    )
    size_line: Annotated[str, Field(max_length=300)] | None = Field(
        default=None,
        description="Appended to the body (before the offer line) only when every chosen product the customer "
        "gave a size for is in stock in that size",
    )


class Limits(Strict):
    max_products: Annotated[int, Field(ge=0, le=10)] = 3
    title_max_chars: Annotated[int, Field(ge=10, le=120)] = 60
    body_max_chars: Annotated[int, Field(ge=20, le=1000)] = 280
    min_products: Annotated[int, Field(ge=0, le=10)] = 1


class Timing(Strict):
    send_delay_seconds: Annotated[int, Field(ge=0, le=7 * 86_400)] = 0
    expires_in_minutes: Annotated[int, Field(gt=0, le=60 * 24 * 30)] | None = None


class FallbackRules(Strict):
    """What the deterministic rules engine does for this playbook when the model does not decide."""

    score: Annotated[float, Field(ge=0, le=1)] = 0.6
    offer: Literal["best", "none"] = "best"
    without_offer: Literal["hold_back", "message"] = Field(
        default="hold_back",
        description="An offer playbook with no eligible offer: decide none, or send its message without an offer",
    )
    message: MessageTemplate | None = None
    reasons: list[str] = Field(default_factory=list)


class LearningPolicy(StrEnum):
    THOMPSON = "thompson"
    EPSILON_GREEDY = "epsilon_greedy"
    OFF = "off"


class Reward(StrEnum):
    """What a served arm earns: a `converted` or `clicked` feedback (1 or 0), or the converted value."""

    CONVERTED = "converted"
    CLICKED = "clicked"
    REVENUE = "revenue"


class SegmentKey(StrEnum):
    TIER = "tier"
    SURFACE = "surface"


class Arms(Strict):
    """The alternatives learning chooses among, declared by id; guardrails mask them per request."""

    kind: ArmKind
    ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=120)]], Field(min_length=2, max_length=50)]

    @model_validator(mode="after")
    def _distinct(self) -> Arms:
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("arm ids must be distinct")
        return self


class Learning(Strict):
    """`learning:` in a playbook: which policy draws the arm, how much it explores, what it learns from."""

    policy: LearningPolicy = LearningPolicy.OFF
    explore_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    reward: Reward = Reward.CONVERTED
    segment: list[SegmentKey] = Field(default_factory=list, description="Posteriors per tier, surface or both")
    arms: Arms | None = None

    @property
    def on(self) -> bool:
        return self.policy is not LearningPolicy.OFF and self.arms is not None

    @model_validator(mode="after")
    def _arms_when_on(self) -> Learning:
        if self.policy is not LearningPolicy.OFF and self.arms is None:
            raise ValueError(f"learning policy {self.policy.value!r} needs declared arms (learning.arms)")
        return self


class OfferSelector(Strict):
    """Offers a playbook draws by what they are rather than by pool: every key written must match."""

    offer_id: str | None = None
    pool: str | None = None
    redemption_channel: RedemptionChannel | None = None
    source: OfferSource | None = None

    @field_validator("redemption_channel", "source", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        # Feeds write IN_STORE, the contracts in_store: a marketer may copy either.
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _selects_something(self) -> OfferSelector:
        if not self.model_fields_set:
            raise ValueError("an offer selector needs offer_id, pool, redemption_channel or source")
        return self

    def label(self) -> str:
        """`key=value` pairs, as a listing shows the selector."""
        return ", ".join(f"{name}={getattr(self, name)}" for name in sorted(self.model_fields_set))

    def matches(self, offer: Offer) -> bool:
        wanted = {name: getattr(self, name) for name in self.model_fields_set}
        return all(getattr(offer, name) == value for name, value in wanted.items())


def _pool_kind(value: object) -> str:
    return "pool[name]" if isinstance(value, str) else "pool[selector]"


# The tags hold "[" so that error locations skip them, as they skip validator names (see nextbest.yamlfile).
OfferPool = Annotated[
    Annotated[str, Tag("pool[name]")] | Annotated[OfferSelector, Tag("pool[selector]")], Discriminator(_pool_kind)
]
"""A pool name (`cart_recovery`) or a selector (`{redemption_channel: IN_STORE}`, `{offer_id: PROMO-77}`)."""


class Playbook(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: str
    priority: Annotated[int, Field(ge=0, le=1000)] = 50
    enabled: bool = True
    trigger: Trigger
    objective: str
    action: ActionKind
    channels: Annotated[list[Channel], Field(min_length=1)]
    placements: list[str] = Field(default_factory=list)
    transactional: bool = False
    offer_pools: list[OfferPool] = Field(default_factory=list)
    tone: str = ""
    limits: Limits = Field(default_factory=Limits)
    candidates: CandidateSpec = Field(default_factory=CandidateSpec)
    timing: Timing = Field(default_factory=Timing)
    fallback: FallbackRules = Field(default_factory=FallbackRules)
    learning: Learning = Field(default_factory=Learning)
    instructions: str = Field(default="", description="The Markdown body: guidance for the model")
    source: str = Field(default="", description="The file this playbook was read from")

    @model_validator(mode="after")
    def _coherent(self) -> Playbook:
        if self.action is ActionKind.NONE:
            raise ValueError("a playbook's action cannot be 'none'; restraint is decided by guardrails")
        if self.transactional and self.offer_pools:
            raise ValueError("a transactional playbook cannot carry offers")
        if self.action is ActionKind.MESSAGE and self.fallback.message is None:
            raise ValueError("a message playbook needs fallback.message for the rules engine")
        self._arms_fit()
        return self

    def _arms_fit(self) -> None:
        arms = self.learning.arms
        if arms is None:
            return
        declared = {ArmKind.CHANNEL: [c.value for c in self.channels], ArmKind.PLACEMENT: self.placements}
        if arms.kind in declared:
            unknown = [arm for arm in arms.ids if arm not in declared[arms.kind]]
            if unknown:
                raise ValueError(f"learning arms {unknown} are not among the playbook's {arms.kind.value}s")
        elif not self.offer_pools:
            raise ValueError("offer arms need offer_pools to draw the offers from")

    def draws(self, offer: Offer) -> bool:
        """Whether one of `offer_pools` names this offer's pool or selects it."""
        return any(offer.pool == pool if isinstance(pool, str) else pool.matches(offer) for pool in self.offer_pools)


class Brand(Strict):
    name: str
    voice: str
    do: list[str] = Field(default_factory=list)
    dont: list[str] = Field(default_factory=list)
    sign_off: str = ""
    default_first_name: str = "there"
