"""`nextbest policy lint` checks the marketer's offers against the catalog the data dir holds (an imported
retailer's), not the demo's: a demo product type or id is then absent, the retailer's are not."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nextbest.app.cli import app
from nextbest.settings import default_policy_dir
from nextbest.world import load_world

from .petshop import HARNESS, make_petshop, write_petshop

ABSENT = "the loaded catalog: the offer never applies to it"


def _offers(product_type: str, product_id: str) -> str:
    return (
        "offers:\n"
        "  - offer_id: lint-probe\n    title: Probe\n    pool: cart_recovery\n    discount_percent: 5\n"
        "    eligibility:\n"
        f'      product_types: ["{product_type}"]\n'
        f"      product_ids: [{product_id}]\n"
    )


def _lint(policy: Path) -> list[str]:
    result = CliRunner().invoke(app, ["policy", "lint", str(policy)])
    return [line for line in result.output.splitlines() if ABSENT in line]


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))


def test_lint_reads_the_imported_catalog_not_the_demo(
    tmp_path: Path, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", "")
    demo = load_world()
    demo_product = sorted(demo.products)[0]
    first = demo.products[demo_product]
    demo_type = f"{first.category} > {first.subcategory}"  # the demo's products carry no product_type
    offers = policy / "offers.yaml"

    offers.write_text(_offers(demo_type, demo_product), encoding="utf-8")
    assert _lint(policy) == []  # an empty data dir serves the demo: its names are known

    shop = make_petshop(datetime.now(UTC))
    files = write_petshop(shop, tmp_path)
    for kind in ("stores", "products"):
        assert CliRunner().invoke(app, ["import", kind, str(files[kind]), "--no-index"]).exit_code == 0
    assert _lint(policy) == [
        f"{offers}:7: offers.0.eligibility.product_types.0: no product type {demo_type!r} in {ABSENT} (warning)",
        f"{offers}:8: offers.0.eligibility.product_ids.0: no product id {demo_product!r} in {ABSENT} (warning)",
    ]

    offers.write_text(_offers(HARNESS, shop.variants[0]), encoding="utf-8")
    assert _lint(policy) == []
