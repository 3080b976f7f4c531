"""A TestClient factory for the API's access tests: settings overrides in, an open client out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def example_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return body


@pytest.fixture
def api_client(settings: Any, world: Any) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        chosen = settings.model_validate(settings.model_dump() | overrides)

        async def factory(s: Any) -> Any:
            return await open_runtime(s, clock=FixedClock(NOW), world=world, search=None)

        client = TestClient(create_app(chosen, runtime_factory=factory), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
