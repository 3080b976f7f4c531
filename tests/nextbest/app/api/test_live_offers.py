"""prompts/offers.yaml on `nextbest serve --workers 2`: a saved edit is live on both workers within 1 s (bounded
poll from the save), and a typo in it is a `nextbest policy lint` error naming file:line."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from agent.policies import load_policy_set
from nextbest.app.cli._policy import policy_app
from nextbest.settings import default_policy_dir

VISIBLE_S, MARGIN_S = 1.0, 1.5
OFFERS = """\
offers:
  - offer_id: mk-reef-tenner
    title: Ten off reef kits
    pool: reef_flat
    money_off_amount: 10
    code: REEFTEN
    eligibility:
      product_types: ["Aquarium > Reef"]
"""


def _policy_versions(base: str, wanted: str, deadline: float) -> dict[int, str]:
    seen: dict[int, str] = {}
    while not (len(seen) >= 2 and set(seen.values()) == {wanted}):
        assert time.monotonic() < deadline, f"workers and their policy versions: {seen}; wanted {wanted}"
        with httpx.Client(base_url=base, timeout=5) as client:  # a new connection: either worker may answer
            health = client.get("/healthz").json()
        seen[health["worker"]] = health["policy_version"]
    return seen


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_an_offers_edit_is_live_on_both_workers_within_a_second(tmp_path: Path, serve: Any) -> None:
    prompts = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    env = {"NEXTBEST_DATA_DIR": str(tmp_path / "data"), "NEXTBEST_POLICY_DIR": str(prompts),
           "NEXTBEST_POLICY_WATCH": "true"}  # fmt: skip
    with serve(env, args=("--workers", "2")) as (base, _):
        _policy_versions(base, load_policy_set(prompts).version, time.monotonic() + 30)
        (prompts / "offers.yaml").write_text(OFFERS, encoding="utf-8")
        saved = time.monotonic()
        edited = load_policy_set(prompts).version
        assert "mk-reef-tenner" in {offer.offer_id for offer in load_policy_set(prompts).offers.offers}
        _policy_versions(base, edited, saved + VISIBLE_S + MARGIN_S)


def test_a_typo_in_offers_yaml_is_a_lint_error_naming_file_and_line(tmp_path: Path) -> None:
    prompts = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    (prompts / "offers.yaml").write_text(OFFERS.replace("    code: REEFTEN", "    cdoe: REEFTEN"), encoding="utf-8")
    result = CliRunner().invoke(policy_app, ["lint", str(prompts)])
    assert result.exit_code == 1, result.output
    assert f"{prompts / 'offers.yaml'}:6: offers.0.cdoe: unknown key" in result.output, result.output
