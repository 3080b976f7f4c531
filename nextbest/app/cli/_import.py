"""`nextbest import KIND PATH|--from-sql URL --query Q`: a retailer's feeds into the retail store.

Exit codes: 0 imported, 1 rejected (bad rows; nothing written unless --skip-bad-rows), 2 usage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, cast

import pyarrow as pa
import pyarrow.csv as pacsv
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._output import fail, for_people

__all__ = ["import_command"]

KINDS = ("products", "inventory", "stores", "promotions", "orders", "profiles", "demo")
err = Console(stderr=True)
MAX_ERRORS_SHOWN = 20


def _renames(pairs: list[str]) -> dict[str, str]:
    renames = {}
    for pair in pairs:
        new, equals, old = pair.partition("=")
        if not equals or not new.strip() or not old.strip():
            fail(f"--map takes new=old, got {pair!r}")
        renames[new.strip()] = old.strip()
    return renames


def _rejects_path(path: Path | None, rejects: Path | None, kind: str) -> Path:
    if rejects is not None:
        return rejects
    if path is not None:
        return path.with_name(f"{path.name}.rejected{'.jsonl' if path.suffix == '.jsonl' else '.csv'}")
    return Path(f"rejected-{kind}.csv")


def _write_rejects(rows: pa.Table | list[str], target: Path) -> None:
    if isinstance(rows, list):
        target.write_text("".join(f"{line}\n" for line in rows), encoding="utf-8")
    else:
        pacsv.write_csv(rows, target)


async def _index(settings: Settings, store: object) -> str:
    from nextbest.retail import RetailStore
    from tools.catalog import index_catalog

    from ._app import index_summary

    snapshot = await cast(RetailStore, store).load()
    stats = await asyncio.to_thread(index_catalog, settings, list(snapshot.products.values()), snapshot.stock.totals())
    return index_summary(stats, settings.embedding.value)


def import_command(
    kind: Annotated[str, typer.Argument(help="products | inventory | stores | promotions | orders | profiles | demo")],
    path: Annotated[Path | None, typer.Argument(help="A CSV/TSV feed, or .jsonl of nextbest contracts")] = None,
    from_sql: Annotated[str | None, typer.Option("--from-sql", help="Read a PostgreSQL query instead")] = None,
    query: Annotated[str | None, typer.Option("--query", help="The query for --from-sql")] = None,
    rename: Annotated[list[str] | None, typer.Option("--map", help="new=old: read column old as new")] = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="Import the good rows")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where --skip-bad-rows writes the rejected rows")] = None,
    no_index: Annotated[bool, typer.Option("--no-index", help="Leave the Chroma catalog index as it is")] = False,
    min_support: Annotated[int, typer.Option(help="orders: orders a pair needs to link", min=1)] = 2,
    top: Annotated[int, typer.Option(help="orders: links kept per product", min=1)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="profiles: print the summary as JSON")] = False,
) -> None:
    """Import a retailer's feed (GMC products, local inventory, promotions; stores; orders), profiles from a
    warehouse or CDP export (JSON lines or a SQL query), or the demo."""
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind != "demo" and (path is None) == (from_sql is None):
        fail("give a PATH or --from-sql URL --query Q (one of them)")
    if from_sql is not None and not query:
        fail("--from-sql needs --query")
    if path is not None and not path.is_file():
        fail(f"no file {path}")
    if kind == "profiles":
        from ._import_profiles import import_profiles

        import_profiles(path, from_sql, query, as_json=as_json)
        return
    try:
        settings = Settings()
    except ValueError as exc:
        fail(f"invalid settings: {exc}")
    plan = _Plan(kind, path, from_sql, query, _renames(rename or []), skip_bad_rows, no_index, min_support, top)
    try:
        code = asyncio.run(_run(settings, plan, _rejects_path(path, rejects, kind)))
    except NextbestError as exc:
        fail(str(exc))
    raise typer.Exit(code)


class _Plan:
    def __init__(
        self, kind: str, path: Path | None, url: str | None, query: str | None, renames: dict[str, str],
        skip: bool, no_index: bool, min_support: int, top: int,
    ) -> None:  # fmt: skip
        self.kind, self.path, self.url, self.query, self.renames = kind, path, url, query, renames
        self.skip, self.no_index, self.min_support, self.top = skip, no_index, min_support, top


def _feed(plan: _Plan) -> object:
    from nextbest.imports import Feed, Kind, read_file, read_sql

    kind = cast(Kind, plan.kind)
    if plan.path is not None and plan.path.suffix == ".jsonl":
        return Feed(kind, jsonl=plan.path, min_support=plan.min_support, top=plan.top)
    if plan.path is not None:
        source = read_file(plan.path, plan.renames)
    else:
        assert plan.url is not None and plan.query is not None
        source = read_sql(plan.url, plan.query, plan.renames)
    return Feed(kind, source=source, min_support=plan.min_support, top=plan.top)


async def _run(settings: Settings, plan: _Plan, rejects: Path) -> Literal[0, 1]:
    from nextbest.imports import Feed, FeedRejectedError, import_demo, import_feed
    from nextbest.retail import open_retail_store

    store = await open_retail_store(settings)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True, disable=not for_people(err)) as progress:  # fmt: skip
            task = progress.add_task(f"importing {plan.kind}")
            if plan.kind == "demo":
                result = await import_demo(store, datetime.now(UTC).date())
                err.print(f"demo data set: {result.changed:,} rows changed (version {result.version})")
                return 0
            progress.update(task, description=f"reading {plan.kind}")
            feed = cast(Feed, await asyncio.to_thread(_feed, plan))
            progress.update(task, description=f"checking and writing {plan.kind}")
            try:
                report = await import_feed(store, feed, skip_bad_rows=plan.skip)
            except FeedRejectedError as exc:
                progress.stop()
                _print_errors(exc.errors)
                err.print(f"{len(exc.errors)} error(s): nothing imported (--skip-bad-rows imports the good rows)")
                return 1
            if plan.kind in ("products", "inventory") and not plan.no_index:
                progress.update(task, description="updating the catalog index")
                index_line = await _index(settings, store)
            else:
                index_line = None
        _summary(report, rejects, index_line)
        return 0
    finally:
        await store.close()


def _print_errors(errors: Sequence[object]) -> None:
    for error in errors[:MAX_ERRORS_SHOWN]:
        err.print(escape(str(error)), soft_wrap=True, highlight=False)
    if len(errors) > MAX_ERRORS_SHOWN:
        err.print(f"... and {len(errors) - MAX_ERRORS_SHOWN} more")


def _summary(report: object, rejects: Path, index_line: str | None) -> None:
    from nextbest.imports import ImportReport

    assert isinstance(report, ImportReport)
    if report.errors:
        _print_errors(list(report.errors))
    if report.rejected_rows is not None and report.rejected:
        _write_rejects(report.rejected_rows, rejects)
        err.print(f"rejected rows written to {escape(str(rejects))}")
    replaced = " (the demo data set was replaced)" if report.result and report.result.replaced_demo else ""
    err.print(
        f"{report.kind}: {report.read:,} rows read, {report.upserted:,} upserted, {report.unchanged:,} unchanged,"
        f" {report.rejected:,} rejected{replaced}",
        highlight=False,
    )
    if index_line:
        err.print(index_line, highlight=False)
