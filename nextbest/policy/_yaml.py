"""Validate YAML against a pydantic model and report errors as file:line with the offending key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from nextbest.errors import PolicyError

ModelT = TypeVar("ModelT", bound=BaseModel)


def _node_at(root: yaml.Node | None, location: tuple[int | str, ...]) -> yaml.Node | None:
    """Walk the composed YAML tree along a pydantic error location; stop at the deepest node found.

    The last step returns the key node, so an unknown or wrong key is reported on its own line.
    """
    node = root
    for index, part in enumerate(location):
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value if pair[0].value == part), None)
            if pair is None:
                return node
            node = pair[0] if index == len(location) - 1 else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def parse_yaml(text: str, file: Path | str, *, line_offset: int = 0) -> tuple[Any, yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", file=file, line=line) from exc
    return data, root


def validate_yaml(
    model: type[ModelT],
    text: str,
    file: Path | str,
    *,
    line_offset: int = 0,
    extra: dict[str, Any] | None = None,
) -> ModelT:
    """Parse `text` and validate it as `model`; the first error is raised as a PolicyError with its line."""
    data, root = parse_yaml(text, file, line_offset=line_offset)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("expected a mapping of keys", file=file, line=1 + line_offset)
    if extra:
        data = {**data, **extra}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = tuple(first["loc"])
        node = _node_at(root, location)
        line = node.start_mark.line + 1 + line_offset if node is not None else None
        key = ".".join(str(part) for part in location) or None
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        raise PolicyError(message, file=file, line=line, key=key) from exc
