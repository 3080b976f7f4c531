"""Choose the playbook for a moment: the highest-priority enabled playbook whose trigger holds."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from nextbest.contracts import DecideRequest
from nextbest.policy import Condition, Playbook

from ..facts import Facts

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def condition_holds(condition: Condition, facts: Facts) -> bool:
    actual = facts.get(condition.fact)
    if condition.op == "exists":
        return actual is not None
    if condition.op == "missing":
        return actual is None
    if condition.op == "in":
        return actual in condition.value
    if condition.op == "not_in":
        return actual not in condition.value
    if actual is None:
        return False
    try:
        return _COMPARE[condition.op](actual, condition.value)
    except TypeError:
        # A marketer compared a number with text; the condition simply does not hold.
        return False


def trigger_holds(playbook: Playbook, request: DecideRequest, facts: Facts) -> bool:
    trigger = playbook.trigger
    if not playbook.enabled or request.event.type not in trigger.event_types:
        return False
    surface = request.event.context.surface
    if trigger.surfaces and surface not in trigger.surfaces:
        return False
    return all(condition_holds(condition, facts) for condition in trigger.when)


def matching_playbooks(playbooks: Sequence[Playbook], request: DecideRequest, facts: Facts) -> list[Playbook]:
    """Every playbook whose trigger holds, highest priority first (the input is already ordered)."""
    return [playbook for playbook in playbooks if trigger_holds(playbook, request, facts)]
