"""events.yaml and consent.yaml: loaded with the policy set, each mistake a lint finding at file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.policies import lint_policy_dir, load_policy_set
from agent.prompt import PromptTokens
from nextbest.errors import PolicyError
from nextbest.policy import CONSENT_FILE, EVENTS_FILE, load_intake
from nextbest.settings import default_policy_dir


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "prompts"
    shutil.copytree(default_policy_dir(), copy)
    return copy


def _append(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, text]) + "\n", encoding="utf-8")
    return len(lines) + 1


def test_the_tables_are_part_of_the_policy_version(folder: Path) -> None:
    before = load_policy_set(folder).version
    text = (
        (folder / EVENTS_FILE)
        .read_text(encoding="utf-8")
        .replace("track:\n", "track:\n  Wishlist Shared: add_to_cart\n")
    )
    (folder / EVENTS_FILE).write_text(text, encoding="utf-8")
    loaded = load_policy_set(folder)
    assert loaded.version != before and loaded.intake.events.track_type("wishlist_shared") == "add_to_cart"


@pytest.mark.parametrize(
    ("file", "line_text", "message"),
    [
        (EVENTS_FILE, "pages: page_view", "pages"),
        (EVENTS_FILE, "group: Group Call", "group"),
        (CONSENT_FILE, "whatsapp: {}", "whatsapp"),
    ],
)
def test_a_mistake_is_a_finding_at_its_line(folder: Path, file: str, line_text: str, message: str) -> None:
    line = _append(folder / file, line_text)
    report = lint_policy_dir(folder, world=None, token_budget=3000, sizer=PromptTokens())
    found = [finding for finding in report.findings if finding.file.endswith(file)]
    assert len(found) == 1 and found[0].line == line and message in (found[0].key or found[0].message)
    with pytest.raises(PolicyError):
        load_policy_set(folder)


def test_two_spellings_of_one_name_cannot_map_to_two_types(folder: Path) -> None:
    text = (folder / EVENTS_FILE).read_text(encoding="utf-8")
    (folder / EVENTS_FILE).write_text(
        text.replace("track:\n", "track:\n  order-completed: checkout_started\n"), "utf-8"
    )
    with pytest.raises(PolicyError, match="same name") as caught:
        load_intake(folder)
    assert caught.value.line is not None


def test_an_unknown_google_key_names_its_line(folder: Path) -> None:
    text = (folder / CONSENT_FILE).read_text(encoding="utf-8")
    (folder / CONSENT_FILE).write_text(text.replace("  ad_user_data: [ads]\n", "  ad_user_date: [ads]\n"), "utf-8")
    with pytest.raises(PolicyError, match="ad_user_date") as caught:
        load_intake(folder)
    assert caught.value.line is not None and caught.value.line > 1


def test_a_folder_without_the_tables_maps_nothing(folder: Path) -> None:
    (folder / EVENTS_FILE).unlink()
    (folder / CONSENT_FILE).unlink()
    tables = load_policy_set(folder).intake
    assert tables.events.track_type("Order Completed") is None and tables.consent.segment_categories == {}
