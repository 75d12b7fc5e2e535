"""One simulator per state dir: an OS file lock held while it runs.

Two simulators on one account would hand out the same tickets and corrupt
each other's idempotency record. The lock dies with its process (even on
kill -9), so a crash never leaves the state dir blocked. Readers such as
``fx-mt5sim deals`` do not take it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from mt5_simulator.store import StoreError

LOCK_NAME = "mt5sim.lock"


class StateLock:
    """An exclusive, non-blocking lock on ``state_dir/mt5sim.lock``."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreError naming the state dir."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            handle = (self.state_dir / LOCK_NAME).open("a+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot use state dir {self.state_dir}: {exc}") from None
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise StoreError(f"state dir {self.state_dir} is in use by another fx-mt5sim") from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
