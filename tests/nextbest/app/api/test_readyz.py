"""`GET /readyz`: 200 when the ledger, the catalog and (when configured) the model answer; else 503 naming which."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardrails.ledger import RedisLedger
from nextbest.app.api import create_app
from nextbest.app.bootstrap import Runtime, open_runtime
from nextbest.errors import StoreError
from tools.catalog import CatalogFilter, CatalogHit


class FakeSearch:
    """A catalog retrieval that answers, or fails like an unreachable Chroma server."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.queries: list[str] = []

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        self.queries.append(query)
        if self.down:
            raise StoreError("Chroma server at 127.0.0.1:8001 is not answering")
        return []

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return self.search(product_id, flt, k)


class _Models(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)  # an API without a key still proves the server is there
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but never listening: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture
def ready_client(settings: Any, world: Any) -> Iterator[Callable[..., tuple[TestClient, Runtime]]]:
    clients: list[TestClient] = []

    def make(search: FakeSearch | None, **overrides: Any) -> tuple[TestClient, Runtime]:
        chosen = settings.model_validate(settings.model_dump() | overrides)

        async def factory(s: Any) -> Runtime:
            return await open_runtime(s, world=world, search=search)

        client = TestClient(create_app(chosen, runtime_factory=factory), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client, client.app.state.runtime  # type: ignore[attr-defined]

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_ready_when_ledger_and_catalog_answer_and_no_model_is_configured(ready_client: Any) -> None:
    search = FakeSearch()
    client, _ = ready_client(search)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "checks": {"ledger": "ok", "catalog": "ok"}, "failing": []}
    assert search.queries == ["readyz"]


def test_a_ledger_that_is_down_is_503_naming_the_ledger(ready_client: Any, refusing_port: int) -> None:
    client, runtime = ready_client(FakeSearch())
    down = RedisLedger(f"redis://127.0.0.1:{refusing_port}/0", prefix="readyz-test")
    runtime.ledger = down
    try:
        answer = client.get("/readyz")
    finally:
        client.portal.call(down.close)
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["ledger"]
    assert body["checks"]["catalog"] == "ok"
    assert body["checks"]["ledger"].startswith("StoreError: Redis ledger")


def test_a_catalog_that_fails_or_is_not_open_is_503_naming_the_catalog(ready_client: Any) -> None:
    client, _ = ready_client(FakeSearch(down=True))
    body = client.get("/readyz").json()
    assert (body["status"], body["failing"]) == ("unavailable", ["catalog"])
    assert "Chroma server at 127.0.0.1:8001" in body["checks"]["catalog"]
    unopened, _ = ready_client(None)
    answer = unopened.get("/readyz")
    assert (answer.status_code, answer.json()["checks"]["catalog"]) == (503, "retrieval is not open")


def test_a_configured_model_is_probed(ready_client: Any, model_server: str, refusing_port: int) -> None:
    client, _ = ready_client(FakeSearch(), model="probe-model", openai_base_url=model_server, openai_api_key="k")
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"]["model"] == "ok"

    refused = f"http://127.0.0.1:{refusing_port}/v1"
    client, _ = ready_client(FakeSearch(), model="probe-model", openai_base_url=refused, openai_api_key="k")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["model"]
    assert answer.json()["checks"]["model"].startswith("ConnectError")
