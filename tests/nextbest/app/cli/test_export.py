"""`nextbest export decisions|outcomes` through the CLI, on SQLite and PostgreSQL, read back with pyarrow."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from guardrails.ledger.log import PAGE_SIZE
from nextbest.app.cli import app
from nextbest.app.cli._log_files import DECISION_SCHEMA, OUTCOME_SCHEMA
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision, FeedbackOutcome, GuardrailVerdict, OfferPick

if TYPE_CHECKING:
    from tests.nextbest.app.conftest import LedgerEnv

START = datetime(2027, 3, 9, 22, 15, 0, 5, tzinfo=UTC)
COUNT = PAGE_SIZE + 7  # more than one page, so the export pages through the ledger
runner = CliRunner()


def _decision(n: int, at: datetime) -> Decision:
    served = n % 3 != 0
    return Decision(
        decision_id=f"xp{n:05d}",
        event_id=f"xp-evt-{n}",
        user_id=f"shopper-{n % 11}",
        action=ActionKind.OFFER if served else ActionKind.NONE,
        channel=Channel.PUSH if served else None,
        offer=OfferPick(offer_id=f"off-{n % 4}") if served else None,
        guardrails=[GuardrailVerdict(name="consent", verdict="pass")],
        decided_by=DecidedBy.RULES,
        policy_version="xp-1",
        decided_at=at,
        latency_ms=n / 10,
    )


async def _fill(configured: LedgerEnv) -> None:
    clock = FixedClock(START)
    ledger = await configured.open(clock)
    try:
        for n in range(COUNT):
            at = START + timedelta(seconds=n // 2)  # pairs share a timestamp
            decision = _decision(n, at)
            await ledger.commit(decision, subject_id=f"shopper-{n % 11}", request_fingerprint="fp")
            if n % 5 == 0:
                await ledger.record_feedback(decision.decision_id, FeedbackOutcome.OPENED, at + timedelta(hours=2))
    finally:
        await ledger.close()


def _export(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_export_parquet_has_the_schema_and_every_row(
    ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asyncio.run(_fill(ledger_env))
    out = tmp_path / "decisions.parquet"
    since = (START + timedelta(seconds=100)).isoformat()
    said = _export(ledger_env.env, monkeypatch, "decisions", "--since", since, "--format", "parquet", "--out", str(out))
    table = pq.read_table(out)
    assert table.schema.equals(DECISION_SCHEMA)
    expected = [f"xp{n:05d}" for n in range(200, COUNT)]
    assert table.column("decision_id").to_pylist() == expected
    assert f"wrote {len(expected):,} decisions" in said
    first = table.slice(0, 1).to_pylist()[0]
    assert first["decided_at"] == START + timedelta(seconds=100)
    assert (first["arm"], first["offer_id"], first["propensity"]) == ("push/off-0", "off-0", 1.0)
    assert dict(first["guardrails"]) == {"consent": "pass"}
    assert table.column("action").to_pylist()[1] == "none"  # n = 201 is a none decision

    outcomes = tmp_path / "outcomes.parquet"
    _export(
        ledger_env.env,
        monkeypatch,
        "outcomes",
        "--since",
        START.date().isoformat(),
        "--format",
        "parquet",
        "--out",
        str(outcomes),
        "--until",
        (START + timedelta(hours=2, seconds=10)).isoformat(),
    )
    read = pq.read_table(outcomes)
    assert read.schema.equals(OUTCOME_SCHEMA)
    assert read.column("decision_id").to_pylist() == [f"xp{n:05d}" for n in range(0, 20, 5)]
    assert set(read.column("outcome").to_pylist()) == {"opened"}


def test_export_jsonl_rows_match_the_parquet_ones(
    ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asyncio.run(_fill(ledger_env))
    since, until = START.isoformat(), (START + timedelta(seconds=3)).isoformat()
    jsonl, parquet = tmp_path / "d.jsonl", tmp_path / "d.parquet"
    _export(ledger_env.env, monkeypatch, "decisions", "--since", since, "--until", until, "--out", str(jsonl))
    _export(
        ledger_env.env,
        monkeypatch,
        "decisions",
        "--since",
        since,
        "--until",
        until,
        "--format",
        "parquet",
        "--out",
        str(parquet),
    )
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [line["decision_id"] for line in lines] == [f"xp{n:05d}" for n in range(6)]
    assert [line["decision_id"] for line in lines] == pq.read_table(parquet).column("decision_id").to_pylist()
    assert set(lines[0]) == set(DECISION_SCHEMA.names)
