"""`GET /v1/reports/lift` over the running service's own ledger."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .conftest import example_body


def test_lift_counts_the_decided_customers_by_group(api_client: Callable[..., TestClient]) -> None:
    client = api_client(holdout_percent=50.0)
    for i in range(12):
        body = example_body("cart_abandonment")
        body["event"]["event_id"] = f"lift-evt-{i}"
        body["event"]["user_id"] = body["profile"]["user_id"] = f"lift-user-{i}"
        answer = client.post("/v1/decide", json=body)
        assert answer.status_code == 200, answer.text
    answer = client.get("/v1/reports/lift", params={"since": "2026-11-01T00:00:00Z"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["holdout_percent"] == 50.0
    (entry,) = report["playbooks"]
    assert entry["playbook"] == "cart_abandonment"
    assert entry["treatment_customers"] + entry["holdout_customers"] == 12
    assert entry["holdout_customers"] > 0
    assert entry["treatment_rate"]["estimate"] == 0.0
    assert entry["ratio"]["expected_share"] == 0.5


def test_filters_and_bad_input(api_client: Callable[..., TestClient]) -> None:
    client = api_client()
    empty = client.get("/v1/reports/lift", params={"playbook": "no_such_playbook", "outcome": "clicked"})
    assert empty.status_code == 200
    assert empty.json()["playbooks"] == []
    assert empty.json()["outcome"] == "clicked"
    for since in ("last tuesday", "0.5", "2026-11-01T00:00:00"):  # not ISO, seconds, no offset
        bad = client.get("/v1/reports/lift", params={"since": since})
        assert bad.status_code == 422, since
        assert "since" in bad.text
    assert client.get("/v1/reports/lift", params={"outcome": "bought"}).status_code == 422
