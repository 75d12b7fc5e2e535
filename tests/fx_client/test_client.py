"""BrainClient against a real brain: typed answers, typed errors, waiting, cancel, halt."""

from __future__ import annotations

import asyncio

import pytest

from fx_client import BrainClient, BrainError, TradeCommand
from fx_protocol.brain_wire import Halt
from fx_protocol.vocabulary import Action, OrderType
from tests.brain_server.conftest import Brain
from tests.conftest import free_port

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}


async def test_submit_get_list_and_idempotency(brain: Brain) -> None:
    """submit returns the stored id; the same idempotency key returns it again."""
    async with BrainClient(brain.base_url, brain.token) as client:
        command = TradeCommand(
            action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.SELL, volume=0.2
        )
        first = await client.submit(brain.executor_id, command, idempotency_key="k1")
        again = await client.submit(brain.executor_id, BUY, idempotency_key="k1")
        assert first.command_id == again.command_id
        assert (first.duplicate, again.duplicate) == (False, True)
        view = await client.get(first.command_id)
        assert view.command == command
        assert view.status == "pending"
        assert [c.command_id for c in await client.commands(brain.executor_id)] == [
            first.command_id
        ]


async def test_errors_are_typed(brain: Brain) -> None:
    """Refusals raise BrainError with status, reason and field."""
    async with BrainClient(brain.base_url, brain.token) as client:
        with pytest.raises(BrainError) as info:
            await client.submit(brain.executor_id, {**BUY, "volume": -1})
        assert (info.value.status_code, info.value.field) == (400, "$.command.volume")
        with pytest.raises(BrainError) as info:
            await client.submit("ex-nobody", BUY)
        assert (info.value.status_code, info.value.reason) == (404, "UNKNOWN_EXECUTOR")
    async with BrainClient(brain.base_url, "fxt_00000000_wrong") as bad:
        with pytest.raises(BrainError) as info:
            await bad.get("c1")
        assert info.value.status_code == 401


async def test_cancel_and_halt(brain: Brain) -> None:
    """cancel reports whether it was in time; halt reaches a live executor."""
    async with BrainClient(brain.base_url, brain.token) as client:
        submitted = await client.submit(brain.executor_id, BUY)
        result = await client.cancel(submitted.command_id)
        assert (result.cancelled, result.status) == (True, "cancelled")
        assert (await client.cancel(submitted.command_id)).cancelled is False
        ex = brain.executor()
        await ex.connect()
        accepted = await client.halt(brain.executor_id, flatten=True, reason="test")
        assert accepted.delivered
        halt = await ex.recv()
        assert isinstance(halt, Halt)
        assert halt.flatten
        await ex.close()
        (view,) = await client.executors()
        assert view.executor_id == brain.executor_id


async def test_wait_for_result_falls_back_to_polling(brain: Brain) -> None:
    """With the events stream unreachable, wait_for_result polls and still gets the result."""
    async with BrainClient(brain.base_url, brain.token, poll_interval=0.05) as client:
        client._events_url = lambda executor_id: f"ws://127.0.0.1:{free_port()}/ws/events"  # type: ignore[method-assign]
        submitted = await client.submit(brain.executor_id, BUY)
        ex = brain.executor()
        await ex.connect()
        await ex.signal()
        waiter = asyncio.create_task(client.wait_for_result(submitted.command_id, timeout=10))
        await ex.ack(submitted.command_id)
        await ex.result(submitted.command_id, ticket=99)
        view = await waiter
        assert view.status == "executed"
        assert view.result is not None
        assert view.result.ticket == 99
        await ex.close()
