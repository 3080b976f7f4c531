"""Machinery behind evals.judge: the on-disk verdict cache, answer parsing and the context a judge sees."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nextbest.contracts import DecideRequest, Decision, MessageCopy

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class JudgeVerdict(BaseModel):
    """What the judge must answer: one score in 0..1 per rubric criterion, and why."""

    model_config = ConfigDict(extra="ignore")

    relevance: float = Field(ge=0, le=1)
    tone: float = Field(ge=0, le=1)
    no_false_claims: float = Field(ge=0, le=1)
    rationale: str = ""

    @field_validator("rationale")
    @classmethod
    def _short(cls, value: str) -> str:
        # A chatty judge is not a broken one: keep the start of what it said.
        return value.strip()[:500]

    def criteria(self) -> dict[str, float]:
        return {"relevance": self.relevance, "tone": self.tone, "no_false_claims": self.no_false_claims}


CRITERIA = tuple(name for name in JudgeVerdict.model_fields if name != "rationale")


class MalformedAnswerError(ValueError):
    """The judge answered, but not with the JSON object the rubric asks for."""


def parse_verdict(text: str) -> JudgeVerdict:
    """The verdict in a judge's answer: bare JSON, JSON in a ``` fence, or JSON with chatter around it."""
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body.startswith("{") and "{" in body:
        body = body[body.index("{") : body.rindex("}") + 1]
    try:
        return JudgeVerdict.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise MalformedAnswerError(f"malformed judge answer: {str(exc)[:200]}; got {text[:120]!r}") from exc


def cache_key(rubric: str, model: str, copy: MessageCopy, context: dict[str, Any]) -> str:
    """A content hash of everything that can change the verdict; the same inputs always give the same key."""
    blob = json.dumps(
        {"rubric": rubric, "model": model, "copy": copy.model_dump(mode="json"), "context": context},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class VerdictCache:
    """Verdicts on disk, one small JSON file per key. Errors are never cached, so a retry can succeed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> JudgeVerdict | None:
        path = self._path(key)
        try:
            return JudgeVerdict.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            return None

    def put(self, key: str, verdict: JudgeVerdict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a parallel reader never sees half a file.
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(verdict.model_dump_json())
        os.replace(tmp, path)


def brand_guide(policy_dir: Path) -> dict[str, Any]:
    """The brand's voice, do and don't from the policy folder's brand.yaml; empty when there is none."""
    path = policy_dir / "brand.yaml"
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key: raw[key] for key in ("name", "voice", "do", "dont") if key in raw}


Units = Callable[[str, str | None], int]


def judge_context(
    decision: Decision, request: DecideRequest, brand: dict[str, Any], units: Units | None
) -> dict[str, Any]:
    """What the copy is judged against: the moment, what was attached to the decision, and the brand."""
    profile = request.profile
    products = []
    for pick in decision.products:
        item: dict[str, Any] = pick.model_dump(mode="json", exclude_none=True, exclude={"reason"})
        if units is not None:
            item["units_in_stock"] = units(pick.product_id, pick.size)
        products.append(item)
    return {
        "use_case": decision.use_case,
        "action": decision.action.value,
        "channel": decision.channel.value if decision.channel else None,
        "transactional": decision.transactional,
        "event_type": str(request.event.type),
        "first_name": profile.traits.first_name if profile else None,
        "products": products,
        "offer": decision.offer.model_dump(mode="json", exclude_none=True) if decision.offer else None,
        # The day, not the instant: "today" is checkable, and a live server's clock does not bust the cache.
        "send_date": (decision.send_at or decision.decided_at).date().isoformat(),
        "expires_at": decision.expires_at.isoformat() if decision.expires_at else None,
        "brand": brand,
    }
