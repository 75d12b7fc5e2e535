"""The terminal bridge on its own thread, against the real simulator."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from executor_app.terminal_bridge import TerminalBridge, TerminalTimeout, TerminalUnavailable
from fx_demo.stack import free_port
from fx_protocol.terminal_wire import Ping, Pong, QueryCommand
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
