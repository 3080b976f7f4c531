"""LLM-as-judge for message copy: relevance, tone and no false claims, each scored 0..1 against evals/rubric.md.

Optional (`nextbest eval run --judge`): the judge is any OpenAI-compatible model named by
NEXTBEST_JUDGE_MODEL / NEXTBEST_JUDGE_BASE_URL / NEXTBEST_JUDGE_API_KEY. It answers in json_object mode;
a fenced or chatty JSON answer is tolerated, anything else is a judge error on that scenario (never a
crash). Verdicts are cached on disk by a content hash of (rubric, model, copy, context), so a rerun of
an unchanged suite asks the model nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import httpx
import openai
from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from nextbest.contracts import MessageCopy
from nextbest.errors import ConfigError, PolicyError

from ._judge import (
    CRITERIA,
    JudgeVerdict,
    MalformedAnswerError,
    Units,
    VerdictCache,
    brand_guide,
    cache_key,
    judge_context,
    parse_verdict,
)
from .scorers import RunRecord, Score
from .scorers.metrics import JUDGE

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "CRITERIA",
    "RUBRIC_FILE",
    "Judge",
    "JudgeOutcome",
    "JudgeScorer",
    "JudgeSettings",
    "JudgeVerdict",
    "Rubric",
    "brand_guide",
    "load_rubric",
    "open_judge",
    "parse_verdict",
]

RUBRIC_FILE = Path(__file__).parent / "rubric.md"
# Local servers ignore the key, but the SDK refuses to start without one.
_NO_KEY = "unused"


class JudgeSettings(BaseSettings):
    """The judge model, read from NEXTBEST_JUDGE_*; the cache goes under NEXTBEST_DATA_DIR when that is set."""

    model_config = SettingsConfigDict(env_prefix="NEXTBEST_JUDGE_", extra="ignore", populate_by_name=True)

    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout_s: Annotated[float, Field(gt=0)] = 60.0
    max_tokens: Annotated[int, Field(gt=0)] = 400
    max_retries: Annotated[int, Field(ge=0, le=5)] = 1
    pass_threshold: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.5, description="A judged message passes when every criterion scores at least this"
    )
    data_dir: Path | None = Field(default=None, validation_alias=AliasChoices("NEXTBEST_DATA_DIR"))

    def cache_dir(self, report_dir: Path) -> Path:
        """$NEXTBEST_DATA_DIR/judge-cache, shared by every run; else beside the report."""
        return (self.data_dir or report_dir) / "judge-cache"


class Rubric(BaseModel):
    text: str
    path: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    """The rubric the judge is prompted with; every criterion the verdict carries must have a `## name` section."""
    text = path.read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in text.splitlines() if line.startswith("## ")}
    missing = [name for name in CRITERIA if name not in headings]
    if missing:
        raise PolicyError(f"rubric has no section for {', '.join(missing)}", file=path)
    return Rubric(text=text, path=str(path))


class JudgeOutcome(BaseModel):
    """One judgement: a verdict, or the error that stopped it. `cached`: answered from disk, no model call."""

    verdict: JudgeVerdict | None = None
    error: str | None = None
    cached: bool = False


class Judge:
    """Asks the judge model about one message, through the verdict cache."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        rubric: Rubric,
        cache: VerdictCache,
        *,
        max_tokens: int = 400,
        owned_http: httpx.AsyncClient | None = None,
    ) -> None:
        self.client, self.model, self.rubric, self.cache = client, model, rubric, cache
        self.max_tokens = max_tokens
        self._owned_http = owned_http

    async def aclose(self) -> None:
        """Release the connection pool, when this judge created it."""
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def grade(self, copy: MessageCopy, context: dict[str, Any]) -> JudgeOutcome:
        key = cache_key(self.rubric.text, self.model, copy, context)
        hit = self.cache.get(key)
        if hit is not None:
            return JudgeOutcome(verdict=hit, cached=True)
        try:
            verdict = parse_verdict(await self._ask(copy, context))
        except (openai.APIError, MalformedAnswerError) as exc:
            return JudgeOutcome(error=f"{type(exc).__name__}: {str(exc)[:300]}")
        self.cache.put(key, verdict)
        return JudgeOutcome(verdict=verdict)

    async def _ask(self, copy: MessageCopy, context: dict[str, Any]) -> str:
        user = (
            f"Message copy:\n```json\n{copy.model_dump_json(indent=1)}\n```\n"
            f"Context:\n```json\n{json.dumps(context, indent=1, ensure_ascii=False, default=str)}\n```"
        )
        completion = await self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": self.rubric.text}, {"role": "user", "content": user}],
            response_format={"type": "json_object"},
            temperature=0,
            max_tokens=self.max_tokens,
        )
        if not completion.choices:
            raise MalformedAnswerError("malformed judge answer: no choices")
        return completion.choices[0].message.content or ""


class JudgeScorer:
    """Scores a run's message copy with the judge; not applicable when the decision carries no message.

    Passes when every criterion reaches `pass_threshold`. A judge error leaves `passed` None with the
    error kept on the score, so one bad answer neither crashes the suite nor fails the scenario.
    """

    name = JUDGE

    def __init__(
        self,
        judge: Judge,
        *,
        pass_threshold: float = 0.5,
        brand: dict[str, Any] | None = None,
        units: Units | None = None,
    ) -> None:
        self.judge, self.threshold, self.brand, self.units = judge, pass_threshold, brand or {}, units

    async def aevaluate(self, run: RunRecord) -> Score:
        decision = run.decision
        if decision is None or decision.message is None:
            return Score(name=self.name, passed=None, note="no message to judge")
        context = judge_context(decision, run.scenario.request, self.brand, self.units)
        outcome = await self.judge.grade(decision.message, context)
        if outcome.verdict is None:
            return Score(name=self.name, passed=None, error=outcome.error or "no verdict")
        criteria = outcome.verdict.criteria()
        low = [
            f"judge {name} {value:.2f} < {self.threshold:g}"
            for name, value in criteria.items()
            if value < self.threshold
        ]
        return Score(
            name=self.name,
            passed=not low,
            value=round(sum(criteria.values()) / len(criteria), 4),
            criteria=criteria,
            note=outcome.verdict.rationale,
            detail=low,
        )


def open_judge(
    settings: JudgeSettings,
    cache_dir: Path,
    *,
    http_client: httpx.AsyncClient | None = None,
    rubric: Rubric | None = None,
) -> Judge:
    """A Judge on the configured endpoint; ConfigError when no judge model is set. Close it with `aclose()`."""
    if not settings.model:
        raise ConfigError("--judge needs NEXTBEST_JUDGE_MODEL (and NEXTBEST_JUDGE_BASE_URL for a non-OpenAI server)")
    owned = None if http_client is not None else httpx.AsyncClient(timeout=settings.timeout_s)
    client = openai.AsyncOpenAI(
        api_key=settings.api_key.get_secret_value() if settings.api_key else _NO_KEY,
        base_url=settings.base_url,
        max_retries=settings.max_retries,
        timeout=settings.timeout_s,
        # The SDK sends through httpx2 but accepts a plain httpx client, which keeps respx able to intercept it.
        http_client=cast("httpx2.AsyncClient", http_client or owned),
    )
    return Judge(
        client,
        settings.model,
        rubric or load_rubric(),
        VerdictCache(cache_dir),
        max_tokens=settings.max_tokens,
        owned_http=owned,
    )
