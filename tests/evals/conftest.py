"""Fixtures for the eval tests: the world, the committed scenarios, and a live `nextbest serve`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.scenario import SCENARIO_DIR, Scenario, load_scenarios
from nextbest.world import World, load_world


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture(scope="module")
def suite() -> dict[str, Scenario]:
    return {scenario.id: scenario for scenario in load_scenarios()}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> Iterator[str]:
    """A real `nextbest serve` (rules only, no holdout, bearer key `secret`) on a free port; its base URL."""
    env = {"NEXTBEST_DATA_DIR": str(tmp_path_factory.mktemp("server-data")), "NEXTBEST_API_KEYS": "secret"}
    with serve(env) as (base, _):
        yield base


@pytest.fixture
def subset(tmp_path: Path) -> Callable[[set[str]], str]:
    """Writes a jsonl of just these committed scenarios, for `--scenarios`, and returns its path."""

    def write(ids: set[str]) -> str:
        lines = [
            line
            for path in sorted(SCENARIO_DIR.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if json.loads(line)["id"] in ids
        ]
        assert len(lines) == len(ids)
        target = tmp_path / "subset.jsonl"
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(target)

    return write
