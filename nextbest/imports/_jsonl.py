"""nextbest's own JSONL: one contract object per line (`Product`, `StockLevel`, `Store`, `Offer`, `OrderLine`)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from nextbest.errors import ConfigError

from ._rows import RowError, validation_errors

__all__ = ["read_jsonl"]

M = TypeVar("M", bound=BaseModel)


def read_jsonl(path: Path, model: type[M]) -> tuple[list[M], list[RowError], list[str]]:
    """(the objects, the errors, the rejected lines as they were)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    objects: list[M] = []
    errors: list[RowError] = []
    rejected: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            objects.append(model.model_validate_json(line))
        except ValidationError as exc:
            rejected.append(line)
            errors += [RowError(f"{path}:{number}", number, col, msg) for col, msg in validation_errors(exc)]
    return objects, errors, rejected
