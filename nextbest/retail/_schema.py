"""The retail store's tables, as ordered migrations shared by SQLite and PostgreSQL.

Every row that a reader caches carries the `version` of the write that last changed it, and deletions leave a
tombstone, so `changes_since(v)` is a handful of indexed range scans. `meta` holds the current version, the
data set (`demo` or `own`) and `reset_version`, the version at which the whole data set was last replaced.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "migration_text"]

_BIG = "{big}"

MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE retail_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE products (
        product_id TEXT PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL, version {_BIG} NOT NULL
    );
    CREATE INDEX products_by_version ON products (version);
    CREATE TABLE variants (variant_id TEXT PRIMARY KEY, product_id TEXT NOT NULL, size TEXT);
    CREATE INDEX variants_by_product ON variants (product_id);
    CREATE TABLE stores (store_id TEXT PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL, version {_BIG} NOT NULL);
    CREATE TABLE offers (offer_id TEXT PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL, version {_BIG} NOT NULL);
    CREATE TABLE customers (user_id TEXT PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE stock (
        product_id TEXT NOT NULL, sku TEXT NOT NULL, store_id TEXT NOT NULL,
        variant_id TEXT, size TEXT, quantity {_BIG} NOT NULL, version {_BIG} NOT NULL,
        PRIMARY KEY (product_id, sku, store_id)
    );
    CREATE INDEX stock_by_version ON stock (version);
    CREATE TABLE links (
        product_id TEXT NOT NULL, kind TEXT NOT NULL, linked_id TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL, support {_BIG} NOT NULL,
        PRIMARY KEY (product_id, kind, linked_id)
    );
    CREATE TABLE deletions (kind TEXT NOT NULL, key TEXT NOT NULL, version {_BIG} NOT NULL, PRIMARY KEY (kind, key));
    CREATE INDEX deletions_by_version ON deletions (version);
    """,
)
"""Applied in order, each once; append a new entry to change the schema, never edit an applied one."""


def migration_text(statement: str, *, big: str) -> list[str]:
    """One migration as single statements, with the dialect's 64-bit integer type."""
    return [part.strip() for part in statement.replace(_BIG, big).split(";") if part.strip()]
