"""The terminal bridge on its own thread, against the real simulator."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
import zmq

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


async def test_ticks_arrive_raw_latest_per_topic_and_gaps_are_still_seen() -> None:
    """Ticks reach on_ticks as raw frames (latest per topic); a lost seq still reports a gap.

    The continuity check reads every tick's seq before ticks are coalesced, so a tick
    dropped by coalescing is never taken for a lost event, and a real hole is.
    """
    context = zmq.Context.instance()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    events = f"tcp://127.0.0.1:{free_port()}"
    pub.bind(events)
    frames: list[dict[bytes, bytes]] = []
    gaps: list[Continuity] = []
    trades: list[object] = []
    bridge = TerminalBridge(
        f"tcp://127.0.0.1:{free_port()}",
        events,
        5.0,
        asyncio.get_running_loop(),
        on_event=trades.append,
        on_ticks=frames.append,
        on_availability=lambda available, health: None,
        on_gap=gaps.append,
    )
    bridge.start()
    try:

        def publish(event: TickEvent | TradeTransactionEvent) -> None:
            topic = b"tick.EURUSD" if isinstance(event, TickEvent) else b"trade"
            pub.send_multipart([topic, encode(event)])

        def tick(seq: int, bid: float) -> TickEvent:
            return TickEvent(
                instance="i1", seq=seq, symbol="EURUSD", bid=bid, ask=bid + 0.0002, time_msc=1
            )

        # Slow joiner: publish until the subscription has reached the publisher.
        seq = 0
        while not frames:
            seq += 1
            publish(tick(seq, 1.0))
            await asyncio.sleep(0.01)
        for bid in (1.1, 1.2, 1.3):
            seq += 1
            publish(tick(seq, bid))
        seq += 1
        deal = TradeTransactionEvent(
            instance="i1", seq=seq, kind="ORDER_DELETE", symbol="EURUSD", order=7, time_msc=1
        )
        publish(deal)
        for _ in range(200):
            if trades and frames[-1][b"tick.EURUSD"] == encode(tick(seq - 1, 1.3)):
                break
            await asyncio.sleep(0.01)
        assert trades == [deal]
        assert frames[-1] == {b"tick.EURUSD": encode(tick(seq - 1, 1.3))}
        assert Continuity.GAP not in gaps
        seq += 2  # one event lost on the way
        publish(tick(seq, 1.4))
        for _ in range(200):
            if gaps:
                break
            await asyncio.sleep(0.01)
        assert gaps == [Continuity.GAP]
    finally:
        await asyncio.to_thread(bridge.stop)
        pub.close()
