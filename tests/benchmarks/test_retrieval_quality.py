"""The retrieval-quality entry point measures the demo world's catalog; tools/ itself never loads the world."""

from __future__ import annotations

import pytest

from benchmarks.retrieval_quality import main
from nextbest.world import load_world


def test_it_measures_every_product_of_the_demo_world(capsys: pytest.CaptureFixture[str]) -> None:
    table = main(["lexical"])
    row = next(line for line in table.splitlines() if line.startswith("| nextbest-lexical |"))
    assert f"| {len(load_world().products)} |" in row
    assert table in capsys.readouterr().out
