"""`lint_policy_dir`: each marketer mistake fails lint with a precise file:line; the shipped folder is clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.policies import lint_policy_dir, load_policy_set
from agent.prompt import PromptTokens
from nextbest.policy import Fact, Finding, LintReport, Severity
from nextbest.policy import _checks as checks
from nextbest.settings import default_policy_dir
from nextbest.world import World

Edit = Callable[[str, str, str], int]
SHIPPED = default_policy_dir()

BUDGET = 3000
CART = "playbooks/cart_abandonment.md"
GEO = "playbooks/geo_offer.md"


def _lint(root: Path, world: World | None, budget: int = BUDGET) -> LintReport:
    return lint_policy_dir(root, world=world, token_budget=budget, sizer=PromptTokens())


def _only(report: LintReport, severity: Severity = Severity.ERROR) -> Finding:
    found = [finding for finding in report.findings if finding.severity is severity]
    assert len(found) == 1, [finding.text() for finding in report.findings]
    return found[0]


def test_the_shipped_policy_lints_clean(world: World) -> None:
    report = _lint(SHIPPED, world)

    assert report.findings == []
    assert report.ok
    assert report.version == load_policy_set(SHIPPED).version
    assert set(report.tokens) == {path.stem for path in (SHIPPED / "playbooks").glob("*.md")}
    assert all(0 < tokens <= BUDGET for tokens in report.tokens.values())


def test_a_misspelt_key_names_its_own_line(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, "tone: warm", "tonne: warm")

    finding = _only(_lint(policy_dir, world))

    assert finding.file == str(policy_dir / CART)
    assert (finding.line, finding.key) == (line, "tonne")
    assert finding.text() == f"{policy_dir / CART}:{line}: tonne: unknown key (check the spelling)"


def test_every_error_is_reported_across_keys_and_files(policy_dir: Path, edit: Edit, world: World) -> None:
    nested = edit(CART, "  max_products: 10", "  max_prodcts: 10")
    top = edit(CART, "tone: warm", "tonne: warm")
    channel = edit(GEO, "channels: [push, app]", "channels: [push, app, fax]")

    report = _lint(policy_dir, world)

    where = [(Path(finding.file).name, finding.line, finding.key) for finding in report.errors]
    assert where == [
        ("cart_abandonment.md", top, "tonne"),
        ("cart_abandonment.md", nested, "candidates.max_prodcts"),
        ("geo_offer.md", channel, "channels.2"),
    ]
    assert "not 'fax'" in report.errors[2].message
    assert not report.ok


def test_an_unknown_offer_pool_is_an_error_at_its_line(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, "offer_pools: [cart_recovery]", "offer_pools: [cart_recovry]")

    finding = _only(_lint(policy_dir, world))

    assert (finding.file, finding.line, finding.key) == (str(policy_dir / CART), line, "offer_pools")
    assert finding.message == "no offer is in pool 'cart_recovry'; did you mean 'cart_recovery'?"


def test_without_a_world_the_offer_pools_are_not_checked(policy_dir: Path, edit: Edit) -> None:
    edit(CART, "offer_pools: [cart_recovery]", "offer_pools: [cart_recovry]")

    assert _lint(policy_dir, None).findings == []


def test_an_unknown_offer_id_in_the_guardrails_is_an_error(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(
        "guardrails.yaml", "    overrides: {}", "    overrides:\n      OFF-NOPE-10: {limit: 2, window: calendar_day}"
    )

    finding = _only(_lint(policy_dir, world))

    assert (finding.file, finding.line) == (str(policy_dir / "guardrails.yaml"), line + 1)
    assert (finding.key, finding.message) == ("caps.offers.overrides.OFF-NOPE-10", "unknown offer id 'OFF-NOPE-10'")


def test_an_unknown_use_case_in_the_guardrails_is_an_error(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit("guardrails.yaml", "use_cases: [cart_abandonment]", "use_cases: [cart_abandon]")

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key, finding.message) == (
        line,
        "cooldowns.cart.use_cases.0",
        "unknown playbook 'cart_abandon'",
    )


def test_a_guardrail_schema_error_is_reported_with_the_playbooks(policy_dir: Path, edit: Edit, world: World) -> None:
    guard = edit("guardrails.yaml", "  min_score: 0.35", "  min_scor: 0.35")
    tone = edit(CART, "tone: warm", "tonne: warm")

    report = _lint(policy_dir, world)

    assert [(Path(finding.file).name, finding.line) for finding in report.errors] == [
        ("cart_abandonment.md", tone),
        ("guardrails.yaml", guard),
    ]


def test_an_undefined_template_variable_names_the_template_line(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, "You left {item_count} item(s)", "You left {itme_count} item(s)")

    finding = _only(_lint(policy_dir, world))

    assert (finding.file, finding.line, finding.key) == (str(policy_dir / CART), line, "fallback.message.body")
    assert finding.message == "undefined template variable {itme_count}; did you mean {item_count}?"


def test_an_offer_variable_outside_offer_line_is_undefined(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, "cta: Return to cart", 'cta: "Save {offer.discount}"')

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key) == (line, "fallback.message.cta")
    assert finding.message.startswith("undefined template variable {offer.discount}")


def test_the_code_is_undefined_in_the_no_code_offer_line(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, "    no_code_offer_line:", '    no_code_offer_line: "Use {offer.code} now."\n    # was:')

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key) == (line, "fallback.message.no_code_offer_line")
    assert finding.message.startswith("undefined template variable {offer.code}")


def test_template_and_schema_errors_are_reported_together(policy_dir: Path, edit: Edit, world: World) -> None:
    tone = edit(CART, "tone: warm", "tonne: warm")
    body = edit(CART, "You left {item_count} item(s)", "You left {itme_count} item(s)")

    report = _lint(policy_dir, world)

    assert [(finding.line, finding.key) for finding in report.errors] == [
        (tone, "tonne"),
        (body, "fallback.message.body"),
    ]


def test_a_prompt_over_budget_is_an_error_at_the_instructions(policy_dir: Path, world: World) -> None:
    path = policy_dir / "playbooks" / "session_intent.md"
    text = path.read_text(encoding="utf-8")
    closing = text.index("\n---\n", 4)
    body_line = text[:closing].count("\n") + 3
    padding = "\nAlways consider the whole catalogue carefully before you answer. " * 120
    path.write_text(text + padding, encoding="utf-8")

    report = _lint(policy_dir, world)
    finding = _only(report)

    assert (finding.file, finding.line, finding.key) == (str(path), body_line, "instructions")
    assert finding.message.startswith(f"the sample prompt is {report.tokens['session_intent']} tokens, over the budget")
    assert report.tokens["session_intent"] > BUDGET


def test_the_budget_is_the_callers(world: World) -> None:
    report = _lint(SHIPPED, world, budget=1200)

    over = {Path(finding.file).stem for finding in report.errors}
    assert over == {playbook for playbook, tokens in report.tokens.items() if tokens > 1200}
    assert over and "order_confirmation" not in over


def test_malformed_yaml_is_reported_and_the_other_files_still_linted(
    policy_dir: Path, edit: Edit, world: World
) -> None:
    line = edit(CART, "tone: warm, brief", "tone: [warm, brief")
    pool = edit(GEO, "offer_pools: [geo]", "offer_pools: [geography]")

    report = _lint(policy_dir, world)

    assert [(Path(finding.file).name, finding.key) for finding in report.errors] == [
        ("cart_abandonment.md", None),
        ("geo_offer.md", "offer_pools"),
    ]
    assert report.errors[0].message.startswith("invalid YAML")
    assert report.errors[0].line is not None and report.errors[0].line >= line
    assert report.errors[1].line == pool


def test_an_id_that_does_not_match_the_file_name_is_an_error(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(GEO, "id: geo_offer", "id: geo_offers")

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key) == (line, "id")


def test_a_duplicate_key_is_an_error_at_the_second_one(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(GEO, "tone: light", "tone: loud\ntone: light")

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key, finding.message) == (line + 1, "tone", "duplicate key")


def test_a_misspelt_event_type_is_a_warning(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(GEO, "event_types: [location_ping]", "event_types: [location_pings]")

    report = _lint(policy_dir, world)
    finding = _only(report, Severity.WARNING)

    assert report.ok
    assert (finding.line, finding.key) == (line, "trigger.event_types")
    assert "did you mean 'location_ping'?" in finding.message


def test_copy_that_renders_too_long_is_a_warning(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(
        GEO,
        '"{store.name} is just around the corner"',
        '"{store.name} is just around the corner, {first_name}: come and see us today"',
    )

    finding = _only(_lint(policy_dir, world), Severity.WARNING)

    assert (finding.line, finding.key) == (line, "fallback.message.title")
    assert "over the limit of 50" in finding.message


def test_a_variable_the_playbook_never_fills_is_a_warning(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(CART, '"{first_name}, your {product.title} is waiting"', '"{first_name}, {store.name} has it"')

    finding = _only(_lint(policy_dir, world), Severity.WARNING)

    assert (finding.line, finding.key) == (line, "fallback.message.title")
    assert "{store.name} has no value in this playbook (it needs a nearby store" in finding.message


def test_an_offer_line_without_offer_pools_is_a_warning(policy_dir: Path, edit: Edit, world: World) -> None:
    line = edit(
        "playbooks/session_intent.md",
        '    body: "Based on what you are looking at right now."',
        '    body: "Based on what you are looking at right now."\n    offer_line: "Save {offer.discount}."',
    )

    finding = _only(_lint(policy_dir, world), Severity.WARNING)

    assert (finding.line, finding.key) == (line + 1, "fallback.message.offer_line")
    assert finding.message.startswith("never shown")


def test_categories_in_conditions_must_exist(
    policy_dir: Path, edit: Edit, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No shipped fact names categories yet; stand one in to prove a category fact is checked when one exists.
    monkeypatch.setattr(checks, "CATEGORY_FACTS", frozenset({Fact.PAGE}))
    line = edit("playbooks/returning_visitor.md", "value: [home, landing]", "value: [footwear, footware]")

    finding = _only(_lint(policy_dir, world))

    assert (finding.line, finding.key) == (line, "trigger.when.value")
    assert finding.message == "unknown category 'footware'; did you mean 'footwear'?"


def test_a_missing_folder_or_brand_is_an_error(tmp_path: Path, policy_dir: Path, world: World) -> None:
    assert _only(_lint(tmp_path / "nowhere", world)).message == "policy folder does not exist"
    (policy_dir / "brand.yaml").unlink()

    report = _lint(policy_dir, world)

    assert [finding.message for finding in report.errors] == ["brand file is missing"]
    assert report.tokens == {}
