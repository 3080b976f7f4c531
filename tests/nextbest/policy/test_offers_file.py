"""prompts/offers.yaml: read with file:line errors, merged with stored offers by one pure function, linted.

Fixtures are a fresh pet-supplies catalog and promotions (ids and product types the demo never uses).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.policies import lint_policy_dir, load_policy_set
from agent.prompt import PromptTokens
from nextbest.contracts import Offer, OfferEligibility, OfferSource, Product, Store, Variant
from nextbest.errors import PolicyError
from nextbest.policy import OfferOverlay, OffersFile, Severity, check_offers_file, merge_offers
from nextbest.world import World

OFFERS = "offers.yaml"


def _promotion(offer_id: str, **changes: object) -> Offer:
    fields: dict[str, object] = {"title": f"Promotion {offer_id}", "pool": "feed", "discount_percent": 8}
    return Offer(offer_id=offer_id, source=OfferSource.PROMOTION, **(fields | changes))


def _products() -> dict[str, Product]:
    kibble = Product(
        product_id="pz-kb-310",
        title="Marlow Grain-free Kibble",
        category="Pets",
        product_type="Pets > Dog > Food",
        brand="Marlow",
        price=44.0,
        variants=[Variant(variant_id="pz-kb-310-2kg", size="2kg")],
    )
    leash = Product(
        product_id="pz-ls-022", title="Tidewell Leash", category="Pets", product_type="Pets > Dog > Walking", price=19.0
    )
    return {product.product_id: product for product in (kibble, leash)}


def _world(stored: dict[str, Offer]) -> World:
    store = Store(store_id="pz-st-1", name="Kennel Row", city="Leeds", lat=53.8, lon=-1.55)
    return World(
        products=_products(), stores={store.store_id: store}, offers=stored, customers={}, stock=[], categories=["Pets"]
    )


def _write(root: Path, text: str) -> Path:
    path = root / OFFERS
    path.write_text(text, encoding="utf-8")
    return path


def _lint(root: Path, world: World | None) -> list[tuple[int | None, str | None, Severity, str]]:
    report = lint_policy_dir(root, world=world, token_budget=3000, sizer=PromptTokens())
    return [
        (finding.line, finding.key, finding.severity, finding.message)
        for finding in report.findings
        if finding.file.endswith(OFFERS)
    ]


def test_the_shipped_file_holds_only_commented_examples() -> None:
    from nextbest.settings import default_policy_dir

    check = check_offers_file(default_policy_dir())
    assert check.errors == []
    assert check.file == OffersFile()
    assert check.text is not None and "offer_id:" in check.text  # the examples are there, commented


def test_a_folder_without_the_file_has_no_marketer_offers(tmp_path: Path) -> None:
    assert check_offers_file(tmp_path).file == OffersFile()


def test_a_typo_an_unknown_key_and_a_bad_value_each_name_their_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "offers:\n"
        "  - offer_id: pz-treats\n"
        "    title: Treat week\n"
        "    pool: pets\n"
        "    discount_prcent: 10\n"
        "    eligibility:\n"
        "      min_cart_value: -5\n"
        "      redemption: online\n",
    )

    errors = check_offers_file(tmp_path).errors

    assert [(error.line, error.key) for error in errors] == [
        (5, "offers.0.discount_prcent"),
        (7, "offers.0.eligibility.min_cart_value"),
        (8, "offers.0.eligibility.redemption"),
    ]
    assert all(error.file == str(path) for error in errors)
    assert str(errors[0]) == f"{path}:5: offers.0.discount_prcent: unknown key (check the spelling)"


def test_entry_rules_point_at_the_entry(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "offers:\n"
        "  - offer_id: pz-a\n    title: A\n    pool: pets\n    discount_percent: 5\n"
        "  - offer_id: pz-b\n    title: B\n    pool: pets\n    discount_percent: 5\n    money_off_amount: 3\n"
        "  - offer_id: pz-a\n    title: A again\n    pool: pets\n    discount_percent: 7\n"
        "overlays:\n  - offer_id: gmc-1\n",
    )

    found = [(error.line, error.message) for error in check_offers_file(tmp_path).errors]

    assert found == [
        (6, "give discount_percent or money_off_amount, not both"),
        (11, "duplicate offer_id 'pz-a'"),
        (16, "an overlay needs a pool or eligibility to add"),
    ]


def test_a_marketer_offer_cannot_claim_to_be_imported(tmp_path: Path) -> None:
    _write(tmp_path, "offers:\n  - offer_id: pz-x\n    title: X\n    pool: p\n    source: promotion\n")

    (error,) = check_offers_file(tmp_path).errors

    assert error.line == 2 and "the marketer's" in error.message


def test_merge_applies_overlays_keeps_stored_on_collision_and_reports_both() -> None:
    stored = {
        "gmc-77": _promotion("gmc-77", eligibility=OfferEligibility(brands=["Marlow"])),
        "gmc-80": _promotion("gmc-80"),
    }
    file = OffersFile(
        offers=[
            Offer(offer_id="pz-new", title="New", pool="pets", money_off_amount=5),
            Offer(offer_id="gmc-80", title="Shadow", pool="pets", discount_percent=50),
        ],
        overlays=[
            OfferOverlay(offer_id="gmc-77", pool="geo", eligibility=OfferEligibility(tiers=["pup"])),
            OfferOverlay(offer_id="gmc-missing", pool="geo"),
        ],
    )

    book = merge_offers(stored, file)

    assert list(book.offers) == ["gmc-77", "gmc-80", "pz-new"]
    overlaid = book.offers["gmc-77"]
    assert (overlaid.pool, overlaid.eligibility.tiers, overlaid.eligibility.brands) == ("geo", ["pup"], ["Marlow"])
    assert overlaid.source is OfferSource.PROMOTION
    assert book.offers["gmc-80"] == stored["gmc-80"]
    assert (book.collisions, book.unknown_overlays) == (("gmc-80",), ("gmc-missing",))
    assert stored["gmc-77"].pool == "feed"  # pure: the stored offers are not changed


def test_lint_reports_collisions_and_unknown_overlays_against_the_stored_offers(policy_dir: Path) -> None:
    _write(
        policy_dir,
        "offers:\n"
        "  - offer_id: gmc-80\n    title: Shadow\n    pool: cart_recovery\n    discount_percent: 9\n"
        "overlays:\n"
        "  - offer_id: gmc-ghost\n    pool: cart_recovery\n",
    )
    stored = {"gmc-80": _promotion("gmc-80", pool="cart_recovery")}

    found = _lint(policy_dir, _world(stored))

    assert [(line, key, severity) for line, key, severity, _ in found] == [
        (2, "offers.0.offer_id", Severity.ERROR),
        (7, "overlays.0.offer_id", Severity.ERROR),
    ]
    assert "collides with a stored promotion offer" in found[0][3]
    assert "unknown offer 'gmc-ghost'" in found[1][3]


def test_lint_warns_about_eligibility_absent_from_the_catalog(policy_dir: Path) -> None:
    _write(
        policy_dir,
        "offers:\n"
        "  - offer_id: pz-dog\n    title: Dog days\n    pool: cart_recovery\n    discount_percent: 10\n"
        "    eligibility:\n"
        '      product_types: ["Pets > Dog", "Pets > Cat"]\n'
        "      brands: [marlow, Felix]\n"
        "      product_ids: [pz-kb-310-2kg, pz-ls-022, pz-zz-999]\n"
        "      categories: [Pets, Aquarium]\n",
    )

    found = [
        (line, message) for line, _, severity, message in _lint(policy_dir, _world({})) if severity is Severity.WARNING
    ]

    assert found == [
        (7, "no product type 'Pets > Cat' in the loaded catalog: the offer never applies to it"),
        (8, "no brand 'Felix' in the loaded catalog: the offer never applies to it"),
        (9, "no product id 'pz-zz-999' in the loaded catalog: the offer never applies to it"),
        (10, "no category 'Aquarium' in the loaded catalog: the offer never applies to it"),
    ]


def test_without_a_catalog_lint_skips_the_store_and_catalog_checks(policy_dir: Path) -> None:
    _write(
        policy_dir,
        "offers:\n  - offer_id: pz-any\n    title: Any\n    pool: cart_recovery\n    discount_percent: 10\n"
        "    eligibility: {product_types: [Nowhere]}\noverlays:\n  - {offer_id: gmc-unknown, pool: geo}\n",
    )

    assert _lint(policy_dir, None) == []


def test_the_offer_file_is_part_of_the_policy_version_and_its_errors_stop_loading(policy_dir: Path) -> None:
    before = load_policy_set(policy_dir).version
    _write(policy_dir, "offers:\n  - offer_id: pz-v\n    title: V\n    pool: cart_recovery\n    discount_percent: 4\n")
    after = load_policy_set(policy_dir)

    assert after.version != before
    assert [offer.offer_id for offer in after.offers.offers] == ["pz-v"]
    _write(policy_dir, "offers:\n  - offer_id: pz-v\n    title: V\n    pool: p\n    discount_pct: 4\n")
    with pytest.raises(PolicyError) as raised:
        load_policy_set(policy_dir)
    assert str(raised.value) == f"{policy_dir / OFFERS}:5: offers.0.discount_pct: unknown key (check the spelling)"


def test_the_readmes_offers_example_is_a_valid_offers_file(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Offers") :]
    block = section[section.index("```yaml\n") + len("```yaml\n") : section.index("\n```", section.index("```yaml"))]
    _write(tmp_path, block)

    check = check_offers_file(tmp_path)

    assert check.errors == []
    assert check.file is not None
    assert [offer.offer_id for offer in check.file.offers] == ["SPRING-TENTS-15"]
    assert [overlay.offer_id for overlay in check.file.overlays] == ["PROMO-77"]
