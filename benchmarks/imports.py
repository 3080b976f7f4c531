"""Figure 7: `nextbest import` of a large retailer, and the memory of a process that loads it.

GMC files are generated first (not timed): `products` products × `variants` variant rows, `stores` stores, and
a local inventory row for every variant in every store (100k × 3 × 25 = 7.5 M rows at full size). Each feed
is then imported by the CLI in its own process (`--no-index`: the vector index is the catalog figure's), on a
fresh SQLite data dir. Memory: the peak resident set of a fresh process that loads the whole store
(`RetailStore.load()`: products as contracts, stock as Arrow columns).
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
_HEADER = "id\titem_group_id\ttitle\tdescription\tavailability\tprice\tbrand\tproduct_type\tsize\tcolor\tgtin\n"
_SIZES = ("S", "M", "L", "XL")
_LOAD = """
import asyncio, json, resource, time
from nextbest.retail import open_retail_store
from nextbest.settings import Settings

async def main():
    store = await open_retail_store(Settings())
    started = time.perf_counter()
    snapshot = await store.load()
    seconds = time.perf_counter() - started
    await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_rss": peak, "products": len(snapshot.products),
                      "stock_rows": snapshot.stock.num_rows, "stock_bytes": snapshot.stock.nbytes}))

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


def _cli(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nextbest.app.cli", "import", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    return time.perf_counter() - started


def run_imports(plan: ImportPlan) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="nextbest-import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = _write_feeds(plan, folder)
        generated = time.perf_counter() - started
        env = {**os.environ, "NEXTBEST_DATA_DIR": str(folder / "data"), "NEXTBEST_DATABASE_URL": ""}
        seconds = {
            kind: _cli([kind, str(paths[kind]), "--no-index"], env) for kind in ("stores", "products", "inventory")
        }
        again = _cli(["inventory", str(paths["inventory"]), "--no-index"], env)
        load = subprocess.run([sys.executable, "-c", _LOAD], env=env, check=True, capture_output=True, text=True)
        loaded = json.loads(load.stdout)
        db_bytes = sum(f.stat().st_size for f in (folder / "data").glob("retail.sqlite3*"))
    total = sum(seconds.values())
    rows = plan.products * plan.variants
    detail = {"product_rows": rows, "stock_rows": rows * plan.stores, "generate_s": round(generated, 1),
              "import_s": {k: round(v, 2) for k, v in seconds.items()}, "db_bytes": db_bytes}  # fmt: skip
    peak_gib = loaded["peak_rss"] / 2**30
    return [
        Result.of("import.total", total, "s", target=f"≤ {TARGET_S:g} s", met=total <= TARGET_S, extra=detail),
        Result.of("import.products", seconds["products"], "s", extra={"rows": rows}),
        Result.of("import.inventory", seconds["inventory"], "s", extra={"rows": rows * plan.stores}),
        Result.of("import.inventory.unchanged", again, "s", extra={"note": "the same feed again: 0 changes"}),
        Result.of("import.load.seconds", loaded["seconds"], "s", extra=loaded),
        Result.of(
            "import.load.peak_rss",
            peak_gib,
            "GiB",
            target=f"≤ {TARGET_RSS_GIB:g} GiB",
            met=peak_gib <= TARGET_RSS_GIB,
            extra=loaded,
        ),
    ]
