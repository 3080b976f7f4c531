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
from nextbest.contracts import StockLevel
from nextbest.errors import NextbestError
from nextbest.learning import Learner, open_arm_store
from nextbest.settings import Settings
from nextbest.subjects import SubjectStore, open_subject_store
from nextbest.world import World
from tools.candidates import CatalogView
from tools.catalog import CachedSearch, CatalogIndex, CatalogSearch
from tools.inventory import InventoryIndex
from tools.offers import OfferChecker
from tools.registry import ToolDeps

__all__ = ["Runtime", "build_model", "open_runtime", "settle_heap"]

log = logging.getLogger(__name__)

GC_YOUNG_THRESHOLD = 10_000


@dataclass
class Runtime:
    """A wired service: the decider plus what the API and CLI need to reach directly."""

    settings: Settings
    world: World
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


async def load_retail_world(settings: Settings, clock: Clock) -> World:
    """The data the service decides over, from the retail store; an empty store gets the demo data set first."""
    from nextbest.imports import import_demo
    from nextbest.retail import open_retail_store

    store = await open_retail_store(settings)
    try:
        if await store.dataset() is None:  # bootstrap: an empty data dir starts with the demo
            await import_demo(store, clock.now().date())
        snapshot = await store.load()
    finally:
        await store.close()
    rows = snapshot.stock.to_pylist()
    return World(
        products=snapshot.products,
        stores=snapshot.stores,
        offers=snapshot.offers,
        customers=snapshot.customers,
        stock=tuple(StockLevel.model_construct(**row) for row in rows),
        categories=tuple(dict.fromkeys(product.category for product in snapshot.products.values())),
    )


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


def _search(settings: Settings, world: World, stack: AsyncExitStack) -> CatalogIndex | None:
    try:
        from tools.catalog import open_product_search

        index = open_product_search(settings, world.products.values(), world.stock)
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
    world = world or await load_retail_world(settings, clock)
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
    index = _search(settings, world, stack) if search == "auto" else None
    rules_search = _cached(settings, index) if search == "auto" else search
    tools = CandidateTools(
        catalog=CatalogView(world.products),
        inventory=InventoryIndex(world.stock, world.stores.values()),
        offers=OfferChecker(world.offers, products=world.products),
        offer_catalog=world.offers,
        search=rules_search,
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
        decider=Decider(ctx),
        ledger=ledger,
        subjects=subjects,
        policies=reloading,
        exit_stack=stack,
    )
