"""The executor WebSocket ``/ws/executor``: handshake, then one live session.

Thin I/O around :mod:`brain_server.core.session` and the store: read a frame,
decode it (``fx_protocol.brain_wire``), store what it says, answer. Three
tasks per session: the reader, the heartbeat, and delivery of commands.
Session rules are in the ``fx_protocol.brain_wire`` docstring; close codes in
:mod:`brain_server.close_codes` and ``docs/brain.md`` § Executor sessions.

This module is the endpoint; the HELLO is checked in
:mod:`brain_server.executor_handshake`, the session (reader and worker) is
:class:`brain_server.executor_session.ExecutorSession`, and its heartbeat and
delivery loops are in :mod:`brain_server.executor_loops`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import WebSocket, websocket
from loguru import logger

from brain_server import credentials
from brain_server.brain import Brain
from brain_server.clock import now_ms, utcnow
from brain_server.executor_handshake import handshake
from brain_server.executor_session import INBOX_LIMIT, ExecutorSession, frame_data
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import Welcome

# These lived here before the split; re-exported so older imports keep working.
__all__ = ["INBOX_LIMIT", "ExecutorSession", "executor_socket", "frame_data"]


@websocket("/ws/executor", name="executor_socket")
async def executor_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Executor sessions: HELLO → WELCOME, then commands out, results in."""
    brain: Brain = socket.app.state.brain
    settings = brain.settings
    address = socket.client.host if socket.client else "unknown"
    await socket.accept()

    authenticated = await handshake(brain, socket, address)
    if authenticated is None:
        return
    hello, key_hash = authenticated

    session = ExecutorSession(
        brain, socket, hello.executor_id, credentials.new_session_id(), address
    )
    session.signing_secret = await brain.db.call(
        brain.db.store.executor_signing_secret, hello.executor_id
    )
    try:
        await brain.register(session)
        last_seq = await brain.db.call(
            brain.db.store.open_session,
            hello.executor_id,
            session.session_id,
            key_hash,
            address,
            hello.app_version,
            now_ms(),
        )
        session.state.last_executor_seq = last_seq
        await session.send(
            Welcome(
                session_id=session.session_id,
                protocol_version=BRAIN_PROTOCOL_VERSION,
                server_time=utcnow(),
                heartbeat_interval_ms=settings.heartbeat_interval_ms,
                heartbeat_timeout_ms=settings.heartbeat_timeout_ms,
                last_executor_seq=last_seq,
            )
        )
        logger.info(
            "executor {} online from {} (session {}, last seq {})",
            hello.executor_id,
            address,
            session.session_id,
            last_seq,
        )
        brain.executor_online(session, True)
        await session.run()
    finally:
        live = brain.unregister(session)
        try:
            await asyncio.shield(brain.flush_heartbeats([session]))
            await asyncio.shield(
                brain.db.call(
                    brain.db.store.close_session,
                    hello.executor_id,
                    session.session_id,
                    session.close_reason or "CLOSED",
                    now_ms(),
                )
            )
        except Exception:
            logger.exception("executor {}: could not record the session close", hello.executor_id)
        finally:
            session.released()
        if live:
            brain.executor_online(session, False)
        logger.info(
            "executor {} session {} closed ({} {})",
            hello.executor_id,
            session.session_id,
            session.close_code,
            session.close_reason,
        )
