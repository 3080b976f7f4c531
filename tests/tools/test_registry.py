"""The registry: every model-facing tool listed once, offered when its dependencies allow it."""

from __future__ import annotations

import pytest

from nextbest.contracts import Contract, Product, StockLevel
from tools.candidates import CatalogView
from tools.catalog import CatalogFilter, CatalogHit
from tools.function_tool import FunctionTool, ToolAnswer
from tools.inventory import InventoryIndex, InventoryTool
from tools.registry import MODEL_TOOLS, ToolDeps, model_tools
from tools.search_catalog import SearchCatalogTool

KETTLE = Product(product_id="K1", title="Gooseneck Kettle", category="brewing", price=65)


class _NoSearch:
    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return []

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return []


def _deps(*, search: bool) -> ToolDeps:
    inventory = InventoryIndex([StockLevel(product_id="K1", store_id="online", quantity=2)], [])
    return ToolDeps(CatalogView({"K1": KETTLE}), inventory, search=_NoSearch() if search else None)


class Ping(Contract):
    pass


class PingTool(FunctionTool[Ping, Ping]):
    name = "ping"
    description = "Answers."
    input_model = Ping
    output_model = Ping

    @classmethod
    def from_deps(cls, deps: ToolDeps) -> PingTool:
        return cls()

    def _answer(self, query: Ping) -> ToolAnswer[Ping]:
        return ToolAnswer(Ping())


def test_every_registered_tool_is_offered_in_registry_order_when_retrieval_is_up() -> None:
    tools = model_tools(_deps(search=True))
    assert [type(tool) for tool in tools] == [InventoryTool, SearchCatalogTool]
    assert [tool.name for tool in tools] == ["check_inventory", "search_catalog"]


def test_search_is_left_out_when_retrieval_is_down() -> None:
    assert [tool.name for tool in model_tools(_deps(search=False))] == ["check_inventory"]


def test_a_new_tool_is_one_registry_line() -> None:
    tools = model_tools(_deps(search=False), registry=(*MODEL_TOOLS, PingTool.from_deps))
    assert [tool.name for tool in tools] == ["check_inventory", "ping"]


@pytest.mark.parametrize("tool", [InventoryTool, SearchCatalogTool])
def test_each_tool_declares_its_models_and_a_schema_from_its_input(
    tool: type[FunctionTool[Contract, Contract]],
) -> None:
    spec = tool.json_schema()["function"]
    assert spec["name"] == tool.name
    assert set(spec["parameters"]["properties"]) == set(tool.input_model.model_fields)
    assert issubclass(tool.output_model, Contract)
