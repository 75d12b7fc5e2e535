"""The brain link: its retry policy, and resuming a session against a real WebSocket peer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Close

from executor_app.brain_link import BrainLink, Retry, SessionRefused, classify
from executor_app.core.session import BrainSession
from executor_app.journal import Journal
from fx_demo.stack import free_port
from fx_protocol.brain_wire import CommandAck, Hello, Welcome, decode_from_executor, encode
from fx_protocol.vocabulary import ReasonCode


def test_classify_errors() -> None:
    """Network trouble retries soon, refusals slowly, a bad URL never."""
    assert classify(OSError("refused")) is Retry.SOON
    assert classify(TimeoutError()) is Retry.SOON
    assert classify(SessionRefused(ReasonCode.AUTH_FAILED, "bad key")) is Retry.SLOW
    assert classify(SessionRefused(ReasonCode.SESSION_REPLACED, "x")) is Retry.SOON
    assert classify(websockets.InvalidURI("http://x", "not ws")) is Retry.NEVER
    replaced = websockets.ConnectionClosedError(Close(4003, "SESSION_REPLACED"), None)
    assert classify(replaced) is Retry.SLOW
    dropped = websockets.ConnectionClosedError(Close(1011, "INTERNAL_ERROR"), None)
    assert classify(dropped) is Retry.SOON


async def test_resume_resends_above_last_seq_in_order_then_goes_live(tmp_path: Path) -> None:
    """After WELCOME(lastExecutorSeq=2) the outbox from seq 3 goes first, in order, then live."""
    journal = Journal(tmp_path / "j.sqlite3")
    now = datetime.now(UTC)
    for i in range(5):
        journal.append_outbox(
            "COMMAND_ACK",
            lambda seq, i=i: CommandAck(seq=seq, command_id=f"c{i}", timestamp=now),
            now,
        )
    received: list[Any] = []
    got_live = asyncio.Event()

    async def brain(ws: ServerConnection) -> None:
        hello = decode_from_executor(await ws.recv(decode=False))
        assert isinstance(hello, Hello)
        assert hello.api_key == "k"
        welcome = Welcome(
            session_id="s",
            protocol_version=1,
            server_time=now,
            heartbeat_interval_ms=1000,
            heartbeat_timeout_ms=5000,
            last_executor_seq=2,
        )
        await ws.send(encode(welcome).decode())
        async for frame in ws:
            message = decode_from_executor(frame if isinstance(frame, bytes) else frame.encode())
            received.append(message)
            if isinstance(message, CommandAck) and message.seq == 6:
                got_live.set()

    port = free_port()
    session = BrainSession()
    link = BrainLink(
        url=f"ws://127.0.0.1:{port}",
        hello=lambda: Hello(
            executor_id="ex1", api_key="k", protocol_version=1, app_version="t", timestamp=now
        ),
        session=session,
        outbox_after=journal.outbox_after,
        on_message=lambda m: None,
        on_connection=lambda s: None,
        on_ack=lambda s: None,
        connect_timeout=5,
        max_backoff=0.5,
    )
    async with serve(brain, "127.0.0.1", port, compression=None):
        task = asyncio.create_task(link.run())
        try:
            for _ in range(500):  # bounded: 5 s
                if session.live:
                    break
                await asyncio.sleep(0.01)
            entry = journal.append_outbox(
                "COMMAND_ACK",
                lambda seq: CommandAck(seq=seq, command_id="c9", timestamp=now),
                now,
            )
            link.send_reliable(entry)
            await asyncio.wait_for(got_live.wait(), 5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    seqs = [m.seq for m in received if isinstance(m, CommandAck)]
    assert seqs == [3, 4, 5, 6]
