"""Policy preview on a handful of scenarios: an edited copy of prompts/ changes exactly the decisions it should."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.policies import load_policy_set
from evals.preview import PolicyFolder, PolicyPreview, load_requests, policy_folder_at, preview_policies
from evals.scenario import Scenario
from nextbest.errors import PolicyError
from nextbest.settings import default_policy_dir
from nextbest.world import World

SHIPPED = default_policy_dir()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# cart-04 is the one here whose request allows both email and push; cap-email-01 is a cart moment with no send.
FEW = ["cart-04", "cart-01", "cap-email-01", "xsell-01", "order-01"]


def _edited_copy(into: Path, old: str, new: str) -> Path:
    root = Path(shutil.copytree(SHIPPED, into))
    playbook = root / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text(encoding="utf-8")
    assert old in text
    playbook.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


async def _preview(suite: dict[str, Scenario], world: World, before: Path, after: Path) -> PolicyPreview:
    return await preview_policies(
        [suite[s] for s in FEW], before=PolicyFolder(before, "before"), after=PolicyFolder(after, "after"), world=world
    )


def _changed(preview: PolicyPreview) -> dict[str, dict[str, tuple[object, object]]]:
    return {c.scenario: {f.field: (f.before, f.after) for f in c.changes} for c in preview.changed}


async def test_channel_order_changes_only_the_moment_that_allows_both(
    suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    edited = _edited_copy(tmp_path / "prompts", "channels: [email, push, sms]", "channels: [push, email, sms]")

    preview = await _preview(suite, world, SHIPPED, edited)

    assert _changed(preview) == {"cart-04": {"channel": ("email", "push")}}
    assert preview.files_changed == ["changed playbooks/cart_abandonment.md"]
    assert preview.decisions == len(FEW)
    assert preview.before.version == load_policy_set(SHIPPED).version
    assert preview.after.version == load_policy_set(edited).version != preview.before.version


async def test_disabling_a_playbook_changes_every_decision_it_made_and_no_other(
    suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    edited = _edited_copy(tmp_path / "prompts", "priority: 90\n", "priority: 90\nenabled: false\n")

    changed = _changed(await _preview(suite, world, SHIPPED, edited))

    assert set(changed) == {"cart-04", "cart-01", "cap-email-01"}
    for scenario in ("cart-04", "cart-01"):
        assert changed[scenario]["action"] == ("message", "none")
        assert changed[scenario]["use_case"] == ("cart_abandonment", None)
        assert changed[scenario]["eval"] == ("pass", "fail: expectation")
    # Capped already, so it sent nothing before either: only which playbook answered changes.
    assert "action" not in changed["cap-email-01"]
    assert changed["cap-email-01"]["use_case"] == ("cart_abandonment", None)


async def test_a_folder_against_itself_changes_nothing(
    suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(SHIPPED, tmp_path / "prompts"))

    preview = await _preview(suite, world, SHIPPED, copy)

    assert preview.changed == []
    assert preview.files_changed == []
    assert preview.decisions == len(FEW)
    assert preview.before.version == preview.after.version


async def test_a_broken_side_raises_before_anything_runs(
    suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    broken = _edited_copy(tmp_path / "prompts", "tone: warm", "tonne: warm")

    with pytest.raises(PolicyError, match=r"cart_abandonment\.md:13: tonne"):
        await _preview(suite, world, SHIPPED, broken)


def test_requests_become_moments_named_after_their_files() -> None:
    moments = load_requests(str(EXAMPLES / "cart_*.json"))

    assert [m.id for m in moments] == ["cart_abandonment.json"]
    assert moments[0].request.event.event_id == "evt-cart-C0040"


def test_requests_matching_nothing_or_not_requests_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no request files match"):
        load_requests(str(tmp_path / "*.json"))
    (tmp_path / "bad.json").write_text('{"event": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json: not a decision request"):
        load_requests(str(tmp_path / "*.json"))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a committed prompts/ whose working copy has one edit since."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(SHIPPED, root / "prompts")
    _git(root, "init", "-q")
    _git(root, "add", "prompts")
    _git(root, "commit", "-q", "-m", "policy")
    brand = root / "prompts" / "brand.yaml"
    brand.write_text(brand.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    return root


def test_a_git_revision_is_the_folder_as_committed(repo: Path) -> None:
    with policy_folder_at("HEAD", repo / "prompts") as folder:
        assert load_policy_set(folder.path).version == load_policy_set(SHIPPED).version
        assert folder.label.startswith("HEAD (")
        scratch = folder.path
    assert not scratch.exists()
    assert load_policy_set(repo / "prompts").version != load_policy_set(SHIPPED).version


def test_an_existing_folder_is_used_as_it_is(tmp_path: Path) -> None:
    with policy_folder_at(str(SHIPPED), tmp_path) as folder:
        assert folder.path == SHIPPED


@pytest.mark.parametrize(
    ("against", "message"),
    [
        ("no-such-rev", r"no-such-rev: no such folder, nor a git revision"),
        ("--output=x", r"--output=x: no such folder, nor a git revision"),
        ("HEAD~5", r"HEAD~5: no such folder, nor a git revision"),
    ],
)
def test_an_unknown_revision_is_a_policy_error(repo: Path, against: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message), policy_folder_at(against, repo / "prompts"):
        pytest.fail("nothing to yield")


def test_a_revision_without_the_folder_is_a_policy_error(repo: Path) -> None:
    (repo / "later").mkdir()
    with pytest.raises(PolicyError, match=r"HEAD:later: not at revision"), policy_folder_at("HEAD", repo / "later"):
        pytest.fail("nothing to yield")


def test_a_folder_outside_git_cannot_take_a_revision(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not in a git repository"), policy_folder_at("HEAD", tmp_path):
        pytest.fail("nothing to yield")


def test_errors_inside_a_revision_name_the_file_at_that_revision(repo: Path) -> None:
    playbook = repo / "prompts" / "playbooks" / "cart_abandonment.md"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("tone: warm", "tonne: warm"), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "typo")

    with pytest.raises(PolicyError) as caught, policy_folder_at("HEAD", repo / "prompts") as folder:
        load_policy_set(folder.path)

    assert str(caught.value).startswith("HEAD:prompts/playbooks/cart_abandonment.md:13: tonne:")
