"""Writing decision-log rows to files a warehouse loads: JSON lines, or Parquet with a fixed arrow schema.

The arrow schemas are written out column by column rather than inferred, so an empty export, or one whose
nullable columns happen to be all null, still carries the documented types. A test holds them to the
pydantic rows in nextbest.contracts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

__all__ = ["DECISION_SCHEMA", "OUTCOME_SCHEMA", "write_rows"]

_TIME = pa.timestamp("us", tz="UTC")
_NAMES = pa.list_(pa.string())

_DECISION_FIELDS: list[pa.Field[Any]] = [
    pa.field("decision_id", pa.string(), nullable=False),
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("subject_id", pa.string(), nullable=False),
    pa.field("use_case", pa.string()),
    pa.field("action", pa.string(), nullable=False),
    pa.field("channel", pa.string()),
    pa.field("placement", pa.string()),
    pa.field("offer_id", pa.string()),
    pa.field("product_ids", _NAMES, nullable=False),
    pa.field("arm", pa.string()),
    pa.field("propensity", pa.float64()),
    pa.field("decided_by", pa.string(), nullable=False),
    pa.field("fallback_reason", pa.string()),
    pa.field("policy_version", pa.string(), nullable=False),
    pa.field("latency_ms", pa.float64(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("guardrails", pa.map_(pa.string(), pa.string()), nullable=False),
    pa.field("holdout", pa.bool_(), nullable=False),
    pa.field("transactional", pa.bool_(), nullable=False),
    pa.field("decided_at", _TIME, nullable=False),
    pa.field("recorded_at", _TIME, nullable=False),
    pa.field("segment", pa.string()),
    pa.field("masked_arms", _NAMES),
    pa.field("reward", pa.float64()),
    pa.field("currency", pa.string()),
]
DECISION_SCHEMA = pa.schema(_DECISION_FIELDS)

_OUTCOME_FIELDS: list[pa.Field[Any]] = [
    pa.field("decision_id", pa.string(), nullable=False),
    pa.field("subject_id", pa.string(), nullable=False),
    pa.field("outcome", pa.string(), nullable=False),
    pa.field("occurred_at", _TIME, nullable=False),
    pa.field("value", pa.float64()),
    pa.field("currency", pa.string()),
]
OUTCOME_SCHEMA = pa.schema(_OUTCOME_FIELDS)

_BATCH_ROWS = 10_000


def _plain(value: Any) -> Any:
    # arrow takes str for an enum column, and a map as (key, value) pairs
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return [(key, _plain(item)) for key, item in value.items()]
    return value


def _record(row: BaseModel) -> dict[str, Any]:
    return {name: _plain(value) for name, value in row.model_dump().items()}


async def _write_jsonl(rows: AsyncIterable[BaseModel], out: IO[bytes]) -> int:
    count = 0
    async for row in rows:
        out.write(row.model_dump_json().encode() + b"\n")
        count += 1
    return count


async def _write_parquet(rows: AsyncIterable[BaseModel], out: IO[bytes], schema: pa.Schema) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(out, schema) as writer:

        def flush() -> None:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            batch.clear()

        async for row in rows:
            batch.append(_record(row))
            count += 1
            if len(batch) >= _BATCH_ROWS:
                flush()
        if batch:
            flush()
    return count


async def write_rows(rows: AsyncIterable[BaseModel], path: Path, parquet: pa.Schema | None) -> int:
    """Write every row to `path`: Parquet with the `parquet` schema, else JSON lines. The file appears whole
    or not at all (written aside, then renamed), so a failed export never leaves half a file to load."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            if parquet is None:
                count = await _write_jsonl(rows, out)
            else:
                count = await _write_parquet(rows, out, parquet)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count
