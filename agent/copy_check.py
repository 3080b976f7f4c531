"""The copy check: what a model's message may and may not say.

Copy passes only if it holds
- no code but the attached offer's own (a word after "code"/"coupon"/"promo", or any CODE42-shaped token);
- no discount figure in any form (`90%`, `90 percent`, `ninety per cent`, `$50 off`, `50 off`) beyond the
  offer's percentage or its cap;
- no markup (tags, entities, template braces, Markdown links) and no URL scheme, address or phone number,
  except a link that starts with an allow-listed prefix;
- no text taken from profile, event or catalog data that was marked as instructions.

Text is NFKC-normalised and stripped of invisible characters first, so `９０％` and `F\u200bREE90` count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nextbest.contracts import CandidateSet, DecideRequest, MessageCopy, OfferCandidate
from nextbest.policy import offer_savings

from .prompt import INSTRUCTION_LIKE

__all__ = [
    "CopyRules",
    "Figure",
    "check_copy",
    "discount_figures",
    "instruction_spans",
    "known_tokens",
    "mentioned_codes",
]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "half", "a"], key=len, reverse=True))
_WORD_NUMBER = rf"(?:(?:{_NUMBER_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORD}))*)"
_PERCENT_WORD = r"(?:%|percent\b|per\s*cent\b|pct\b|off\b|discount\b)"
_CURRENCY = r"[$€£¥₹]|\b(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks)\b"

_PERCENT_SIGN = r"(?:%|percent\b|per\s*cent\b|pct\b)"
_DIGIT_PERCENT = re.compile(rf"(\d+(?:[.,]\d+)?)\s*{_PERCENT_SIGN}", re.IGNORECASE)
_DIGIT_OFF = re.compile(r"(?<![$€£¥₹\d.,])(\d+(?:[.,]\d+)?)\s*(?:off|discount)\b", re.IGNORECASE)
_WORD_DISCOUNT = re.compile(rf"\b({_WORD_NUMBER})\s*{_PERCENT_WORD}", re.IGNORECASE)
_MONEY_OFF = re.compile(
    rf"(?:{_CURRENCY})\s*(\d+(?:[.,]\d+)?)\s*(?:off|discount|saving)\b"
    rf"|(\d+(?:[.,]\d+)?)\s*(?:{_CURRENCY})\s*(?:off|discount|saving)\b"
    rf"|\bsave\s*(?:{_CURRENCY})\s*(\d+(?:[.,]\d+)?)",
    re.IGNORECASE,
)
_HALF = re.compile(r"\bhalf[\s-]*(?:price|off)\b", re.IGNORECASE)
# The word after "code" is a code when it holds a digit or two capitals: "code free90", "code SaveBig".
_CODE_AFTER = re.compile(
    r"\b(?i:code|coupon|promo(?:\s*code)?|voucher)s?\b\W{0,4}(?:(?i:is)\W{0,3})?"
    r"((?=[A-Za-z0-9_-]*(?:\d|[A-Z][A-Za-z0-9_-]*[A-Z]))[A-Za-z0-9][A-Za-z0-9_-]{2,})"
)
_CODE_SHAPE = re.compile(r"\b(?=[A-Z0-9_-]*\d)(?=[A-Z0-9_-]*[A-Z])[A-Z0-9][A-Z0-9_-]{2,}\b")
_MARKUP = re.compile(
    r"<\s*[/!?a-zA-Z]|\{\{|\}\}|\{%|%\}|\$\{|&#?\w+;|\]\s*\(|`|\\[ux][0-9a-fA-F]|<\s*$|\bon\w+\s*=",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"\b[a-z][a-z0-9+.-]{1,15}:(?://|[^\s\d])|//\S|\bwww\.", re.IGNORECASE)
_CONTACT = re.compile(r"\S+@\S+\.\w+|\+?\d[\d\s().-]{8,}\d")
_LINK = re.compile(r"\S+")
_SHINGLE = 4


@dataclass(frozen=True)
class CopyRules:
    """What one message may mention: the attached offer, the links allowed, the untrusted instructions seen."""

    offer: OfferCandidate | None = None
    title_max: int = 120
    body_max: int = 1000
    allowed_links: tuple[str, ...] = ()
    known_tokens: frozenset[str] = frozenset()
    """Upper-case tokens the catalog itself uses (product ids, model names): not codes."""
    instructions: tuple[str, ...] = ()
    """Instruction-like spans found in profile, event or catalog text (`instruction_spans`)."""


def normalise(text: str) -> str:
    """NFKC, without invisible format characters, with every run of whitespace one space."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def _word_value(phrase: str) -> float | None:
    total, current = 0.0, 0.0
    words = [word for word in re.split(r"[\s-]+", phrase.lower()) if word and word != "and"]
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "half":
            return 50.0
        elif word == "a":
            current += 0  # "a hundred"
        else:  # pragma: no cover - the pattern admits only number words
            return None
    total += current
    return total if words and words != ["a"] else None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


@dataclass(frozen=True)
class Figure:
    """A discount the copy states: a percentage, an amount of money, or a bare number "off" (either)."""

    kind: str
    value: float


def discount_figures(text: str) -> list[Figure]:
    """Every discount figure `text` states: percentages in digits or words, amounts off, half price."""
    return _figures(normalise(text))


