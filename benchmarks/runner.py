"""Every figure at full or quick size, in one place: what `nextbest bench` runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import CatalogPlan, run_catalog
from .http import HttpPlan, run_http
from .inprocess import InProcessPlan, run_inprocess
from .llm import LlmPlan, run_concurrency, run_deadline, run_llm_overhead
from .results import Result

__all__ = ["FIGURES", "Plans", "plans", "run_figures"]


@dataclass(frozen=True)
class Plans:
    http: HttpPlan
    inprocess: InProcessPlan
    llm: LlmPlan
    catalog: CatalogPlan


def plans(*, quick: bool) -> Plans:
    """Full size, or small enough that `bench all --quick` ends in a few minutes on 2 cores."""
    if not quick:
        return Plans(HttpPlan(), InProcessPlan(), LlmPlan(), CatalogPlan())
    return Plans(
        HttpPlan(seconds=2.0, runs=1),
        InProcessPlan(decisions=300, runs=2, engine_repeats=50),
        LlmPlan(decisions=30, hangs=20, in_flight=1000, runs=1),
        CatalogPlan(sizes=(("lexical", 2000), ("minilm", 200)), queries=50),
    )


FIGURES: dict[str, Callable[[Plans], list[Result]]] = {
    "http": lambda p: run_http(p.http),
    "inprocess": lambda p: asyncio.run(run_inprocess(p.inprocess)),
    "llm": lambda p: asyncio.run(run_llm_overhead(p.llm)),
    "deadline": lambda p: asyncio.run(run_deadline(p.llm)),
    "concurrency": lambda p: asyncio.run(run_concurrency(p.llm, pools=(1000,) if p.llm.runs == 1 else (1000, 100))),
    "catalog": lambda p: run_catalog(p.catalog),
}
"""Figure name → how to run it from the plans; names are the `nextbest bench` subcommands."""


def run_figures(names: list[str], *, quick: bool, progress: Callable[[str], None] | None = None) -> list[Result]:
    chosen = plans(quick=quick)
    results: list[Result] = []
    for name in names:
        if progress:
            progress(name)
        results += FIGURES[name](chosen)
    return results
