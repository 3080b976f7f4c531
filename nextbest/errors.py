"""The one exception tree of nextbest. Exceptions are for faults; policy outcomes are typed verdicts.

NextbestError
├── ConfigError          settings that cannot work (bad URL, unknown mode)
├── PolicyError          a policy or playbook file is wrong: carries file, line and key
├── ModelError           the model misbehaved: carries a FallbackReason code
├── ToolError            a tool failed or timed out: carries the tool name
├── StoreError           the ledger or an index failed
└── NotFoundError        a referenced record does not exist (unknown decision id)
"""

from __future__ import annotations

from pathlib import Path

from nextbest.contracts import FallbackReason, ModelCall

__all__ = [
    "ConfigError",
    "ModelError",
    "NextbestError",
    "NotFoundError",
    "PolicyError",
    "StoreError",
    "ToolError",
]


class NextbestError(Exception):
    """Base of every error nextbest raises on purpose."""


class ConfigError(NextbestError):
    pass


class PolicyError(NextbestError):
    """A marketer-editable file is wrong. `str()` reads as `file:line: key: message`."""

    def __init__(
        self, message: str, *, file: Path | str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key
        super().__init__(self.location_text())

    def location_text(self) -> str:
        where = self.file or "<policy>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ModelError(NextbestError):
    """The model failed or misbehaved. `raw_output` keeps what it said, for a repair turn; `call` keeps
    the failed call's accounting (latency, tokens) for the trace."""

    def __init__(
        self,
        reason: FallbackReason,
        message: str = "",
        *,
        raw_output: str | None = None,
        call: ModelCall | None = None,
    ) -> None:
        self.reason = reason
        self.raw_output = raw_output
        self.call = call
        super().__init__(f"{reason.value}: {message}" if message else reason.value)


class ToolError(NextbestError):
    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(f"{tool}: {message}")


class StoreError(NextbestError):
    pass


class NotFoundError(NextbestError):
    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        super().__init__(f"unknown {kind} {identifier!r}")
