"""One real `nextbest serve` on a free port, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(base: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("nextbest serve did not come up")


def test_serve_answers_decisions_over_http(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "NEXTBEST_DATA_DIR": str(tmp_path), "NEXTBEST_HOLDOUT_PERCENT": "0",
           "NEXTBEST_API_KEYS": "secret", "NEXTBEST_MODEL": "", "NEXTBEST_REDIS_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "nextbest.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        body = json.loads((EXAMPLES / "cart_abandonment.json").read_text())
        assert httpx.post(f"{base}/v1/decide", json=body).status_code == 401
        headers = {"Authorization": "Bearer secret"}
        first = httpx.post(f"{base}/v1/decide", json=body, headers=headers, timeout=10)
        assert first.status_code == 200, first.text
        again = httpx.post(f"{base}/v1/decide", json=body, headers=headers, timeout=10)
        assert again.json()["decision_id"] == first.json()["decision_id"]
        assert first.json()["decided_by"] == "rules"
        assert first.json()["fallback_reason"] == "no_model_configured"
    finally:
        process.terminate()
        process.wait(timeout=15)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
