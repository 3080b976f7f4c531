"""Grammar-friendly schemas: what every schema sent to a model looks like, whatever built it.

Servers that enforce a schema (llama.cpp's `json_object` with a schema, vLLM's guided decoding) compile it
into a grammar. A string of `maxLength: 20000` (what every contract inherits from `Contract`) becomes a
grammar of 177k characters whose parser overflows its stack and kills llama.cpp. So:

- `answer_schema` builds the answer schema of one request from its candidates: enums for the action, the
  channels, the placements and (when the list is short) the ids, and short bounded strings;
- `grammar_friendly` bounds every string and array of any schema (tool parameters included) at send time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nextbest.contracts import ActionKind, CandidateSet

__all__ = [
    "ENUM_ID_LIMIT",
    "LONG_STRING_MAX",
    "SHORT_STRING_MAX",
    "AnswerLimits",
    "answer_schema",
    "grammar_friendly",
    "grammar_friendly_tool",
]

SHORT_STRING_MAX = 64
"""The bound of a string that has none (or an absurd one): ids, sizes, queries, placements."""
LONG_STRING_MAX = 300
"""No string sent to a model may be longer than this: copy bodies are the longest field."""
ARRAY_MAX = 10
ENUM_ID_LIMIT = 24
"""Ids become an enum of the candidate ids when there are at most this many."""
REASON_MAX_CHARS = 120
MAX_REASONS = 3

_NULL: dict[str, Any] = {"type": "null"}


def _is_string(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _bound(node: dict[str, Any]) -> dict[str, Any]:
    out = {key: grammar_friendly(value) for key, value in node.items()}
    if _is_string(node) and "enum" not in node and "const" not in node:
        declared = node.get("maxLength")
        out["maxLength"] = min(declared, LONG_STRING_MAX) if isinstance(declared, int) else SHORT_STRING_MAX
        # llama.cpp compiles only anchored patterns (^…$) and rejects the rest; code validates ids anyway.
        out.pop("pattern", None)
    if node.get("type") == "array":
        declared = node.get("maxItems")
        out["maxItems"] = min(declared, ARRAY_MAX) if isinstance(declared, int) else ARRAY_MAX
    return out


def grammar_friendly(schema: Any) -> Any:
    """A copy of `schema` where every string has a `maxLength` ≤ LONG_STRING_MAX and no `pattern`, and every
    array a `maxItems` ≤ ARRAY_MAX. Enums and constants are left alone: they are already bounded."""
    if isinstance(schema, dict):
        return _bound(schema)
    if isinstance(schema, list):
        return [grammar_friendly(item) for item in schema]
    return schema


def grammar_friendly_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool whose parameter schema is grammar-friendly."""
    function = tool.get("function")
    if not isinstance(function, dict) or "parameters" not in function:
        return tool
    return {**tool, "function": {**function, "parameters": grammar_friendly(function["parameters"])}}


def _string(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max(1, min(max_length, LONG_STRING_MAX))}


def _choice_of(values: Sequence[str]) -> dict[str, Any]:
    """One of `values`, a short string when the list is too long for an enum, or nothing when empty."""
    if not values:
        return {"type": "null"}
    if len(values) > ENUM_ID_LIMIT:
        return _string(max(SHORT_STRING_MAX, *(len(value) for value in values)))
    return {"type": "string", "enum": list(dict.fromkeys(values))}


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    return node if node == _NULL else {"anyOf": [node, _NULL]}


class AnswerLimits:
    """The playbook's bounds the answer schema carries: the actions allowed, products and copy lengths."""

    def __init__(
        self,
        actions: Sequence[ActionKind],
        *,
        max_products: int,
        title_max: int,
        body_max: int,
        cta_max: int = 40,
        brief: bool = False,
    ) -> None:
        self.actions = list(dict.fromkeys([*actions, ActionKind.NONE]))
        self.max_products = max_products
        self.title_max = title_max
        self.body_max = body_max
        self.cta_max = cta_max
        self.brief = brief
        """Leave out every key the answer can do without (reasons, and copy, offers or placements when the
        playbook or the candidates have none): the schema is part of a small model's prompt."""


def _message(limits: AnswerLimits) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": _string(limits.title_max),
            "body": _string(limits.body_max),
            "cta": _nullable(_string(limits.cta_max)),
        },
        "required": ["title", "body", "cta"],
    }


def answer_schema(candidates: CandidateSet, limits: AnswerLimits) -> dict[str, Any]:
    """The strict answer schema of one request: only the values the candidates allow can be written.

    Same keys as `ModelChoice`, every key required and no extras (OpenAI strict mode), no `$ref`."""
    product_ids = [product.product_id for product in candidates.products]
    products: dict[str, Any] = {"type": "array", "maxItems": min(limits.max_products, ARRAY_MAX)}
    if product_ids:
        products["items"] = _choice_of(product_ids)
    else:
        products["maxItems"] = 0
        products["items"] = _string(SHORT_STRING_MAX)
    properties: dict[str, Any] = {
        "action": {"type": "string", "enum": [action.value for action in limits.actions]},
        "channel": _nullable(_choice_of([channel.value for channel in candidates.channels])),
        "placement": _nullable(_choice_of(candidates.placements)),
        "product_ids": products,
        "offer_id": _nullable(_choice_of([offer.offer_id for offer in candidates.offers])),
        "message": _nullable(_message(limits)),
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {"type": "array", "items": _string(REASON_MAX_CHARS), "maxItems": MAX_REASONS},
    }
    if limits.brief:
        for key in _optional_keys(candidates, limits):
            del properties[key]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(properties),
    }


def _optional_keys(candidates: CandidateSet, limits: AnswerLimits) -> list[str]:
    keys = ["reasons"]
    if ActionKind.MESSAGE not in limits.actions:
        keys.append("message")
    if not candidates.offers:
        keys.append("offer_id")
    if not candidates.placements:
        keys.append("placement")
    return keys
