"""Requests per second per key (`NEXTBEST_RATE_LIMIT_RPS`), with the `limits` library's moving window.

The window lives in this process's memory: with `--workers N` each worker allows the rate on its own.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["RateLimiter"]


class RateLimiter:
    """`check(identity)` passes, or raises 429 with `Retry-After`; a rate of 0 turns it off. The window is
    one second; tests widen it so that no request can slip into the next window."""

    def __init__(self, per_second: int, *, window_s: int = 1) -> None:
        self.per_second = per_second
        self._item = RateLimitItemPerSecond(per_second, multiples=window_s)
        # The storage starts a timer thread for expiry, so it exists only when the limit is on.
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if per_second > 0 else None

    def check(self, identity: str) -> None:
        if self._limiter is None or self._limiter.hit(self._item, identity):
            return
        reset_at = self._limiter.get_window_stats(self._item, identity).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            429,
            f"over {self._item} requests for this key; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
