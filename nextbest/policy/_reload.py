"""Hot reload: edits to the policy folder take effect without a restart; a broken edit never does."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import watchfiles

from nextbest.errors import PolicyError

from ._loader import PolicySet, load_policy_set

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadStatus:
    version: str
    loaded_at: datetime
    error: str | None = None
    error_at: datetime | None = None


class ReloadingPolicies:
    """Serves the last good policy set and reloads it on demand or when files change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._current = load_policy_set(root)
        self._status = ReloadStatus(version=self._current.version, loaded_at=datetime.now(UTC))

    def current(self) -> PolicySet:
        return self._current

    @property
    def status(self) -> ReloadStatus:
        return self._status

    def reload(self) -> ReloadStatus:
        """Validate the folder again; keep serving the old version if anything is wrong."""
        try:
            fresh = load_policy_set(self.root)
        except PolicyError as exc:
            log.error("policy reload rejected, still serving %s: %s", self._current.version, exc)
            self._status = ReloadStatus(
                version=self._current.version,
                loaded_at=self._status.loaded_at,
                error=str(exc),
                error_at=datetime.now(UTC),
            )
            return self._status
        if fresh.version != self._current.version:
            log.info("policy %s → %s", self._current.version, fresh.version)
        self._current = fresh
        self._status = ReloadStatus(version=fresh.version, loaded_at=datetime.now(UTC))
        return self._status

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a file under the folder changes, until `stop` is set."""
        async for _changes in watchfiles.awatch(self.root, stop_event=stop, debounce=200, step=50, recursive=True):
            self.reload()
