"""`kill -9` on a real `nextbest serve` under load, on SQLite and on PostgreSQL, then a restart.

Every decision and every feedback the client saw a 2xx for is in the ledger afterwards, and nothing counts
twice: replaying an acknowledged request returns the stored decision (`replayed: true`) without a second
contact, a re-sent feedback is a duplicate, and no subject holds more contacts than its contact-pressure cap.
The kill comes once a fixed number of decisions has been acknowledged (a bounded poll), with the load still
running, so requests are in flight at the kill on every run.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from guardrails.ledger.log import iter_decisions, iter_outcomes
from guardrails.policy import load_guardrail_policy
from guardrails.policy_lint import GUARDRAILS_FILE
from nextbest.settings import default_policy_dir

if TYPE_CHECKING:
    from tests.nextbest.app.conftest import LedgerEnv

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "cart_abandonment.json"
CLIENTS = 8
SUBJECTS = 6  # fewer subjects than requests, so caps and cooldowns bite while the server dies
KILL_AFTER = 40  # acknowledged decisions before the kill
WAIT_S = 90
POLL_S = 0.02


@dataclass
class Load:
    """What the clients sent and what the server acknowledged, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    decided: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id → the decision answered
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id → the request sent
    feedback: list[dict[str, Any]] = field(default_factory=list)  # feedback answered 2xx
    reported: int = 0  # feedback sent
    unexpected: list[str] = field(default_factory=list)  # answers that were neither 2xx nor a dead server

    def count(self) -> int:
        with self.lock:
            return len(self.decided)


def _body(event_id: str, subject: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    body["event"] |= {"event_id": event_id, "user_id": subject, "occurred_at": datetime.now(UTC).isoformat()}
    body["profile"] |= {"user_id": subject}
    return body


def _client(base: str, worker: int, load: Load, stop: threading.Event) -> None:
    """Decide, then report an outcome for what was decided, until the server dies."""
    with httpx.Client(base_url=base, timeout=WAIT_S) as client:
        n = 0
        while not stop.is_set():
            event_id = f"k9-{worker}-{n}"
            body = _body(event_id, f"K9-S{(worker + n) % SUBJECTS}")
            with load.lock:
                load.bodies[event_id] = body
            try:
                answer = client.post("/v1/decide", json=body)
                if answer.status_code != 200:
                    load.unexpected.append(f"decide {answer.status_code}: {answer.text[:200]}")
                    continue
                decision = answer.json()
                with load.lock:
                    load.decided[event_id] = decision
                report = {
                    "decision_id": decision["decision_id"],
                    "outcome": "delivered",
                    "occurred_at": datetime.now(UTC).isoformat(),
                }
                with load.lock:
                    load.reported += 1
                answer = client.post("/v1/feedback", json=report)
                if answer.status_code != 200:
                    load.unexpected.append(f"feedback {answer.status_code}: {answer.text[:200]}")
                    continue
                with load.lock:
                    load.feedback.append(report)
            except httpx.TransportError:
                return  # the server is gone
            finally:
                n += 1


def _wait_for(what: str, ready: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not ready():
        assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s"
        time.sleep(POLL_S)  # polling for a state, bounded


@dataclass(frozen=True)
class Stored:
    decisions: dict[str, str]  # event_id → decision_id
    outcomes: set[tuple[str, str]]  # (decision_id, outcome)
    contacts: dict[str, int]  # subject → contacts that count


async def _stored(configured: LedgerEnv) -> Stored:
    """What the ledger holds, read with a connection of its own (WAL readers and PostgreSQL both allow it)."""
    ledger = await configured.open()
    since = datetime.now(UTC) - timedelta(days=1)
    try:
        decisions: dict[str, str] = {}
        async for row in iter_decisions(ledger, since, page_size=50):
            assert row.event_id not in decisions, f"event {row.event_id} stored twice"
            decisions[row.event_id] = row.decision_id
        outcomes = [(row.decision_id, row.outcome.value) async for row in iter_outcomes(ledger, since)]
        assert len(outcomes) == len(set(outcomes)), "an outcome stored twice"
        contacts = {}
        for n in range(SUBJECTS):
            history = await ledger.history(f"K9-S{n}", since)
            contacts[f"K9-S{n}"] = sum(1 for contact in history.contacts if contact.counts)
        return Stored(decisions, set(outcomes), contacts)
    finally:
        await ledger.close()


def _run_until_killed(serve: Any, env: dict[str, str]) -> Load:
    load, stop = Load(), threading.Event()
    with serve(env) as (base, process):
        threads = [threading.Thread(target=_client, args=(base, w, load, stop)) for w in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            _wait_for(f"{KILL_AFTER} acknowledged decisions", lambda: load.count() >= KILL_AFTER or load.unexpected)
            process.kill()  # SIGKILL: no shutdown code runs
            assert process.wait(timeout=WAIT_S) == -9
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=WAIT_S)
    assert not load.unexpected, load.unexpected[:5]
    assert not any(thread.is_alive() for thread in threads)
    return load


@pytest.mark.slow
@pytest.mark.timeout(300)  # two server start-ups and the load between them, on a loaded machine
def test_kill_9_loses_nothing_acknowledged_and_counts_nothing_twice(serve: Any, ledger_env: LedgerEnv) -> None:
    load = _run_until_killed(serve, ledger_env.env)
    assert len(load.decided) >= KILL_AFTER
    unanswered = set(load.bodies) - set(load.decided)
    assert unanswered or load.reported > len(load.feedback), "the kill must catch requests in flight"

    with serve(ledger_env.env) as (base, _), httpx.Client(base_url=base, timeout=WAIT_S) as client:
        before = asyncio.run(_stored(ledger_env))
        for event_id, decision in load.decided.items():
            assert before.decisions.get(event_id) == decision["decision_id"], f"acknowledged {event_id} was lost"
            stored = client.get(f"/v1/decisions/{decision['decision_id']}")
            assert stored.status_code == 200 and stored.json() | {"replayed": False} == decision | {"replayed": False}
        assert {(report["decision_id"], "delivered") for report in load.feedback} <= before.outcomes
        for event_id, decision in load.decided.items():
            again = client.post("/v1/decide", json=load.bodies[event_id]).json()
            assert (again["decision_id"], again["replayed"]) == (decision["decision_id"], True)
        for report in load.feedback:
            assert client.post("/v1/feedback", json=report).json()["duplicate"] is True
        after_replays = asyncio.run(_stored(ledger_env))
        assert after_replays == before, "a replay was stored or counted again"
        # a client retries what got no answer: each lands once, whether the kill kept it or not
        for event_id in sorted(unanswered):
            retried = client.post("/v1/decide", json=load.bodies[event_id])
            assert retried.status_code == 200, retried.text
            assert retried.json()["replayed"] is (event_id in before.decisions)
        final = asyncio.run(_stored(ledger_env))

    assert set(final.decisions) == set(load.bodies)
    pressure = load_guardrail_policy(default_policy_dir() / GUARDRAILS_FILE).caps.contact_pressure
    most = min(cap.limit for cap in pressure)
    assert all(count <= most for count in final.contacts.values()), final.contacts
    assert sum(final.contacts.values()) > 0, "the load must make contacts for caps to be tested"
