"""`nextbest bench ...`: run the benchmarks, print a table, optionally write JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ._output import fail, for_people, note

__all__ = ["bench_app"]

bench_app = typer.Typer(no_args_is_help=True, help="Measure nextbest against baselines run in the same invocation.")

Quick = Annotated[bool, typer.Option("--quick", help="Small sizes: minutes, not tens of minutes")]
Out = Annotated[Path | None, typer.Option("--out", help="Write the results as JSON to this file")]


def _check_extras(names: list[str]) -> set[str]:
    """Up front: a figure asked for by name fails at once without its extra; `all` will skip it (noted)."""
    from benchmarks.runner import missing_extras

    missing = missing_extras(names)
    for name, extras in missing.items():
        needs = "; ".join(f"the {extra.name} extra: {extra.install}" for extra in extras)
        if len(names) == 1:
            fail(f"the {name} figure needs {needs}")
        note(f"skipping {name}: it needs {needs}")
    return {f"{name}.skipped" for name in missing}


def _run(names: list[str], quick: bool, out: Path | None) -> None:
    from benchmarks.results import Result, machine_info, render_table, write_json
    from benchmarks.runner import run_figures

    if out is not None and not out.resolve().parent.is_dir():
        fail(f"cannot write {out}: no folder {out.resolve().parent}")
    console = Console()
    if not for_people(console):  # a log has no width to fit: at 80 columns every value column folds to "…"
        console = Console(width=max(console.width, 160))
    machine = machine_info()
    results: list[Result] = []
    announced = _check_extras(names)
    for _, measured in run_figures(names, quick=quick, progress=_progress(console)):
        results += measured
        if out is not None:  # after every figure: what was measured survives a later failure or Ctrl-C
            write_json(results, out, machine)
    render_table(results, console)
    for result in results:
        if result.note and result.name not in announced:
            note(f"{result.name}: {result.note}")
    if out is not None:
        console.print(f"wrote {escape(str(out))}")
    if any(result.name.endswith(".failed") for result in results):
        raise typer.Exit(1)


def _progress(console: Console) -> Callable[[str], None]:
    return lambda name: console.print(f"[dim]running {escape(name)}…[/dim]")


@bench_app.command("all")
def all_figures(quick: Quick = False, out: Out = None) -> None:
    """Every figure: HTTP, in-process, LLM overhead, deadline, concurrency, catalog, OPE, import, scaling, flight."""
    from benchmarks import runner

    _run(list(runner.FIGURES), quick, out)


@bench_app.command()
def http(quick: Quick = False, out: Out = None) -> None:
    """Rules path over HTTP against a bare FastAPI echo (uvicorn, separate processes)."""
    _run(["http"], quick, out)


@bench_app.command()
def inprocess(quick: Quick = False, out: Out = None) -> None:
    """Rules path in-process: Decider.decide and the rules engine alone."""
    _run(["inprocess"], quick, out)


@bench_app.command()
def llm(quick: Quick = False, out: Out = None) -> None:
    """LLM path on the fake server: overhead, calls and tokens against LangGraph's ReAct agent."""
    _run(["llm"], quick, out)


@bench_app.command()
def deadline(quick: Quick = False, out: Out = None) -> None:
    """A hanging model, one core busy, `nextbest serve` measured at the HTTP client: answers within the deadline."""
    _run(["deadline"], quick, out)


@bench_app.command()
def concurrency(quick: Quick = False, out: Out = None) -> None:
    """1,000 decisions in flight against a 1 s model."""
    _run(["concurrency"], quick, out)


@bench_app.command()
def catalog(quick: Quick = False, out: Out = None) -> None:
    """Catalog indexing and filtered retrieval in Chroma, per embedding function."""
    _run(["catalog"], quick, out)


@bench_app.command()
def ope(quick: Quick = False, out: Out = None) -> None:
    """Off-policy evaluation (IPS, SNIPS, DR with bootstrap intervals) of 1 M logged decisions."""
    _run(["ope"], quick, out)


@bench_app.command()
def scaling(quick: Quick = False, out: Out = None) -> None:
    """`serve --workers 1` against `--workers 2` at the HTTP ceiling, on the SQLite ledger and on Redis."""
    _run(["scaling"], quick, out)


@bench_app.command()
def flight(quick: Quick = False, out: Out = None) -> None:
    """1,000 decisions in flight over HTTP against a 1 s model, served by 2 workers."""
    _run(["flight"], quick, out)


@bench_app.command("import")
def import_figure(quick: Quick = False, out: Out = None) -> None:
    """`nextbest import` of 100k products (300k variants) with stock in 25 stores (7.5 M rows); load memory."""
    _run(["import"], quick, out)
