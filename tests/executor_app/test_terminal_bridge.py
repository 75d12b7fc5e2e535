"""The terminal bridge on its own thread, against the real simulator."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import pytest
import zmq

from executor_app import terminal_bridge
from executor_app.core.event_stream import Continuity
from executor_app.terminal_bridge import TerminalBridge, TerminalTimeout, TerminalUnavailable
from fx_demo.stack import free_port
from fx_protocol.terminal_wire import (
    Ping,
    Pong,
    QueryCommand,
    TickEvent,
    TradeTransactionEvent,
    encode,
)
from tests.executor_app.conftest import Sim


def make_bridge(command: str, events: str, seen: dict[str, Any]) -> TerminalBridge:
    loop = asyncio.get_running_loop()
    seen.setdefault("availability", [])
    seen.setdefault("ticks", {})
    up = asyncio.Event()
    seen["up"] = up

    def availability(available: bool, _health: object) -> None:
        seen["availability"].append(available)
        if available:
            up.set()

    return TerminalBridge(
        command,
        events,
        0.5,
        loop,
        on_event=lambda e: None,
        on_ticks=lambda ticks: seen["ticks"].update(ticks),
        on_availability=availability,
        on_gap=lambda c: None,
    )


async def test_request_reply_and_availability(sim: Sim) -> None:
    """A PING gets its PONG through the thread; heartbeats make the terminal available."""
    seen: dict[str, Any] = {}
    bridge = make_bridge(sim.command_endpoint, sim.events_endpoint, seen)
    bridge.start()
    try:
        await asyncio.wait_for(seen["up"].wait(), 10)
        reply = await bridge.request(lambda rid: Ping(request_id=rid), 5)
        assert isinstance(reply, Pong)
        assert reply.health.connected
    finally:
        await asyncio.to_thread(bridge.stop)


async def test_watchdog_marks_terminal_unavailable(sim: Sim) -> None:
    """When the EA stops publishing, the watchdog flips availability within the timeout."""
    seen: dict[str, Any] = {}
    bridge = make_bridge(sim.command_endpoint, sim.events_endpoint, seen)
    bridge.start()
    try:
        await asyncio.wait_for(seen["up"].wait(), 10)
        sim.program.kill()
        for _ in range(300):
            if seen["availability"][-1] is False:
                break
            await asyncio.sleep(0.01)
        assert seen["availability"] == [True, False]
        assert bridge.available is False
    finally:
        await asyncio.to_thread(bridge.stop)


async def test_nothing_listening_is_unavailable_not_unknown() -> None:
    """With no EA at all, a request fails at once as never sent (never as unknown)."""
    seen: dict[str, Any] = {}
    bridge = make_bridge(f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}", seen)
    bridge.start()
    try:
        with pytest.raises(TerminalUnavailable):
            await bridge.request(lambda rid: QueryCommand(request_id=rid, command_id="c1"), 5)
    finally:
        await asyncio.to_thread(bridge.stop)


async def test_silent_peer_times_out_as_unknown(sim: Sim) -> None:
    """A sent request without reply ends as TerminalTimeout (outcome unknown)."""
    seen: dict[str, Any] = {}
    bridge = make_bridge(sim.command_endpoint, sim.events_endpoint, seen)
    bridge.start()
    try:
        await asyncio.wait_for(seen["up"].wait(), 10)
        sim.program.proc.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        try:
            with pytest.raises(TerminalTimeout):
                await bridge.request(lambda rid: Ping(request_id=rid), 0.3)
        finally:
            sim.program.proc.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
    finally:
        await asyncio.to_thread(bridge.stop)


def bound_pub() -> tuple[zmq.Socket[bytes], str]:
    """A PUB standing in for the EA's, bound to a free port; its endpoint."""
    pub = zmq.Context.instance().socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    events = f"tcp://127.0.0.1:{free_port()}"
    pub.bind(events)
    return pub, events


def events_bridge(
    events: str,
    on_event: Callable[[Any], None],
    on_ticks: Callable[[dict[bytes, bytes]], None],
    on_gap: Callable[[Continuity], None],
) -> TerminalBridge:
    """A bridge reading ``events``, with no terminal behind its DEALER."""
    return TerminalBridge(
        f"tcp://127.0.0.1:{free_port()}",
        events,
        120.0,
        asyncio.get_running_loop(),
        on_event=on_event,
        on_ticks=on_ticks,
        on_availability=lambda available, health: None,
        on_gap=on_gap,
    )


