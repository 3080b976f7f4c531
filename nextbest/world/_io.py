"""How a world is stored: one gzip-compressed JSON document, byte-for-byte reproducible."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict

from nextbest.contracts import Offer, Product, Profile, StockLevel, Store

FORMAT_VERSION: Literal[1] = 1


class WorldFile(BaseModel):
    """The stored form of a world; lists keep the generator's order so the file diffs cleanly."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = FORMAT_VERSION
    categories: list[str]
    stores: list[Store]
    products: list[Product]
    offers: list[Offer]
    customers: list[Profile]
    stock: list[StockLevel]


def dump(document: WorldFile, path: Path) -> None:
    content = document.model_dump(mode="json", exclude_defaults=True)
    content = {"format": document.format, **content}
    raw = orjson.dumps(content)
    # mtime=0 keeps the archive identical across runs, so regenerating an unchanged world is no diff.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def read(path: Path) -> WorldFile:
    return WorldFile.model_validate_json(gzip.decompress(path.read_bytes()))
