"""Raw ticks kept latest per topic and decoded only when taken; malformed ones refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

from executor_app.terminal_mirror import TerminalMirror
from executor_app.tick_intake import TickIntake, tick_head
from fx_protocol.terminal_wire import HeartbeatEvent, TerminalHealth, TickEvent, encode


def tick(seq: int, symbol: str = "EURUSD", bid: float = 1.1) -> TickEvent:
    return TickEvent(
        instance="i1", seq=seq, symbol=symbol, bid=bid, ask=bid + 0.0002, time_msc=1_700_000_000
    )


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(m.record["message"]), level="WARNING")
    yield seen
    logger.remove(sink)


def test_head_reads_instance_and_seq_of_a_tick_only() -> None:
    """The bridge's per-tick read: instance and seq; anything not a tick reads as None."""
    head = tick_head(encode(tick(42)))
    assert head is not None
    assert (head.instance, head.seq) == ("i1", 42)
    health = TerminalHealth(
        connected=True, trade_allowed=True, ea_trade_allowed=True, last_tick_msc=0,
        instance="i1", time_msc=0,
    )  # fmt: skip
    assert tick_head(encode(HeartbeatEvent(instance="i1", seq=1, health=health))) is None
    assert tick_head(b"not json") is None
    assert tick_head(b'{"type":"TICK","instance":"i1"}') is None


def test_latest_frame_per_topic_wins_and_is_decoded_on_take() -> None:
    """Two offers of one topic keep the later frame; take() empties the intake."""
    intake = TickIntake()
    intake.offer(
        {
            b"tick.EURUSD": encode(tick(1, bid=1.1)),
            b"tick.XAUUSD": encode(tick(2, "XAUUSD", 2000.0)),
        }
    )
    intake.offer({b"tick.EURUSD": encode(tick(3, bid=1.2))})
    assert intake.pending
    taken = {t.symbol: t for t in intake.take()}
    assert taken["EURUSD"].bid == 1.2
    assert taken["EURUSD"].seq == 3
    assert taken["XAUUSD"].bid == 2000.0
    assert not intake.pending
    assert intake.take() == []


def test_malformed_tick_is_refused_with_its_reason(warnings: list[str]) -> None:
    """A tick that fails validation never becomes a quote; the log says what was wrong."""
    mirror = TerminalMirror()
    bad = encode(tick(7)).replace(b'"bid":1.1', b'"bid":"cheap"')
    mirror.on_ticks({b"tick.EURUSD": bad})
    assert mirror.quotes == {}
    assert mirror.take_changed_quotes() == {}
    assert any("unreadable tick" in w and "bid" in w for w in warnings), warnings


def test_mirror_quotes_follow_the_latest_offered_tick() -> None:
    """Quotes read after an offer show its latest tick, and the symbol counts as changed once."""
    mirror = TerminalMirror()
    mirror.on_ticks({b"tick.EURUSD": encode(tick(1, bid=1.1))})
    mirror.on_ticks({b"tick.EURUSD": encode(tick(2, bid=1.3))})
    assert mirror.quotes["EURUSD"].bid == 1.3
    changed = mirror.take_changed_quotes()
    assert list(changed) == ["EURUSD"]
    assert changed["EURUSD"].bid == 1.3
    assert mirror.take_changed_quotes() == {}
