"""Lint checks of one playbook beyond its schema: references, rendered copy and prompt size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from nextbest.contracts import CandidateSet, DecideRequest, KnownEventType, Offer
from nextbest.errors import PolicyError
from nextbest.yamlfile import Location, YamlDocument

from ._offer_lint import pool_findings
from ._playbook import Brand, Fact, Playbook
from ._report import Finding, Severity, hint
from ._samples import SampleMoment
from ._templates import MESSAGE_TEMPLATE_FIELDS, offer_line, render, template_fields

# Facts whose values name catalog categories. None does today; a new category fact is checked by its name
# (has_category is a yes/no fact, not a category).
CATEGORY_FACTS = frozenset(fact for fact in Fact if "categor" in fact.value and not fact.value.startswith("has_"))
# The rules engine cuts a call to action to this many characters.
CTA_MAX_CHARS = 40

_EMPTY_BECAUSE = {
    "store": "it needs a nearby store: set candidates.store_radius_km",
    "expires_minutes": "it needs timing.expires_in_minutes",
    "order_id": "only purchase events carry an order",
    "product": "it needs products: list candidates.products",
}


def _error(document: YamlDocument, message: str, location: Location, key: str, severity: Severity) -> Finding:
    error = PolicyError(message, file=document.file, line=document.line_of(location), key=key)
    return Finding.of(error, severity)


def _listed(document: YamlDocument, location: Location) -> list[tuple[int, Any]]:
    value = document.get(location)
    return list(enumerate(value)) if isinstance(value, list) else []


def _condition_categories(document: YamlDocument, categories: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for index, condition in _listed(document, ["trigger", "when"]):
        if not isinstance(condition, dict) or condition.get("fact") not in CATEGORY_FACTS:
            continue
        value = condition.get("value")
        for category in value if isinstance(value, list) else [value]:
            if str(category) not in categories:
                location: Location = ["trigger", "when", index, "value"]
                message = f"unknown category {category!r}; {hint(category, categories)}"
                findings.append(_error(document, message, location, "trigger.when.value", Severity.ERROR))
    return findings


def reference_findings(
    document: YamlDocument, *, offers: Mapping[str, Offer] | None, categories: set[str] | None
) -> list[Finding]:
    """Names that must exist elsewhere: offer pools in the offer book, categories in the catalog, event types
    the service knows; `None` skips the offer or category checks."""
    findings: list[Finding] = []
    known_events = {event.value for event in KnownEventType}
    for index, event_type in _listed(document, ["trigger", "event_types"]):
        if str(event_type) not in known_events:
            message = (
                f"unknown event type {event_type!r} only matches callers that send exactly it; "
                f"{hint(event_type, known_events)}"
            )
            findings.append(
                _error(document, message, ["trigger", "event_types", index], "trigger.event_types", Severity.WARNING)
            )
    if offers is not None:
        findings += pool_findings(document, offers)
    return findings + (_condition_categories(document, categories) if categories is not None else [])


def _empty_fields(template: str, values: dict[str, str]) -> list[str]:
    return [field for field in dict.fromkeys(template_fields(template)) if field not in values]


def _empty_warning(field: str) -> str:
    reason = _EMPTY_BECAUSE.get(field.split(".")[0])
    because = f" ({reason})" if reason else ""
    return f"{{{field}}} has no value in this playbook{because}, so it renders as empty text"


def _length_warnings(playbook: Playbook, moment: SampleMoment, document: YamlDocument) -> list[Finding]:
    template = playbook.fallback.message
    if template is None:
        return []
    values, limits = moment.values, playbook.limits
    body = render(template.body, values)
    if template.size_line:  # the longest copy: the sizes fit
        body = f"{body} {render(template.size_line, values)}"
    line = offer_line(template, moment.offer)
    if line:
        body = f"{body} {render(line, values)}"
    rendered = {
        "title": (render(template.title, values), limits.title_max_chars),
        "body": (body, limits.body_max_chars),
        "cta": (render(template.cta or "", values), CTA_MAX_CHARS),
    }
    findings: list[Finding] = []
    for key, (text, limit) in rendered.items():
        if len(text) > limit:
            message = f"renders to {len(text)} characters with sample data, over the limit of {limit}: it will be cut"
            findings.append(
                _error(document, message, ["fallback", "message", key], f"fallback.message.{key}", Severity.WARNING)
            )
    return findings


def template_findings(playbook: Playbook, moment: SampleMoment, document: YamlDocument) -> list[Finding]:
    """Render the fallback copy with the sample moment: variables left empty, and copy that will be cut."""
    template = playbook.fallback.message
    if template is None:
        return []
    findings: list[Finding] = []
    for key in MESSAGE_TEMPLATE_FIELDS:
        text = getattr(template, key)
        if not text:
            continue
        location, dotted = ["fallback", "message", key], f"fallback.message.{key}"
        if key in ("offer_line", "no_code_offer_line") and not playbook.offer_pools:
            message = "never shown: the playbook has no offer_pools, so no offer is ever attached"
            findings.append(_error(document, message, location, dotted, Severity.WARNING))
            continue
        for field in _empty_fields(text, moment.values):
            findings.append(_error(document, _empty_warning(field), location, dotted, Severity.WARNING))
    return findings + _length_warnings(playbook, moment, document)


class PromptSizer(Protocol):
    """Measures prompts in tokens. The prompt builder lives in agent/, above this package, so the caller
    (the CLI, a test) hands one in rather than this package importing upward."""

    def prompt_tokens(self, playbook: Playbook, brand: Brand, request: DecideRequest, candidates: CandidateSet) -> int:
        """Tokens of the whole, untrimmed prompt for this moment."""
        ...

    def text_tokens(self, text: str) -> int: ...


def prompt_findings(
    playbook: Playbook, brand: Brand, moment: SampleMoment, budget: int, sizer: PromptSizer, *, line: int | None
) -> tuple[int, list[Finding]]:
    """Tokens of the sample prompt, and an error at the instructions' first line when it exceeds `budget`."""
    tokens = sizer.prompt_tokens(playbook, brand, moment.request, moment.candidates)
    if tokens <= budget:
        return tokens, []
    instructions = sizer.text_tokens(playbook.instructions)
    message = (
        f"the sample prompt is {tokens} tokens, over the budget of {budget} "
        f"(the instructions below take {instructions}); shorten them or raise NEXTBEST_PROMPT_TOKEN_BUDGET"
    )
    return tokens, [Finding(file=playbook.source, line=line, key="instructions", message=message)]
