"""Reading a feed into an Arrow table of strings: a CSV/TSV file, or a PostgreSQL query (through COPY).

Header names are normalised as GMC text feeds allow (`store code` is `store_code`, case does not matter);
`renames` ({new: old}) maps a source's own column names onto ours. Every value stays a string: each kind's
reader parses and reports what it cannot read, row by row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from nextbest.errors import ConfigError

__all__ = ["Source", "read_file", "read_sql"]


@dataclass(frozen=True)
class Source:
    """A table of string columns, and how to name its rows in an error (`file:line`)."""

    name: str
    table: pa.Table
    first_line: int = 2
    """The line of the first data row: 2 after a header row."""

    def where(self, row: int) -> str:
        return f"{self.name}:{row + self.first_line}"


def _normalise(names: list[str], renames: dict[str, str]) -> list[str]:
    back = {old.strip().lower().replace(" ", "_"): new for new, old in renames.items()}
    clean = [name.strip().lower().replace(" ", "_") for name in names]
    return [back.get(name, name) for name in clean]


def _read_csv(raw: bytes, delimiter: str, renames: dict[str, str]) -> pa.Table:
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r").split(delimiter)
    table = pacsv.read_csv(
        io.BytesIO(raw),
        read_options=pacsv.ReadOptions(use_threads=True, block_size=64 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.rename_columns(_normalise(table.column_names, renames))


def read_file(path: Path, renames: dict[str, str] | None = None) -> Source:
    """A CSV or TSV feed: tab-separated when the header holds a tab (GMC's text feeds), else commas."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    first = raw.split(b"\n", 1)[0]
    delimiter = "\t" if b"\t" in first else ","
    try:
        table = _read_csv(raw, delimiter, renames or {})
    except pa.ArrowInvalid as exc:
        raise ConfigError(f"{path}: not a readable CSV/TSV feed: {exc}") from exc
    return Source(str(path), table)


def read_sql(url: str, query: str, renames: dict[str, str] | None = None) -> Source:
    """The rows of a PostgreSQL query, through `COPY (query) TO STDOUT` as CSV: fast, and every value a string."""
    buffer = io.BytesIO()
    try:
        statement = f"COPY ({query.rstrip().rstrip(';')}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        with psycopg.connect(url, connect_timeout=10) as conn, conn.cursor() as cursor, cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
    except psycopg.Error as exc:
        raise ConfigError(f"--from-sql: {exc}".strip()) from exc
    raw = buffer.getvalue()
    if not raw.strip():
        raise ConfigError("--from-sql: the query returned no columns")
    return Source("query", _read_csv(raw, ",", renames or {}), first_line=1)
