"""Marketer-editable policy: playbooks (one per use case), brand voice and guardrail policy, versioned."""

from nextbest.yamlfile import validate_yaml

from ._checks import PromptSizer
from ._lint import lint_policy_dir
from ._loader import PolicySet, load_playbook, load_policy_set, split_front_matter
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
from ._reload import ReloadingPolicies, ReloadStatus
from ._report import Finding, LintReport, Severity
from ._samples import SampleMoment, sample_moment
from ._templates import COMMON_FIELDS, OFFER_FIELDS, check_template, render, template_fields, template_values

__all__ = [
    "COMMON_FIELDS",
    "OFFER_FIELDS",
    "Brand",
    "CandidateSpec",
    "Condition",
    "Fact",
    "FallbackRules",
    "Finding",
    "Limits",
    "LintReport",
    "MessageTemplate",
    "Playbook",
    "PolicySet",
    "ProductSource",
    "PromptSizer",
    "ReloadStatus",
    "ReloadingPolicies",
    "SampleMoment",
    "Severity",
    "Timing",
    "Trigger",
    "check_template",
    "lint_policy_dir",
    "load_playbook",
    "load_policy_set",
    "render",
    "sample_moment",
    "split_front_matter",
    "template_fields",
    "template_values",
    "validate_yaml",
]
