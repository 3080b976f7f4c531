"""`nextbest import profiles` from a file and from PostgreSQL, then decisions that carry only a user id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.app.cli import app
from nextbest.clock import FixedClock
from nextbest.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # midnight in Tokyo

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
runner = CliRunner()


MEMORY_WAIT_MS = 1000


@pytest.fixture
def env(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(settings.data_dir))
    for name in ("NEXTBEST_DATABASE_URL", "NEXTBEST_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    # These tests are about what a stored profile does, not the recall's time bound (tests/agent/test_recall.py):
    # a cold first read on a loaded CI machine may take over the default 100 ms and decide without memory.
    return settings.model_copy(update={"memory_timeout_ms": MEMORY_WAIT_MS})


def _profiles(night_owl: str, denier: str) -> list[dict[str, Any]]:
    return [
        {"user_id": night_owl, "consent": {"email": True}, "timezone": "Asia/Tokyo", "traits": {"first_name": "Haru"}},
        {"user_id": denier, "consent": {"email": False, "push": False}, "timezone": "Europe/Oslo"},
    ]


@pytest.fixture
def api_client(env: Settings, world: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    async def factory(chosen: Settings) -> Any:
        return await open_runtime(chosen, clock=FixedClock(NOW), world=world, search=None)

    clients: list[Any] = []

    def make() -> Any:
        client = TestClient(create_app(env, runtime_factory=factory), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _cart_for(user: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "cart_abandonment.json").read_text())
    body["event"].update(event_id=f"evt-{uuid.uuid4().hex[:10]}", user_id=user, occurred_at=NOW.isoformat())
    del body["profile"]
    body["channels"] = ["email"]
    return body


def _check_decisions(client: Any, night_owl: str, denier: str) -> None:
    deferred = client.post("/v1/decide", json=_cart_for(night_owl)).json()
    assert deferred["channel"] == "email", deferred["trace"].get("memory")
    send_at = datetime.fromisoformat(deferred["send_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
    assert send_at.hour == 8  # NOW is midnight in Tokyo: the stored time zone put it in quiet hours
    memory = deferred["trace"]["memory"]
    assert {"timezone", "consent.email"} <= set(memory["profile_from_store"])
    assert memory["profile_from_request"] == []

    widened = _cart_for(denier)
    widened["profile"] = {"user_id": denier, "consent": {"email": True}}
    refused = client.post("/v1/decide", json=widened).json()
    assert refused["channel"] != "email"
    assert refused["trace"]["memory"]["stored_denials"] == ["email"]
    assert refused["trace"]["memory"]["profile_from_request"] == ["consent"]


@pytest.fixture
def ids() -> tuple[str, str]:
    return f"owl-{uuid.uuid4().hex[:8]}", f"deny-{uuid.uuid4().hex[:8]}"


def test_profiles_from_a_file_are_used_by_decisions(env: Any, api_client: Any, tmp_path: Path, ids: Any) -> None:
    night_owl, denier = ids
    rows = [*_profiles(night_owl, denier), {"user_id": "bad-tz", "timezone": "Mars/Olympus_Mons"}]
    source = tmp_path / "profiles.jsonl"
    source.write_text("\n".join(json.dumps(row) for row in rows) + "\n{not json\n")
    result = runner.invoke(app, ["import", "profiles", str(source)])
    assert result.exit_code == 1, result.output  # some rows were rejected
    assert "2 stored, 2 rejected" in result.stdout
    assert "profiles.jsonl:3: timezone" in result.stderr and "profiles.jsonl:4" in result.stderr
    _check_decisions(api_client(), night_owl, denier)


@pytest.mark.postgres
def test_profiles_from_postgresql_are_used_by_decisions(env: Any, api_client: Any, ids: Any) -> None:
    night_owl, denier = ids
    schema = f"test_import_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "crm_profiles")
        conn.execute(sql.SQL("CREATE TABLE {} (user_id text, consent jsonb, timezone text, traits text)").format(table))
        for row in _profiles(night_owl, denier):
            conn.execute(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(table),
                (row["user_id"], json.dumps(row["consent"]), row["timezone"], None),
            )
    try:
        query = f"SELECT user_id, consent, timezone, traits FROM {schema}.crm_profiles"
        result = runner.invoke(app, ["import", "profiles", "--from-sql", POSTGRES_URL, "--query", query, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["stored"] == 2
        _check_decisions(api_client(), night_owl, denier)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_import_needs_one_source(env: Any) -> None:
    result = runner.invoke(app, ["import", "profiles"])
    assert result.exit_code == 2 and "PATH or --from-sql" in result.stderr
