"""What `nextbest policy lint` reports: findings at file:line with their key, and prompt sizes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from nextbest.errors import PolicyError


def hint(value: object, known: Iterable[str]) -> str:
    """`did you mean 'x'?` for a near miss, else the known names."""
    names = sorted(known)
    close = difflib.get_close_matches(str(value), names, n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(names)}"


class Severity(StrEnum):
    """An error stops the policy from loading or from working as written; a warning is worth a look."""

    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """One problem in one file, at the line of the key it concerns."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    key: str | None = None
    severity: Severity = Severity.ERROR
    message: str

    @classmethod
    def of(cls, error: PolicyError, severity: Severity = Severity.ERROR) -> Finding:
        return cls(file=error.file or "", line=error.line, key=error.key, severity=severity, message=error.message)

    def text(self) -> str:
        """`file:line: key: message`, the form editors and CI logs turn into links."""
        return PolicyError(self.message, file=self.file, line=self.line, key=self.key).location_text()


class LintReport(BaseModel):
    """Every finding of one lint run, plus each playbook's sample prompt size in tokens."""

    root: str
    token_budget: int
    findings: list[Finding] = Field(default_factory=list)
    tokens: dict[str, int] = Field(default_factory=dict, description="Playbook id → tokens of its sample prompt")
    compact_tokens: dict[str, int] = Field(default_factory=dict, description="The same in the compact profile")
    version: str | None = Field(default=None, description="The policy version, when the folder loads")

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return not self.errors
