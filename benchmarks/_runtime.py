"""A throwaway runtime and a stream of unique requests: what every in-process figure starts from."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from agent.model import HttpClient
from nextbest.app.bootstrap import Runtime, open_runtime, settle_heap
from nextbest.clock import FixedClock
from nextbest.contracts import DecideRequest
from nextbest.settings import OutputMode, Settings

__all__ = ["EXAMPLES", "bench_runtime", "example_requests", "unique_requests"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example_requests() -> list[DecideRequest]:
    return [DecideRequest.model_validate_json(path.read_text("utf-8")) for path in sorted(EXAMPLES.glob("*.json"))]


def unique_requests(count: int, prefix: str, *, deadline_ms: int | None = None) -> list[DecideRequest]:
    """`count` requests cycling through the examples, each with its own event and customer.

    A fresh customer per request keeps frequency caps and cooldowns from turning later requests into
    cheap hold-backs, and a fresh event id keeps idempotency from answering from the ledger.
    """
    examples = example_requests()
    made = []
    for number in range(count):
        request = examples[number % len(examples)]
        event = request.event
        user = f"{event.user_id}-{prefix}{number}" if event.user_id else None
        update: dict[str, Any] = {"event": event.model_copy(update={"event_id": f"{prefix}-{number}", "user_id": user})}
        if request.profile is not None and user is not None:
            update["profile"] = request.profile.model_copy(update={"user_id": user})
        if deadline_ms is not None:
            update["deadline_ms"] = deadline_ms
        made.append(request.model_copy(update=update))
    return made


@asynccontextmanager
async def bench_runtime(
    *,
    model_url: str | None = None,
    http_client: HttpClient | None = None,
    output_mode: OutputMode = OutputMode.JSON_SCHEMA,
    deadline_ms: int = 1500,
) -> AsyncIterator[Runtime]:
    """A runtime on a temp data dir, holdout off, no catalog search, the clock at the examples' time.

    The heap is settled as `nextbest.app.api.asgi` does when it serves: the benchmark process stands in for it.
    """
    with tempfile.TemporaryDirectory(prefix="nextbest-bench-") as data_dir:
        model: dict[str, Any] = {}
        if model_url:
            model = {"model": "fake", "openai_base_url": model_url, "openai_api_key": "x", "output_mode": output_mode}
        settings = Settings(
            data_dir=Path(data_dir),
            holdout_percent=0,
            policy_watch=False,
            default_deadline_ms=deadline_ms,
            redis_url=None,
            **model,
        )
        clock = FixedClock(example_requests()[0].event.occurred_at)
        runtime = await open_runtime(settings, clock=clock, http_client=http_client, search=None)
        settle_heap()
        try:
            yield runtime
        finally:
            await runtime.aclose()
