"""``/ws/events``: the events stream for strategies and the web admin.

Token from ``?token=`` or ``Authorization: Bearer``, or the session cookie of a
logged-in web admin page (same origin only, ``brain_server.admin.session``); optional
``?executorId=`` filter. The first frame is ``READY``; then every event of
``fx_protocol.strategy_events`` as it happens. Frames from the client are
ignored (they keep the connection alive).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar import WebSocket, websocket
from loguru import logger

from brain_server import close_codes
from brain_server.admin.session import cookie_actor
from brain_server.api import authenticate, brain_of
from brain_server.clock import utcnow
from fx_protocol.brain_wire import encode
from fx_protocol.strategy_events import StreamReady
from fx_protocol.vocabulary import ReasonCode


@websocket("/ws/events", name="events_socket")
async def events_socket(socket: WebSocket[Any, Any, Any]) -> None:
    brain = brain_of(socket)
    await socket.accept()
    actor = await authenticate(socket) or await cookie_actor(socket)
    if actor is None:
        address = socket.client.host if socket.client else "unknown"
        logger.warning("events stream from {}: missing or invalid token", address)
        with contextlib.suppress(Exception):
            await socket.close(close_codes.AUTH_FAILED, ReasonCode.AUTH_FAILED.value)
        return
    sub = brain.bus.subscribe(socket.query_params.get("executorId") or None)
    try:
        await socket.send_data(encode(StreamReady(timestamp=utcnow())).decode())

        async def pump() -> None:
            while True:
                data = await sub.queue.get()
                await socket.send_data(data)

        async def drain() -> None:
            while True:
                event = await socket.receive()
                if event["type"] == "websocket.disconnect":
                    return

        tasks = {
            asyncio.create_task(pump()),
            asyncio.create_task(drain()),
            asyncio.create_task(sub.dropped.wait()),
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.info("events stream of {} ended: {!r}", actor, task.exception())
        if sub.dropped.is_set():
            with contextlib.suppress(Exception):
                await socket.close(close_codes.TRY_AGAIN_LATER, "TOO_SLOW")
    finally:
        brain.bus.unsubscribe(sub)
