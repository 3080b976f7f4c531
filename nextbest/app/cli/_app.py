"""Typer commands. Each one is a thin shell over the library; output is for people unless --json."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from nextbest.contracts import DecideRequest
from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._demo import run_demo
from ._graceful import GRACEFUL_SHUTDOWN_S, exit_zero_after_drain
from ._group import CleanGroup
from ._output import fail, for_people

if TYPE_CHECKING:
    from tools.catalog import IndexStats

app = typer.Typer(
    cls=CleanGroup,
    no_args_is_help=True,
    add_completion=False,
    help="nextbest: the next best action, in milliseconds.",
)
console = Console()
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (share caps through the ledger)")] = 1,
    log_level: Annotated[str | None, typer.Option(help="Log level (default NEXTBEST_LOG_LEVEL, info)")] = None,
) -> None:
    """Run the HTTP API on uvicorn."""
    import uvicorn

    from nextbest.app.observability import configure_logging, prepare_multiprocess

    try:
        settings = Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    level = (log_level or settings.log_level).lower()
    if level not in LOG_LEVELS:
        fail(f"--log-level {log_level!r}: use one of {', '.join(LOG_LEVELS)}")
    os.environ["NEXTBEST_LOG_LEVEL"] = level  # the workers uvicorn spawns read their settings from here
    configure_logging(settings.log_format, level.upper())
    if workers > 1:  # every worker writes its metrics here; /metrics merges them (prometheus multiprocess mode)
        prepare_multiprocess(settings.data_dir / "prometheus")
    exit_zero_after_drain()
    # "auto" picks uvloop and httptools when they are installed (uvicorn[standard]), else asyncio and h11.
    uvicorn.run(
        "nextbest.app.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=level,
        access_log=False,
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def _read_request(source: str) -> DecideRequest:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return DecideRequest.model_validate_json(text)


@app.command()
def decide(source: Annotated[str, typer.Argument(help="A request JSON file, or - for stdin")]) -> None:
    """Print the decision for one request."""
    from nextbest.app.bootstrap import open_runtime

    try:
        request = _read_request(source)
    except (OSError, ValidationError) as exc:
        fail(str(exc))

    async def run() -> str:
        runtime = await open_runtime(Settings())
        try:
            return (await runtime.decider.decide(request)).model_dump_json(indent=2)
        finally:
            await runtime.aclose()

    try:
        console.print_json(asyncio.run(run()))
    except NextbestError as exc:
        fail(str(exc))


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the decisions as JSON")] = False,
    examples: Annotated[Path | None, typer.Option(help="Folder of example requests")] = None,
) -> None:
    """Decide the example moments (one per playbook, and one where nothing fits) against the demo world."""
    if examples is not None and not examples.is_dir():
        fail(f"no folder {examples}")
    try:
        run_demo(console, as_json=as_json, examples_dir=examples)
    except NextbestError as exc:
        fail(str(exc))


catalog_app = typer.Typer(no_args_is_help=True, help="The Chroma catalog index.")
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("index")
def catalog_index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop and rebuild (after changing the embedding)")] = False,
) -> None:
    """Build or update the catalog index from the world; unchanged products are skipped."""
    from rich.progress import Progress

    from nextbest.world import load_world
    from tools.catalog import index_catalog

    settings = Settings()
    world = load_world()
    # transient: a bar that never moved (nothing changed) must not stay on screen at 0% -:--:--; none in a log
    with Progress(console=console, transient=True, disable=not for_people(console)) as progress:
        task = progress.add_task(f"indexing ({settings.embedding.value})", total=len(world.products))

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            stats = index_catalog(settings, world.products.values(), world.stock, progress=report, rebuild=rebuild)
        except NextbestError as exc:
            fail(str(exc))
    console.print(index_summary(stats, settings.embedding.value), highlight=False)


def index_summary(stats: IndexStats, embedding: str) -> str:
    """One readable line: what was embedded, what was already up to date, how long it took."""
    total = stats.added + stats.updated + stats.unchanged
    if not stats.embedded and not stats.removed:
        head = f"catalog up to date: {total:,} products unchanged"
    else:
        head = f"catalog indexed: {stats.added:,} added, {stats.updated:,} updated, {stats.unchanged:,} unchanged"
    tail = f", {stats.removed:,} removed" if stats.removed else ""
    return f"{head}{tail} ({embedding} embedding, {stats.seconds:.2f} s)"


def _register_sub_apps() -> None:
    from ._bench import bench_app
    from ._consume import consume
    from ._eval import eval_app
    from ._export import register as register_log_commands
    from ._import import import_command
    from ._learning import learning_app
    from ._policy import policy_app
    from ._report import report_app

    app.add_typer(policy_app, name="policy")
    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")
    app.add_typer(report_app, name="report")
    app.add_typer(learning_app, name="learning")
    register_log_commands(app)
    app.command()(consume)
    app.command("import")(import_command)


_register_sub_apps()
