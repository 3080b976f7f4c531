"""The exact prompt each shipped playbook sends the model, so any wording change is a reviewable diff.

The sample moment uses the built-in sample catalog (world=None), so regenerating the demo world does not
churn these files; only a playbook, the brand or the prompt builder does. After an intended change, run
`.venv/bin/python -m pytest tests/nextbest/policy/test_prompt_snapshots.py --snapshot-update` and review.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from agent.model.tokens import count_message_tokens
from agent.policies import PolicySet, load_policy_set
from agent.prompt import build_prompt
from nextbest.policy import sample_moment
from nextbest.settings import default_policy_dir

SHIPPED = load_policy_set(default_policy_dir())


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """One Markdown file per playbook, readable on its own and in a diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "md"


def _render(policies: PolicySet, playbook_id: str) -> str:
    playbook = policies.playbook(playbook_id)
    assert playbook is not None
    moment = sample_moment(playbook, policies.brand, None)
    messages = build_prompt(playbook, policies.brand, moment.request, moment.candidates, budget=1_000_000).messages
    parts = [f"# Prompt of playbook `{playbook_id}` ({count_message_tokens(messages)} tokens)\n"]
    for message in messages:
        parts.append(f"## {message['role']}\n\n{message['content'].rstrip()}\n")
    return "\n".join(parts)


@pytest.mark.parametrize("playbook_id", sorted(playbook.id for playbook in SHIPPED.playbooks))
def test_prompt_of(playbook_id: str, snapshot: SnapshotAssertion) -> None:
    assert _render(SHIPPED, playbook_id) == snapshot.use_extension(MarkdownSnapshot)


def test_the_sample_prompt_carries_the_playbook_and_its_candidates() -> None:
    # Guards the snapshots themselves: an empty or generic render would snapshot happily.
    text = _render(SHIPPED, "geo_offer")

    assert "Playbook geo_offer: Location-triggered store offer" in text
    assert "Never mention how we know where they are." in text
    assert '"name":"SoHo"' in text and '"pool":' not in text
    assert text.count('"product_id":"SKU-') >= 10
