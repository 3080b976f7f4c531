"""Marketer-editable policy: playbooks (one per use case), brand voice and guardrail policy, versioned."""

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
from ._templates import COMMON_FIELDS, OFFER_FIELDS, check_template, render, template_fields
from ._yaml import validate_yaml

__all__ = [
    "COMMON_FIELDS",
    "OFFER_FIELDS",
    "Brand",
    "CandidateSpec",
    "Condition",
    "Fact",
    "FallbackRules",
    "Limits",
    "MessageTemplate",
    "Playbook",
    "PolicySet",
    "ProductSource",
    "ReloadStatus",
    "ReloadingPolicies",
    "Timing",
    "Trigger",
    "check_template",
    "load_playbook",
    "load_policy_set",
    "render",
    "split_front_matter",
    "template_fields",
    "validate_yaml",
]
