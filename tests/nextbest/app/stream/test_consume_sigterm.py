"""`nextbest consume` as a real process: SIGTERM mid-load drains and exits 0, and every acked event is decided."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guardrails.ledger import open_ledger
from nextbest.settings import Settings

pytestmark = pytest.mark.redis

EVENTS = 1500
SIGNAL_AFTER = 30
ENV = {
    "NEXTBEST_HOLDOUT_PERCENT": "0",
    "NEXTBEST_MODEL": "",
    "NEXTBEST_REDIS_URL": "",
    "NEXTBEST_DATABASE_URL": "",
    "NEXTBEST_API_KEYS": "",
    "NEXTBEST_POLICY_WATCH": "false",
}


def _consumer(streams: Any, data_dir: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "nextbest.app.cli",
        "consume",
        "--redis-stream",
        streams.key,
        "--group",
        streams.group,
        "--consumer",
        "c1",
        "--concurrency",
        "8",
        "--redis-url",
        "redis://127.0.0.1:6379/0",
    ]
    env = {**os.environ, **ENV, "NEXTBEST_DATA_DIR": str(data_dir)}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _acked_event_ids(streams: Any) -> tuple[list[str], int]:
    """The event ids of the messages the group acked (delivered and no longer pending), and how many are pending."""
    group = next(g for g in await streams.client.xinfo_groups(streams.key) if g["name"] == streams.group)
    delivered = await streams.client.xrange(streams.key, max=group["last-delivered-id"])
    pending = {
        row["message_id"] for row in await streams.client.xpending_range(streams.key, streams.group, "-", "+", EVENTS)
    }
    acked = [fields["request"] for entry_id, fields in delivered if entry_id not in pending]
    return [_event_id(body) for body in acked], len(pending)


def _event_id(body: str) -> str:
    event_id: str = json.loads(body)["event"]["event_id"]
    return event_id


async def test_sigterm_mid_load_drains_exits_0_and_loses_nothing_acked(streams: Any, tmp_path: Path) -> None:
    await streams.add(EVENTS)
    process = _consumer(streams, tmp_path / "data")
    try:

        async def some_published() -> bool:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
            return int(await streams.client.xlen(streams.out)) >= SIGNAL_AFTER

        await streams.wait_until(f"{SIGNAL_AFTER} decisions", some_published)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        stderr = process.stderr.read().decode() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert "stopped:" in stderr and "Traceback" not in stderr, stderr

    acked, pending = await _acked_event_ids(streams)
    assert pending == 0, "a drained consumer leaves nothing it read unacked"
    assert SIGNAL_AFTER <= len(acked) < EVENTS, "the signal came mid-load"
    published = {fields["event_id"] for fields in await streams.published()}
    settings = Settings(data_dir=tmp_path / "data", redis_url=None, database_url=None)
    ledger = await open_ledger(settings)
    try:
        for event_id in acked:
            assert event_id in published
            assert await ledger.find_by_event(event_id) is not None, f"{event_id} acked but not in the ledger"
    finally:
        await ledger.close()
