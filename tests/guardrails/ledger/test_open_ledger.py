from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.ledger import RedisLedger, SqliteLedger, open_ledger
from nextbest.errors import StoreError
from nextbest.settings import Settings


async def test_sqlite_by_default_in_the_data_dir(tmp_path: Path) -> None:
    ledger = await open_ledger(Settings(data_dir=tmp_path / "data", redis_url=None, reservation_ttl_s=60))
    try:
        assert isinstance(ledger, SqliteLedger)
        assert (tmp_path / "data" / "ledger.sqlite3").is_file()
    finally:
        await ledger.close()


@pytest.mark.redis
async def test_redis_when_a_url_is_set(tmp_path: Path) -> None:
    ledger = await open_ledger(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0"))
    try:
        assert isinstance(ledger, RedisLedger)
        assert await ledger.get_decision("no-such-decision") is None
    finally:
        await ledger.close()
    assert not (tmp_path / "ledger.sqlite3").exists()


async def test_unreachable_redis_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Redis ledger"):
        await open_ledger(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0"))
