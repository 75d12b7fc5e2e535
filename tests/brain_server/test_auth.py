"""Authentication: executor HELLO, API tokens, the events stream; failures are slowed down."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from brain_server.store import Store
from fx_protocol.brain_wire import BrainToExecutor, Error, Hello, decode_from_brain, encode
from tests.brain_server.conftest import Brain, order
from tests.brain_server.fake_executor import FakeExecutor, now


async def refused(url: str, frame: bytes | str | None) -> tuple[Error | None, int | None, str]:
    """Send one first frame; return the ERROR frame (if any) and the close code and reason."""
    async with websockets.connect(url) as ws:
        if frame is not None:
            await ws.send(frame)
        frames, closed = await until_closed(ws)
    errors = [f for f in frames if isinstance(f, Error)]
    rcvd = closed.rcvd
    return (errors[0] if errors else None), rcvd.code if rcvd else None, rcvd.reason if rcvd else ""


async def until_closed(ws: Any) -> tuple[list[BrainToExecutor], websockets.ConnectionClosed]:
    """Every frame until the brain closes, and the close itself."""
    frames: list[BrainToExecutor] = []
    while True:
        try:
            data = await ws.recv()
        except websockets.ConnectionClosed as closed:
            return frames, closed
        frames.append(decode_from_brain(data))


def hello(executor_id: str, key: str, version: int = 1) -> bytes:
    return encode(
        Hello(
            executor_id=executor_id,
            api_key=key,
            protocol_version=version,
            app_version="t",
            timestamp=now(),
        )
    )


@pytest.fixture
def quick(tmp_path: Path) -> Brain:
    b = Brain(tmp_path / "b.db", auth_fail_delay_ms=5, hello_timeout_ms=1000)
    yield b  # type: ignore[misc]
    b.stop()


async def test_wrong_key_unknown_executor_and_revoked(quick: Brain) -> None:
    """Bad credentials get ERROR AUTH_FAILED and close 4001, whatever was wrong."""
    url = quick.server.ws_url
    for executor_id, key in (
        (quick.executor_id, "fxk_wrong"),
        ("ex-doesnotexist", quick.api_key),
    ):
        error, code, reason = await refused(url, hello(executor_id, key))
        assert error is not None
        assert error.reason == "AUTH_FAILED"
        assert (code, reason) == (4001, "AUTH_FAILED")
    store = Store(quick.db)
    store.revoke_executor(quick.executor_id, int(time.time() * 1000))
    store.close()
    _, code, _ = await refused(url, hello(quick.executor_id, quick.api_key))
    assert code == 4001


async def test_repeated_failures_are_slowed_down(quick: Brain) -> None:
    """Each failure from one address raises the delay before the next answer."""
    throttle = quick.server.brain.throttle
    for _ in range(3):
        await refused(quick.server.ws_url, hello(quick.executor_id, "fxk_wrong"))
    failures = throttle.failures("127.0.0.1", int(time.time() * 1000))
    assert failures == 3
    assert throttle.delay_ms(failures) > throttle.delay_ms(1)
    ex = FakeExecutor(quick.server.ws_url, quick.executor_id, quick.api_key)
    await ex.connect()
    await ex.close()
    assert throttle.failures("127.0.0.1", int(time.time() * 1000)) == 0


async def test_protocol_version_and_first_frame_rules(quick: Brain) -> None:
    """Wrong protocol version closes 4002; a first frame that is not HELLO closes 4001."""
    url = quick.server.ws_url
    error, code, reason = await refused(url, hello(quick.executor_id, quick.api_key, version=99))
    assert error is not None
    assert error.reason == "PROTOCOL_VERSION"
    assert (code, reason) == (4002, "PROTOCOL_VERSION")
    _, code, reason = await refused(
        url, b'{"type":"HEARTBEAT","id":1,"sentAt":"2026-01-01T00:00:00Z"}'
    )
    assert (code, reason) == (4001, "AUTH_FAILED")


async def test_no_hello_in_time(quick: Brain) -> None:
    """A connection that says nothing is closed after the HELLO timeout."""
    _, code, reason = await refused(quick.server.ws_url, None)
    assert (code, reason) == (4001, "AUTH_FAILED")


async def test_rest_requires_a_valid_token(brain: Brain) -> None:
    """No token, a wrong token, or a malformed header: 401 with a reason; nothing stored."""
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:
        body = {"executorId": brain.executor_id, "command": order()}
        for headers in (
            {},
            {"Authorization": "Bearer fxt_00000000_nope"},
            {"Authorization": "Bearer garbage"},
            {"Authorization": f"Basic {brain.token}"},
        ):
            response = await anon.post("/api/v1/commands", json=body, headers=headers)
            assert response.status_code == 401, headers
            assert response.json()["reason"] == "UNAUTHORIZED"
        assert (await anon.get("/api/v1/executors")).status_code == 401
        assert (await anon.get("/api/v1/health")).status_code == 200
    async with brain.http() as http:
        assert (await http.get("/api/v1/commands")).json() == {"commands": []}


async def test_revoked_token_is_refused(brain: Brain) -> None:
    """A revoked token stops working at once."""
    store = brain.read_store()
    token_id = brain.token.split("_")[1]
    assert store.revoke_token(token_id, int(time.time() * 1000))
    store.close()
    async with brain.http() as http:
        assert (await http.get("/api/v1/commands")).status_code == 401


async def test_revocation_and_allow_list_apply_to_the_next_request(brain: Brain) -> None:
    """Changes written by another process reach an auth read connection already in use."""
    token_id = brain.token.split("_")[1]
    async with brain.http() as http:
        assert (await http.get("/api/v1/commands")).status_code == 200
        store = brain.read_store()
        store.set_allowed_addresses("token", token_id, ["10.9.9.0/24"], "test", now_ms())
        assert (await http.get("/api/v1/commands")).status_code == 401
        store.set_allowed_addresses("token", token_id, [], "test", now_ms())
        assert (await http.get("/api/v1/commands")).status_code == 200
        assert store.revoke_token(token_id, now_ms())
        store.close()
        assert (await http.get("/api/v1/commands")).status_code == 401


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_events_stream_requires_a_token(brain: Brain) -> None:
    """/ws/events without a valid token is closed with 4001 AUTH_FAILED."""
    for url in (brain.server.events_url, brain.server.events_url + "?token=fxt_12345678_bad"):
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "AUTH_FAILED")


async def test_revoking_a_connected_executor_closes_its_session(brain: Brain) -> None:
    """A key revoked by the CLI while connected ends the live session with 4001."""
    ex = brain.executor()
    await ex.connect()
    store = brain.read_store()
    store.revoke_executor(brain.executor_id, int(time.time() * 1000))
    store.close()
    _, closed = await until_closed(ex.ws)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4001, "AUTH_FAILED")
