from __future__ import annotations

from collections.abc import Iterator

import pytest

from .warehouse import warehouse_schema


@pytest.fixture
def warehouse() -> Iterator[str]:
    """The retailer's feeds as tables in a schema of their own, with the warehouse's own column names."""
    with warehouse_schema("test_wh") as schema:
        yield schema
