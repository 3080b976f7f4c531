"""Prometheus metrics: one `DecisionMetrics` per app, recorded from the finished decision, never from nodes.

With `nextbest serve --workers N` every worker writes its samples to files under `PROMETHEUS_MULTIPROC_DIR`
(prometheus-client's multiprocess mode); `render()` then merges the files of all workers, so any worker
answers `/metrics` with the whole server's counts.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from nextbest.contracts import Decision, FallbackReason

__all__ = ["CONTENT_TYPE", "MULTIPROC_ENV", "DecisionMetrics", "prepare_multiprocess"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# milliseconds-scale work reported in seconds, as Prometheus names want
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DEADLINE_HITS = (FallbackReason.MODEL_TIMEOUT, FallbackReason.DEADLINE_EXCEEDED)


def prepare_multiprocess(folder: Path) -> Path:
    """Empty `folder` and point prometheus-client's multiprocess mode at it (before any worker starts)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


class DecisionMetrics:
    """Every metric nextbest exposes, on its own registry (no process-global state); see README "Production"."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.decisions = Counter(
            "nextbest_decisions", "Decisions made", ["action", "decided_by", "fallback_reason", "playbook"], registry=r
        )
        self.decision_seconds = Histogram(
            "nextbest_decision_seconds", "Whole-decision latency", ["decided_by"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.step_seconds = Histogram(
            "nextbest_step_seconds", "Latency of each decision step", ["step"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.model_calls = Counter("nextbest_model_calls", "Model calls by outcome", ["outcome"], registry=r)
        self.model_tokens = Counter("nextbest_model_tokens", "Model tokens", ["kind"], registry=r)
        self.model_errors = Counter("nextbest_model_errors", "Failed model calls by kind", ["kind"], registry=r)
        self.deadline_hits = Counter(
            "nextbest_deadline_hits", "Decisions cut off at their deadline", ["reason"], registry=r
        )
        self.guardrail_verdicts = Counter(
            "nextbest_guardrail_verdicts", "Guardrail verdicts", ["name", "outcome"], registry=r
        )
        self.ledger_seconds = Histogram(
            "nextbest_ledger_seconds", "Ledger call latency", ["op"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.catalog_seconds = Histogram(
            "nextbest_catalog_seconds", "Catalog retrieval latency", ["op"], buckets=_LATENCY_BUCKETS, registry=r
        )

    def observe(self, decision: Decision) -> None:
        """Record one finished decision. A replayed decision was counted when it was first made."""
        if decision.replayed:
            return
        reason = decision.fallback_reason.value if decision.fallback_reason else ""
        self.decisions.labels(decision.action.value, decision.decided_by.value, reason, decision.use_case or "").inc()
        self.decision_seconds.labels(decision.decided_by.value).observe(decision.latency_ms / 1000)
        for step, ms in decision.trace.steps_ms.items():
            self.step_seconds.labels(step).observe(ms / 1000)
        for call in decision.trace.model_calls:
            self.model_calls.labels(call.outcome).inc()
            self.model_tokens.labels("prompt").inc(call.prompt_tokens)
            self.model_tokens.labels("completion").inc(call.completion_tokens)
            if call.outcome != "ok":
                self.model_errors.labels(call.outcome).inc()
        if decision.fallback_reason in _DEADLINE_HITS:
            self.deadline_hits.labels(reason).inc()
        for verdict in decision.guardrails:
            self.guardrail_verdicts.labels(verdict.name, verdict.verdict.value).inc()

    def render(self) -> bytes:
        """The text exposition: this process's registry, or every worker's files in multiprocess mode."""
        folder = os.environ.get(MULTIPROC_ENV)
        if not folder:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
