"""The one deadline of a decision, and the reserve kept back from the model to commit the ready answer.

    arrival (the API stamps it before the body is read)          at = arrival + deadline_ms
    ├──────────── model, its tools, a repair turn ─────────────┤◄─ reserve ─►│
                                                   model_until ┘             └ the answer is out

Every layer reads the same `Deadline`: the API (arrival), the service (when to cut the run off), the graph
(whether a repair turn fits), the model call and the tools (what they may still use). The reserve is sized
from what committing and replying has measured on this process (`ReserveMeter`), never a fixed margin.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["REPAIR_MIN_S", "RESERVE_FLOOR_S", "Deadline", "ReserveMeter"]

RESERVE_FLOOR_S = 0.03
"""The smallest reserve, whatever was measured: a reply on a loaded machine costs a few ms on its own."""
RESERVE_FACTOR = 1.25
"""The reserve is the rolling p99 of measured commit cost times this."""
REPAIR_MIN_S = 0.15
"""A repair turn is only asked for while the model still has this long."""

Monotonic = Callable[[], float]


@dataclass(frozen=True)
class Deadline:
    """When the answer must be out, on the monotonic clock (`now`, injectable).

    `at` is the request's own deadline, counted from its arrival. The model (and its tools, and a repair
    turn) may use time up to `model_until`, which keeps the reserve back (at most half the budget) so the
    rules answer already prepared can still be committed and sent in time.
    """

    started: float
    at: float
    reserve_s: float = RESERVE_FLOOR_S
    now: Monotonic = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def start(
        cls,
        deadline_ms: int,
        *,
        arrived: float | None = None,
        reserve_s: float = RESERVE_FLOOR_S,
        now: Monotonic = time.monotonic,
    ) -> Deadline:
        """A deadline `deadline_ms` after `arrived` (the request's arrival; now when not known)."""
        began = now() if arrived is None else arrived
        return cls(started=began, at=began + deadline_ms / 1000, reserve_s=reserve_s, now=now)

    @property
    def total_s(self) -> float:
        return self.at - self.started

    @property
    def kept_s(self) -> float:
        """The reserve actually kept back: never more than half the budget."""
        return min(self.reserve_s, self.total_s / 2)

    @property
    def model_until(self) -> float:
        return self.at - self.kept_s

    def remaining(self) -> float:
        """Seconds left before the answer is due (negative once it is late)."""
        return self.at - self.now()

    def model_remaining(self) -> float:
        """Seconds the model (and its tools) may still use."""
        return self.model_until - self.now()

    def reply_remaining(self) -> float:
        """Seconds a step after the commit may still take, leaving the reply its share of the reserve."""
        return self.remaining() - self.kept_s / 2

    def allows_repair(self) -> bool:
        return self.model_remaining() >= REPAIR_MIN_S

    def elapsed_ms(self) -> float:
        return round((self.now() - self.started) * 1000, 3)


class ReserveMeter:
    """The reserve from measured commit cost: rolling p99 of the last `window` commits × 1.25, floored.

    The p99 is recomputed every `every` samples (a sort of `window` floats), not on every decision.
    """

    def __init__(self, *, window: int = 256, every: int = 16, floor_s: float = RESERVE_FLOOR_S) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._every = every
        self._floor_s = floor_s
        self._since = 0
        self.reserve_s = floor_s

    def record(self, seconds: float) -> None:
        """One measured commit: from claiming the answer to having the stored decision in hand."""
        self._samples.append(seconds)
        self._since += 1
        if self._since >= self._every or len(self._samples) < self._every:
            self._since = 0
            ordered = sorted(self._samples)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            self.reserve_s = max(self._floor_s, p99 * RESERVE_FACTOR)

    def deadline(self, deadline_ms: int, *, arrived: float | None = None, now: Monotonic = time.monotonic) -> Deadline:
        """A deadline carrying the current reserve."""
        return Deadline.start(deadline_ms, arrived=arrived, reserve_s=self.reserve_s, now=now)
