"""Compare two eval reports scenario by scenario and metric by metric; regressions are what got worse."""

from __future__ import annotations

from pydantic import BaseModel

from .runner import Report

__all__ = ["Comparison", "compare_reports"]

_LOWER_IS_BETTER = {"latency_p50_ms", "latency_p99_ms", "model_calls_per_decision", "tokens_per_decision"}


class Comparison(BaseModel):
    metrics: list[tuple[str, float, float, bool]]
    scenarios: list[tuple[str, bool | None, bool | None, bool]]

    @property
    def regressions(self) -> list[str]:
        return [m for m, _, _, bad in self.metrics if bad] + [s for s, _, _, bad in self.scenarios if bad]


def compare_reports(before: Report, after: Report) -> Comparison:
    metrics = []
    for name, old in before.metrics.model_dump().items():
        new = getattr(after.metrics, name)
        if isinstance(old, int | float) and not isinstance(old, bool):
            worse = new > old if name in _LOWER_IS_BETTER else new < old
            metrics.append((name, float(old), float(new), worse and name not in ("scenarios", "repeat")))
    old_by_id = {r.id: r.passed for r in before.scenarios}
    new_by_id = {r.id: r.passed for r in after.scenarios}
    scenarios = [
        (sid, old_by_id.get(sid), new_by_id.get(sid), old_by_id.get(sid) is True and new_by_id.get(sid) is not True)
        for sid in dict.fromkeys([*old_by_id, *new_by_id])
    ]
    return Comparison(metrics=metrics, scenarios=scenarios)
