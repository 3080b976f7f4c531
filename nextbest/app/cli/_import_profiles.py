"""`nextbest import profiles` (dispatched by `_import.import_command`): load stored profiles (traits, consent,
time zone, purchase history) from a file or a SQL query, the warehouse sync of a composable stack. Bad rows are
reported by row and skipped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from nextbest.contracts import ProfileRecord
from nextbest.errors import NextbestError, StoreError
from nextbest.settings import Settings

from ._output import err, escape, fail

__all__ = ["ImportSummary", "import_profiles", "profile_rows", "sql_rows"]

CHUNK = 500
SHOWN_ERRORS = 20
_JSON_COLUMNS = ("traits", "consent", "purchase_history")


@dataclass
class ImportSummary:
    stored: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"profiles imported: {self.stored:,} stored, {len(self.errors):,} rejected"


def profile_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, row) for each row of a JSON Lines file, or of a JSON file holding an array."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data if isinstance(data, list) else [data]
        for n, row in enumerate(rows, start=1):
            yield f"{path.name}[{n}]", row
        return
    with path.open(encoding="utf-8") as lines:
        for n, text in enumerate(lines, start=1):
            if text.strip():
                try:
                    yield f"{path.name}:{n}", json.loads(text)
                except json.JSONDecodeError as exc:
                    yield f"{path.name}:{n}", exc


def sql_rows(url: str, query: str) -> Iterator[tuple[str, Any]]:
    """(where, row) for each row a PostgreSQL query returns; JSON held in text columns is decoded, and a
    NULL column is left out (unknown, not empty)."""
    import psycopg
    from psycopg.rows import dict_row

    try:
        with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor(name="nextbest_import") as cursor:
            cursor.execute(query)
            for n, row in enumerate(cursor, start=1):
                yield f"row {n}", _decoded(row)
    except psycopg.Error as exc:
        raise StoreError(f"the profile query failed: {exc}") from exc


def _decoded(row: dict[str, Any]) -> dict[str, Any] | ValueError:
    out: dict[str, Any] = {}
    for column, value in row.items():
        if value is None:
            continue
        if column in _JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                return ValueError(f"{column}: not JSON ({exc.msg})")
        out[column] = value
    return out


def _record(where: str, row: Any, summary: ImportSummary) -> ProfileRecord | None:
    if isinstance(row, Exception):
        summary.errors.append(f"{where}: {row}")
        return None
    try:
        return ProfileRecord.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(part) for part in first["loc"]) or "row"
        summary.errors.append(f"{where}: {at}: {first['msg']}")
        return None


async def load_profiles(settings: Settings, rows: Iterator[tuple[str, Any]]) -> ImportSummary:
    """Validate and store every row, in chunks; rows that do not validate are counted and skipped."""
    from nextbest.subjects import open_subject_store

    summary = ImportSummary()
    store = await open_subject_store(settings)
    try:
        chunk: list[ProfileRecord] = []
        for where, row in rows:
            record = _record(where, row, summary)
            if record is not None:
                chunk.append(record)
            if len(chunk) >= CHUNK:
                summary.stored += await store.put_profiles(chunk)
                chunk = []
        if chunk:
            summary.stored += await store.put_profiles(chunk)
    finally:
        await store.close()
    return summary


def import_profiles(source: Path | None, from_sql: str | None, query: str | None, *, as_json: bool) -> None:
    """Store profiles: user_id, traits, consent, timezone, purchase_history (a field left out stays as stored).

    The caller has checked that exactly one of `source` and `from_sql` (with `query`) is given."""
    rows = profile_rows(source) if source is not None else sql_rows(str(from_sql), str(query))
    try:
        summary = asyncio.run(load_profiles(Settings(), rows))
    except (NextbestError, json.JSONDecodeError, OSError) as exc:
        fail(str(exc))
    for message in summary.errors[:SHOWN_ERRORS]:
        err.print(f"[yellow]rejected:[/yellow] {escape(message)}", soft_wrap=True)
    if as_json:
        typer.echo(json.dumps({"stored": summary.stored, "rejected": len(summary.errors), "errors": summary.errors}))
    else:
        typer.echo(summary.line())
    if summary.errors:
        raise typer.Exit(1)
