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
WARMUP = 8
"""A process's first commits and replies are not measured: they pay once for imports, first connections and
caches (a first prompt loads the tokenizer), and would pin the p99 at that cost for a whole window."""
UNMEASURED_SHARE = 0.25
"""Until the meter has measured enough commits, the reserve is this share of the budget (or the measured one,
if larger): a guess, so on the safe side."""
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
    reply_s: float = 0.0
    """The part of the reserve that sending the answer takes (measured); the rest is for the commit."""
    now: Monotonic = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def start(
        cls,
        deadline_ms: int,
        *,
        arrived: float | None = None,
        reserve_s: float = RESERVE_FLOOR_S,
        reply_s: float = 0.0,
        now: Monotonic = time.monotonic,
    ) -> Deadline:
        """A deadline `deadline_ms` after `arrived` (the request's arrival; now when not known)."""
        began = now() if arrived is None else arrived
        return cls(began, began + deadline_ms / 1000, reserve_s, reply_s, now)

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
        """Seconds a step after the commit may still take, leaving the reply its measured share of the reserve
        (at least a quarter of it)."""
        return self.remaining() - min(max(self.reply_s, self.kept_s / 4), self.kept_s)

    def allows_repair(self) -> bool:
        return self.model_remaining() >= REPAIR_MIN_S

    def elapsed_ms(self) -> float:
        return round((self.now() - self.started) * 1000, 3)


class _Rolling:
    """The p99 of the last `window` samples, recomputed every `every` samples (a sort of `window` floats)."""

    def __init__(self, window: int, every: int) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._every = every
        self._since = 0
        self.p99 = 0.0

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def full_turn(self) -> bool:
        """At least `every` samples: the p99 is from then on recomputed every `every` samples."""
        return len(self._samples) >= self._every

    def add(self, seconds: float) -> bool:
        """Add one sample; True when the p99 was recomputed."""
        self._samples.append(seconds)
        self._since += 1
        if self._since < self._every and len(self._samples) >= self._every:
            return False
        self._since = 0
        ordered = sorted(self._samples)
        self.p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return True


class ReserveMeter:
    """The reserve from what this process measured: (rolling p99 of commit cost + rolling p99 of reply cost)
    × 1.25, never below the floor, the process's first few (cold) samples left out. Each deadline carries
    the reserve current when its request arrived."""

    def __init__(
        self, *, window: int = 256, every: int = 16, floor_s: float = RESERVE_FLOOR_S, warmup: int = WARMUP
    ) -> None:
        self._commits = _Rolling(window, every)
        self._replies = _Rolling(window, every)
        self._floor_s = floor_s
        self._cold = {"commit": warmup, "reply": warmup}
        self.reserve_s = floor_s
        self.reply_s = 0.0

    @property
    def samples(self) -> tuple[int, int]:
        """How many commits and replies the window holds."""
        return len(self._commits), len(self._replies)

    def record(self, seconds: float) -> None:
        """One measured commit: from claiming the answer (or the reserve's start, if later) to having the
        stored decision in hand."""
        if self._warm("commit") and self._commits.add(seconds):
            self._update()

    def record_reply(self, seconds: float) -> None:
        """One measured reply: from the decision in hand to its response sent."""
        if self._warm("reply") and self._replies.add(seconds):
            self._update()

    def _warm(self, kind: str) -> bool:
        if self._cold[kind] <= 0:
            return True
        self._cold[kind] -= 1
        return False

    def _update(self) -> None:
        self.reply_s = self._replies.p99 * RESERVE_FACTOR
        self.reserve_s = max(self._floor_s, (self._commits.p99 + self._replies.p99) * RESERVE_FACTOR)

    @property
    def measured(self) -> bool:
        """Whether enough warm commits were measured for the p99 to mean something."""
        return self._commits.full_turn

    def deadline(self, deadline_ms: int, *, arrived: float | None = None, now: Monotonic = time.monotonic) -> Deadline:
        """A deadline carrying the current reserve; until commits are measured, a guess on the safe side
        (`UNMEASURED_SHARE` of the budget)."""
        reserve_s = self.reserve_s if self.measured else max(self.reserve_s, deadline_ms / 1000 * UNMEASURED_SHARE)
        return Deadline.start(deadline_ms, arrived=arrived, reserve_s=reserve_s, reply_s=self.reply_s, now=now)
