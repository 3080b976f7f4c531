"""The loader stops at the first error, now with the line of a template key too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.policies import load_policy_set
from nextbest.errors import PolicyError
from nextbest.policy import load_playbook
from nextbest.settings import default_policy_dir


def test_a_template_error_stops_loading_at_the_template_line(tmp_path: Path) -> None:
    source = default_policy_dir() / "playbooks" / "geo_offer.md"
    text = source.read_text(encoding="utf-8").replace("{store.name} is just", "{store.nme} is just")
    path = tmp_path / "geo_offer.md"
    path.write_text(text, encoding="utf-8")
    line = text[: text.index("{store.nme}")].count("\n") + 1

    with pytest.raises(PolicyError) as raised:
        load_playbook(path)

    assert (raised.value.line, raised.value.key) == (line, "fallback.message.title")
    assert "did you mean {store.name}?" in raised.value.message


def test_a_broken_playbook_stops_the_whole_set(tmp_path: Path) -> None:
    root = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    path = root / "playbooks" / "cart_abandonment.md"
    path.write_text(path.read_text(encoding="utf-8").replace("tone: warm", "tonne: warm"), encoding="utf-8")

    with pytest.raises(PolicyError) as raised:
        load_policy_set(root)

    assert (raised.value.file, raised.value.key) == (str(path), "tonne")
