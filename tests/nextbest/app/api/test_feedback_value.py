"""A converted feedback's value through `POST /v1/feedback`, then the lift report, over SQLite and Redis.

`GET /v1/reports/lift` and `nextbest report lift` read the same store and must agree to the last digit.
Redis runs in database 13, emptied before and after, so no other test's keys are in the way.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import redis
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nextbest.app.cli import app as cli
from nextbest.settings import default_policy_dir

from .conftest import example_body

REDIS_DB_URL = "redis://127.0.0.1:6379/13"
SINCE = "2026-11-01T00:00:00Z"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    client = redis.Redis.from_url(REDIS_DB_URL)
    client.flushdb()
    yield REDIS_DB_URL
    client.flushdb()
    client.close()


def _decide(client: TestClient, number: int) -> dict[str, Any]:
    body = example_body("cart_abandonment")
    body["event"]["event_id"] = f"fv-evt-{number:03d}"
    body["event"]["user_id"] = body["profile"]["user_id"] = f"Shopper.{number:03d}-x"
    answer = client.post("/v1/decide", json=body)
    assert answer.status_code == 200, answer.text
    decision: dict[str, Any] = answer.json()
    return decision


def test_bad_values_are_422_naming_the_problem(api_client: Callable[..., TestClient]) -> None:
    client = api_client()
    decision = _decide(client, 1)
    base = {"decision_id": decision["decision_id"], "occurred_at": "2026-11-28T16:00:00Z"}
    cases = {
        "value is only reported on a converted": {"outcome": "clicked", "value": 12.0, "currency": "EUR"},
        "value and currency go together": {"outcome": "converted", "currency": "EUR"},
        "not an ISO 4217 currency": {"outcome": "converted", "value": 12.0, "currency": "EUX"},
        "greater than or equal to 0": {"outcome": "converted", "value": -0.01, "currency": "EUR"},
        "valid number": {"outcome": "converted", "value": True, "currency": "EUR"},
    }
    for message, fields in cases.items():
        answer = client.post("/v1/feedback", json=base | fields)
        assert answer.status_code == 422, (fields, answer.text)
        assert message in answer.text, answer.text
    endless = json.dumps(base | {"outcome": "converted", "currency": "EUR"})[:-1] + ', "value": 1e999}'
    answer = client.post("/v1/feedback", content=endless, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "finite number" in answer.text, answer.text
    without = client.post("/v1/feedback", json=base | {"outcome": "converted", "value": 12.0})
    assert without.status_code == 422 and "currency" in without.text
    answer = client.post("/v1/feedback", json=base | {"outcome": "converted", "value": 0, "currency": "BRL"})
    assert answer.status_code == 200 and answer.json()["recorded"]


def test_api_and_cli_lift_agree_with_revenue_per_currency(
    api_client: Callable[..., TestClient], store_url: str | None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client(holdout_percent=40.0, redis_url=store_url)
    paid = {"EUR": 0.0, "GBP": 0.0}
    for number in range(30):
        decision = _decide(client, number)
        if number % 3 == 0:
            currency = "EUR" if number % 2 else "GBP"
            value = 10.0 + number
            paid[currency] += value
            feedback = {
                "decision_id": decision["decision_id"], "outcome": "converted", "occurred_at": "2026-11-28T16:00:00Z",
                "value": value, "currency": currency,
            }  # fmt: skip
            assert client.post("/v1/feedback", json=feedback).status_code == 200
    answer = client.get("/v1/reports/lift", params={"since": SINCE})
    assert answer.status_code == 200, answer.text
    served = answer.json()
    (entry,) = served["playbooks"]
    revenue = {r["currency"]: r for r in entry["revenue"]}
    assert sorted(revenue) == ["EUR", "GBP"]
    for currency, total in paid.items():
        row = revenue[currency]
        assert (row["treatment_customers"], row["holdout_customers"]) == (
            entry["treatment_customers"],
            entry["holdout_customers"],
        )
        groups = row["treatment_customers"] * row["treatment"]["estimate"]
        groups += row["holdout_customers"] * row["holdout"]["estimate"]
        assert groups == pytest.approx(total)  # every value counted once, in its own currency
    client.__exit__(None, None, None)  # the CLI opens the same store next

    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NEXTBEST_HOLDOUT_PERCENT", "40")
    if store_url is not None:
        monkeypatch.setenv("NEXTBEST_REDIS_URL", store_url)
    printed = CliRunner().invoke(cli, ["report", "lift", "--since", SINCE, "--json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == served
    text = CliRunner().invoke(cli, ["report", "lift", "--since", SINCE])
    assert "revenue per customer in EUR" in text.output and "revenue per customer in GBP" in text.output


def _learning_prompts(root: Path) -> Path:
    """The shipped prompts, with cart_abandonment learning a revenue reward uniformly over three channels."""
    target = root / "prompts"
    shutil.copytree(default_policy_dir(), target)
    playbook = target / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text()
    end = text.index("\n---\n", 4)
    block = {
        "learning": {
            "policy": "epsilon_greedy", "explore_share": 1.0, "reward": "revenue",
            "arms": {"kind": "channel", "ids": ["email", "push", "sms"]},
        }
    }  # fmt: skip
    playbook.write_text(text[:end] + "\n" + yaml.safe_dump(block, sort_keys=False) + text[end + 1 :])
    return target


@pytest.mark.slow
def test_revenue_flows_from_feedback_to_the_export_and_ope(
    api_client: Callable[..., TestClient],
    store_url: str | None,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """API decides and takes valued feedback; the CLI exports the log (Parquet) and evaluates the rules on it."""
    prompts = _learning_prompts(tmp_path)
    client = api_client(redis_url=store_url, policy_dir=prompts, learning_seed=11)
    spend = {"email": 20.0, "push": 90.0, "sms": 45.0}  # each customer served a channel buys this much
    earned: dict[str, float] = {}
    for number in range(90):
        body = example_body("cart_abandonment")
        body["event"]["event_id"] = f"rv-evt-{number:03d}"
        body["event"]["user_id"] = body["profile"]["user_id"] = f"Rv{number:03d}.k"
        body["profile"]["consent"]["sms"] = True
        body.pop("channels", None)
        decision = client.post("/v1/decide", json=body).json()
        channel = decision.get("channel")
        if channel is None:
            continue
        feedback = {
            "decision_id": decision["decision_id"], "outcome": "converted", "occurred_at": "2026-11-28T16:00:00Z",
            "value": spend[channel], "currency": "CHF",
        }  # fmt: skip
        assert client.post("/v1/feedback", json=feedback).status_code == 200
        earned[decision["decision_id"]] = spend[channel]
    client.__exit__(None, None, None)
    assert len({spend[c] for c in spend} & set(earned.values())) == 3  # uniform: every arm was served

    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NEXTBEST_POLICY_DIR", str(prompts))
    if store_url is not None:
        monkeypatch.setenv("NEXTBEST_REDIS_URL", store_url)
    log = tmp_path / "decisions.parquet"
    exported = CliRunner().invoke(
        cli, ["export", "decisions", "--since", SINCE, "--format", "parquet", "--out", str(log)]
    )
    assert exported.exit_code == 0, exported.output
    rows = {row["decision_id"]: row for row in pq.read_table(log).to_pylist()}
    for decision_id, value in earned.items():
        assert (rows[decision_id]["reward"], rows[decision_id]["currency"]) == (value, "CHF")
    answer = CliRunner().invoke(cli, ["eval", "ope", "--log", str(log), "--policy", "rules", "--json"])
    assert answer.exit_code == 0, answer.output
    report = json.loads(answer.output[: answer.output.rindex("}") + 1])["cart_abandonment"]
    ips = {e["estimator"]: e for e in report["estimates"]}["ips"]
    assert ips["low"] <= spend["email"] <= ips["high"]  # the rules serve email, the playbook's first channel
    assert report["logged_value"] == pytest.approx(sum(earned.values()) / report["rows"])
