"""`nextbest policy lint`: every mistake in a policy folder, each as file:line with its key, before it ships.

Loading stops at the first error because a service must never run half a policy; lint keeps going across
keys and files so a marketer fixes everything in one pass. Lint is clean only if loading would succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from nextbest.contracts import CandidateSet, DecideRequest, Offer
from nextbest.errors import PolicyError
from nextbest.world import World
from nextbest.yamlfile import parse_yaml, read_policy_text, validate_document

from ._checks import PromptSizer, prompt_findings, reference_findings, template_findings
from ._loader import BRAND_FILE, PLAYBOOK_DIR, PlaybookCheck, check_playbook
from ._offer_lint import offer_book_for_lint, offer_file_findings
from ._offers import check_offers_file
from ._playbook import Brand, Playbook
from ._report import Finding, LintReport, Severity
from ._samples import SampleMoment, sample_moment

COMPACT_TOKEN_TARGET = 600
"""The compact profile (NEXTBEST_PROMPT_PROFILE=compact) is for models that prefill ~200 tokens a second."""


@runtime_checkable
class CompactSizer(Protocol):
    """A PromptSizer that also measures the compact profile's prompt (agent.prompt.PromptTokens does)."""

    def compact_tokens(self, playbook: Playbook, brand: Brand, request: DecideRequest, candidates: CandidateSet) -> int:
        """Tokens of the compact prompt for this moment, with the answer schema a server without
        structured output is shown."""
        ...


def _compact_findings(
    playbook: Playbook, brand: Brand, moment: SampleMoment, report: LintReport, sizer: PromptSizer
) -> list[Finding]:
    if not isinstance(sizer, CompactSizer):
        return []
    tokens = sizer.compact_tokens(playbook, brand, moment.request, moment.candidates)
    report.compact_tokens[playbook.id] = tokens
    if tokens <= COMPACT_TOKEN_TARGET:
        return []
    message = (
        f"the compact prompt is {tokens} tokens, over the {COMPACT_TOKEN_TARGET} a small model can prefill in time; "
        "shorten the playbook's title and objective"
    )
    return [Finding(file=playbook.source, key="objective", severity=Severity.WARNING, message=message)]


def _read_brand(root: Path, report: LintReport) -> Brand | None:
    path = root / BRAND_FILE
    if not path.is_file():
        report.findings.append(Finding(file=str(path), message="brand file is missing"))
        return None
    try:
        brand, errors = validate_document(Brand, parse_yaml(read_policy_text(path), path))
    except PolicyError as exc:
        brand, errors = None, [exc]
    report.findings.extend(Finding.of(error) for error in errors)
    return brand


@dataclass(frozen=True)
class _Book:
    """The offer book playbooks are linted against; `offers` is None when unknown (no world, or a broken file)."""

    offers: Mapping[str, Offer] | None


def _playbook_findings(
    check: PlaybookCheck, brand: Brand | None, world: World | None, book: _Book, report: LintReport, sizer: PromptSizer
) -> list[Finding]:
    findings = [Finding.of(error) for error in check.errors]
    if check.document is None:
        return findings
    categories = set(world.categories) if world is not None else None
    findings += reference_findings(check.document, offers=book.offers, categories=categories)
    if check.playbook is None or brand is None:
        return findings
    moment = sample_moment(check.playbook, brand, world, offers=book.offers)
    findings += template_findings(check.playbook, moment, check.document)
    tokens, over = prompt_findings(check.playbook, brand, moment, report.token_budget, sizer, line=check.body_line)
    report.tokens[check.playbook.id] = tokens
    return findings + over + _compact_findings(check.playbook, brand, moment, report, sizer)


@dataclass(frozen=True)
class LintScope:
    """What a check of another policy file may look at: the folder, the loaded world, the playbook ids and
    the effective offer book (None when there is no world to merge the offer file with)."""

    root: Path
    world: World | None
    playbook_ids: frozenset[str]
    offers: Mapping[str, Offer] | None = None


FileCheck = Callable[[LintScope], list[Finding]]
"""A check for a policy file another package owns (the guardrails file, say), run beside the playbooks."""


def lint_policy_dir(
    root: Path,
    *,
    world: World | None,
    token_budget: int,
    sizer: PromptSizer,
    file_checks: Sequence[FileCheck] = (),
    authority: Callable[[Path], str] | None = None,
) -> LintReport:
    """Check a whole policy folder and report every finding; `world=None` skips the world reference checks.

    `sizer` measures each playbook's sample prompt against `token_budget` (agent.prompt.PromptTokens);
    `file_checks` lint the files other packages own; `authority` loads the whole folder as the service would
    and returns its version, so anything the loader rejects that lint missed still fails lint."""
    report = LintReport(root=str(root), token_budget=token_budget)
    if not root.is_dir():
        report.findings.append(Finding(file=str(root), message="policy folder does not exist"))
        return report
    brand = _read_brand(root, report)
    offers_check = check_offers_file(root)
    stored = world.offers if world is not None else None
    report.findings.extend(
        offer_file_findings(offers_check, stored=stored, products=world.products if world is not None else None)
    )
    merged = offer_book_for_lint(offers_check, stored)
    book = _Book(merged.offers if merged is not None and world is not None else None)
    paths = sorted((root / PLAYBOOK_DIR).glob("*.md"))
    if not paths:
        report.findings.append(Finding(file=str(root / PLAYBOOK_DIR), message="no playbooks found"))
    for path in paths:
        findings = _playbook_findings(check_playbook(path), brand, world, book, report, sizer)
        report.findings.extend(sorted(findings, key=lambda finding: finding.line or 0))
    scope = LintScope(root=root, world=world, playbook_ids=frozenset(path.stem for path in paths), offers=book.offers)
    for check in file_checks:
        report.findings.extend(check(scope))
    if report.ok and authority is not None:
        try:
            report.version = authority(root)
        except PolicyError as exc:
            report.findings.append(Finding.of(exc))
    return report
