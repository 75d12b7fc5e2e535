"""Bad input gets a clear 4xx or close code with a reason and leaves everything intact."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fx_protocol.brain_wire import Error
from tests.brain_server.conftest import Brain, order
from tests.brain_server.test_auth import until_closed
from tests.brain_server.test_delivery import status, submit

BAD_BODIES: list[tuple[str, Any, int, str | None]] = [
    ("malformed JSON", b'{"executorId": ', 400, None),
    ("not an object", b"[1, 2]", 400, None),
    ("missing command", {"executorId": "X"}, 400, "$.command"),
    ("wrong type", {"command": order(volume="0.1")}, 400, "$.command.volume"),
    ("negative volume", {"command": order(volume=-1)}, 400, "$.command.volume"),
    ("unknown action", {"command": order(action="BUY_EVERYTHING")}, 400, "$.command.action"),
    ("unknown field", {"command": order(), "colour": "red"}, 400, None),
    ("bad priority", {"command": order(), "priority": "URGENT"}, 400, "$.priority"),
    ("action needs a ticket", {"command": {"action": "CLOSE_POSITION"}}, 422, "$.command.ticket"),
    ("unknown executor", {"command": order(), "executorId": "ex-nobody"}, 404, "$.executorId"),
]


@pytest.mark.parametrize(
    ("case", "body", "code", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
async def test_bad_submit_bodies(
    brain: Brain, http: httpx.AsyncClient, case: str, body: Any, code: int, field: str | None
) -> None:
    """Each bad body gets its status code, a message, a reason and the field; nothing stored."""
    if isinstance(body, dict):
        body = {"executorId": brain.executor_id, **body}
        response = await http.post("/api/v1/commands", json=body)
    else:
        response = await http.post(
            "/api/v1/commands", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == code, response.text
    answer = response.json()
    assert answer["error"]
    assert answer["reason"]
    if field is not None:
        assert answer["field"] == field, answer
    assert (await http.get("/api/v1/commands")).json() == {"commands": []}


async def test_oversize_body_is_413(brain: Brain, http: httpx.AsyncClient) -> None:
    """A body above the cap (16 KiB by default) is refused with 413 before parsing."""
    body = {"executorId": brain.executor_id, "command": order(comment="x" * 20_000)}
    response = await http.post("/api/v1/commands", json=body)
    assert response.status_code == 413
    assert response.json()["reason"] == "TOO_LARGE"


async def test_unknown_command_and_executor_are_404(brain: Brain, http: httpx.AsyncClient) -> None:
    """Unknown ids answer 404 with a message."""
    for path in ("/api/v1/commands/c00000000000000000000000000", "/api/v1/executors/ex-nobody"):
        response = await http.get(path)
        assert response.status_code == 404
        assert response.json()["error"]
    response = await http.post("/api/v1/executors/ex-nobody/halt", json={})
    assert response.status_code == 404


GARBAGE: list[tuple[str, str | bytes, int, str]] = [
    ("not json", "hello?", 1007, "INVALID_COMMAND"),
    ("unknown type", '{"type":"DANCE"}', 1007, "INVALID_COMMAND"),
    (
        "wrong field type",
        '{"type":"COMMAND_ACK","seq":"one","commandId":"c1"}',
        1007,
        "INVALID_COMMAND",
    ),
    ("binary junk", b"\xff\xfe\x00", 1007, "INVALID_COMMAND"),
    ("second hello", "HELLO", 1007, "INVALID_COMMAND"),
]


@pytest.mark.parametrize(("case", "frame", "code", "reason"), GARBAGE, ids=[g[0] for g in GARBAGE])
async def test_garbage_on_the_executor_socket(
    brain: Brain, http: httpx.AsyncClient, case: str, frame: str | bytes, code: int, reason: str
) -> None:
    """Garbage after the handshake: ERROR frame, close with code and reason; commands intact."""
    from tests.brain_server.test_auth import hello

    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    await ex.ws.send(hello(brain.executor_id, brain.api_key) if frame == "HELLO" else frame)
    frames, closed = await until_closed(ex.ws)
    assert any(isinstance(f, Error) and f.reason == reason for f in frames)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (code, reason)
    assert (await status(http, command_id))["status"] == "sent"
    again = brain.executor()
    await again.connect()
    resent = await again.signal()
    assert (resent.command_id, resent.possible_duplicate) == (command_id, True)
    await again.close()


async def test_oversize_frame_is_closed_1009(brain: Brain) -> None:
    """A frame above the WebSocket size cap is refused by the server with 1009."""
    ex = brain.executor()
    await ex.connect()
    await ex.ws.send("x" * (brain.settings.max_ws_message_bytes + 10))
    _, closed = await until_closed(ex.ws)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1009
    async with brain.http() as http:
        assert (await http.get("/api/v1/health")).status_code == 200
