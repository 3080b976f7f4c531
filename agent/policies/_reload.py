"""Hot reload: edits to the policy folder take effect without a restart; a broken edit never does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import watchfiles

from nextbest.clock import Clock, SystemClock
from nextbest.errors import PolicyError

from ._set import PolicySet, load_policy_set

log = logging.getLogger(__name__)

# How often a watcher whose folder has vanished looks for it again.
REARM_S = 0.5
# How often a quiet watcher wakes to check that its folder is still the one it watches.
WAKE_MS = 1000


@dataclass(frozen=True)
class ReloadStatus:
    version: str
    loaded_at: datetime
    error: str | None = None
    error_at: datetime | None = None


def _identity(root: Path) -> tuple[int, int] | None:
    """Which folder `root` names right now; it changes when the folder is deleted and created again."""
    try:
        found = os.stat(root)
    except OSError:
        return None
    return found.st_dev, found.st_ino


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class ReloadingPolicies:
    """Serves the last good policy set and reloads it on demand or when files change."""

    def __init__(self, root: Path, *, clock: Clock | None = None) -> None:
        self.root = root
        self._clock = clock or SystemClock()
        self._current = load_policy_set(root)
        self._status = ReloadStatus(version=self._current.version, loaded_at=self._clock.now())

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
            return self._reject(str(exc))
        if fresh.version != self._current.version:
            log.info("policy %s → %s", self._current.version, fresh.version)
        self._current = fresh
        self._status = ReloadStatus(version=fresh.version, loaded_at=self._clock.now())
        return self._status

    def _reject(self, error: str) -> ReloadStatus:
        log.error("policy reload rejected, still serving %s: %s", self._current.version, error)
        self._status = ReloadStatus(
            version=self._current.version, loaded_at=self._status.loaded_at, error=error, error_at=self._clock.now()
        )
        return self._status

    def _reload_in_watcher(self) -> None:
        try:
            self.reload()
        except Exception as exc:  # A watcher task that dies stops hot reload for good, and silently.
            log.exception("policy reload failed")
            self._reject(f"{self.root}: reload failed: {exc!r}")

    def _replaced(self, changes: set[tuple[watchfiles.Change, str]], armed: tuple[int, int]) -> bool:
        # A new folder may well get the inode number the deleted one freed, so its deletion is the surer sign.
        root = os.path.abspath(self.root)
        deleted = any(kind is watchfiles.Change.deleted and os.path.abspath(path) == root for kind, path in changes)
        return deleted or _identity(self.root) != armed

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a file under the folder changes, until `stop` is set.

        A folder deleted and created again (a deploy that copies a fresh prompts/) is watched anew: the
        old watch would hear nothing more from the new folder.
        """
        while not stop.is_set():
            armed = _identity(self.root)
            if armed is None:
                await _pause(stop, REARM_S)
                continue
            # Once the watch is surely armed (its first wake), catch up on what changed while none was.
            catch_up = True
            try:
                async for changes in watchfiles.awatch(
                    self.root,
                    stop_event=stop,
                    debounce=200,
                    step=50,
                    recursive=True,
                    yield_on_timeout=True,
                    rust_timeout=WAKE_MS,
                ):
                    if changes or catch_up:
                        catch_up = False
                        self._reload_in_watcher()
                    if self._replaced(changes, armed):
                        break
            except OSError as exc:  # the folder vanished between the check and the watch
                log.warning("policy folder %s cannot be watched: %s", self.root, exc)
                await _pause(stop, REARM_S)
