"""Lint of the guardrail policy file: guardrails own their file, its loading and its checks.

`nextbest policy lint` runs this beside the playbook checks: a schema mistake, or a reference that is valid
YAML but silently applies to nothing (an unknown offer id, an unknown playbook), is a finding at file:line.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from nextbest.errors import PolicyError
from nextbest.policy import Finding
from nextbest.yamlfile import Location, YamlDocument, parse_yaml, read_policy_text

from .policy import load_guardrail_policy

__all__ = ["GUARDRAILS_FILE", "guardrail_findings"]

GUARDRAILS_FILE = "guardrails.yaml"


def _references(
    document: YamlDocument, offer_ids: Collection[str] | None, playbook_ids: Collection[str]
) -> list[Finding]:
    findings: list[Finding] = []
    overrides = document.get(["caps", "offers", "overrides"])
    if offer_ids is not None and isinstance(overrides, dict):
        for offer_id in overrides:
            if str(offer_id) not in offer_ids:
                location: Location = ["caps", "offers", "overrides", str(offer_id)]
                findings.append(Finding.of(document.error(f"unknown offer id {offer_id!r}", location)))
    use_cases = document.get(["cooldowns", "cart", "use_cases"])
    for index, use_case in enumerate(use_cases if isinstance(use_cases, list) else []):
        if str(use_case) not in playbook_ids:
            location = ["cooldowns", "cart", "use_cases", index]
            findings.append(Finding.of(document.error(f"unknown playbook {use_case!r}", location)))
    return findings


def guardrail_findings(
    root: Path, *, offer_ids: Collection[str] | None, playbook_ids: Collection[str]
) -> list[Finding]:
    """Every finding in `root/guardrails.yaml`; `offer_ids=None` skips the offer reference check."""
    path = root / GUARDRAILS_FILE
    if not path.is_file():
        return [Finding(file=str(path), message="guardrail policy file is missing")]
    try:
        load_guardrail_policy(path)
        document = parse_yaml(read_policy_text(path), path)
    except PolicyError as exc:
        return [Finding.of(exc)]
    return _references(document, offer_ids, playbook_ids)