def _figures(clean: str) -> list[Figure]:
    figures = [Figure("percent", _number(match.group(1))) for match in _DIGIT_PERCENT.finditer(clean)]
    figures += [Figure("either", _number(match.group(1))) for match in _DIGIT_OFF.finditer(clean)]
    for match in _WORD_DISCOUNT.finditer(clean):
        value = _word_value(match.group(1))
        if value is not None:
            figures.append(Figure("either", value))
    for match in _MONEY_OFF.finditer(clean):
        figures.append(Figure("amount", _number(next(group for group in match.groups() if group))))
    figures.extend(Figure("percent", 50.0) for _ in _HALF.finditer(clean))
    return figures


def mentioned_codes(text: str, known_tokens: Iterable[str] = ()) -> set[str]:
    """Every code `text` names (upper-cased): words after "code"/"coupon"/"promo", and CODE42-shaped tokens."""
    return _codes(normalise(text), known_tokens)


def _codes(clean: str, known_tokens: Iterable[str]) -> set[str]:
    known = {token.upper() for token in known_tokens}
    codes = {match.group(1).upper() for match in _CODE_AFTER.finditer(clean)}
    codes |= {match.group(0).upper() for match in _CODE_SHAPE.finditer(clean)}
    return {code for code in codes if code not in known}


def _allowed(figure: Figure, offer: OfferCandidate | None) -> bool:
    if offer is None:
        return False
    # A money-off offer is said as its amount: its share of the cart (discount_percent) is never copy.
    percent = offer.money_off_amount is None and figure.value == offer.discount_percent
    amounts = {offer.money_off_amount, offer.max_discount_amount} - {None}
    amount = figure.value in amounts
    return {"percent": percent, "amount": amount}.get(figure.kind, percent or amount)


def _without_allowed_links(text: str, allowed: Sequence[str]) -> str:
    if not allowed:
        return text
    return _LINK.sub(lambda word: "" if any(word.group(0).startswith(p) for p in allowed) else word.group(0), text)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + _SHINGLE]) for i in range(max(len(words) - _SHINGLE + 1, 0))}


def _copies_instructions(text: str, instructions: Sequence[str]) -> bool:
    if INSTRUCTION_LIKE.search(text) or "[removed]" in text.lower():
        return True
    said = _shingles(text)
    return any(_shingles(span) & said for span in instructions)


def _markup_problem(text: str, allowed_links: Sequence[str]) -> str | None:
    linkless = _without_allowed_links(text, allowed_links)
    if _MARKUP.search(linkless):
        return "copy contains markup or template syntax"
    if _SCHEME.search(linkless):
        return "copy contains a URL or a link that is not allow-listed"
    if _CONTACT.search(linkless):
        return "copy contains an e-mail address or phone number"
    return None


def _offer_problem(text: str, rules: CopyRules) -> str | None:
    offer = rules.offer
    for figure in _figures(text):
        if not _allowed(figure, offer):
            given = offer_savings(offer) if offer else "no discount"
            return f"copy promises a discount of {figure.value:g} but the attached offer gives {given}"
    own = {offer.code.upper()} if offer and offer.code else set()
    invented = sorted(_codes(text, rules.known_tokens) - own)
    if invented:
        return f"copy names code {invented[0]} but the attached offer's code is {offer.code if offer else 'none'}"
    return None


def check_copy(message: MessageCopy, rules: CopyRules) -> str | None:
    """The problem with a piece of copy, or None."""
    if len(message.title) > rules.title_max:
        return f"title is {len(message.title)} characters, the limit is {rules.title_max}"
    if len(message.body) > rules.body_max:
        return f"body is {len(message.body)} characters, the limit is {rules.body_max}"
    raw = " ".join(part for part in (message.title, message.body, message.cta or "") if part)
    text = normalise(raw)
    if _copies_instructions(text, rules.instructions):
        return "copy contains instruction-like text taken from untrusted data"
    return _markup_problem(text, rules.allowed_links) or _offer_problem(text, rules)


def _sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?\n])\s+", normalise(text)) if part]


def _marked(texts: Iterable[str]) -> list[str]:
    """The sentences of `texts` that carry an instruction-like phrase: the whole sentence is tainted."""
    return [sentence for text in texts for sentence in _sentences(text) if INSTRUCTION_LIKE.search(sentence)]


def instruction_spans(request: DecideRequest, candidates: CandidateSet) -> tuple[str, ...]:
    """Instruction-like sentences in the profile, the event and the candidates: copy must not repeat them."""
    texts: list[str] = []
    if request.profile is not None:
        traits = request.profile.traits
        texts += [str(value) for value in traits.model_dump().values() if isinstance(value, str)]
        texts += [event.query for event in request.profile.recent_events if event.query]
    props = request.event.properties
    texts += [str(value) for value in props.model_dump().values() if isinstance(value, str)]
    for product in candidates.products:
        texts += [product.title, product.description]
    texts += [offer.title for offer in candidates.offers]
    return tuple(_marked(texts))


def known_tokens(candidates: CandidateSet) -> frozenset[str]:
    """Upper-case tokens of the candidate products (ids, model names): the copy may name them."""
    tokens = {product.product_id.upper() for product in candidates.products}
    for product in candidates.products:
        tokens |= {match.group(0).upper() for match in _CODE_SHAPE.finditer(normalise(product.title))}
    return frozenset(tokens)
