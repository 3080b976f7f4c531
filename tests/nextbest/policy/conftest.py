"""A private copy of the shipped prompts/ folder per test, and the committed demo world."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from nextbest.settings import default_policy_dir
from nextbest.world import World, load_world

SHIPPED = default_policy_dir()


@pytest.fixture(scope="session")
def world() -> World:
    return load_world()


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A copy of prompts/ that a test may break without touching the real one."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "prompts"))


@pytest.fixture
def edit(policy_dir: Path) -> Callable[[str, str, str], int]:
    """Replace `old` by `new` once in a file of the copy; return the 1-based line of the change."""

    def apply(relative: str, old: str, new: str) -> int:
        path = policy_dir / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return text[: text.index(old)].count("\n") + 1

    return apply
