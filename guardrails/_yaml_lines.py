"""Map a pydantic error location back to the line of the YAML file it came from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]  # types-PyYAML is a dev dep not yet installed
from pydantic import ValidationError

from nextbest.errors import PolicyError

__all__ = ["compose_and_load", "error_from_validation"]


def compose_and_load(text: str, file: Path | str) -> tuple[Any, yaml.Node | None]:
    """Parse `text` twice: as data, and as a node tree whose marks carry line numbers."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", file=file, line=line) from exc
    if root is not None:
        _reject_duplicate_keys(root, file, ())
    return data, root


def _reject_duplicate_keys(node: yaml.Node, file: Path | str, path: tuple[str, ...]) -> None:
    # PyYAML silently keeps the last of two equal keys; a marketer who pasted a cap twice should hear of it.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dotted = ".".join((*path, key))
                raise PolicyError("duplicate key", file=file, line=key_node.start_mark.line + 1, key=dotted)
            seen.add(key)
            _reject_duplicate_keys(value_node, file, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(item, file, (*path, str(index)))


def _node_at(root: yaml.Node | None, location: Sequence[int | str]) -> yaml.Node | None:
    """The deepest node along `location`; the last step yields the key node so the key's own line is named."""
    node = root
    for index, part in enumerate(location):
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value if str(pair[0].value) == str(part)), None)
            if pair is None:
                return node
            node = pair[0] if index == len(location) - 1 else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def error_from_validation(exc: ValidationError, root: yaml.Node | None, file: Path | str) -> PolicyError:
    """Turn the first pydantic error into a PolicyError naming file, line and dotted key."""
    first = exc.errors()[0]
    # pydantic inserts validator names such as "function-after[...]" into locations; they are not keys.
    location = [part for part in first["loc"] if not (isinstance(part, str) and "[" in part)]
    node = _node_at(root, location)
    line = node.start_mark.line + 1 if node is not None else None
    key = ".".join(str(part) for part in location) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    return PolicyError(message, file=file, line=line, key=key)
