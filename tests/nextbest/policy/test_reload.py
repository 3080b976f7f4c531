"""ReloadingPolicies: a broken save is refused with file:line, and the watcher outlives bad saves and a new folder."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.policies import ReloadingPolicies, load_policy_set
from nextbest.clock import FixedClock
from nextbest.settings import default_policy_dir

DEADLINE_S = 15
POLL_S = 0.02
LOADED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TITLE = 'title: "{first_name}, your {product.title} is waiting"'


async def _until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not ready():
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S} s"
        await asyncio.sleep(POLL_S)


@pytest.fixture
async def watched(policy_dir: Path) -> AsyncIterator[ReloadingPolicies]:
    policies = ReloadingPolicies(policy_dir, clock=FixedClock(LOADED))
    stop = asyncio.Event()
    task = asyncio.create_task(policies.watch(stop))
    try:
        yield policies
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE_S)


def _edit(root: Path, old: str, new: str) -> str:
    """Change the cart playbook of `root` and return the version the folder now has."""
    playbook = root / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text(encoding="utf-8")
    assert old in text
    playbook.write_text(text.replace(old, new), encoding="utf-8")
    return load_policy_set(root).version


def test_a_save_that_is_not_utf8_is_refused_with_its_line(policy_dir: Path) -> None:
    clock = FixedClock(LOADED)
    policies = ReloadingPolicies(policy_dir, clock=clock)
    shipped = policies.current().version
    brand = policy_dir / "brand.yaml"
    brand.write_bytes(brand.read_bytes() + "\n# caf\u00e9 crème\n".encode("cp1252"))
    clock.set(datetime(2026, 11, 28, 9, 5, tzinfo=UTC))

    status = policies.reload()

    lines = brand.read_bytes().count(b"\n")
    assert status.error == f"{brand}:{lines}: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    assert (status.version, status.loaded_at, status.error_at) == (shipped, LOADED, clock.now())
    assert policies.current().version == shipped


async def test_the_watcher_outlives_a_save_that_cannot_be_read(watched: ReloadingPolicies, policy_dir: Path) -> None:
    shipped = watched.current().version
    (policy_dir / "playbooks" / "notes.md").write_bytes(b"---\nid: notes\ntitle: caf\xe9\n---\n")
    await _until(lambda: watched.status.error is not None, "rejected reload")
    assert "notes.md:3: not UTF-8 text" in (watched.status.error or "")

    (policy_dir / "playbooks" / "notes.md").unlink()
    edited = _edit(policy_dir, TITLE, 'title: "Still thinking it over, {first_name}?"')
    await _until(lambda: watched.current().version == edited, "reload after the bad save")
    assert edited != shipped
    assert watched.status.error is None


async def test_the_watcher_follows_a_folder_replaced_by_a_fresh_copy(
    watched: ReloadingPolicies, policy_dir: Path, tmp_path: Path
) -> None:
    fresh = Path(shutil.copytree(default_policy_dir(), tmp_path / "fresh"))
    copied = _edit(fresh, TITLE, 'title: "Your cart misses you, {first_name}"')
    shutil.rmtree(policy_dir)
    shutil.copytree(fresh, policy_dir)
    await _until(lambda: watched.current().version == copied, "reload of the new folder")

    # The new folder is watched, not only read once: a later edit in it goes live too.
    edited = _edit(policy_dir, "channels: [email, push, sms]", "channels: [push, email, sms]")
    await _until(lambda: watched.current().version == edited, "reload of an edit in the new folder")
    playbook = watched.current().playbook("cart_abandonment")
    assert playbook is not None
    assert [channel.value for channel in playbook.channels] == ["push", "email", "sms"]
