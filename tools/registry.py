"""The model-facing tools, listed once. The toolbox offers every tool here that its dependencies allow.

Adding a tool: write `tools/<name>.py` with a `FunctionTool` subclass and a `from_deps` class method,
then add one line to MODEL_TOOLS below. Nothing else names tools.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .candidates.view import CatalogView
from .catalog.search import CatalogSearch
from .function_tool import FunctionTool
from .inventory import InventoryAdapter, InventoryTool
from .search_catalog import SearchCatalogTool

__all__ = ["MODEL_TOOLS", "AnyTool", "ToolDeps", "ToolFactory", "model_tools"]

AnyTool = FunctionTool[Any, Any]


@dataclass(frozen=True)
class ToolDeps:
    """What the tools may use; `search` is None when retrieval is down."""

    catalog: CatalogView
    inventory: InventoryAdapter
    search: CatalogSearch | None = None


ToolFactory = Callable[[ToolDeps], AnyTool | None]
"""Builds a tool from its dependencies, or None when they cannot support it."""

MODEL_TOOLS: tuple[ToolFactory, ...] = (
    InventoryTool.from_deps,
    SearchCatalogTool.from_deps,
)


def model_tools(deps: ToolDeps, registry: tuple[ToolFactory, ...] = MODEL_TOOLS) -> list[AnyTool]:
    """Every registered tool `deps` can support, in registry order (the order the model sees them)."""
    return [tool for make in registry if (tool := make(deps)) is not None]
