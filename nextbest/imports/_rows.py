"""Row-level parsing shared by every feed: errors named `file:line: column: what is wrong`, prices, numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
from pydantic import ValidationError

from ._source import Source

__all__ = ["BadValueError", "RowError", "Rows", "field_errors", "parse_money", "validation_errors"]

_MONEY = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<currency>[A-Za-z]{3})?\s*$")


class BadValueError(ValueError):
    """One column of one row cannot be read."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(f"{column}: {message}")


@dataclass(frozen=True)
class RowError:
    where: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.column}: {self.message}"


def parse_money(column: str, text: str) -> tuple[float, str | None]:
    """GMC prices: `89.00 USD` (or a bare number)."""
    match = _MONEY.match(text)
    if match is None:
        raise BadValueError(column, f"{text!r} is not a price like '89.00 USD'")
    currency = match.group("currency")
    return float(match.group("amount")), currency.upper() if currency else None


def validation_errors(exc: ValidationError) -> Iterator[tuple[str, str]]:
    for error in exc.errors():
        yield ".".join(str(part) for part in error["loc"]) or "row", error["msg"]


@dataclass
class Rows:
    """A source's rows as dicts of non-empty strings, with the errors found so far."""

    source: Source
    errors: list[RowError] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        table = self.source.table
        names = table.column_names
        columns = [table[name].to_pylist() for name in names]
        for index in range(table.num_rows):
            yield (
                index,
                {name: value.strip() for name, col in zip(names, columns, strict=True) if (value := col[index])},
            )

    def reject(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(self.source.where(row), row, column, message))
        self.rejected.add(row)

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.source.table.column_names]
        if missing:
            from nextbest.errors import ConfigError

            raise ConfigError(f"{self.source.name}: missing column(s) {', '.join(missing)}")

    def rejected_table(self) -> pa.Table:
        """The rejected rows as they were read, with the reason in an `error` column."""
        order = sorted(self.rejected)
        reasons: dict[int, str] = {}
        for error in self.errors:
            reasons.setdefault(error.row, f"{error.column}: {error.message}")
        table = self.source.table.take(pa.array(order, pa.int64()))
        return table.append_column("error", pa.array([reasons[r] for r in order], pa.string()))


def field_errors(rows: Rows, row: int, exc: ValidationError) -> None:
    for column, message in validation_errors(exc):
        rows.reject(row, column, message)
