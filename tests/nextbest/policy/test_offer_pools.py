"""Playbook offer pools: pool names as before, or selectors by id, redemption channel, source; linted in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.policies import lint_policy_dir
from agent.prompt import PromptTokens
from nextbest.contracts import Offer, OfferCandidate, OfferSource, RedemptionChannel
from nextbest.policy import OfferSelector, Severity, load_playbook, offer_savings
from nextbest.world import World

GEO = "playbooks/geo_offer.md"
Edit = Callable[[str, str, str], int]


def _offer(offer_id: str, pool: str, channel: RedemptionChannel | None, source: OfferSource) -> Offer:
    return Offer(
        offer_id=offer_id, title=offer_id, pool=pool, discount_percent=5, redemption_channel=channel, source=source
    )


BOOK = [
    _offer("rv-shop-1", "geo", RedemptionChannel.IN_STORE, OfferSource.PROMOTION),
    _offer("rv-web-2", "web", RedemptionChannel.ONLINE, OfferSource.PROMOTION),
    _offer("rv-mk-3", "loyal", None, OfferSource.MARKETER),
]


def test_names_and_selectors_draw_offers(policy_dir: Path, edit: Edit) -> None:
    edit(GEO, "offer_pools: [geo]", "offer_pools: [loyal, {redemption_channel: IN_STORE}, {offer_id: rv-web-2}]")

    playbook = load_playbook(policy_dir / GEO)

    assert playbook.offer_pools[1] == OfferSelector(redemption_channel=RedemptionChannel.IN_STORE)
    assert [offer.offer_id for offer in BOOK if playbook.draws(offer)] == ["rv-shop-1", "rv-web-2", "rv-mk-3"]


@pytest.mark.parametrize(
    ("selector", "drawn"),
    [
        (OfferSelector(source=OfferSource.PROMOTION, redemption_channel=RedemptionChannel.ONLINE), ["rv-web-2"]),
        (OfferSelector(pool="geo", source=OfferSource.MARKETER), []),
        (OfferSelector.model_validate({"source": "MARKETER"}), ["rv-mk-3"]),
    ],
)
def test_every_key_of_a_selector_must_match(selector: OfferSelector, drawn: list[str]) -> None:
    assert [offer.offer_id for offer in BOOK if selector.matches(offer)] == drawn


def test_a_misspelt_selector_key_or_value_names_its_line(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(
        GEO, "offer_pools: [geo]", "offer_pools:\n  - geo\n  - {redemption_chanel: in_store}\n  - {source: feed}"
    )

    report = lint_policy_dir(policy_dir, world=world, token_budget=3000, sizer=PromptTokens())

    found = [(finding.line, finding.key) for finding in report.errors]
    assert found == [(line + 2, "offer_pools.1.redemption_chanel"), (line + 3, "offer_pools.2.source")]


def test_an_empty_selector_is_an_error(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(GEO, "offer_pools: [geo]", "offer_pools: [{}]")

    report = lint_policy_dir(policy_dir, world=world, token_budget=3000, sizer=PromptTokens())

    assert [(f.line, f.message) for f in report.errors] == [
        (line, "an offer selector needs offer_id, pool, redemption_channel or source")
    ]


def test_lint_checks_selectors_against_the_offer_book(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(
        GEO, "offer_pools: [geo]", "offer_pools: [geo, {offer_id: rv-nowhere}, {redemption_channel: online, pool: geo}]"
    )
    (policy_dir / "offers.yaml").write_text(
        "offers:\n  - {offer_id: rv-mk-9, title: In store, pool: geo, discount_percent: 5,"
        " redemption_channel: in_store}\n",
        encoding="utf-8",
    )

    report = lint_policy_dir(policy_dir, world=world, token_budget=3000, sizer=PromptTokens())

    found = [(f.line, f.key, f.severity, f.message) for f in report.findings if f.file.endswith("geo_offer.md")]
    assert found == [
        (line, "offer_pools", Severity.ERROR, "no offer has id 'rv-nowhere'"),
        (
            line,
            "offer_pools",
            Severity.WARNING,
            "the selector {pool=geo, redemption_channel=online} matches no offer in the offer book",
        ),
    ]


def test_a_selector_for_a_marketer_offer_lints_clean(policy_dir: Path, edit: Edit, world: World) -> None:
    edit(GEO, "offer_pools: [geo]", "offer_pools: [{offer_id: rv-mk-9}]")
    (policy_dir / "offers.yaml").write_text(
        "offers:\n  - {offer_id: rv-mk-9, title: Near you, pool: near, money_off_amount: 7}\n", encoding="utf-8"
    )

    report = lint_policy_dir(policy_dir, world=world, token_budget=3000, sizer=PromptTokens())

    assert [finding.text() for finding in report.findings] == []


@pytest.mark.parametrize(
    ("candidate", "said"),
    [
        (OfferCandidate(offer_id="a", title="a", pool="p", discount_percent=12.5), "12.5% off"),
        (OfferCandidate(offer_id="b", title="b", pool="p", discount_percent=4.26, money_off_amount=10), "$10 off"),
        (
            OfferCandidate(offer_id="c", title="c", pool="p", discount_percent=0, money_off_amount=7.5, currency="EUR"),
            "€7.5 off",
        ),
        (
            OfferCandidate(
                offer_id="d", title="d", pool="p", discount_percent=0, money_off_amount=1250, currency="GBP"
            ),
            "£1,250 off",
        ),
    ],
)
def test_an_offer_is_said_as_a_percentage_or_an_amount(candidate: OfferCandidate, said: str) -> None:
    assert offer_savings(candidate) == said


def test_a_percent_sign_after_the_discount_variable_is_an_error(policy_dir: Path, edit: Edit) -> None:
    edit(GEO, "for {offer.discount} in the next", "for {offer.discount}% off in the next")

    with pytest.raises(Exception, match=r"offer_line: \{offer.discount\} already reads '15% off' or '\$10 off'"):
        load_playbook(policy_dir / GEO)
