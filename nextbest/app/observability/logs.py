"""Logs as JSON lines (`NEXTBEST_LOG_FORMAT=json`), for log shippers; text for people otherwise."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["FIELDS", "JsonFormatter", "configure_logging"]

FIELDS = (
    "request_id",
    "decision_id",
    "action",
    "decided_by",
    "fallback_reason",
    "playbook",
    "latency_ms",
    "replayed",
    "method",
    "path",
    "status",
)
"""The structured fields a record may carry (`extra=`); nothing else of a record is written."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the known structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(log_format: str, level: str | int = logging.INFO) -> None:
    """Point the root logger at stderr in `log_format` ("json" or "text"), replacing earlier handlers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
