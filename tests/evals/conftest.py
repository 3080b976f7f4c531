"""Fixtures for the eval tests: the world, the committed scenarios, and a live `nextbest serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from evals.scenario import SCENARIO_DIR, Scenario, load_scenarios
from nextbest.world import World, load_world


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture(scope="module")
def suite() -> dict[str, Scenario]:
    return {scenario.id: scenario for scenario in load_scenarios()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(base: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)  # polling for the port to open, not waiting on state
    raise AssertionError("nextbest serve did not come up")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `nextbest serve` (rules only, no holdout, bearer key `secret`) on a free port; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "NEXTBEST_DATA_DIR": str(tmp_path_factory.mktemp("server-data")),
        "NEXTBEST_HOLDOUT_PERCENT": "0",
        "NEXTBEST_API_KEYS": "secret",
        "NEXTBEST_MODEL": "",
        "NEXTBEST_REDIS_URL": "",
        "NEXTBEST_POLICY_WATCH": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "nextbest.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def subset(tmp_path: Path) -> Callable[[set[str]], str]:
    """Writes a jsonl of just these committed scenarios, for `--scenarios`, and returns its path."""

    def write(ids: set[str]) -> str:
        lines = [
            line
            for path in sorted(SCENARIO_DIR.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if json.loads(line)["id"] in ids
        ]
        assert len(lines) == len(ids)
        target = tmp_path / "subset.jsonl"
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(target)

    return write
