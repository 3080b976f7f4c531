"""Test-wide safety: no test reaches the network beyond this machine's loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


# ---- shared fixtures: the demo world, example requests and a wired runtime on a throwaway ledger ----

import json  # noqa: E402
from collections.abc import AsyncIterator, Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from nextbest.contracts import DecideRequest  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def world() -> Any:
    from nextbest.world import load_world

    return load_world()


@pytest.fixture
def example() -> Callable[[str], DecideRequest]:
    def load(name: str) -> DecideRequest:
        return DecideRequest.model_validate(json.loads((EXAMPLES / f"{name}.json").read_text()))

    return load


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from nextbest.settings import Settings

    return Settings(
        data_dir=tmp_path / "data", holdout_percent=0, redis_url=None, model=None, api_keys="", policy_watch=False
    )


@pytest.fixture
async def runtime_factory(settings: Any, world: Any) -> AsyncIterator[Callable[..., Any]]:
    """Open runtimes on the test's data dir (rules only unless a model is given); all are closed after."""
    from nextbest.app.bootstrap import open_runtime

    opened: list[Any] = []

    async def factory(**overrides: Any) -> Any:
        chosen = overrides.pop("settings", settings)
        runtime = await open_runtime(chosen, world=world, search=overrides.pop("search", None), **overrides)
        opened.append(runtime)
        return runtime

    yield factory
    for runtime in opened:
        await runtime.aclose()


# ---- a real `nextbest serve` subprocess on a free port, for tests that talk HTTP to it ----

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import AbstractContextManager, contextmanager  # noqa: E402

import httpx  # noqa: E402

ServeProcess = tuple[str, "subprocess.Popen[bytes]"]
SERVE_DEFAULTS = {
    "NEXTBEST_HOLDOUT_PERCENT": "0",
    "NEXTBEST_MODEL": "",
    "NEXTBEST_REDIS_URL": "",
    "NEXTBEST_API_KEYS": "",
    "NEXTBEST_POLICY_WATCH": "false",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def _serve(env: dict[str, str], *, args: tuple[str, ...] = (), startup_s: float = 60) -> Iterator[ServeProcess]:
    """Start `nextbest serve` with `env` over the test defaults (and extra `args`, e.g. `--workers 2`); yield
    (base URL, process) once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nextbest.app.cli", "serve", "--port", str(port), "--log-level", "warning", *args],
        env={**os.environ, **SERVE_DEFAULTS, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while not _answers(base):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
            assert time.monotonic() < deadline, "nextbest serve did not come up"
            time.sleep(0.1)  # polling for the port to open, not waiting on state
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="session")
def serve() -> Callable[..., AbstractContextManager[ServeProcess]]:
    return _serve
