"""tools/ sits on the contracts: it never imports the demo world, the agent or the app above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
FORBIDDEN = ("nextbest.world", "nextbest.app", "agent", "evals", "benchmarks")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(TOOLS.rglob("*.py")), ids=lambda path: str(path.relative_to(TOOLS)))
def test_no_tool_module_imports_upward_or_the_demo_world(path: Path) -> None:
    upward = [name for name in _imports(path) if any(name == top or name.startswith(f"{top}.") for top in FORBIDDEN)]
    assert upward == []
