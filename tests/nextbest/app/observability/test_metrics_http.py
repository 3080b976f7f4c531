"""`/metrics` scraped from a real `nextbest serve` and parsed with prometheus-client's own parser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def _body(name: str, event_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    if event_id is not None:
        body["event"]["event_id"] = event_id
    return body


def _samples(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{base}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _sum(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], metric: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items() if sample == metric and wanted <= found)


def test_metrics_count_decisions_by_their_labels(tmp_path: Path, serve: Any) -> None:
    with serve({"NEXTBEST_DATA_DIR": str(tmp_path)}) as (base, _):
        before = _samples(base)
        assert _sum(before, "nextbest_decisions_total") == 0
        made = [
            httpx.post(f"{base}/v1/decide", json=_body(name), timeout=10).json()
            for name in ("cart_abandonment", "cross_sell_app", "nothing_fits")
        ]
        replay = httpx.post(f"{base}/v1/decide", json=_body("cart_abandonment"), timeout=10)
        assert replay.json()["replayed"] is True
        cart = replay.json()
        after = _samples(base)

    assert _sum(after, "nextbest_decisions_total") == 3, "a replay is not a new decision"
    assert _sum(after, "nextbest_decisions_total", decided_by="rules") == 3
    for decision in made:
        labels = {
            "action": decision["action"],
            "playbook": decision["use_case"] or "",
            "fallback_reason": decision["fallback_reason"] or "",
        }
        assert _sum(after, "nextbest_decisions_total", **labels) >= 1, labels
    assert _sum(after, "nextbest_decisions_total", playbook=cart["use_case"], action=cart["action"]) >= 1
    assert _sum(after, "nextbest_decision_seconds_count", decided_by="rules") == 3
    steps = [step for decision in made for step in decision["trace"]["steps_ms"]]
    assert "gather" in steps
    for step in set(steps):
        assert _sum(after, "nextbest_step_seconds_count", step=step) == steps.count(step), step
    assert _sum(after, "nextbest_ledger_seconds_count", op="commit") >= 3
    assert _sum(after, "nextbest_ledger_seconds_count", op="find_by_event") == 4
    assert cart["guardrails"]
    for verdict in cart["guardrails"]:
        assert _sum(after, "nextbest_guardrail_verdicts_total", name=verdict["name"], outcome=verdict["verdict"]) >= 1
    assert _sum(after, "nextbest_model_calls_total") == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve_workers(data_dir: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "NEXTBEST_DATA_DIR": str(data_dir),
        "NEXTBEST_MODEL": "",
        "NEXTBEST_REDIS_URL": "",
        "NEXTBEST_API_KEYS": "",
        "NEXTBEST_POLICY_WATCH": "false",
        "NEXTBEST_HOLDOUT_PERCENT": "0",
    }
    command = [
        sys.executable,
        "-m",
        "nextbest.app.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.1)  # polling for the port to open, not waiting on state
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _writer_pids(folder: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}


def test_two_workers_report_the_counts_of_both(tmp_path: Path) -> None:
    with _serve_workers(tmp_path, workers=2) as base:
        folder = tmp_path / "prometheus"
        sent = 0
        while len(_writer_pids(folder)) < 2:  # fresh connections until both workers have decided (bounded)
            assert sent < 200, f"one worker took all {sent} decisions"
            answer = httpx.post(f"{base}/v1/decide", json=_body("cart_abandonment", f"evt-w-{sent}"), timeout=10)
            assert answer.status_code == 200, answer.text
            sent += 1
        first, second = _samples(base), _samples(base)

    assert _sum(first, "nextbest_decisions_total") == sent
    assert _sum(second, "nextbest_decisions_total") == sent
