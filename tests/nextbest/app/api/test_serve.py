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
