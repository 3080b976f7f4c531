"""The policy set decisions run under, its hot reload, and the lint of a whole policy folder.

It sits above both nextbest.policy (playbooks, brand) and guardrails (which own their policy file), so
neither imports the other.
"""

from ._reload import ReloadingPolicies, ReloadStatus
from ._set import PolicySet, lint_policy_dir, load_policy_set

__all__ = ["PolicySet", "ReloadStatus", "ReloadingPolicies", "lint_policy_dir", "load_policy_set"]
