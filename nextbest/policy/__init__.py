"""Marketer-editable policy: playbooks (one per use case), brand voice and offers, with lint and templates.

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
from ._offers import OFFERS_FILE, OfferBook, OfferOverlay, OffersCheck, OffersFile, check_offers_file, merge_offers
from ._playbook import (
    Arms,
    Brand,
    CandidateSpec,
    Condition,
    Fact,
    FallbackRules,
    Learning,
    LearningPolicy,
    Limits,
    MessageTemplate,
    OfferPool,
    OfferSelector,
    Playbook,
    ProductSource,
    Reward,
    SegmentKey,
    Timing,
    Trigger,
)
from ._report import Finding, LintReport, Severity
from ._samples import SampleMoment, sample_moment
from ._templates import (
    COMMON_FIELDS,
    OFFER_FIELDS,
    check_template,
    offer_line,
    offer_savings,
    render,
    template_fields,
    template_values,
)

__all__ = [
    "COMMON_FIELDS",
    "CONSENT_FILE",
    "EVENTS_FILE",
    "OFFERS_FILE",
    "OFFER_FIELDS",
    "Arms",
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
    "Learning",
    "LearningPolicy",
    "Limits",
    "LintReport",
    "LintScope",
    "MessageTemplate",
    "OfferBook",
    "OfferOverlay",
    "OfferPool",
    "OfferSelector",
    "OffersCheck",
    "OffersFile",
    "Playbook",
    "PlaybookFiles",
    "ProductSource",
    "PromptSizer",
    "Reward",
    "SampleMoment",
    "SegmentKey",
    "Severity",
    "Timing",
    "Trigger",
    "check_offers_file",
    "check_template",
    "content_hash",
    "event_key",
    "intake_findings",
    "lint_policy_dir",
    "load_intake",
    "load_playbook",
    "load_playbook_files",
    "merge_offers",
    "offer_line",
    "offer_savings",
    "render",
    "sample_moment",
    "split_front_matter",
    "template_fields",
    "template_values",
    "validate_yaml",
]
