"""Observability in the formats operations teams use: Prometheus metrics, OpenTelemetry traces, JSON logs.

`Observer` is the one place a finished decision is recorded (metrics, the decision's log line, its span);
`instrument` wraps a runtime's ledger, catalog search, model and toolbox so their calls are timed and traced.
"""

from __future__ import annotations

from .logs import configure_logging
from .metrics import DecisionMetrics, prepare_multiprocess
from .observer import Observer, instrument
from .tracing import tracer_from_env

__all__ = ["DecisionMetrics", "Observer", "configure_logging", "instrument", "prepare_multiprocess", "tracer_from_env"]
