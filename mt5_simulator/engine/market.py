"""Quotes: a seeded random walk with realistic spreads, and CSV tick replay.

Both sources only compute prices; the caller decides when a tick is due
and stamps it with its own clock.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from mt5_simulator.engine.symbols import Instrument


class Quote(NamedTuple):
    """A symbol's current prices. A tuple, not a frozen dataclass: one is made per tick,
    tens of thousands a second, and a tuple is made in half the time."""

    bid: float
    ask: float
    time_msc: int


class RandomWalk:
    """Round-robin ticks over the instruments: a geometric random walk of the mid price.

    Mean reversion towards the start price keeps a long run from drifting
    into absurd prices; the spread widens now and then like a real feed.
    """

    #: fraction of the distance to the start price recovered per tick
    _REVERSION = 1e-5

    def __init__(self, instruments: Iterable[Instrument], rng: random.Random) -> None:
        # Per-symbol constants as plain tuples: this runs 20,000+ times a second.
        self._specs = [
            (i.name, i.digits, i.point, i.spread_points, i.volatility, i.start_price)
            for i in instruments
        ]
        self._rng = rng
        self._mid = {spec[0]: spec[5] for spec in self._specs}
        self._next = 0

    def seed_mid(self, symbol: str, mid: float) -> None:
        """Continue from a known price (a restart, or a quote set by a test)."""
        if symbol in self._mid and math.isfinite(mid) and mid > 0:
            self._mid[symbol] = mid

    def next_tick(self) -> tuple[str, float, float]:
        """The next (symbol, bid, ask), rounded to the symbol's digits."""
        name, digits, point, spread, volatility, start = self._specs[self._next]
        self._next = (self._next + 1) % len(self._specs)
        rng = self._rng
        mid = self._mid[name]
        mid *= 1.0 + volatility * rng.gauss(0.0, 1.0)
        mid += (start - mid) * self._REVERSION
        self._mid[name] = mid
        if rng.random() < 0.1:
            spread += int(spread * rng.random())
        bid = round(mid - spread * point / 2.0, digits)
        ask = round(bid + spread * point, digits)
        return name, bid, ask


@dataclass(frozen=True, slots=True)
class ReplayTick:
    symbol: str
    bid: float
    ask: float
    time_msc: int


class ReplayError(ValueError):
    """A replay file line could not be read; the message names the line."""


def parse_replay(lines: Iterable[str]) -> Iterator[ReplayTick]:
    """Read ``time_msc,symbol,bid,ask`` rows; a header line and blank lines are skipped."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if number == 1 and parts and not parts[0].lstrip("-").isdigit():
            continue  # header
        if len(parts) < 4:
            raise ReplayError(f"line {number}: expected time_msc,symbol,bid,ask")
        try:
            time_msc = int(parts[0])
            bid = float(parts[2])
            ask = float(parts[3])
        except ValueError as exc:
            raise ReplayError(f"line {number}: {exc}") from None
        if not (math.isfinite(bid) and math.isfinite(ask)) or bid <= 0 or ask < bid:
            raise ReplayError(f"line {number}: bid and ask must be positive with ask >= bid")
        yield ReplayTick(parts[1], bid, ask, time_msc)


class Pacing:
    """When ticks are due, in seconds since the feed started.

    Either a steady ``rate`` (ticks per second), or a replay file's own
    timestamps (``offsets_ms`` from its first tick) sped up by ``speed``.
    """

    #: at a steady rate the feed wakes for a burst of up to this many seconds' worth of
    #: ticks, not for each millisecond's few: at 20,000 ticks/s waking every 4 ms instead
    #: of every 1 ms took about a third off the simulator's CPU (its own loop and
    #: ZeroMQ's I/O thread wake once per burst). A replay keeps its file's own timing.
    BURST_S = 0.004

    def __init__(
        self, rate: float, offsets_ms: list[int] | None = None, speed: float = 0.0
    ) -> None:
        self.rate = rate
        self.paced = offsets_ms is not None and speed > 0
        self._offsets = offsets_ms or []
        self._speed = speed

    def due(self, elapsed_s: float) -> int:
        """How many ticks in total are due ``elapsed_s`` seconds after the start."""
        if self.paced:
            return bisect.bisect_right(self._offsets, elapsed_s * 1000.0 * self._speed)
        return int(elapsed_s * self.rate) if self.rate > 0 else 0

    def wake_at(self, emitted: int) -> float:
        """Seconds after the start when the feed should next wake, ``emitted`` ticks out."""
        if self.paced:
            return self.at(emitted)
        return self.at(emitted + int(self.rate * self.BURST_S))

    def at(self, index: int) -> float:
        """Seconds after the start at which tick ``index`` (0-based) is due; -1 gives 0."""
        if index < 0:
            return 0.0
        if self.paced:
            if index >= len(self._offsets):
                return math.inf
            return self._offsets[index] / 1000.0 / self._speed
        return (index + 1) / self.rate if self.rate > 0 else math.inf
