"""SIGTERM on a real `nextbest serve`: it stops accepting, finishes the decisions in flight, and exits 0.

The decisions are held in flight by a model server that never answers: each one waits for the model until
its deadline, then the rules answer is committed. The signal arrives while all of them are waiting.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "cart_abandonment.json"
IN_FLIGHT = 8
DEADLINE_MS = 4000
WAIT_S = 60
POLL_S = 0.05


class SilentModel(ThreadingHTTPServer):
    """An OpenAI-compatible address that counts chat calls and holds each until `release` (or 60 s)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hold)
        self.calls = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Hold(BaseHTTPRequestHandler):
    server: SilentModel

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.server.lock:
            self.server.calls += 1
        self.server.release.wait(WAIT_S)
        try:
            self.send_response(503)
            self.end_headers()
        except OSError:  # the client gave up at its deadline
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model() -> Iterator[SilentModel]:
    server = SilentModel()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _body(n: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    user = f"C-graceful-{n}"
    body["event"] |= {"event_id": f"evt-graceful-{n}", "user_id": user}
    body["profile"] |= {"user_id": user}
    return body | {"deadline_ms": DEADLINE_MS}


def _wait_for(what: str, ready: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not ready():
        assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s"
        time.sleep(POLL_S)  # polling for a state, bounded


def _refused(base: str) -> bool:
    try:
        httpx.get(f"{base}/healthz", timeout=1)
    except httpx.TransportError:
        return True
    return False


def test_sigterm_finishes_in_flight_decisions_and_exits_0(serve: Any, model: SilentModel, tmp_path: Path) -> None:
    env = {
        "NEXTBEST_DATA_DIR": str(tmp_path / "data"),
        "NEXTBEST_MODEL": "fake-model",
        "NEXTBEST_OPENAI_BASE_URL": model.base_url,
        "NEXTBEST_OPENAI_API_KEY": "x",
    }
    with serve(env) as (base, process), ThreadPoolExecutor(IN_FLIGHT) as pool:
        replies: list[Future[httpx.Response]] = [
            pool.submit(httpx.post, f"{base}/v1/decide", json=_body(n), timeout=WAIT_S) for n in range(IN_FLIGHT)
        ]
        _wait_for("all decisions waiting on the model", lambda: model.calls >= IN_FLIGHT)
        process.terminate()
        _wait_for("the listener to close", lambda: _refused(base))
        assert not all(reply.done() for reply in replies), "new work was refused while decisions were in flight"
        assert process.wait(timeout=WAIT_S) == 0
        answered = [reply.result() for reply in replies]
    assert [reply.status_code for reply in answered] == [200] * IN_FLIGHT, [r.text for r in answered]
    decisions = [reply.json() for reply in answered]
    assert {d["event_id"] for d in decisions} == {f"evt-graceful-{n}" for n in range(IN_FLIGHT)}
    assert {d["fallback_reason"] for d in decisions} == {"model_timeout"}
