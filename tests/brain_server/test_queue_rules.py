"""Expiry, cancel and idempotency keys."""

from __future__ import annotations

import asyncio

import httpx

from fx_client import BrainClient
from tests.brain_server.conftest import Brain, order
from tests.brain_server.test_delivery import submit


async def test_expired_while_offline_is_never_sent(brain: Brain, http: httpx.AsyncClient) -> None:
    """A pending command past its expiry becomes expired and is not delivered on connect."""
    stale = await submit(http, brain.executor_id, expiry=50)
    fresh = await submit(http, brain.executor_id, expiry=60_000)
    async with BrainClient(brain.base_url, brain.token) as client:
        view = await client.wait_for_result(stale, timeout=5)
    assert view.status == "expired"
    assert view.reason == "EXPIRED"
    ex = brain.executor()
    await ex.connect()
    assert (await ex.signal()).command_id == fresh
    await ex.ack(fresh)  # nothing else arrives before this ACK
    await ex.close()


async def test_cancel_until_sent(brain: Brain, http: httpx.AsyncClient) -> None:
    """Cancel works on a pending command (never delivered) and is refused once sent."""
    cancelled = await submit(http, brain.executor_id)
    response = await http.post(f"/api/v1/commands/{cancelled}/cancel")
    assert response.status_code == 200
    assert response.json() == {"commandId": cancelled, "status": "cancelled", "cancelled": True}
    sent = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    assert (await ex.signal()).command_id == sent
    late = await http.post(f"/api/v1/commands/{sent}/cancel")
    assert late.status_code == 409
    assert late.json()["status"] == "sent"
    assert late.json()["cancelled"] is False
    await ex.ack(sent)
    assert (await http.post("/api/v1/commands/cNOPE/cancel")).status_code == 404
    await ex.close()


async def test_idempotency_key_returns_the_same_command(
    brain: Brain, http: httpx.AsyncClient
) -> None:
    """The same key returns the first command, also under concurrent submits; one delivery."""
    body = {"executorId": brain.executor_id, "command": order(), "idempotencyKey": "sig-42"}
    responses = await asyncio.gather(*(http.post("/api/v1/commands", json=body) for _ in range(10)))
    assert {r.status_code for r in responses} == {202}
    ids = {r.json()["commandId"] for r in responses}
    assert len(ids) == 1
    assert sum(not r.json().get("duplicate", False) for r in responses) == 1
    listing = (await http.get("/api/v1/commands", params={"executorId": brain.executor_id})).json()
    assert len(listing["commands"]) == 1
    ex = brain.executor()
    await ex.connect()
    (command_id,) = ids
    assert (await ex.signal()).command_id == command_id
    await ex.ack(command_id)
    await ex.close()


async def test_listing_filters_newest_first(brain: Brain, http: httpx.AsyncClient) -> None:
    """GET /commands filters by executor and status, newest first, limited."""
    first = await submit(http, brain.executor_id)
    second = await submit(http, brain.executor_id)
    other = await submit(http, brain.executors[1][0])
    await http.post(f"/api/v1/commands/{first}/cancel")
    mine = (await http.get("/api/v1/commands", params={"executorId": brain.executor_id})).json()
    assert [c["commandId"] for c in mine["commands"]] == [second, first]
    pending = (await http.get("/api/v1/commands", params={"status": "pending"})).json()
    assert {c["commandId"] for c in pending["commands"]} == {second, other}
    limited = (await http.get("/api/v1/commands", params={"limit": 1})).json()
    assert [c["commandId"] for c in limited["commands"]] == [other]
    bad = await http.get("/api/v1/commands", params={"status": "nonsense"})
    assert bad.status_code == 400
