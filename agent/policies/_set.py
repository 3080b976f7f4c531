"""The policy set a decision runs under: playbooks and brand (nextbest.policy) with the guardrail policy
(guardrails) and the marketer's offers, loaded together from one folder and versioned by a hash of every file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from guardrails.policy import GuardrailPolicy, load_guardrail_policy
from guardrails.policy_lint import GUARDRAILS_FILE, guardrail_findings
from nextbest.policy import (
    Brand,
    Finding,
    IntakeTables,
    LintReport,
    LintScope,
    OffersFile,
    Playbook,
    PromptSizer,
    content_hash,
    intake_findings,
    load_intake,
    load_playbook_files,
)
from nextbest.policy import lint_policy_dir as lint_playbooks
from nextbest.world import World
from nextbest.yamlfile import read_policy_text

__all__ = ["PolicySet", "lint_policy_dir", "load_policy_set"]


@dataclass(frozen=True)
class PolicySet:
    """Everything marketers control, validated together. `version` is a content hash of every file."""

    root: Path
    version: str
    brand: Brand
    guardrails: GuardrailPolicy
    playbooks: tuple[Playbook, ...]
    offers: OffersFile = field(default_factory=OffersFile)
    intake: IntakeTables = field(default_factory=IntakeTables)
    files: dict[str, str] = field(default_factory=dict, compare=False)

    def playbook(self, playbook_id: str) -> Playbook | None:
        return next((playbook for playbook in self.playbooks if playbook.id == playbook_id), None)


def load_policy_set(root: Path) -> PolicySet:
    """Load and validate a whole policy folder; any error raises PolicyError naming file:line."""
    loaded = load_playbook_files(root)
    guardrails_path = root / GUARDRAILS_FILE
    guardrails = load_guardrail_policy(guardrails_path)
    intake = load_intake(root)
    files = {**loaded.files, GUARDRAILS_FILE: read_policy_text(guardrails_path), **intake.files}
    return PolicySet(
        root=root,
        version=content_hash(files),
        brand=loaded.brand,
        guardrails=guardrails,
        playbooks=loaded.playbooks,
        offers=loaded.offers,
        intake=intake,
        files=files,
    )


def _guardrails(scope: LintScope) -> list[Finding]:
    offer_ids = set(scope.offers) if scope.offers is not None else None
    return guardrail_findings(scope.root, offer_ids=offer_ids, playbook_ids=scope.playbook_ids)


def lint_policy_dir(root: Path, *, world: World | None, token_budget: int, sizer: PromptSizer) -> LintReport:
    """Every finding in a policy folder: playbooks and brand, the guardrail file, then the loader's verdict."""
    return lint_playbooks(
        root,
        world=world,
        token_budget=token_budget,
        sizer=sizer,
        file_checks=(_guardrails, lambda scope: intake_findings(scope.root)),
        authority=lambda folder: load_policy_set(folder).version,
    )
