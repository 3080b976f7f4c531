"""JSON log lines: one per decision with its request id, and no contact data from any request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from nextbest.app.observability.logs import JsonFormatter

from .conftest import example_body


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_line_is_json_and_no_email_phone_or_ip_is_logged(api_client: Any, json_lines: io.StringIO) -> None:
    client = api_client(access_log=True)
    secrets: set[str] = {"203.0.113.77"}
    decided = []
    for number, name in enumerate(("cart_abandonment", "cross_sell_app", "returning_visitor")):
        body = example_body(name)
        body["event"].setdefault("context", {})["ip"] = "203.0.113.77"
        secrets |= {value for key, value in body["profile"]["identities"].items() if key in ("email", "phone")}
        answer = client.post("/v1/decide", json=body, headers={"X-Request-Id": f"req-{number}"})
        assert answer.status_code == 200, answer.text
        decided.append(answer.json()["decision_id"])
    broken = example_body("cart_abandonment")
    broken["event"]["occurred_at"] = "not a time"
    broken["event"].setdefault("context", {})["ip"] = "203.0.113.77"
    assert client.post("/v1/decide", json=broken).status_code == 422

    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    by_decision = {line["decision_id"]: line for line in lines if line.get("logger") == "nextbest.decisions"}
    assert set(by_decision) == set(decided)
    assert by_decision[decided[0]]["request_id"] == "req-0"
    assert {"action", "decided_by", "fallback_reason", "latency_ms"} <= set(by_decision[decided[0]])
    assert any(line.get("status") == 422 for line in lines if line["logger"] == "nextbest.access")
    assert len(secrets) >= 7
    text = json_lines.getvalue()
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, leaked
