"""The runtime in-process against the real simulator: local stop, manual fills, restarts."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import msgspec
import pytest
import zmq

from executor_app.config import BrainSettings, Settings, StorageSettings, TerminalSettings
from executor_app.core.events import (
    ExecutorEvent,
    LimitsChanged,
    TickReceived,
    TradingStateChanged,
)
from executor_app.core.limits import Limits
from executor_app.runtime import Runtime
from fx_demo.stack import free_port
from fx_protocol.brain_wire import Fill, decode_from_executor
from fx_protocol.vocabulary import TradingState
from tests.executor_app.conftest import Sim


def settings(sim: Sim, tmp: Path) -> Settings:
    return Settings(
        # Nothing listens here: the runtime must work (and keep retrying) without a brain.
        brain=BrainSettings(
            url=f"ws://127.0.0.1:{free_port()}/ws/executor",
            executor_id="ex1",
            reconnect_max_seconds=0.5,
        ),
        terminal=TerminalSettings(
            command_endpoint=sim.command_endpoint,
            events_endpoint=sim.events_endpoint,
            heartbeat_timeout_seconds=2.0,
        ),
        storage=StorageSettings(
            journal_path=str(tmp / "journal.sqlite3"), log_dir=str(tmp / "logs")
        ),
    )


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll a runtime condition, bounded (the runtime owns no event for each of them)."""
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.fixture
async def runtime(sim: Sim, tmp_path: Path) -> AsyncIterator[Runtime]:
    running = Runtime(settings(sim, tmp_path), "secret-key")
    await running.start()
    await until(lambda: running.reconciled)
    yield running
    await running.stop()


def manual_trade(sim: Sim, command_id: str) -> dict[str, object]:
    """A trade the executor did not make, as if clicked in the terminal."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(sim.command_endpoint)
    try:
        dealer.send(
            json.dumps(
                {
                    "type": "TRADE",
                    "requestId": "m1",
                    "commandId": command_id,
                    "action": "OPEN_POSITION",
                    "symbol": "EURUSD",
                    "orderType": "BUY",
                    "volume": 0.2,
                }
            ).encode()
        )
        assert dealer.poll(5000)
        return dict(json.loads(dealer.recv()))
    finally:
        dealer.close()


async def test_manual_fill_reported_and_local_stop_flattens(runtime: Runtime, sim: Sim) -> None:
    """A manual deal becomes a FILL in the outbox; the local stop halts at once and flattens."""
    events: list[ExecutorEvent] = []
    runtime.subscribe(events.append)
    assert manual_trade(sim, "manual-1")["type"] == "TRADE_REPLY"
    await until(lambda: len(runtime.terminal.positions) == 1)
    journal = runtime.journal
    assert journal is not None
    fills = [decode_from_executor(e.payload) for e in journal.outbox_after(0)]
    fills = [m for m in fills if isinstance(m, Fill)]
    assert [(f.fill.volume, f.fill.entry, f.fill.command_id) for f in fills] == [(0.2, "IN", None)]
    runtime.emergency_stop(flatten=True)
    assert runtime.trading.state is TradingState.HALTED  # before any await
    await until(
        lambda: not runtime.terminal.positions and runtime.trading.state is TradingState.HALTED
    )
    assert any(
        isinstance(e, TradingStateChanged) and e.state is TradingState.HALTED for e in events
    )
    runtime.resume()
    assert runtime.snapshot().trading_state is TradingState.ACTIVE


async def test_local_stop_survives_restart(sim: Sim, tmp_path: Path) -> None:
    """The latched local stop is persisted: a restarted runtime comes back HALTED."""
    first = Runtime(settings(sim, tmp_path), "k")
    await first.start()
    first.emergency_stop(flatten=False)
    await first.stop()
    second = Runtime(settings(sim, tmp_path), "k")
    await second.start()
    try:
        assert second.trading.state is TradingState.HALTED
        assert second.snapshot().halt_reason == "local emergency stop"
    finally:
        await second.stop()


async def test_reload_limits_is_observed(runtime: Runtime) -> None:
    """New limits apply at once, reach observers and the snapshot."""
    seen: list[ExecutorEvent] = []
    unsubscribe = runtime.subscribe(seen.append)
    new = msgspec.structs.replace(Limits(), max_volume_per_order=0.3)
    runtime.reload_limits(new)
    await until(lambda: any(isinstance(e, LimitsChanged) for e in seen))
    assert runtime.snapshot().limits.max_volume_per_order == 0.3
    unsubscribe()


async def test_api_key_never_logged(runtime: Runtime, tmp_path: Path) -> None:
    """While the runtime connects with the key, no log line carries it, even if echoed."""
    from loguru import logger

    from executor_app.log_setup import configure

    log = configure(tmp_path / "logs2", "DEBUG", secrets=("secret-key",))
    try:
        logger.info("echo secret-key from a library")
        # Reconnect attempts get logged meanwhile; wait for one, bounded.
        await until(lambda: "brain connection failed" in log.read_text(encoding="utf-8"))
        text = log.read_text(encoding="utf-8")
    finally:
        logger.remove()
        logger.add(sys.stderr)
    assert "secret-key" not in text
    assert "***" in text
    assert "brain connection failed" in text


async def test_ticks_resume_after_terminal_restart(runtime: Runtime, sim: Sim) -> None:
    """A new EA instance is subscribed again, so ticks keep flowing after its restart."""
    await asyncio.to_thread(sim.program.stop)
    sim.program.start()
    await asyncio.to_thread(sim.program.wait_for, "fx-mt5sim ready", 30)
    await until(lambda: runtime.terminal.available)
    seen: list[ExecutorEvent] = []
    runtime.subscribe(seen.append)
    await until(lambda: any(isinstance(e, TickReceived) for e in seen))


async def test_ticks_of_symbols_without_a_spec_are_not_forwarded(runtime: Runtime) -> None:
    """A tick for a symbol the executor never subscribed to (no point size) is not forwarded."""
    from fx_protocol.terminal_wire import TickEvent, encode

    seen: list[ExecutorEvent] = []
    runtime.subscribe(seen.append)
    stray = TickEvent(
        instance="x", seq=1, symbol="USDCHF", bid=0.9, ask=0.9002, time_msc=1_700_000_000_000
    )
    runtime.terminal.on_ticks({b"tick.USDCHF": encode(stray)})
    await until(lambda: any(isinstance(e, TickReceived) and e.symbol == "EURUSD" for e in seen))
    await asyncio.sleep(3 / max(runtime.settings.brain.tick_forward_hz, 1))
    assert not [e for e in seen if isinstance(e, TickReceived) and e.symbol == "USDCHF"]
