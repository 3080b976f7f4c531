"""Figure 7: `nextbest import` of a large retailer, and the memory of a process that loads it.

GMC files are generated first (not timed): `products` products × `variants` variant rows, `stores` stores, and
a local inventory row for every variant in every store (100k × 3 × 25 = 7.5 M rows at full size). Each feed
is then imported by the CLI in its own process (`--no-index`: the vector index is the catalog figure's), on a
fresh SQLite data dir; each import's peak resident set is its own rusage. Then a fresh process starts a
worker's runtime on that data dir (`open_runtime`, without the vector index: the catalog figure owns it),
decides the example requests, and reports its start-up time and its resident set while serving (VmRSS):
products as contracts, stock as one int32 SKU × store matrix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .results import Result

__all__ = ["ImportPlan", "run_imports"]

TARGET_S = 60.0
TARGET_RSS_GIB = 1.5
TARGET_LOAD_S = 5.0
_HEADER = "id\titem_group_id\ttitle\tdescription\tavailability\tprice\tbrand\tproduct_type\tsize\tcolor\tgtin\n"
_SIZES = ("S", "M", "L", "XL")
_SERVE = """
import asyncio, json, time
from pathlib import Path
from benchmarks._runtime import example_requests
from nextbest.app.bootstrap import open_runtime, settle_heap
from nextbest.settings import Settings

def status(key):
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(key))
    return int(line.split()[1]) * 1024

async def main():
    settings = Settings(holdout_percent=0, policy_watch=False, redis_url=None)
    before = status("VmRSS:")
    started = time.perf_counter()
    runtime = await open_runtime(settings, search=None)  # the worker's start-up, but for the vector index
    seconds = time.perf_counter() - started
    settle_heap()
    for request in example_requests():  # serve: decisions read the catalog and the stock matrix
        await runtime.decider.decide(request)
    data = runtime.data
    print(json.dumps({"seconds": seconds, "rss": status("VmRSS:"), "peak_rss": status("VmHWM:"),
                      "rss_before_load": before, "products": len(data.products),
                      "stock_rows": data.inventory.matrix.rows, "stock_bytes": data.stock_bytes}))
    await runtime.aclose()

asyncio.run(main())
"""


@dataclass(frozen=True)
class ImportPlan:
    products: int = 100_000
    variants: int = 3
    stores: int = 25


def _write_feeds(plan: ImportPlan, folder: Path) -> dict[str, Path]:
    stores = [f"ST-{n:03d}" for n in range(plan.stores)]
    paths = {kind: folder / f"{kind}.tsv" for kind in ("stores", "products", "inventory")}
    with paths["stores"].open("w") as out:
        out.write("store_code\tname\tlatitude\tlongitude\n")
        out.writelines(f"{code}\tStore {code}\t{40 + n / 10:.3f}\t{-3 + n / 10:.3f}\n" for n, code in enumerate(stores))
    with paths["products"].open("w") as products, paths["inventory"].open("w") as inventory:
        products.write(_HEADER)
        inventory.write("store_code\tid\tquantity\tavailability\n")
        for p in range(plan.products):
            group = f"GRP{p:07d}"
            for v in range(plan.variants):
                sku = f"SKU-{p:07d}-{v}"
                products.write(
                    f"{sku}\t{group}\tGarden tool {p}\tA sturdy tool, model {p}, for every garden.\tin_stock\t"
                    f"{5 + p % 90}.99 EUR\tBrand{p % 40}\tGarden > Tools{p % 30} > Line{p % 7}\t{_SIZES[v % 4]}\t"
                    f"green\t{4000000000000 + p * 10 + v}\n"
                )
                inventory.writelines(f"{code}\t{sku}\t{(p + v + s) % 12}\tin_stock\n" for s, code in enumerate(stores))
    return paths


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds and peak resident bytes (the child's own rusage, from wait4) of one `nextbest import` process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([sys.executable, "-m", "nextbest.app.cli", "import", *args], env=env,
                                   stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(f"nextbest import {args[0]} failed: {errors.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024


def _serve(env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _SERVE], env=env, check=False, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the serving process failed: {done.stderr[-2000:]}")
    loaded: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def run_imports(plan: ImportPlan) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="nextbest-import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = _write_feeds(plan, folder)
        generated = time.perf_counter() - started
        env = {**os.environ, "NEXTBEST_DATA_DIR": str(folder / "data"), "NEXTBEST_DATABASE_URL": ""}
        ran = {kind: _cli([kind, str(paths[kind]), "--no-index"], env) for kind in ("stores", "products", "inventory")}
        again, _ = _cli(["inventory", str(paths["inventory"]), "--no-index"], env)
        served = _serve(env)
        db_bytes = sum(f.stat().st_size for f in (folder / "data").glob("retail.sqlite3*"))
    seconds = {kind: value[0] for kind, value in ran.items()}
    import_peak = max(value[1] for value in ran.values()) / 2**30
    total = sum(seconds.values())
    rows = plan.products * plan.variants
    detail = {"product_rows": rows, "stock_rows": rows * plan.stores, "generate_s": round(generated, 1),
              "import_s": {k: round(v, 2) for k, v in seconds.items()}, "db_bytes": db_bytes,
              "import_peak_rss": {k: v[1] for k, v in ran.items()}}  # fmt: skip
    rss_gib = served["rss"] / 2**30
    return [
        Result.of("import.total", total, "s", target=f"≤ {TARGET_S:g} s", met=total <= TARGET_S, extra=detail),
        Result.of("import.products", seconds["products"], "s", extra={"rows": rows}),
        Result.of("import.inventory", seconds["inventory"], "s", extra={"rows": rows * plan.stores}),
        Result.of("import.inventory.unchanged", again, "s", extra={"note": "the same feed again: 0 changes"}),
        Result.of("import.peak_rss", import_peak, "GiB", extra={"note": "the largest of the 3 import processes"}),
        Result.of(
            "import.load.seconds",
            served["seconds"],
            "s",
            target=f"≤ {TARGET_LOAD_S:g} s",
            met=served["seconds"] <= TARGET_LOAD_S,
            extra=served,
        ),
        Result.of(
            "import.serving_rss",
            rss_gib,
            "GiB",
            target=f"≤ {TARGET_RSS_GIB:g} GiB",
            met=rss_gib <= TARGET_RSS_GIB,
            extra=served,
        ),
    ]
