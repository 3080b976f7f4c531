"""Every figure at full or quick size, in one place: what `nextbest bench` runs, and the extras each needs.

A figure whose extra is missing is skipped with a note naming the install command; one that fails is
reported as failed; the figures measured before or after either still reach the table and the JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from ._extras import BENCH, SEMANTIC, Extra
from .catalog import CatalogPlan, run_catalog
from .deadline import DeadlinePlan, run_deadline
from .http import HttpPlan, run_http
from .imports import ImportPlan, run_imports
from .inprocess import InProcessPlan, run_inprocess
from .llm import LlmPlan, run_concurrency, run_llm_overhead
from .ope import OpePlan, run_ope
from .results import Result
from .scaling import FlightPlan, ScalingPlan, run_flight, run_scaling

__all__ = ["BENCH", "FIGURES", "SEMANTIC", "Extra", "Figure", "Plans", "missing_extras", "plans", "run_figures"]


@dataclass(frozen=True)
class Plans:
    http: HttpPlan
    inprocess: InProcessPlan
    llm: LlmPlan
    deadline: DeadlinePlan
    catalog: CatalogPlan
    ope: OpePlan
    imports: ImportPlan
    scaling: ScalingPlan
    flight: FlightPlan


def plans(*, quick: bool) -> Plans:
    """Full size, or small enough that `bench all --quick` ends in a few minutes on 2 cores."""
    if not quick:
        return Plans(
            HttpPlan(),
            InProcessPlan(),
            LlmPlan(),
            DeadlinePlan(),
            CatalogPlan(),
            OpePlan(),
            ImportPlan(),
            ScalingPlan(),
            FlightPlan(),
        )
    return Plans(
        HttpPlan(seconds=2.0, runs=1),
        InProcessPlan(decisions=300, runs=2, engine_repeats=50),
        LlmPlan(decisions=30, in_flight=1000, runs=1),
        DeadlinePlan(decisions=40),
        CatalogPlan(sizes=(("lexical", 10_000), ("lexical", 1_008), ("minilm", 200)), queries=50),
        OpePlan(rows=100_000, rounds=200),
        ImportPlan(products=2000),
        ScalingPlan(seconds=2.0, runs=1),
        FlightPlan(runs=1),
    )


@dataclass(frozen=True)
class Figure:
    """How to run one figure from the plans, and the extras without which it cannot run at all."""

    run: Callable[[Plans], list[Result]]
    needs: tuple[Extra, ...] = ()


FIGURES: dict[str, Figure] = {
    "http": Figure(lambda p: run_http(p.http)),
    "inprocess": Figure(lambda p: asyncio.run(run_inprocess(p.inprocess))),
    # the baseline is LangGraph's ReAct agent on langchain-openai
    "llm": Figure(lambda p: asyncio.run(run_llm_overhead(p.llm)), needs=(BENCH,)),
    # a real `nextbest serve`, a hanging model and one busy core, measured at the HTTP client
    "deadline": Figure(lambda p: run_deadline(p.deadline)),
    "concurrency": Figure(
        lambda p: asyncio.run(run_concurrency(p.llm, pools=(1000,) if p.llm.runs == 1 else (1000, 100)))
    ),
    # MiniLM inside is skipped by run_catalog itself when the semantic extra is missing
    "catalog": Figure(lambda p: run_catalog(p.catalog)),
    "ope": Figure(lambda p: run_ope(p.ope)),
    "import": Figure(lambda p: run_imports(p.imports)),
    "scaling": Figure(lambda p: run_scaling(p.scaling)),
    "flight": Figure(lambda p: run_flight(p.flight)),
}
"""Figure name → how to run it; names are the `nextbest bench` subcommands."""


def missing_extras(names: Iterable[str], figures: Mapping[str, Figure] | None = None) -> dict[str, list[Extra]]:
    """Figure name → the extras it needs that are not installed (figures that can run are left out)."""
    table = FIGURES if figures is None else figures
    missing = {name: [extra for extra in table[name].needs if not extra.installed()] for name in names}
    return {name: extras for name, extras in missing.items() if extras}


def _run_one(name: str, figure: Figure, chosen: Plans) -> list[Result]:
    missing = [extra for extra in figure.needs if not extra.installed()]
    if missing:
        needs = ", ".join(f"the {extra.name} extra ({extra.install})" for extra in missing)
        return [Result.skip(name, f"needs {needs}")]
    try:
        return figure.run(chosen)
    except Exception as exc:  # one broken figure must not lose the others' measurements
        return [Result.fail(name, f"{type(exc).__name__}: {exc}")]


def run_figures(
    names: list[str],
    *,
    quick: bool,
    figures: Mapping[str, Figure] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, list[Result]]]:
    """Each figure's results as soon as it is measured, so a caller can write what it has at every step."""
    table = FIGURES if figures is None else figures
    chosen = plans(quick=quick)
    for name in names:
        if progress:
            progress(name)
        yield name, _run_one(name, table[name], chosen)
