"""Continuity of the terminal's event stream (``docs/protocol.md`` § Terminal events).

Every EA event carries the publisher's ``instance`` and a ``seq`` increasing
across all topics. A jump in ``seq`` or a new ``instance`` means events were
lost, and with them possibly fills: the runtime then asks ``GET_DEALS`` for
everything after the last deal it knows.
"""

from __future__ import annotations

from enum import StrEnum


class Continuity(StrEnum):
    FIRST = "first"  # the first event seen
    IN_ORDER = "in_order"
    GAP = "gap"  # events were missed
    RESTART = "restart"  # a new EA instance
    STALE = "stale"  # an old or repeated seq: ignore


class EventSequencer:
    def __init__(self) -> None:
        self.instance: str | None = None
        self.seq = 0

    def feed(self, instance: str, seq: int) -> Continuity:
        if self.instance is None:
            self.instance, self.seq = instance, seq
            return Continuity.FIRST
        if instance != self.instance:
            self.instance, self.seq = instance, seq
            return Continuity.RESTART
        if seq <= self.seq:
            return Continuity.STALE
        expected = self.seq + 1
        self.seq = seq
        return Continuity.IN_ORDER if seq == expected else Continuity.GAP
