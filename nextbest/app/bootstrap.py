"""Compose a running nextbest from settings: retail data, tools, policies, ledger, model. The only place that wires."""

from __future__ import annotations

import gc
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Literal

from agent.candidates import CandidateTools
from agent.context import DecisionContext, PolicySource
from agent.model import ChatModel, HttpClient, ModelConfig, OpenAIChatModel, model_http_client
from agent.policies import ReloadingPolicies
from agent.service import Decider
from agent.toolbox import DecisionToolBox
from guardrails.ledger import Ledger, open_ledger
from nextbest.clock import Clock, SystemClock
from nextbest.errors import NextbestError
from nextbest.learning import Learner, open_arm_store
from nextbest.retail import RetailStore, open_retail_store
from nextbest.settings import Settings
from nextbest.subjects import SubjectStore, open_subject_store
from nextbest.world import World
from tools.catalog import CachedSearch, CatalogIndex, CatalogSearch
from tools.data import RetailData
from tools.offers import OfferChecker
from tools.registry import ToolDeps

from ._refresh import DataRefresher, IndexWriteLock, data_from_snapshot

__all__ = ["Runtime", "build_model", "open_runtime", "settle_heap"]

log = logging.getLogger(__name__)

GC_YOUNG_THRESHOLD = 10_000


@dataclass
class Runtime:
    """A wired service: the decider plus what the API and CLI need to reach directly."""

    settings: Settings
    world: World | None
    """The world handed in (evals, benchmarks); None when the data comes from the retail store."""
    data: RetailData
    retail: RetailStore | None
    """The store the data view follows (and the write routes write to); None when a world was handed in."""
    decider: Decider
    ledger: Ledger
    subjects: SubjectStore
    policies: ReloadingPolicies
    exit_stack: AsyncExitStack

    async def aclose(self) -> None:
        await self.decider.drain()
        await self.exit_stack.aclose()


def settle_heap() -> None:
    """Tune the garbage collector for a long-running server, once its runtime is open.

    Startup leaves ~300k long-lived objects (the world, pydantic schemas, LangGraph, the openai SDK) that every
    full collection would scan again: profiled at 1.6 s of GC in 6 s of serving, and a third of the CPU
    with 1,000 decisions in flight. `gc.freeze()` moves them out of the collector's view, and a larger
    young generation lets a request's short-lived objects die before they are promoted. Process-wide, so
    only entry points that own the process call it (`nextbest.app.api.asgi`, the benchmarks).
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


def build_model(settings: Settings, http_client: HttpClient | None = None) -> ChatModel | None:
    if not settings.model:
        return None
    config = ModelConfig(
        model=settings.model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        output_mode=settings.output_mode,
        temperature=settings.model_temperature,
        max_tokens=settings.model_max_tokens,
    )
    return OpenAIChatModel(config, http_client=http_client)


def _search(settings: Settings, data: RetailData, stack: AsyncExitStack) -> CatalogIndex | None:
    try:
        from tools.catalog import open_product_search

        index = open_product_search(settings, data.products.values(), lambda pid: data.inventory.available(pid))
    except NextbestError as exc:  # retrieval refines candidates; the rules still decide without it
        log.warning("catalog retrieval unavailable, continuing without it: %s", exc)
        return None
    stack.callback(index.close)
    return index


def _cached(settings: Settings, index: CatalogIndex | None) -> CatalogSearch | None:
    """The rules path's retrieval behind a short-lived cache: a filtered Chroma query costs milliseconds."""
    if index is None or settings.catalog_cache_size == 0:
        return index
    return CachedSearch(index, size=settings.catalog_cache_size)


def _world_data(world: World) -> RetailData:
    return RetailData(world.products.values(), world.stores.values(), world.offers.values(), world.stock)


async def open_retail_data(settings: Settings, clock: Clock) -> tuple[RetailStore, RetailData]:
    """The retail store and this worker's view of it; an empty store gets the demo data set first, its offer
    windows moved to the day it is loaded (`nextbest.imports.import_demo`). The caller closes the store."""
    from nextbest.imports import import_demo

    store = await open_retail_store(settings)
    try:
        if await store.dataset() is None:  # bootstrap: an empty data dir starts with the demo
            await import_demo(store, clock.now().date())
        return store, data_from_snapshot(await store.load())
    except BaseException:
        await store.close()
        raise


async def _start_refresher(
    settings: Settings, store: RetailStore, data: RetailData, index: CatalogIndex | None, stack: AsyncExitStack
) -> None:
    owner: CatalogIndex | None = None
    if index is not None and settings.chroma_url:
        owner = index
    elif index is not None:
        lock = IndexWriteLock(settings.data_dir / "index.lock")
        stack.callback(lock.release)
        owner = index if lock.held else None
    refresher = DataRefresher(store, data, poll_s=settings.data_poll_ms / 1000, index=owner)
    await refresher.start()
    stack.push_async_callback(refresher.stop)


async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    model: ChatModel | None = None,
    policies: PolicySource | None = None,
    world: World | None = None,
    http_client: HttpClient | None = None,
    search: CatalogSearch | Literal["auto"] | None = "auto",
    subjects: SubjectStore | None = None,
) -> Runtime:
    """Open every dependency; `aclose()` releases them. Arguments override settings, for tests and benchmarks."""
    stack = AsyncExitStack()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    retail: RetailStore | None = None
    if world is not None:
        data = _world_data(world)
    else:
        retail, data = await open_retail_data(settings, clock)
        stack.push_async_callback(retail.close)
    reloading = ReloadingPolicies(settings.policy_dir, clock=clock)
    ledger = await open_ledger(settings, clock=clock)
    stack.push_async_callback(ledger.close)
    learner = Learner(await open_arm_store(settings), seed=settings.learning_seed)
    stack.push_async_callback(learner.close)
    if subjects is None:
        subjects = await open_subject_store(settings, clock=clock)
    stack.push_async_callback(subjects.close)
    if model is None and settings.model:
        client = http_client or model_http_client(
            max_connections=settings.model_max_connections, timeout_s=settings.default_deadline_ms / 1000
        )
        if http_client is None:
            stack.push_async_callback(client.aclose)
        model = build_model(settings, client)
    index = _search(settings, data, stack) if search == "auto" else None
    rules_search = _cached(settings, index) if search == "auto" else search
    if retail is not None:
        await _start_refresher(settings, retail, data, index, stack)
    tools = CandidateTools(
        catalog=data.catalog,
        inventory=data.inventory,
        offers=OfferChecker(data.offers, products=data.catalog.products),
        offer_catalog=data.offers,
        search=rules_search,
        data=data,
    )
    ctx = DecisionContext(
        settings=settings,
        clock=clock,
        policies=policies or reloading,
        tools=tools,
        ledger=ledger,
        subjects=subjects,
        model=model,
        toolbox=DecisionToolBox.from_registry(ToolDeps(tools.catalog, tools.inventory, search=index)),
        learner=learner,
    )
    return Runtime(
        settings=settings,
        world=world,
        data=data,
        retail=retail,
        decider=Decider(ctx),
        ledger=ledger,
        subjects=subjects,
        policies=reloading,
        exit_stack=stack,
    )
