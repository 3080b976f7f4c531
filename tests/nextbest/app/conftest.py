"""A configured ledger for tests that run the CLI or a real server: the settings env of a fresh SQLite data
dir or a fresh PostgreSQL schema, and a way to open the same ledger from the test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from guardrails.ledger import Ledger, PostgresLedger, SqliteLedger
from nextbest.clock import Clock

POSTGRES_URL = os.environ.get("NEXTBEST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class LedgerEnv:
    """The NEXTBEST_* variables that select one ledger, and that ledger opened directly."""

    env: dict[str, str]
    schema: str | None = None

    @property
    def data_dir(self) -> Path:
        return Path(self.env["NEXTBEST_DATA_DIR"])

    async def open(self, clock: Clock | None = None) -> Ledger:
        if self.schema is not None:
            return await PostgresLedger.open(POSTGRES_URL, schema=self.schema, clock=clock)
        return SqliteLedger(self.data_dir / "ledger.sqlite3", clock=clock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerEnv]:
    env = {"NEXTBEST_DATA_DIR": str(tmp_path / "data"), "NEXTBEST_REDIS_URL": "", "NEXTBEST_DATABASE_URL": ""}
    (tmp_path / "data").mkdir()
    if request.param == "sqlite":
        yield LedgerEnv(env)
        return
    schema = f"test_app_{uuid.uuid4().hex[:12]}"
    yield LedgerEnv(env | {"NEXTBEST_DATABASE_URL": POSTGRES_URL, "NEXTBEST_DATABASE_SCHEMA": schema}, schema)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
