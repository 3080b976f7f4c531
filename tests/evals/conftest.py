"""Fixtures for the eval tests: the world, and a few scenarios from the committed suite."""

from __future__ import annotations

import pytest

from evals.scenario import Scenario, load_scenarios
from nextbest.world import World, load_world


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture(scope="module")
def suite() -> dict[str, Scenario]:
    return {scenario.id: scenario for scenario in load_scenarios()}
