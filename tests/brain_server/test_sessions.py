"""One live session per executor, heartbeats, latency, offline marking, events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fx_client import BrainClient, ExecutorStatusEvent
from fx_protocol.brain_wire import Heartbeat, decode_from_brain, encode
from tests.brain_server.conftest import Brain
from tests.brain_server.test_auth import until_closed
from tests.brain_server.test_delivery import submit


@pytest.fixture
def fast(tmp_path: Path) -> Iterator[Brain]:
    b = Brain(tmp_path / "b.db", heartbeat_interval_ms=100, heartbeat_timeout_ms=400)
    yield b
    b.stop()


async def test_second_connection_replaces_the_first(brain: Brain, http: httpx.AsyncClient) -> None:
    """A new authenticated session closes the old one with 4003 SESSION_REPLACED and takes over."""
    command_id = await submit(http, brain.executor_id)
    first = brain.executor()
    await first.connect()
    assert (await first.signal()).command_id == command_id
    second = brain.executor()
    await second.connect()
    _, closed = await until_closed(first.ws)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4003, "SESSION_REPLACED")
    resent = await second.signal()
    assert (resent.command_id, resent.possible_duplicate) == (command_id, True)
    await second.ack(command_id)
    view = (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()
    assert view["online"] is True
    await second.close()


async def test_heartbeat_timeout_marks_offline(fast: Brain) -> None:
    """An executor that goes silent is closed with 4004 HEARTBEAT_TIMEOUT and shown offline."""
    async with BrainClient(fast.base_url, fast.token) as client:
        ready = asyncio.Event()
        events = client.events(fast.executor_id, ready=ready)
        ex = fast.executor()
        ex.answer_heartbeats = False
        online_seen = asyncio.Event()

        async def follow() -> ExecutorStatusEvent:
            async for event in events:
                if isinstance(event, ExecutorStatusEvent):
                    if event.online:
                        online_seen.set()
                    else:
                        return event
            raise AssertionError("stream ended")

        follower = asyncio.create_task(follow())
        await asyncio.wait_for(ready.wait(), 5)
        await ex.connect()
        # Read raw frames without answering: heartbeats arrive, then the close.
        frames, closed = await until_closed(ex.ws)
        assert any(isinstance(f, Heartbeat) for f in frames)
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (4004, "HEARTBEAT_TIMEOUT")
        offline = await asyncio.wait_for(follower, 5)
        assert offline.online is False
        await events.aclose()
        view = await client.executor(fast.executor_id)
        assert view.online is False


@pytest.fixture
def beating(tmp_path: Path) -> Iterator[Brain]:
    # Frequent heartbeats, but a timeout long enough for a loaded machine's HTTP calls.
    b = Brain(tmp_path / "b.db", heartbeat_interval_ms=100, heartbeat_timeout_ms=10_000)
    yield b
    b.stop()


async def test_latency_measured_from_heartbeats(beating: Brain) -> None:
    """Answered heartbeats give a round-trip latency, shown on the executor and in /metrics."""
    fast = beating
    ex = fast.executor()
    await ex.connect()
    await ex.answer_heartbeats_until(2)
    await ex.barrier()
    async with fast.http() as http:
        view = (await http.get(f"/api/v1/executors/{fast.executor_id}")).json()
        assert view["latencyMs"] is not None
        assert view["latencyMs"] >= 0
        assert view["lastHeartbeat"] is not None
        metrics = (await http.get("/metrics")).text
        assert f'fx_brain_executor_rtt_ms{{executor="{fast.executor_id}"}}' in metrics
    async with BrainClient(fast.base_url, fast.token) as client:
        ready = asyncio.Event()
        events = client.events(fast.executor_id, ready=ready)
        offline = asyncio.create_task(anext(events))
        await asyncio.wait_for(ready.wait(), 5)
        await ex.close()
        await asyncio.wait_for(offline, 5)
        await events.aclose()
    store = fast.read_store()  # heartbeats are written in batches, and on close
    try:
        row = store.get_executor(fast.executor_id)
    finally:
        store.close()
    assert row is not None
    assert row.latency_ms is not None
    assert row.last_heartbeat_ms is not None


async def test_executor_heartbeat_is_echoed(brain: Brain) -> None:
    """A HEARTBEAT from the executor comes back as HEARTBEAT_ACK with the same id."""
    from datetime import UTC, datetime

    from fx_protocol.brain_wire import HeartbeatAck

    ex = brain.executor()
    await ex.connect()
    await ex.ws.send(encode(Heartbeat(id=77, sent_at=datetime.now(UTC))))
    while not isinstance(reply := decode_from_brain(await ex.ws.recv()), HeartbeatAck):
        pass
    assert reply.id == 77
    await ex.close()


async def test_clean_close_marks_offline(brain: Brain, http: httpx.AsyncClient) -> None:
    """After the executor disconnects, the brain shows it offline."""
    ex = brain.executor()
    await ex.connect()
    assert (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()["online"] is True
    async with BrainClient(brain.base_url, brain.token) as client:
        ready = asyncio.Event()
        events = client.events(brain.executor_id, ready=ready)
        first = asyncio.create_task(anext(events))
        await asyncio.wait_for(ready.wait(), 5)  # subscribed before the close happens
        await ex.close()
        event = await asyncio.wait_for(first, 5)
        await events.aclose()
    assert isinstance(event, ExecutorStatusEvent)
    assert event.online is False
    assert (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()["online"] is False