def eurusd_tick(seq: int, bid: float) -> TickEvent:
    return TickEvent(instance="i1", seq=seq, symbol="EURUSD", bid=bid, ask=bid + 0.0002, time_msc=1)


async def test_ticks_arrive_raw_latest_per_topic_and_gaps_are_still_seen() -> None:
    """Ticks reach on_ticks as raw frames (latest per topic); a lost seq still reports a gap.

    The continuity check reads every tick's seq before ticks are coalesced, so a tick
    dropped by coalescing is never taken for a lost event, and a real hole is.
    """
    pub, events = bound_pub()
    frames: list[dict[bytes, bytes]] = []
    gaps: list[Continuity] = []
    trades: list[object] = []
    bridge = events_bridge(events, trades.append, frames.append, gaps.append)
    bridge.start()
    try:

        def publish(event: TickEvent | TradeTransactionEvent) -> None:
            topic = b"tick.EURUSD" if isinstance(event, TickEvent) else b"trade"
            pub.send_multipart([topic, encode(event)])

        # Slow joiner: publish until the subscription has reached the publisher.
        seq = 0
        while not frames:
            seq += 1
            publish(eurusd_tick(seq, 1.0))
            await asyncio.sleep(0.01)
        for bid in (1.1, 1.2, 1.3):
            seq += 1
            publish(eurusd_tick(seq, bid))
        seq += 1
        deal = TradeTransactionEvent(
            instance="i1", seq=seq, kind="ORDER_DELETE", symbol="EURUSD", order=7, time_msc=1
        )
        publish(deal)
        for _ in range(200):
            if trades and frames[-1][b"tick.EURUSD"] == encode(eurusd_tick(seq - 1, 1.3)):
                break
            await asyncio.sleep(0.01)
        assert trades == [deal]
        assert frames[-1] == {b"tick.EURUSD": encode(eurusd_tick(seq - 1, 1.3))}
        assert Continuity.GAP not in gaps
        seq += 2  # one event lost on the way
        publish(eurusd_tick(seq, 1.4))
        for _ in range(200):
            if gaps:
                break
            await asyncio.sleep(0.01)
        assert gaps == [Continuity.GAP]
    finally:
        await asyncio.to_thread(bridge.stop)
        pub.close()


async def test_a_trade_event_is_read_at_once_while_ticks_wait_for_their_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The doorbell: an event other than a tick never waits for the tick batch timer.

    With the batch period stretched to a minute, ticks alone would sit in the SUB;
    a trade event rings the doorbell, and the SUB is read at once: the trade and
    the ticks before it, in order.
    """
    monkeypatch.setattr(terminal_bridge, "_TICK_BATCH_S", 60.0)
    pub, events = bound_pub()
    frames: list[dict[bytes, bytes]] = []
    trades: list[object] = []
    got_trade = asyncio.Event()

    def on_event(event: object) -> None:
        trades.append(event)
        got_trade.set()

    bridge = events_bridge(events, on_event, frames.append, lambda c: None)
    bridge.start()
    try:
        # Slow joiner: publish until both subscriptions have reached the publisher (the
        # first tick read starts the minute-long batch wait).
        seq = 0
        while not frames:
            seq += 1
            pub.send_multipart([b"tick.EURUSD", encode(eurusd_tick(seq, 1.0))])
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the doorbell's subscription too
        seen = len(frames)
        seq += 1
        pub.send_multipart([b"tick.EURUSD", encode(eurusd_tick(seq, 1.5))])
        seq += 1
        deal = TradeTransactionEvent(
            instance="i1", seq=seq, kind="ORDER_DELETE", symbol="EURUSD", order=7, time_msc=1
        )
        pub.send_multipart([b"trade.EURUSD", encode(deal)])
        await asyncio.wait_for(got_trade.wait(), 10.0)  # far less than the batch period
        assert trades == [deal]
        for _ in range(100):  # ticks are handed over when their batch read ends
            if len(frames) > seen:
                break
            await asyncio.sleep(0.01)
        assert frames[seen:][-1] == {b"tick.EURUSD": encode(eurusd_tick(seq - 1, 1.5))}
    finally:
        await asyncio.to_thread(bridge.stop)
        pub.close()
