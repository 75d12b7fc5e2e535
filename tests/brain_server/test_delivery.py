"""Submit → deliver → ack → result, over a real server and a real WebSocket client."""

from __future__ import annotations

import httpx

from tests.brain_server.conftest import Brain, order


async def submit(http: httpx.AsyncClient, executor_id: str, **body: object) -> str:
    payload = {"executorId": executor_id, "command": order(), **body}
    response = await http.post("/api/v1/commands", json=payload)
    assert response.status_code == 202, response.text
    return str(response.json()["commandId"])


async def status(http: httpx.AsyncClient, command_id: str) -> dict[str, object]:
    response = await http.get(f"/api/v1/commands/{command_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_submit_deliver_ack_result(brain: Brain, http: httpx.AsyncClient) -> None:
    """A command travels pending → sent → acknowledged → executed with its result stored."""
    command_id = await submit(http, brain.executor_id, priority="HIGH", strategyId="s1")
    assert (await status(http, command_id))["status"] == "pending"
    ex = brain.executor()
    welcome = await ex.connect()
    assert welcome.last_executor_seq == 0
    signal = await ex.signal()
    assert signal.command_id == command_id
    assert signal.seq == 1
    assert not signal.possible_duplicate
    assert signal.command.symbol == "EURUSD"
    assert (await status(http, command_id))["status"] == "sent"
    await ex.ack(command_id)
    assert (await status(http, command_id))["status"] == "acknowledged"
    await ex.result(command_id, ticket=4242)
    view = await status(http, command_id)
    assert view["status"] == "executed"
    assert view["result"]["ticket"] == 4242  # type: ignore[index]
    assert view["sentAt"]
    assert view["acknowledgedAt"]
    assert view["executedAt"]
    await ex.close()
