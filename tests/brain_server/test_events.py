"""The events stream: command status changes, fills, ticks, executor status, filters."""

from __future__ import annotations

import asyncio

import httpx

from fx_client import BrainClient, CommandStatusEvent, FillEvent, TickEvent
from fx_protocol.brain_wire import Fill, FillReport, MarketData, MarketUpdate
from fx_protocol.strategy_events import ExecutorStatusEvent, StrategyEvent
from tests.brain_server.conftest import Brain
from tests.brain_server.fake_executor import now
from tests.brain_server.test_delivery import submit


async def collect(
    client: BrainClient, executor_id: str | None, until: int, ready: asyncio.Event
) -> list[StrategyEvent]:
    seen: list[StrategyEvent] = []
    async for event in client.events(executor_id, ready=ready):
        seen.append(event)
        if len(seen) >= until:
            break
    return seen


async def test_command_lifecycle_fill_and_tick_events(
    brain: Brain, http: httpx.AsyncClient
) -> None:
    """A subscriber sees online, pending, sent, acknowledged, executed, the fill and a tick."""
    async with BrainClient(brain.base_url, brain.token) as client:
        ready = asyncio.Event()
        task = asyncio.create_task(collect(client, brain.executor_id, until=7, ready=ready))
        await asyncio.wait_for(ready.wait(), 5)
        ex = brain.executor()
        await ex.connect()
        command_id = await submit(http, brain.executor_id)
        await ex.signal()
        await ex.ack(command_id)
        await ex.result(command_id)
        seq = ex.next_seq()
        fill = FillReport(
            deal=55, order=66, position_id=77, symbol="EURUSD", side="BUY", entry="IN",
            volume=0.1, price=1.1, reason="EXPERT", time=now(), command_id=command_id,
        )  # fmt: skip
        await ex.send(Fill(timestamp=now(), seq=seq, fill=fill))
        await ex.wait_ack(seq)
        await ex.send(
            MarketUpdate(
                timestamp=now(), data=MarketData(symbol="EURUSD", bid=1.1, ask=1.1002, spread=2)
            )
        )
        events = await asyncio.wait_for(task, 5)
        await ex.close()
    assert isinstance(events[0], ExecutorStatusEvent)
    assert events[0].online
    statuses = [e.status for e in events if isinstance(e, CommandStatusEvent)]
    assert statuses == ["pending", "sent", "acknowledged", "executed"]
    executed = [e for e in events if isinstance(e, CommandStatusEvent)][-1]
    assert executed.result is not None
    assert executed.result.ticket == 1001
    assert any(isinstance(e, FillEvent) and e.fill.deal == 55 for e in events)
    assert any(isinstance(e, TickEvent) and e.symbol == "EURUSD" for e in events)


async def test_executor_filter(brain: Brain, http: httpx.AsyncClient) -> None:
    """?executorId= only delivers that executor's events."""
    other = brain.executors[1][0]
    async with BrainClient(brain.base_url, brain.token) as client:
        ready = asyncio.Event()
        task = asyncio.create_task(collect(client, other, until=1, ready=ready))
        await asyncio.wait_for(ready.wait(), 5)
        await submit(http, brain.executor_id)
        mine = await submit(http, other)
        (event,) = await asyncio.wait_for(task, 5)
    assert isinstance(event, CommandStatusEvent)
    assert event.command_id == mine


async def test_wait_for_result_streams_and_polls(brain: Brain, http: httpx.AsyncClient) -> None:
    """wait_for_result returns the final view; a timeout raises TimeoutError, not a rejection."""
    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    async with BrainClient(brain.base_url, brain.token) as client:
        # Racing the ACK on purpose: wait_for_result re-reads the command once subscribed.
        waiter = asyncio.create_task(client.wait_for_result(command_id, timeout=10))
        await ex.ack(command_id)
        await ex.result(command_id, ticket=31337)
        view = await waiter
        assert view.status == "executed"
        assert view.result is not None
        assert view.result.ticket == 31337
        pending = await submit(http, brain.executors[1][0])
        try:
            await client.wait_for_result(pending, timeout=0.3)
        except TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
    await ex.close()
