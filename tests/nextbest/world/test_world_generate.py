from __future__ import annotations

from pathlib import Path

import pytest

from nextbest.world import WORLD_PATH, World, generate_world, load_world, write_world
from nextbest.world.generate import main


@pytest.mark.parametrize("part", ["products", "stores", "offers", "customers", "stock", "categories"])
def test_committed_world_matches_the_generator(world: World, committed: World, part: str) -> None:
    # A template change without `python -m nextbest.world.generate` fails here, part by part.
    assert getattr(committed, part) == getattr(world, part)


def test_committed_file_is_byte_identical_to_a_fresh_write(world: World, tmp_path: Path) -> None:
    fresh = tmp_path / "world.json.gz"
    write_world(world, fresh)
    assert fresh.read_bytes() == WORLD_PATH.read_bytes()


def test_committed_data_is_small() -> None:
    assert WORLD_PATH.stat().st_size < 5 * 1024 * 1024


def test_same_seed_gives_the_same_world_and_another_seed_does_not(world: World) -> None:
    assert generate_world(7) == world
    other = generate_world(8)
    assert other.products != world.products
    assert other.customers != world.customers


def test_write_then_load_round_trips(world: World, tmp_path: Path) -> None:
    path = tmp_path / "nested" / "w.json.gz"
    write_world(world, path)
    assert load_world(path) == world


def test_entry_point_writes_world_and_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.json.gz"
    assert main(["--seed", "3", "--out", str(out), "--examples", str(tmp_path / "examples")]) == 0
    assert load_world(out) == generate_world(3)
    assert len(list((tmp_path / "examples").glob("*.json"))) == 9
    assert "1008 products" in capsys.readouterr().out
