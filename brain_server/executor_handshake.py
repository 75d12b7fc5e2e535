"""The executor handshake: the first frame must be a HELLO with a known key, from an allowed IP."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar import WebSocket
from loguru import logger

from brain_server import close_codes, credentials
from brain_server.allowlist import address_allowed
from brain_server.brain import Brain
from brain_server.clock import now_ms
from brain_server.executor_session import frame_data
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Error,
    Hello,
    decode_from_executor,
    encode,
)
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import ReasonCode

# Compared against when the executor id is unknown, so a miss costs the same as a bad key.
_DUMMY_HASH = credentials.hash_secret("no such executor")


async def handshake(
    brain: Brain, socket: WebSocket[Any, Any, Any], address: str
) -> tuple[Hello, str] | None:
    """HELLO checked (protocol, key, allow-list); None when the connection ends here."""
    settings = brain.settings

    async def refuse(reason: ReasonCode, message: str, field: str | None = None) -> None:
        with contextlib.suppress(Exception):
            await socket.send_data(
                encode(Error(reason=reason, message=message, field=field)).decode()
            )
            await socket.close(close_codes.code_for(reason), reason.value)

    try:
        event = await asyncio.wait_for(socket.receive(), settings.hello_timeout_ms / 1000)
    except TimeoutError:
        logger.warning(
            "executor connection from {}: no HELLO within {} ms", address, settings.hello_timeout_ms
        )
        await refuse(ReasonCode.AUTH_FAILED, "no HELLO in time")
        return None
    if event["type"] == "websocket.disconnect":
        return None
    data = frame_data(event)
    try:
        hello = decode_from_executor(data)
    except ProtocolError as exc:
        brain.metrics.protocol_errors += 1
        logger.warning("executor connection from {}: bad first frame: {}", address, exc.message)
        await refuse(exc.reason, exc.message, exc.field)
        return None
    if not isinstance(hello, Hello):
        logger.warning("executor connection from {}: first frame was not HELLO", address)
        await refuse(ReasonCode.AUTH_FAILED, "the first frame must be HELLO")
        return None
    if hello.protocol_version != BRAIN_PROTOCOL_VERSION:
        logger.warning(
            "executor {} from {}: protocol {} unsupported",
            hello.executor_id,
            address,
            hello.protocol_version,
        )
        await refuse(
            ReasonCode.PROTOCOL_VERSION,
            f"protocol version {hello.protocol_version} unsupported; this brain speaks "
            f"{BRAIN_PROTOCOL_VERSION}",
        )
        return None
    key_hash = await brain.db.call(brain.db.store.executor_key_hash, hello.executor_id)
    matches = credentials.secret_matches(hello.api_key, key_hash or _DUMMY_HASH)
    if key_hash is not None and matches:
        cidrs = await brain.db.call(brain.db.store.allowed_addresses, "executor", hello.executor_id)
        if not address_allowed(address, cidrs):
            # docs/security.md § Allow-lists: the right key from the wrong place is refused
            # like a wrong key, so the answer does not tell which part was wrong.
            logger.warning(
                "executor {} connected from {}, outside its allow-list", hello.executor_id, address
            )
            matches = False
    if key_hash is None or not matches:
        brain.metrics.auth_failures += 1
        delay = brain.throttle.failure(address, now_ms())
        logger.warning(
            "executor auth failed for {!r} from {} ({} recent failures; answering in {} ms)",
            hello.executor_id,
            address,
            brain.throttle.failures(address, now_ms()),
            delay,
        )
        await asyncio.sleep(delay / 1000)
        await refuse(ReasonCode.AUTH_FAILED, "unknown executor or wrong API key")
        return None
    brain.throttle.success(address)
    return hello, key_hash
