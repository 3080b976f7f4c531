"""The deterministic rules engine: playbook selection and each playbook's fallback rules."""

from ._engine import best_offer, hold_back, propose, rank_products
from ._match import condition_holds, matching_playbooks, trigger_holds

__all__ = [
    "best_offer",
    "condition_holds",
    "hold_back",
    "matching_playbooks",
    "propose",
    "rank_products",
    "trigger_holds",
]
