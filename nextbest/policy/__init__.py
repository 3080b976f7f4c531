"""Marketer-editable policy: playbooks (one per use case) and brand voice, with lint and templates.

The guardrail policy is the guardrails' own; `agent.policies` loads the whole folder as one versioned set.
"""

from nextbest.yamlfile import validate_yaml

from ._checks import PromptSizer
from ._intake import (
    CONSENT_FILE,
    EVENTS_FILE,
    ConsentSignals,
    EventNames,
    IntakeTables,
    event_key,
    intake_findings,
    load_intake,
)
from ._lint import FileCheck, LintScope, lint_policy_dir
from ._loader import PlaybookFiles, content_hash, load_playbook, load_playbook_files, split_front_matter
from ._playbook import (
    Brand,
    CandidateSpec,
    Condition,
    Fact,
    FallbackRules,
    Limits,
    MessageTemplate,
    Playbook,
    ProductSource,
    Timing,
    Trigger,
)
from ._report import Finding, LintReport, Severity
from ._samples import SampleMoment, sample_moment
from ._templates import COMMON_FIELDS, OFFER_FIELDS, check_template, render, template_fields, template_values

__all__ = [
    "COMMON_FIELDS",
    "CONSENT_FILE",
    "EVENTS_FILE",
    "OFFER_FIELDS",
    "Brand",
    "CandidateSpec",
    "Condition",
    "ConsentSignals",
    "EventNames",
    "Fact",
    "FallbackRules",
    "FileCheck",
    "Finding",
    "IntakeTables",
    "Limits",
    "LintReport",
    "LintScope",
    "MessageTemplate",
    "Playbook",
    "PlaybookFiles",
    "ProductSource",
    "PromptSizer",
    "SampleMoment",
    "Severity",
    "Timing",
    "Trigger",
    "check_template",
    "content_hash",
    "event_key",
    "intake_findings",
    "lint_policy_dir",
    "load_intake",
    "load_playbook",
    "load_playbook_files",
    "render",
    "sample_moment",
    "split_front_matter",
    "template_fields",
    "template_values",
    "validate_yaml",
]
