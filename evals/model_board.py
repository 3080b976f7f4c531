"""The reliability board: how one model on one OpenAI-compatible server does in each output mode.

`nextbest eval models --url … --model …` decides every eval scenario through the real graph with the model
asked in each mode, and reports per mode: schema-valid %, accepted %, hallucinated-id %, unconsented-channel
%, repairs, timeouts, latency p50/p95 and tokens. Rates are over the decisions that asked the model (a
holdout or a moment with nothing allowed never does). Written as JSON and as a small HTML page.
"""

from __future__ import annotations

import html
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy, Decision, FallbackReason
from nextbest.settings import OutputMode, Settings
from nextbest.world import World

from .scenario import Scenario

__all__ = ["BoardTarget", "ModeRow", "ModelBoard", "board_html", "run_board"]

BOARD_MODES = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.TOOLS, OutputMode.PROMPT)


class BoardTarget(BaseModel):
    """The server and model under test, and how long a decision may take."""

    url: str
    model: str
    api_key: str | None = None
    deadline_ms: int = Field(default=10_000, gt=0, le=60_000)
    prompt_profile: str = "full"


class ModeRow(BaseModel):
    """One output mode's figures."""

    mode: str
    decisions: int
    asked: int = Field(description="Decisions that called the model")
    schema_valid: float = Field(description="Share of asked decisions whose answer parsed and fit the schema")
    accepted: float = Field(description="Share of asked decisions the model's answer decided")
    hallucinated_id: float
    unconsented_channel: float
    repairs: int
    timeouts: int
    latency_p50_ms: float
    latency_p95_ms: float
    prompt_tokens: int
    completion_tokens: int
    fallback_reasons: dict[str, int] = Field(default_factory=dict)


class ModelBoard(BaseModel):
    url: str
    model: str
    prompt_profile: str
    scenarios: int
    modes: list[ModeRow]


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(fraction * 100) - 1], 1)


def _repairs(decision: Decision) -> int:
    # A call that follows one without tool calls is a repair turn; one after tool calls is the tool loop.
    calls = decision.trace.model_calls
    return sum(1 for before in calls[:-1] if not before.tool_calls)


def _row(mode: OutputMode, decisions: list[Decision], latencies: list[float]) -> ModeRow:
    asked = [d for d in decisions if d.trace.model_calls]
    reasons: dict[str, int] = {}
    for decision in asked:
        if decision.fallback_reason is not None:
            reasons[decision.fallback_reason.value] = reasons.get(decision.fallback_reason.value, 0) + 1
    timeouts = sum(
        1
        for d in decisions
        if d.fallback_reason is FallbackReason.MODEL_TIMEOUT
        or any(call.outcome == FallbackReason.MODEL_TIMEOUT.value for call in d.trace.model_calls)
    )
    return ModeRow(
        mode=mode.value,
        decisions=len(decisions),
        asked=len(asked),
        schema_valid=_share(len(asked) - reasons.get(FallbackReason.INVALID_OUTPUT.value, 0), len(asked)),
        accepted=_share(sum(d.decided_by is DecidedBy.LLM for d in asked), len(asked)),
        hallucinated_id=_share(reasons.get(FallbackReason.HALLUCINATED_ID.value, 0), len(asked)),
        unconsented_channel=_share(reasons.get(FallbackReason.GUARDRAIL_REJECTED.value, 0), len(asked)),
        repairs=sum(_repairs(d) for d in asked),
        timeouts=timeouts,
        latency_p50_ms=_percentile(latencies, 0.5),
        latency_p95_ms=_percentile(latencies, 0.95),
        prompt_tokens=sum(d.trace.prompt_tokens for d in decisions),
        completion_tokens=sum(d.trace.completion_tokens for d in decisions),
        fallback_reasons=reasons,
    )


async def _decide(scenario: Scenario, world: World, target: BoardTarget, mode: OutputMode) -> Decision:
    with tempfile.TemporaryDirectory(prefix="nextbest-board-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            policy_watch=False,
            holdout_percent=0,
            model=target.model,
            openai_base_url=target.url,
            openai_api_key=SecretStr(target.api_key or "unused"),
            output_mode=mode,
            default_deadline_ms=target.deadline_ms,
            prompt_profile=target.prompt_profile,
        )
        runtime = await open_runtime(settings, clock=FixedClock(scenario.clock_time), world=world, search=None)
        try:
            request = scenario.request.model_copy(update={"dry_run": True, "deadline_ms": target.deadline_ms})
            return await runtime.decider.decide(request)
        finally:
            await runtime.aclose()


async def run_board(
    scenarios: Sequence[Scenario],
    world: World,
    target: BoardTarget,
    modes: Sequence[OutputMode] = BOARD_MODES,
    progress: Callable[[OutputMode, Scenario], None] | None = None,
) -> ModelBoard:
    """Decide every scenario once per mode against `target`, and tabulate each mode."""
    rows = []
    for mode in modes:
        decisions, latencies = [], []
        for scenario in scenarios:
            started = time.perf_counter()
            decisions.append(await _decide(scenario, world, target, mode))
            latencies.append((time.perf_counter() - started) * 1000)
            if progress is not None:
                progress(mode, scenario)
        rows.append(_row(mode, decisions, latencies))
    return ModelBoard(
        url=target.url, model=target.model, prompt_profile=target.prompt_profile, scenarios=len(scenarios), modes=rows
    )


_COLUMNS = (
    ("mode", "mode"),
    ("asked", "asked"),
    ("schema-valid", "schema_valid"),
    ("accepted", "accepted"),
    ("hallucinated id", "hallucinated_id"),
    ("unconsented channel", "unconsented_channel"),
    ("repairs", "repairs"),
    ("timeouts", "timeouts"),
    ("p50 ms", "latency_p50_ms"),
    ("p95 ms", "latency_p95_ms"),
    ("prompt tokens", "prompt_tokens"),
    ("completion tokens", "completion_tokens"),
)
_RATES = frozenset({"schema_valid", "accepted", "hallucinated_id", "unconsented_channel"})


def _cell(row: ModeRow, field: str) -> str:
    value = getattr(row, field)
    return f"{value:.0%}" if field in _RATES else str(value)


def board_html(board: ModelBoard) -> str:
    """The board as one self-contained HTML page (no scripts, no external assets)."""
    head = "".join(f"<th>{html.escape(title)}</th>" for title, _ in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row, field))}</td>" for _, field in _COLUMNS) + "</tr>"
        for row in board.modes
    )
    title = html.escape(f"{board.model} at {board.url}")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Model board: {title}</title>"
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
        f"<h1>Model board: {title}</h1>"
        f"<p>{board.scenarios} scenarios per mode, prompt profile {html.escape(board.prompt_profile)}; "
        "rates are over the decisions that asked the model.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>\n"
    )
