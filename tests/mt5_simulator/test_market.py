"""Quotes: the seeded random walk, CSV replay parsing and tick pacing."""

from __future__ import annotations

import math
import random

import pytest

from mt5_simulator.engine.market import Pacing, RandomWalk, ReplayError, parse_replay
from mt5_simulator.engine.symbols import default_instruments


def test_random_walk_is_seeded_and_realistic() -> None:
    """One seed, one tick sequence; prices keep their digits, spreads stay near typical."""
    specs = default_instruments()
    first = RandomWalk(specs.values(), random.Random(42))
    second = RandomWalk(specs.values(), random.Random(42))
    ticks = [first.next_tick() for _ in range(5000)]
    assert ticks == [second.next_tick() for _ in range(5000)]
    for symbol, bid, ask in ticks:
        spec = specs[symbol]
        assert round(bid, spec.digits) == bid
        spread = round((ask - bid) / spec.point)
        assert spec.spread_points <= spread <= 2 * spec.spread_points
        assert abs(bid / spec.start_price - 1) < 0.05
    assert {symbol for symbol, _, _ in ticks} == set(specs)


def test_replay_parsing() -> None:
    """A header, comments and blank lines are skipped; rows become ticks in file order."""
    lines = [
        "time_msc,symbol,bid,ask",
        "",
        "# note",
        "10,EURUSD,1.1,1.1002",
        "20,XAUUSD,2000,2000.3",
    ]
    ticks = list(parse_replay(lines))
    assert [(t.time_msc, t.symbol, t.bid, t.ask) for t in ticks] == [
        (10, "EURUSD", 1.1, 1.1002),
        (20, "XAUUSD", 2000.0, 2000.3),
    ]


@pytest.mark.parametrize(
    "line",
    ["10,EURUSD,1.1", "x,EURUSD,1.1,1.2", "10,EURUSD,1.2,1.1", "10,EURUSD,-1,1", "1,E,nan,1"],
)
def test_replay_rejects_bad_rows(line: str) -> None:
    """Missing columns, non-numbers, ask below bid and non-positive prices name the line."""
    with pytest.raises(ReplayError, match="line 2"):
        list(parse_replay(["1,EURUSD,1.1,1.1001", line]))


def test_rate_pacing() -> None:
    """At a steady rate, tick n is due at (n+1)/rate and due() counts whole ticks."""
    pacing = Pacing(100.0)
    assert pacing.due(0.0) == 0
    assert pacing.due(0.105) == 10
    assert pacing.at(9) == pytest.approx(0.1)
    assert pacing.at(-1) == 0.0
    assert math.isinf(Pacing(0.0).at(0))


def test_steady_rate_wakes_for_bursts_and_replay_for_each_tick() -> None:
    """At a high rate the feed wakes once per BURST_S of ticks; slow rates and replays per tick."""
    fast = Pacing(20_000.0)
    burst = int(20_000 * Pacing.BURST_S)
    assert burst > 1
    assert fast.wake_at(0) == pytest.approx(fast.at(burst))
    assert fast.wake_at(0) <= Pacing.BURST_S + 1 / 20_000
    assert fast.due(fast.wake_at(0)) == burst + 1
    slow = Pacing(50.0)
    assert slow.wake_at(3) == slow.at(3)
    replay = Pacing(5.0, [0, 1000, 1000, 3000], speed=2.0)
    assert replay.wake_at(1) == replay.at(1)


def test_replay_pacing_follows_file_time() -> None:
    """With a speed the file's own gaps decide: at speed 2, a tick 1000 ms in is due at 0.5 s."""
    pacing = Pacing(5.0, [0, 1000, 1000, 3000], speed=2.0)
    assert pacing.paced
    assert pacing.due(0.0) == 1
    assert pacing.due(0.49) == 1
    assert pacing.due(0.5) == 3
    assert pacing.due(10.0) == 4
    assert pacing.at(3) == pytest.approx(1.5)
    assert math.isinf(pacing.at(4))
