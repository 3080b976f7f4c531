"""Shadow mode: the model decides in the background beside the served rules decision; both are logged.

The log is JSON Lines under the data dir, one object per event: {"event_id", "served", "shadow"}, so
`nextbest eval shadow-report` can score agreement and what the model would have changed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from nextbest.contracts import Decision

__all__ = ["ShadowLog"]


class ShadowLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def record(self, served: Decision, shadow: Decision) -> None:
        line = (
            orjson.dumps(
                {
                    "event_id": served.event_id,
                    "served": served.model_dump(mode="json"),
                    "shadow": shadow.model_dump(mode="json"),
                }
            )
            + b"\n"
        )
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.write(line)
