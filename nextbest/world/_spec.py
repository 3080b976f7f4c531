"""The shape of a product line, the template the catalog generator fills, and its YAML loader."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

LINES_PATH = Path(__file__).with_name("lines.yaml")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Facet(_Spec):
    """A product attribute that links products (a lens mount, a card format, a filter size).

    An option may hold several values separated by "|" (a camera with two card slots). `by_brand`
    pins the value for first-party brands; `scale` multiplies the price per option.
    """

    name: str
    options: tuple[str, ...] = Field(min_length=1)
    by_brand: dict[str, str] = Field(default_factory=dict)
    scale: tuple[float, ...] = ()

    @model_validator(mode="after")
    def _scale_per_option(self) -> Facet:
        if self.scale and len(self.scale) != len(self.options):
            raise ValueError(f"facet {self.name}: scale needs one factor per option")
        return self


class Line(_Spec):
    """One product line (a subcategory) and how many products to make from it."""

    key: str
    category: str
    count: int = Field(gt=0)
    noun: str
    brands: tuple[str, ...] = Field(min_length=1)
    models: tuple[str, ...] = Field(min_length=1)
    price: tuple[float, float]
    margin: tuple[float, float]
    features: tuple[str, ...] = Field(min_length=3)
    use: str
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    facets: tuple[Facet, ...] = ()
    facet_text: str = ""
    title: str = "{brand} {model} {noun}"
    goes_with: tuple[str, ...] = ()
    compat: tuple[tuple[str, str], ...] = ()


def load_lines(path: Path = LINES_PATH) -> tuple[Line, ...]:
    """Read and check the product-line templates; links must name lines that exist."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines = tuple(Line.model_validate(entry) for entry in raw)
    keys = {line.key for line in lines}
    for line in lines:
        unknown = {*line.goes_with, *(target for target, _ in line.compat)} - keys
        if unknown:
            raise ValueError(f"{path}: line {line.key} links unknown lines {sorted(unknown)}")
    return lines
