"""Regenerate the committed demo world (and, on request, the example requests).

python -m nextbest.world.generate [--seed 7] [--out PATH] [--examples DIR]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from . import DEFAULT_SEED, WORLD_PATH, generate_world, write_world
from ._examples import write_examples

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the world (and examples when asked); print what was written."""
    parser = argparse.ArgumentParser(prog="python -m nextbest.world.generate", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=WORLD_PATH, help="where to write the gzip JSON world")
    parser.add_argument("--examples", type=Path, default=None, help="also write example requests here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = generate_world(args.seed)
    write_world(world, args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB): {len(world.products)} products, "
        f"{len(world.stores)} stores, {len(world.stock)} stock rows, {len(world.offers)} offers, "
        f"{len(world.customers)} customers in {time.perf_counter() - started:.2f}s"
    )
    if args.examples is not None:
        for path in write_examples(world, args.examples):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
