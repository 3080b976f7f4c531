"""Stock lookups: the adapter a real inventory service plugs into, an in-memory one, and the model tool.

InventoryAdapter (Protocol)        levels / in_stock / available / stores_near
└── InventoryIndex(stock, stores)  stock in an int32 matrix (SKU × location), stores by id: O(1) lookups
InventoryTool(adapter)             the model-facing `check_inventory` tool, bounded by the deadline
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Protocol, Self

import pyarrow as pa
from pydantic import Field, model_validator

from nextbest.contracts import Contract, Identifier, StockLevel, Store
from nextbest.retail.interface import StockGrid

from ._stock import StockMatrix, stock_levels_table
from .function_tool import FunctionTool, ToolAnswer

if TYPE_CHECKING:
    from .registry import ToolDeps

__all__ = [
    "EARTH_RADIUS_KM",
    "InventoryAdapter",
    "InventoryAnswer",
    "InventoryIndex",
    "InventoryQuery",
    "InventoryTool",
    "NearbyStock",
    "ProductAvailability",
    "haversine_km",
]

TOOL_NAME = "check_inventory"
ONLINE = "online"
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class InventoryAdapter(Protocol):
    """What nextbest needs from an inventory service. `store_id` "online" is the web warehouse."""

    def levels(self, product_id: str) -> Sequence[StockLevel]:
        """Every stock row of a product; empty when the product is unknown."""
        ...

    def in_stock(self, product_id: str, *, store_id: str | None = None) -> Mapping[str | None, int]:
        """Units held per size (None for stock without a size), only sizes with a unit; at `store_id` when
        given, else in every location. What a candidate is built from; empty when nothing is held."""
        ...

    def available(self, product_id: str, *, size: str | None = None, store_id: str | None = None) -> int:
        """Units available; `None` for size or store means all sizes or all locations."""
        ...

    def variants_in_stock(self, product_id: str, store_id: str | None = None) -> Sequence[tuple[str | None, str]]:
        """(size, variant id) of each variant with a unit (at `store_id`, when given), in stock order."""
        ...

    def stores_near(self, lat: float, lon: float, radius_km: float) -> Sequence[tuple[Store, float]]:
        """Physical stores within `radius_km`, nearest first, with their distance in km."""
        ...


class InventoryIndex(InventoryAdapter):
    """Stock in a `StockMatrix` and the stores mapping it is given (kept by reference, so edits show)."""

    def __init__(
        self, stock: StockGrid | pa.Table | Iterable[StockLevel], stores: Mapping[str, Store] | Iterable[Store]
    ) -> None:
        self.matrix = StockMatrix()
        self.reload(stock)
        self._stores = stores if isinstance(stores, Mapping) else {store.store_id: store for store in stores}

    def reload(self, stock: StockGrid | pa.Table | Iterable[StockLevel]) -> None:
        """Hold exactly `stock` from now on (a store's grid is held as it is, without a copy)."""
        if isinstance(stock, StockGrid):
            self.matrix = StockMatrix.from_grid(stock)
            return
        matrix = StockMatrix()
        matrix.apply(stock if isinstance(stock, pa.Table) else stock_levels_table(stock))
        self.matrix = matrix

    def levels(self, product_id: str) -> Sequence[StockLevel]:
        return self.matrix.levels(product_id)

    def in_stock(self, product_id: str, *, store_id: str | None = None) -> Mapping[str | None, int]:
        return self.matrix.in_stock(product_id, store_id=store_id)

    def available(self, product_id: str, *, size: str | None = None, store_id: str | None = None) -> int:
        return self.matrix.available(product_id, size=size, store_id=store_id)

    def stores_near(self, lat: float, lon: float, radius_km: float) -> Sequence[tuple[Store, float]]:
        # A few dozen stores: a scan is faster than any spatial index would be to build.
        found = [
            (store, haversine_km(lat, lon, store.lat, store.lon))
            for store in self._stores.values()
            if store.store_id != ONLINE
        ]
        return sorted(((s, d) for s, d in found if d <= radius_km), key=lambda hit: (hit[1], hit[0].store_id))

    def variants_in_stock(self, product_id: str, store_id: str | None = None) -> Sequence[tuple[str | None, str]]:
        return list(self.matrix.variants_in_stock(product_id, store_id))


class InventoryQuery(Contract):
    """Stock for some products, optionally for one size, one store, or stores around a point."""

    product_ids: list[Identifier] = Field(min_length=1, max_length=20, description="Product ids, e.g. P0214")
    size: str | None = Field(default=None, description="Only this size, e.g. 'M' or '42'")
    store_id: str | None = Field(default=None, description="Only this store; 'online' is the web warehouse")
    lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(default=None, description="Shopper latitude")
    lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(default=None, description="Shopper longitude")
    radius_km: Annotated[float, Field(gt=0, le=100)] = Field(default=5, description="Nearby means within this")

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class NearbyStock(Contract):
    store_id: str
    name: str
    city: str
    distance_km: float
    quantity: int


class ProductAvailability(Contract):
    product_id: str
    known: bool = Field(description="False when the inventory has no record of the product")
    available: int = Field(description="Units for the asked size and store (all of them when not asked)")
    online: int = Field(description="Units in the web warehouse for the asked size")
    sizes_in_stock: list[str] = Field(default_factory=list)
    stores_nearby: list[NearbyStock] = Field(default_factory=list, description="Nearby stores holding it")


class InventoryAnswer(Contract):
    products: list[ProductAvailability] = Field(default_factory=list)


class InventoryTool(FunctionTool[InventoryQuery, InventoryAnswer]):
    """`check_inventory`: stock, sizes and nearby stores for product ids, straight from the adapter."""

    name = TOOL_NAME
    description = (
        "Check stock for product ids: units available, sizes in stock, and, given the shopper's lat/lon, "
        "nearby stores that hold them. Never offer what is not in stock."
    )
    input_model = InventoryQuery
    output_model = InventoryAnswer

    def __init__(self, adapter: InventoryAdapter, *, max_timeout_s: float | None = None) -> None:
        super().__init__(max_timeout_s=max_timeout_s)
        self._adapter = adapter

    @classmethod
    def from_deps(cls, deps: ToolDeps) -> InventoryTool:
        return cls(deps.inventory)

    def _answer(self, query: InventoryQuery) -> ToolAnswer[InventoryAnswer]:
        nearby: Sequence[tuple[Store, float]] = ()
        if query.lat is not None and query.lon is not None:
            nearby = self._adapter.stores_near(query.lat, query.lon, query.radius_km)
        return ToolAnswer(InventoryAnswer(products=[self._product(pid, query, nearby) for pid in query.product_ids]))

    def _product(
        self, product_id: str, query: InventoryQuery, nearby: Sequence[tuple[Store, float]]
    ) -> ProductAvailability:
        adapter = self._adapter
        levels = adapter.levels(product_id)
        # Sizes keep the order the inventory lists them in (the product's size run), not stock order.
        sizes = dict.fromkeys(row.size for row in levels if row.size is not None)
        stocked = {row.size for row in levels if row.quantity > 0 and query.store_id in (None, row.store_id)}
        holding = []
        for store, distance in nearby:
            quantity = adapter.available(product_id, size=query.size, store_id=store.store_id)
            if quantity > 0:
                holding.append(
                    NearbyStock(
                        store_id=store.store_id,
                        name=store.name,
                        city=store.city,
                        distance_km=round(distance, 2),
                        quantity=quantity,
                    )
                )
        return ProductAvailability(
            product_id=product_id,
            known=bool(levels),
            available=adapter.available(product_id, size=query.size, store_id=query.store_id),
            online=adapter.available(product_id, size=query.size, store_id=ONLINE),
            sizes_in_stock=[size for size in sizes if size in stocked],
            stores_nearby=holding,
        )
