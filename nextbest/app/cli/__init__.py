"""The `nextbest` command line: serve, decide, demo, catalog, policy, eval, bench and report."""

from __future__ import annotations

from ._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
