"""The full example in docs/marketers.md is a playbook that lints clean next to the shipped ones."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from agent.policies import lint_policy_dir, load_policy_set
from agent.prompt import PromptTokens
from nextbest.settings import Settings, default_policy_dir
from nextbest.world import World

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "marketers.md"


def _example() -> str:
    blocks = re.findall(r"```markdown\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1, "the guide has one full example"
    return str(blocks[0])


def test_the_guides_example_playbook_lints_clean(tmp_path: Path, world: World) -> None:
    root = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    (root / "playbooks" / "loyalty_welcome_back.md").write_text(_example(), encoding="utf-8")

    report = lint_policy_dir(
        root, world=world, token_budget=Settings.model_fields["prompt_token_budget"].default, sizer=PromptTokens()
    )

    assert [finding.text() for finding in report.findings] == []
    assert "loyalty_welcome_back" in report.tokens
    playbook = load_policy_set(root).playbook("loyalty_welcome_back")
    assert playbook is not None and playbook.offer_pools == ["loyalty"]
