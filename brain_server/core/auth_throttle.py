"""Slow down repeated authentication failures from one address.

Each failure within ``window_ms`` of the previous doubles the delay before
the next answer from ``base_delay_ms`` up to ``max_delay_ms``; a success or
a quiet window clears the record. The I/O layer sleeps the returned delay
before answering, so a guesser gets a few tries a second at most.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Record:
    failures: int
    last_ms: int


class AuthThrottle:
    def __init__(
        self, base_delay_ms: int, max_delay_ms: int, window_ms: int, max_tracked: int = 10_000
    ) -> None:
        self._base = base_delay_ms
        self._max = max_delay_ms
        self._window = window_ms
        self._max_tracked = max_tracked
        self._records: dict[str, _Record] = {}

    def failure(self, address: str, now_ms: int) -> int:
        """Count a failure; returns how many ms to wait before answering."""
        record = self._records.get(address)
        if record is None or now_ms - record.last_ms > self._window:
            record = _Record(failures=0, last_ms=now_ms)
        record.failures += 1
        record.last_ms = now_ms
        self._records[address] = record
        if len(self._records) > self._max_tracked:
            self._forget_oldest()
        return self.delay_ms(record.failures)

    def failures(self, address: str, now_ms: int) -> int:
        record = self._records.get(address)
        if record is None or now_ms - record.last_ms > self._window:
            return 0
        return record.failures

    def success(self, address: str) -> None:
        self._records.pop(address, None)

    def delay_ms(self, failures: int) -> int:
        if failures <= 0:
            return 0
        return int(min(self._max, self._base * 2 ** min(failures - 1, 20)))

    def _forget_oldest(self) -> None:
        oldest = sorted(self._records.items(), key=lambda item: item[1].last_ms)
        for address, _ in oldest[: len(oldest) // 2]:
            del self._records[address]
