"""Lint reports the compact prompt profile's size per playbook, and warns when one is over 600 tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.policies import lint_policy_dir
from agent.prompt import PromptTokens
from nextbest.policy import LintReport, Severity
from nextbest.policy._lint import COMPACT_TOKEN_TARGET
from nextbest.settings import default_policy_dir
from nextbest.world import World

Edit = Callable[[str, str, str], int]
SHIPPED = default_policy_dir()


def _lint(root: Path, world: World | None) -> LintReport:
    return lint_policy_dir(root, world=world, token_budget=3000, sizer=PromptTokens())


@pytest.mark.parametrize("with_world", [True, False], ids=["demo-world", "built-in-sample"])
def test_every_shipped_playbooks_compact_prompt_is_within_600_tokens(world: World, with_world: bool) -> None:
    report = _lint(SHIPPED, world if with_world else None)

    assert set(report.compact_tokens) == {path.stem for path in (SHIPPED / "playbooks").glob("*.md")}
    assert all(0 < tokens <= COMPACT_TOKEN_TARGET for tokens in report.compact_tokens.values()), report.compact_tokens
    assert all(report.compact_tokens[pid] < report.tokens[pid] / 2 for pid in report.tokens)
    assert report.findings == []


def test_a_long_objective_makes_lint_warn_about_the_compact_profile(policy_dir: Path, edit: Edit) -> None:
    edit(
        "playbooks/cart_abandonment.md",
        "objective: ",
        "objective: " + "Bring every customer back with a long and winding explanation of why, " * 12,
    )

    report = _lint(policy_dir, None)

    [finding] = [f for f in report.findings if f.key == "objective"]
    assert finding.severity is Severity.WARNING
    assert "compact prompt" in finding.message
    assert report.compact_tokens["cart_abandonment"] > COMPACT_TOKEN_TARGET
    assert report.ok  # a warning: the full profile is unaffected


class _FullOnly:
    """A PromptSizer without the compact measure: lint reports no compact sizes, and no failure."""

    def prompt_tokens(self, *args: object) -> int:
        return 100

    def text_tokens(self, text: str) -> int:
        return len(text.split())


def test_a_sizer_without_a_compact_measure_reports_none() -> None:
    report = lint_policy_dir(SHIPPED, world=None, token_budget=3000, sizer=_FullOnly())

    assert report.compact_tokens == {}
    assert report.ok
