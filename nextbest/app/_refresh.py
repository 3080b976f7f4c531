"""Live refresh: each worker polls the retail store's change version and applies the changes to its data view.

    refresher = DataRefresher(store, data, poll_s=0.25, index=index_or_None)
    await refresher.start()   ...   await refresher.stop()

Changes are applied on the event loop between requests, in one synchronous step, so a decision reads either
the old data or the new, never half of each. Stock is read from memory after retrieval, so a stock change never
waits for the vector index; the index only follows product changes, and only in the process that owns index
writes (embedded Chroma is not safe for several writers, chroma-core/chroma#3792): the one holding
`data_dir/index.lock`, or every process when a Chroma server is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nextbest.contracts import Product
from nextbest.errors import NextbestError
from nextbest.retail import RetailSnapshot, RetailStore
from tools.catalog import CatalogIndex
from tools.data import RetailData

__all__ = ["DataRefresher", "IndexWriteLock", "data_from_snapshot", "load_data"]

log = logging.getLogger(__name__)


def data_from_snapshot(snapshot: RetailSnapshot) -> RetailData:
    return RetailData(
        snapshot.products.values(),
        snapshot.stores.values(),
        snapshot.offers.values(),
        snapshot.stock,
        version=snapshot.version,
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off while a catalog loads. 100k products with their variants are a million new
    objects, and nothing of them is garbage: with the collector on, each young-generation threshold rescans
    them (the products' decoding took 3.3 s of CPU with it, 1.2 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def load_data(store: RetailStore) -> RetailData:
    """The worker's data view of everything in `store`: its start-up load, and a reload after a reset."""
    with _collector_paused():
        return data_from_snapshot(await store.load())


class IndexWriteLock:
    """An exclusive, non-blocking lock file: the one process that holds it writes the embedded index."""

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] | None = path.open("ab")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class DataRefresher:
    """Polls `store.version()` every `poll_s` and applies `changes_since` to `data` in place."""

    def __init__(
        self, store: RetailStore, data: RetailData, *, poll_s: float, index: CatalogIndex | None = None
    ) -> None:
        self._store = store
        self._data = data
        self._poll_s = poll_s
        self._index = index
        self._task: asyncio.Task[None] | None = None
        # The poll and a write route may refresh at once: one at a time, or an older change set could be
        # applied after a newer one.
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="nextbest-data-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self.refresh()
            except NextbestError as exc:  # a store hiccup: keep serving the data we hold, try again next poll
                log.warning("data refresh failed, keeping version %d: %s", self._data.version, exc)

    async def refresh(self) -> bool:
        """One poll; True when something was applied."""
        async with self._lock:
            if await self._store.version() == self._data.version:
                return False
            changes = await self._store.changes_since(self._data.version)
            before = set(self._data.products)
            if changes.reset:
                self._data.replace(await load_data(self._store))
            else:
                self._data.apply(changes)
            if (changes.reset or changes.products or changes.deleted_products) and self._index is not None:
                products = list(self._data.products.values())  # a copy: the next poll may edit the view meanwhile
                removed = sorted(before - set(self._data.products))
                await asyncio.to_thread(self._follow_index, self._index, products, removed)
            return True

    def _follow_index(self, index: CatalogIndex, products: list[Product], removed: list[str]) -> None:
        inventory = self._data.inventory
        try:
            if removed:
                index.remove(removed)
            index.upsert(products, lambda pid: inventory.available(pid))
        except NextbestError as exc:
            log.warning("catalog index did not follow the change: %s", exc)
