"""Suite-level metrics: pass rates, compliance, restraint precision/recall, latency, model usage, fallbacks."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from ._base import Score

__all__ = ["JUDGE", "JudgeSummary", "Metrics", "ScenarioResult", "summarize"]

JUDGE = "judge"


class ScenarioResult(BaseModel):
    """One scenario's outcome across its repeats; `scores` keeps the first failing run's scores, else the last."""

    id: str
    use_case: str
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    passed: bool
    repeats_passed: list[bool]
    scores: dict[str, Score]
    action: str | None = None
    channel: str | None = None
    expected_none: bool = False
    none_acceptable: bool = True
    decided_none: bool = False
    latencies_ms: list[float] = Field(default_factory=list)
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallback_reason: str | None = None
    guardrails: list[str] = Field(default_factory=list)
    decision: dict[str, object] | None = None


class JudgeSummary(BaseModel):
    """The LLM judge over a run: how many messages it judged, its errors, and its mean score per criterion."""

    judged: int
    errors: int
    not_applicable: int
    pass_rate: float
    mean_score: float
    criteria_means: dict[str, float]


class Metrics(BaseModel):
    scenarios: int
    repeat: int
    expectation_pass_rate: float
    pass_hat_k: float
    schema_validity: float
    guardrail_compliance: float
    restraint_precision: float
    restraint_recall: float
    latency_p50_ms: float
    latency_p99_ms: float
    model_calls_per_decision: float
    tokens_per_decision: float
    fallback_rate_by_reason: dict[str, float]
    pass_rate_by_use_case: dict[str, float]
    guardrail_verdicts: dict[str, int]
    judge: JudgeSummary | None = None


def _rate(results: list[ScenarioResult], name: str) -> float:
    applicable = [r.scores[name].passed for r in results if name in r.scores and r.scores[name].passed is not None]
    return sum(1 for ok in applicable if ok) / len(applicable) if applicable else 1.0


def _judge(results: list[ScenarioResult]) -> JudgeSummary | None:
    scores = [r.scores[JUDGE] for r in results if JUDGE in r.scores]
    if not scores:
        return None
    judged = [s for s in scores if s.criteria]
    names = list(dict.fromkeys(name for s in judged for name in s.criteria))
    return JudgeSummary(
        judged=len(judged),
        errors=sum(1 for s in scores if s.error),
        not_applicable=sum(1 for s in scores if not s.criteria and not s.error),
        pass_rate=round(sum(1 for s in judged if s.passed) / len(judged), 4) if judged else 0.0,
        mean_score=round(sum(s.value for s in judged) / len(judged), 4) if judged else 0.0,
        criteria_means={n: round(sum(s.criteria[n] for s in judged) / len(judged), 4) for n in names},
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summarize(results: list[ScenarioResult], repeat: int) -> Metrics:
    count = len(results) or 1
    true_none = sum(1 for r in results if r.expected_none and r.decided_none)
    # a hold-back counts against precision only where the scenario says an action was needed
    decided_none = sum(1 for r in results if r.decided_none and (r.expected_none or not r.none_acceptable))
    expected_none = sum(1 for r in results if r.expected_none)
    latencies = [ms for r in results for ms in r.latencies_ms]
    by_case: dict[str, list[bool]] = {}
    for r in results:
        by_case.setdefault(r.use_case, []).append(r.passed)
    reasons = Counter(r.fallback_reason or "none" for r in results)
    verdicts = Counter(v for r in results for v in r.guardrails)
    return Metrics(
        scenarios=len(results),
        repeat=repeat,
        expectation_pass_rate=sum(
            1 for r in results if r.scores.get("expectation", Score(name="", passed=False)).passed
        )
        / count,
        pass_hat_k=sum(1 for r in results if r.passed) / count,
        schema_validity=_rate(results, "schema_validity"),
        guardrail_compliance=_rate(results, "guardrail_compliance"),
        restraint_precision=true_none / decided_none if decided_none else 1.0,
        restraint_recall=true_none / expected_none if expected_none else 1.0,
        latency_p50_ms=round(percentile(latencies, 0.5), 2),
        latency_p99_ms=round(percentile(latencies, 0.99), 2),
        model_calls_per_decision=sum(r.model_calls for r in results) / count,
        tokens_per_decision=sum(r.prompt_tokens + r.completion_tokens for r in results) / count,
        fallback_rate_by_reason={k: v / count for k, v in sorted(reasons.items())},
        pass_rate_by_use_case={k: sum(v) / len(v) for k, v in sorted(by_case.items())},
        guardrail_verdicts=dict(sorted(verdicts.items())),
        judge=_judge(results),
    )
