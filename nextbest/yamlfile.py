"""YAML files people edit: parse, validate against a pydantic model, and report errors as file:line + key.

Shared by the guardrail policy and the playbooks, so every marketer-facing file reports errors the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from nextbest.errors import PolicyError

__all__ = [
    "Location",
    "YamlDocument",
    "errors_from_validation",
    "parse_yaml",
    "read_policy_text",
    "validate_document",
    "validate_yaml",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

Location = Sequence[int | str]


def _node_at(root: yaml.Node | None, location: Location) -> yaml.Node | None:
    """Walk the composed YAML tree along a pydantic error location; stop at the deepest node found.

    The last step returns the key node, so an unknown or wrong key is reported on its own line.
    """
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


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML plus the node tree whose marks give every key its line in the original file."""

    data: Any
    root: yaml.Node | None
    file: str
    line_offset: int = 0

    def line_of(self, location: Location) -> int | None:
        """The 1-based line of the key at `location`, or of its deepest existing parent."""
        node = _node_at(self.root, location)
        return node.start_mark.line + 1 + self.line_offset if node is not None else None

    def get(self, location: Location) -> Any:
        """The raw value at `location`, or None when any step along it is missing or of another shape."""
        value = self.data
        for part in location:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                return None
        return value

    def error(self, message: str, location: Location) -> PolicyError:
        key = ".".join(str(part) for part in location) or None
        return PolicyError(message, file=self.file, line=self.line_of(location), key=key)


def read_policy_text(path: Path) -> str:
    """A marketer-edited file's text; a missing, unreadable or non-UTF-8 file raises PolicyError (file:line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read the file: {exc.strerror or exc}", file=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # An editor saving in a legacy encoding (an "é" as byte 0xe9) is the usual cause; point at the line.
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", file=path, line=line
        ) from exc
    # The same newlines read_text(encoding="utf-8") gives, so versions do not depend on the editor's line endings.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_yaml(text: str, file: Path | str, *, line_offset: int = 0) -> YamlDocument:
    """Parse `text`; malformed YAML raises PolicyError at the line where the parser gave up."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", file=file, line=line) from exc
    return YamlDocument(data=data, root=root, file=str(file), line_offset=line_offset)


def _duplicate_keys(document: YamlDocument) -> list[PolicyError]:
    # PyYAML silently keeps the last of two equal keys, so a pasted block would quietly win over the first.
    errors: list[PolicyError] = []
    stack: list[tuple[yaml.Node, tuple[int | str, ...]]] = [(document.root, ())] if document.root else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    line = key_node.start_mark.line + 1 + document.line_offset
                    errors.append(
                        PolicyError(
                            "duplicate key", file=document.file, line=line, key=".".join(map(str, (*path, key)))
                        )
                    )
                seen.add(key)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return sorted(errors, key=lambda error: error.line or 0)


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "required key is missing"
    if kind in ("enum", "literal_error"):
        return f"{error['msg']}, not {error['input']!r}"
    # Messages of our own validators are written for people already; drop pydantic's prefix.
    return error["msg"].removeprefix("Value error, ")


def errors_from_validation(exc: ValidationError, document: YamlDocument) -> list[PolicyError]:
    """Every pydantic error of `exc` as a PolicyError naming its file, line and dotted key."""
    errors: list[PolicyError] = []
    for error in exc.errors():
        # pydantic puts validator names such as "function-after[...]" in locations; they are not keys.
        location = [part for part in error["loc"] if not (isinstance(part, str) and "[" in part)]
        errors.append(document.error(_message(error), location))
    return errors


def validate_document(
    model: type[ModelT], document: YamlDocument, *, extra: dict[str, Any] | None = None
) -> tuple[ModelT | None, list[PolicyError]]:
    """Validate a parsed document as `model`; return the model (when valid) and every error found."""
    data = {} if document.data is None else document.data
    if not isinstance(data, dict):
        return None, [PolicyError("expected a mapping of keys", file=document.file, line=1 + document.line_offset)]
    errors = _duplicate_keys(document)
    try:
        result = model.model_validate({**data, **(extra or {})})
    except ValidationError as exc:
        # Top to bottom, the order a person reads and fixes the file in.
        return None, sorted([*errors, *errors_from_validation(exc, document)], key=lambda error: error.line or 0)
    return (None if errors else result), errors


def validate_yaml(
    model: type[ModelT],
    text: str,
    file: Path | str,
    *,
    line_offset: int = 0,
    extra: dict[str, Any] | None = None,
) -> ModelT:
    """Parse `text` and validate it as `model`; the topmost error is raised as a PolicyError with its line."""
    result, errors = validate_document(model, parse_yaml(text, file, line_offset=line_offset), extra=extra)
    if errors or result is None:
        raise errors[0]
    return result
