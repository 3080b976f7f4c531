"""One real `nextbest serve` on a free port, spoken to over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def test_serve_answers_decisions_over_http(tmp_path: Path, serve: Any) -> None:
    with serve({"NEXTBEST_DATA_DIR": str(tmp_path), "NEXTBEST_API_KEYS": "secret"}) as (base, _):
        body = json.loads((EXAMPLES / "cart_abandonment.json").read_text())
        assert httpx.post(f"{base}/v1/decide", json=body).status_code == 401
        headers = {"Authorization": "Bearer secret"}
        first = httpx.post(f"{base}/v1/decide", json=body, headers=headers, timeout=10)
        assert first.status_code == 200, first.text
        again = httpx.post(f"{base}/v1/decide", json=body, headers=headers, timeout=10)
        assert again.json()["decision_id"] == first.json()["decision_id"]
        assert first.json()["decided_by"] == "rules"
        assert first.json()["fallback_reason"] == "no_model_configured"


def test_serve_enforces_scopes_cors_and_chunked_limits(tmp_path: Path, serve: Any) -> None:
    env = {
        "NEXTBEST_DATA_DIR": str(tmp_path),
        "NEXTBEST_API_KEYS": "secret:sk_serve,publishable:pk_serve",
        "NEXTBEST_CORS_ORIGINS": "https://shop.example.test",
        "NEXTBEST_MAX_BODY_BYTES": "2048",
    }
    with serve(env) as (base, _):
        publishable = {"Authorization": "Bearer pk_serve"}
        refused = httpx.get(f"{base}/v1/policies", headers=publishable)
        assert refused.status_code == 403
        assert "needs a secret key" in refused.json()["error"]["message"]
        assert httpx.get(f"{base}/v1/policies", headers={"Authorization": "Bearer sk_serve"}).status_code == 200
        preflight = {"Origin": "https://shop.example.test", "Access-Control-Request-Method": "POST"}
        answered = httpx.options(f"{base}/v1/decide", headers=preflight)
        assert answered.headers["access-control-allow-origin"] == "https://shop.example.test"
        other = httpx.options(f"{base}/v1/decide", headers=preflight | {"Origin": "https://other.example.test"})
        assert other.status_code == 400
        chunks = iter([b'{"event": "' + b"x" * 1500, b"x" * 1500 + b'"}'])
        headers = publishable | {"content-type": "application/json"}
        too_large = httpx.post(f"{base}/v1/decide", content=chunks, headers=headers, timeout=10)
        assert too_large.status_code == 413
        assert too_large.json()["error"]["code"] == "payload_too_large"
