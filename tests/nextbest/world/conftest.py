"""The generated and the committed world, built once per session: both are read-only."""

from __future__ import annotations

import pytest

from nextbest.world import World, generate_world, load_world


@pytest.fixture(scope="session")
def world() -> World:
    return generate_world()


@pytest.fixture(scope="session")
def committed() -> World:
    return load_world()
