"""Wall-clock time for the I/O layers (the core gets it passed in)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def maybe_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else to_datetime(ms)


def utcnow() -> datetime:
    return datetime.now(UTC)
