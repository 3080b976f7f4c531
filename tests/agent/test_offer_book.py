"""The service decides over the effective offer book: stored offers merged with prompts/offers.yaml, live on edit.

The world here is a fresh garden retailer (ids and categories the demo never uses), not the demo data set.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nextbest.app.bootstrap import Runtime, open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import (
    CartItem,
    Consent,
    DecideRequest,
    Decision,
    Event,
    EventContext,
    EventProperties,
    Offer,
    OfferSource,
    Product,
    Profile,
    StockLevel,
    Store,
    Traits,
    Variant,
)
from nextbest.policy import OffersFile
from nextbest.settings import default_policy_dir
from nextbest.world import World

NOW = datetime(2027, 4, 14, 16, 30, tzinfo=UTC)
DEADLINE_S = 15
POLL_S = 0.02


def _garden_world() -> World:
    hose = Product(
        product_id="gx-hose-0931",
        title="Rillflow Expanding Hose",
        category="Garden",
        subcategory="Hoses",
        product_type="Garden > Hoses > Expanding",
        brand="Rillflow",
        price=58.0,
        sizes=["15m", "30m"],
        variants=[
            Variant(variant_id="gx-hose-0931-15m", size="15m"),
            Variant(variant_id="gx-hose-0931-30m", size="30m"),
        ],
    )
    trowel = Product(
        product_id="gx-trowel-1177",
        title="Ashgrove Hand Trowel",
        category="Garden",
        subcategory="Hand Tools",
        product_type="Garden > Hand Tools",
        brand="Ashgrove",
        price=21.0,
    )
    promotion = Offer(
        offer_id="gmc-spring-44",
        title="Spring savings",
        pool="imported",
        discount_percent=5,
        source=OfferSource.PROMOTION,
    )
    stock = [
        StockLevel(
            product_id=hose.product_id, size=size, store_id="online", quantity=7, variant_id=f"{hose.product_id}-{size}"
        )
        for size in hose.sizes
    ] + [StockLevel(product_id=trowel.product_id, store_id="online", quantity=30)]
    store = Store(store_id="st-harbor", name="Harbor Yard", city="Tacoma", lat=47.25, lon=-122.44)
    return World(
        products={product.product_id: product for product in (hose, trowel)},
        stores={store.store_id: store},
        offers={promotion.offer_id: promotion},
        customers={},
        stock=stock,
        categories=["Garden"],
    )


def _cart_request(event_id: str) -> DecideRequest:
    event = Event(
        event_id=event_id,
        type="cart_abandoned",
        occurred_at=NOW,
        user_id="gu-5521",
        properties=EventProperties(
            cart=[
                CartItem(product_id="gx-hose-0931", size="30m", price=58.0),
                CartItem(product_id="gx-trowel-1177", price=21.0),
            ]
        ),
        context=EventContext(surface="web", page="cart"),
    )
    profile = Profile(
        user_id="gu-5521",
        traits=Traits(first_name="Ines", loyalty_tier="fern"),
        consent=Consent(email=True, push=True),
    )
    return DecideRequest(event=event, profile=profile, channels=["email"], dry_run=True)


OFFERS = """\
offers:
  - offer_id: mk-hose-flat
    title: Money off hoses
    pool: garden_flat
    money_off_amount: {amount}
    code: HOSEFLAT
    eligibility:
      product_types: ["Garden > Hoses"]
      brands: [Rillflow]
overlays:
  - offer_id: gmc-spring-44
    pool: garden_flat
    eligibility:
      tiers: [oak]
