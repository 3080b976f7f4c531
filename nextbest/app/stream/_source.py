"""The interface a stream of events offers the consumer, whatever engine carries it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nextbest.contracts import Decision

__all__ = ["EventSource", "StreamMessage"]


@dataclass(frozen=True)
class StreamMessage:
    """One delivered message: the engine's id (to ack it) and its payload, `None` when it carried none."""

    id: str
    payload: str | None


class EventSource(Protocol):
    """A stream with at-least-once delivery: what is read and not acked is delivered again after a restart."""

    async def reclaim(self, count: int) -> list[StreamMessage]:
        """Messages delivered to this consumer before and never acked; empty once all are handed out."""
        ...

    async def read(self, count: int) -> list[StreamMessage]:
        """Up to `count` new messages; may wait briefly for them, and returns empty when none came."""
        ...

    async def publish(self, message: StreamMessage, decision: Decision) -> None:
        """Write the decision for `message` to the output stream."""
        ...

    async def dead_letter(self, message: StreamMessage, error: str) -> None:
        """Park a message that can never be decided, with the reason."""
        ...

    async def ack(self, message: StreamMessage) -> None:
        """Done with `message`: it is never delivered again."""
        ...

    async def close(self) -> None: ...
