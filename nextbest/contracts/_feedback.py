"""Delivery feedback that callers report back, and the service's answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from babel.numbers import list_currencies
from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, model_validator

from ._common import Contract, Identifier, Timestamp

__all__ = ["CurrencyCode", "FeedbackOutcome", "FeedbackRequest", "FeedbackResponse"]

_CURRENCIES = frozenset(list_currencies())


def _iso_4217(code: str) -> str:
    if code not in _CURRENCIES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (three capital letters, such as EUR or USD)")
    return code


CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, examples=["EUR"]), AfterValidator(_iso_4217)]
"""An ISO 4217 currency code, as Unicode CLDR lists them (babel)."""


class FeedbackOutcome(StrEnum):
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    CONVERTED = "converted"
    DISMISSED = "dismissed"
    FAILED = "failed"


def _value_rules(schema: dict[str, Any]) -> None:
    """The validator's rules, stated in the schema too, so a client generated from it cannot break them."""
    for name in ("value", "currency"):
        schema["properties"][name].pop("default", None)  # leave the key out; null is not a value to send
    schema["dependencies"] = {"value": ["currency"], "currency": ["value"]}
    schema["if"] = {"properties": {"outcome": {"not": {"const": FeedbackOutcome.CONVERTED.value}}}}
    schema["then"] = {"properties": {"value": False, "currency": False}}


class FeedbackRequest(Contract):
    """One outcome of a decision; a `converted` one may carry the order's value, with its currency."""

    model_config = ConfigDict(json_schema_extra=_value_rules)

    decision_id: Identifier
    outcome: FeedbackOutcome
    occurred_at: Timestamp
    value: Annotated[
        float | None,
        Field(ge=0, allow_inf_nan=False, strict=True),  # a number: not "12", not true
        WithJsonSchema({"type": "number", "minimum": 0}),  # absent, not null, in what clients send
    ] = Field(
        default=None, description="What the conversion was worth (only on a `converted` outcome; needs `currency`)"
    )
    currency: Annotated[CurrencyCode | None, WithJsonSchema({"type": "string", "enum": sorted(_CURRENCIES)})] = Field(
        default=None, description="ISO 4217 code of `value`; required with it"
    )

    @model_validator(mode="after")
    def _valued_conversion(self) -> FeedbackRequest:
        if self.value is not None and self.outcome is not FeedbackOutcome.CONVERTED:
            raise ValueError(f"value is only reported on a converted outcome, not on {self.outcome.value!r}")
        if (self.value is None) != (self.currency is None):
            raise ValueError("value and currency go together: send both, or neither")
        return self


class FeedbackResponse(Contract):
    decision_id: Identifier
    outcome: FeedbackOutcome
    recorded: bool
    duplicate: bool = False
