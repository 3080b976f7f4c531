"""How `nextbest serve` ends on SIGTERM or SIGINT: drain in-flight requests, close the runtime, exit 0."""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["GRACEFUL_SHUTDOWN_S", "exit_zero_after_drain"]

GRACEFUL_SHUTDOWN_S = 60 + 5
"""After a stop signal uvicorn stops accepting, then waits this long for the requests in flight: the longest
deadline a request may ask for (DecideRequest.deadline_ms, at most 60 s) plus a margin for commit and reply."""


def _drained(signum: int, frame: FrameType | None) -> None:
    """uvicorn raises the captured signal again once it has shut down; by then the work is done."""


def exit_zero_after_drain() -> None:
    """Make a finished graceful shutdown exit 0 instead of dying by the re-raised signal (-15).

    uvicorn (>= 0.29) installs its own handlers while serving, restores the previous ones afterwards and
    re-raises the signal it caught, so that the default handler ends the process. With a no-op as the
    previous handler, `uvicorn.run` returns instead, after the lifespan has closed the runtime.
    """
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _drained)
