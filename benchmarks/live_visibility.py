"""Live-change visibility: from a `POST /v1/inventory` ack to every worker of `nextbest serve --workers N` serving
the new data version (each worker's `/healthz` `data_version`, polled on new connections).

    python -m benchmarks.live_visibility [--quick] [--workers 2] [--database-url postgresql://…]

Starts its own server on a throwaway data dir (or a fresh PostgreSQL schema, dropped after), writes a small
retailer through the write routes, then flips one SKU between 0 and 5 units `rounds` times. Prints the
median, p95 and max seconds from ack to seen on all workers. Figures taken on a loaded machine are not final.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

KEY = "sk_bench_live"
AUTH = {"Authorization": f"Bearer {KEY}"}
PRODUCT = {"product_id": "bx-4410", "title": "Bench lamp", "category": "Lighting", "price": 20.0,
           "variants": [{"variant_id": "bx-4410-w", "size": "W"}]}  # fmt: skip
STORE = {"store_id": "bx-st-1", "name": "Bench store", "lat": 10.0, "lon": 20.0}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _health(base: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=5) as client:
        body: dict[str, Any] = client.get("/healthz").json()
        return body


def _seen_everywhere(base: str, workers: int, version: int, timeout_s: float = 30) -> float:
    started, seen = time.monotonic(), {}
    while len(seen) < workers or min(seen.values()) < version:
        if time.monotonic() - started > timeout_s:
            raise SystemExit(f"version {version} not on {workers} workers after {timeout_s} s: {seen}")
        health = _health(base)
        seen[health["worker"]] = health["data_version"]
    return time.monotonic() - started


def _write(base: str, path: str, body: dict[str, Any], method: str = "POST") -> int:
    response = httpx.request(method, f"{base}{path}", json=body, headers=AUTH, timeout=10)
    response.raise_for_status()
    version: int = response.json()["version"]
    return version


def run(workers: int, rounds: int, database_url: str | None) -> list[float]:
    port, data = _port(), Path(tempfile.mkdtemp(prefix="nextbest-live-"))
    env = {**os.environ, "NEXTBEST_DATA_DIR": str(data), "NEXTBEST_API_KEYS": f"secret:{KEY}"}
    env |= {"NEXTBEST_MODEL": "", "NEXTBEST_REDIS_URL": "", "NEXTBEST_POLICY_WATCH": "false"}
    env["NEXTBEST_DATABASE_URL"] = database_url or ""
    schema = f"bench_live_{uuid.uuid4().hex[:10]}"
    if database_url:
        env["NEXTBEST_DATABASE_SCHEMA"] = schema
    command = [sys.executable, "-m", "nextbest.app.cli", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        [*command, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _health(base)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("nextbest serve did not come up") from None
                time.sleep(0.1)
        _write(base, "/v1/catalog/products/bx-4410", PRODUCT, method="PUT")
        _write(base, "/v1/stores", {"stores": [STORE]})
        seconds = []
        for n in range(rounds):
            item = {"id": "bx-4410-w", "store_code": "bx-st-1", "quantity": 0 if n % 2 else 5}
            version = _write(base, "/v1/inventory", {"items": [item]})
            seconds.append(_seen_everywhere(base, workers, version))
        return seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
        if database_url:
            import psycopg

            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of the SQLite file")
    args = parser.parse_args()
    seconds = sorted(run(args.workers, 10 if args.quick else args.rounds, args.database_url))
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{backend}, {args.workers} workers, {len(seconds)} rounds: ack → seen on every worker "
          f"median {statistics.median(seconds):.3f} s, p95 {p95:.3f} s, max {seconds[-1]:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
