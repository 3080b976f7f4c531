"""A small, hand-written catalog and a throwaway Chroma per test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import chromadb
import httpx
import pytest
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.config import Settings as ChromaSettings

from nextbest.contracts import Product
from tools.catalog import CatalogIndex, LexicalEmbedding


def _product(pid: str, title: str, category: str, sub: str, price: float, description: str, *tags: str) -> Product:
    return Product(
        product_id=pid,
        title=title,
        category=category,
        subcategory=sub,
        brand=title.split()[0],
        price=price,
        description=description,
        tags=list(tags),
    )


CATALOG: tuple[Product, ...] = (
    _product("P01", "Nordhem Icefield Winter Coat", "outerwear", "winter_coats", 249.99,
             "An insulated coat with a hood for city winters down to -20 °C.", "winter"),
    _product("P02", "Fjellkind Tundra Parka", "outerwear", "parkas", 329.99,
             "A long, warm parka built for wind and snow.", "winter"),
    _product("P03", "Skyward Drizzle Rain Jacket", "outerwear", "rain_jackets", 129.99,
             "A waterproof, breathable shell that keeps showers out.", "rain"),
    _product("P04", "Voltaic Extreme SD Card 128GB", "memory_cards", "sd_cards", 39.99,
             "A UHS-II SD memory card fast enough for burst shooting and 4K video.", "photography", "storage"),
    _product("P05", "Kairo Everyday microSD Card 64GB", "memory_cards", "microsd_cards", 14.99,
             "A microSD memory card rated for action cameras, drones and phones.", "storage"),
    _product("P06", "Ember & Bean Crema Forte Espresso Beans 1 kg", "coffee", "espresso_beans", 24.99,
             "Dark-roasted espresso coffee beans with notes of chocolate.", "coffee", "espresso"),
    _product("P07", "Ember & Bean Night Owl Decaf Coffee 500 g", "coffee", "decaf_beans", 12.99,
             "Swiss-water decaf coffee beans: all the flavour, none of the buzz.", "coffee", "decaf"),
    _product("P08", "Stride Tempo Running Shoe", "footwear", "running_shoes", 139.99,
             "A cushioned running shoe for daily road miles and race day.", "running"),
    _product("P09", "Nordhem Chalet Winter Boot", "footwear", "winter_boots", 179.99,
             "An insulated, waterproof winter boot for slush and snow.", "winter"),
    _product("P10", "Forge Classic Chef's Knife", "kitchen", "knives", 89.99,
             "A forged steel chef's knife for chopping, slicing and dicing.", "cooking"),
    _product("P11", "Forge Ceramic Frying Pan", "kitchen", "pans", 59.99,
             "A non-stick frying pan that sears, sautés and bakes.", "cooking"),
    _product("P12", "Common Thread Crew Tee", "apparel", "t_shirts", 24.99,
             "A soft organic cotton t-shirt for every season.", "basics"),
)  # fmt: skip


@pytest.fixture
def catalog() -> list[Product]:
    return [product.model_copy(deep=True) for product in CATALOG]


OUT_OF_STOCK = frozenset({"P02", "P09"})


@pytest.fixture
def stock() -> dict[str, int]:
    """Five units of everything except a parka (P02) and a winter boot (P09)."""
    return {product.product_id: 0 if product.product_id in OUT_OF_STOCK else 5 for product in CATALOG}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Chroma server on loopback for the whole session; yields its port."""
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [executable, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    listening = threading.Event()

    def drain() -> None:
        # Wait on the server's own "listening" line rather than polling; keep reading so it never blocks.
        assert server.stdout is not None
        for line in server.stdout:
            if "listening" in line:
                listening.set()

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    try:
        if not listening.wait(timeout=30):
            pytest.fail("the chroma server did not start within 30 s")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        drainer.join(timeout=10)  # the pipe hits EOF once the server exits
        if server.stdout is not None:
            server.stdout.close()


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    backend_name: str = request.param
    return backend_name


def _http_sessions(client: object) -> list[httpx.Client]:
    sessions = []
    for owner in (client, getattr(client, "_admin_client", None)):
        session = getattr(getattr(owner, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            sessions.append(session)
    return sessions


def _close(client: ClientAPI) -> None:
    # Chroma's HttpClient (and the admin client inside it) never close their httpx sessions; left to the
    # GC they raise ResourceWarning later, in whichever test happens to be running.
    sessions = _http_sessions(client)
    assert isinstance(client, Client)  # ClientAPI does not declare close(); every concrete client has it
    client.close()
    for session in sessions:
        session.close()


@pytest.fixture
def close_client() -> Callable[[ClientAPI], None]:
    """Closes a client completely, http sessions included."""
    return _close


@contextmanager
def _reopener(path: Path, port: int | None) -> Iterator[Callable[[], ClientAPI]]:
    settings = ChromaSettings(anonymized_telemetry=False)
    opened: list[ClientAPI] = []

    def reopen() -> ClientAPI:
        while opened:
            _close(opened.pop())
        if port is not None:
            opened.append(chromadb.HttpClient(host="127.0.0.1", port=port, settings=settings))
        else:
            opened.append(chromadb.PersistentClient(str(path), settings=settings))
        return opened[-1]

    try:
        yield reopen
    finally:
        while opened:
            _close(opened.pop())


@pytest.fixture
def fresh_client(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[], ClientAPI]]:
    """Opens a new client on the same store as a restarted process would: every earlier client is closed."""
    port: int | None = request.getfixturevalue("chroma_server") if backend == "server" else None
    with _reopener(tmp_path / "chroma", port) as reopen:
        yield reopen


@pytest.fixture
def embedded_client(tmp_path: Path) -> Iterator[Callable[[], ClientAPI]]:
    """`fresh_client` for embedded Chroma only, for tests about embeddings rather than backends."""
    with _reopener(tmp_path / "chroma", None) as reopen:
        yield reopen


@pytest.fixture
def client(fresh_client: Callable[[], ClientAPI]) -> ClientAPI:
    return fresh_client()


@pytest.fixture
def collection() -> str:
    """A unique collection name, so tests sharing the session's server never see each other's data."""
    return f"catalog-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def index(client: ClientAPI, collection: str, catalog: list[Product], stock: dict[str, int]) -> CatalogIndex:
    built = CatalogIndex(client, LexicalEmbedding(), collection)
    built.upsert(catalog, stock.__getitem__)
    return built