"""


@pytest.fixture
def settings(settings: Any, policy_dir: Path) -> Any:
    return settings.model_copy(update={"policy_dir": policy_dir})


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    playbook = root / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text(encoding="utf-8")
    playbook.write_text(text.replace("offer_pools: [cart_recovery]", "offer_pools: [garden_flat]"), encoding="utf-8")
    (root / "offers.yaml").write_text(OFFERS.format(amount=12), encoding="utf-8")
    return root


@pytest.fixture
async def runtime(policy_dir: Path, settings: Any) -> AsyncIterator[Runtime]:
    opened = await open_runtime(settings, world=_garden_world(), clock=FixedClock(NOW), search=None)
    yield opened
    await opened.aclose()


async def _decide(runtime: Runtime, event_id: str) -> Decision:
    return await runtime.decider.decide(_cart_request(event_id))


async def test_a_marketer_money_off_offer_is_attached_and_said_as_an_amount(runtime: Runtime) -> None:
    decision = await _decide(runtime, "ev-flat-1")

    assert decision.offer is not None and decision.offer.offer_id == "mk-hose-flat"
    assert decision.offer.money_off_amount == 12
    assert decision.message is not None
    assert "$12 off" in decision.message.body
    assert "%" not in decision.message.body
    assert decision.trace.candidates.get("offers") == 1


async def test_an_overlay_adds_eligibility_to_the_stored_promotion(runtime: Runtime) -> None:
    tools = runtime.decider.ctx.tools.under(runtime.policies.current().offers)
    request = _cart_request("ev-flat-overlay")

    promotion = tools.offer_catalog["gmc-spring-44"]
    checks = tools.offers.check(
        profile=request.profile, event=request.event, channel=None, cart_value=79.0, now=NOW, select=None
    )

    assert (promotion.pool, promotion.eligibility.tiers, promotion.discount_percent) == ("garden_flat", ["oak"], 5)
    assert promotion.source is OfferSource.PROMOTION
    assert {check.offer_id: check.reason for check in checks} == {
        "gmc-spring-44": "tier fern not in [oak]",
        "mk-hose-flat": "",
    }
    assert runtime.decider.ctx.tools.offer_catalog["gmc-spring-44"].eligibility.tiers == []  # the store is untouched


async def test_an_edit_of_offers_yaml_is_live_once_the_watcher_reloads(runtime: Runtime, policy_dir: Path) -> None:
    policies = runtime.policies
    stop = asyncio.Event()
    watcher = asyncio.create_task(policies.watch(stop))
    try:
        before = policies.current().version
        (policy_dir / "offers.yaml").write_text(OFFERS.format(amount=15), encoding="utf-8")
        deadline = time.monotonic() + DEADLINE_S
        while policies.current().version == before:
            assert time.monotonic() < deadline, f"offers.yaml edit not live within {DEADLINE_S} s"
            await asyncio.sleep(POLL_S)
        decision = await _decide(runtime, "ev-flat-2")
    finally:
        stop.set()
        await asyncio.wait_for(watcher, DEADLINE_S)

    assert decision.message is not None and "$15 off" in decision.message.body


async def test_a_typo_in_offers_yaml_keeps_the_last_good_book(runtime: Runtime, policy_dir: Path) -> None:
    policies = runtime.policies
    good = policies.current().version
    (policy_dir / "offers.yaml").write_text(
        OFFERS.format(amount=12).replace("    code: HOSEFLAT", "    cdoe: HOSEFLAT"), encoding="utf-8"
    )

    status = policies.reload()

    assert status.error == f"{policy_dir / 'offers.yaml'}:6: offers.0.cdoe: unknown key (check the spelling)"
    assert policies.current().version == good
    decision = await _decide(runtime, "ev-flat-3")
    assert decision.offer is not None and decision.offer.offer_id == "mk-hose-flat"


def test_the_book_is_built_once_per_offers_file(runtime: Runtime) -> None:
    tools = runtime.decider.ctx.tools
    current = runtime.policies.current().offers

    book = tools.under(current)

    assert tools.under(current) is book
    assert "mk-hose-flat" in book.offer_catalog
    assert list(tools.under(OffersFile()).offer_catalog) == ["gmc-spring-44"]
    assert "mk-hose-flat" not in tools.offer_catalog  # the context's tools keep the stored offers only
