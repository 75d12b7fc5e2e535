"""The executor WebSocket ``/ws/executor``: handshake, then one live session.

Thin I/O around :mod:`brain_server.core.session` and the store: read a frame,
decode it (``fx_protocol.brain_wire``), store what it says, answer. Three
tasks per session: the reader, the heartbeat, and delivery of commands.
Session rules are in the ``fx_protocol.brain_wire`` docstring; close codes in
:mod:`brain_server.close_codes` and ``docs/brain.md`` § Executor sessions.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from loguru import logger

from brain_server import close_codes, credentials
from brain_server.allowlist import address_allowed
from brain_server.brain import Brain
from brain_server.clock import now_ms, to_datetime, utcnow
from brain_server.core.session import HeartbeatClock, SessionState
from brain_server.store import StatusChange
from fx_protocol import BRAIN_PROTOCOL_VERSION, signing
from fx_protocol.brain_wire import (
    RELIABLE_FROM_EXECUTOR,
    AccountUpdate,
    Ack,
    CommandAck,
    CommandReject,
    Error,
    ExecutionResult,
    ExecutorStatus,
    ExecutorToBrain,
    Fill,
    Halt,
    Heartbeat,
    HeartbeatAck,
    Hello,
    MarketUpdate,
    PositionsSnapshot,
    Resume,
    TradeSignal,
    Welcome,
    decode_from_executor,
    encode,
)
from fx_protocol.errors import ProtocolError
from fx_protocol.strategy_events import (
    AccountEvent,
    ExecutorStatusEvent,
    FillEvent,
    PositionsEvent,
    TickEvent,
)
from fx_protocol.vocabulary import ReasonCode


def frame_data(event: Any) -> str | bytes:
    """The payload of an ASGI ``websocket.receive`` event (text frames, or binary as JSON bytes)."""
    text = event.get("text")
    if isinstance(text, str):
        return text
    data = event.get("bytes")
    return data if isinstance(data, bytes) else b""


# Compared against when the executor id is unknown, so a miss costs the same as a bad key.
_DUMMY_HASH = credentials.hash_secret("no such executor")


#: frames received and not yet handled before the reader waits for the worker
INBOX_LIMIT = 1000


class ExecutorSession:
    def __init__(
        self,
        brain: Brain,
        socket: WebSocket[Any, Any, Any],
        executor_id: str,
        session_id: str,
        address: str,
    ) -> None:
        self.brain = brain
        self.socket = socket
        self.executor_id = executor_id
        self.session_id = session_id
        self.address = address
        settings = brain.settings
        self.state = SessionState(last_executor_seq=0)
        self.heartbeat = HeartbeatClock(
            interval_ms=settings.heartbeat_interval_ms,
            timeout_ms=settings.heartbeat_timeout_ms,
            last_seen_ms=now_ms(),
        )
        self.connected_ms = now_ms()
        self.last_heartbeat_ms: int | None = None
        self.heartbeat_dirty = False
        self.last_status: ExecutorStatus | None = None
        #: TRADE_SIGNALs are signed with it (docs/security.md); None = executor predates it
        self.signing_secret: str | None = None
        self._wake = asyncio.Event()
        self._inbox: collections.deque[ExecutorToBrain] = collections.deque()
        self._inbox_ready = asyncio.Event()
        self._inbox_room = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._finished = asyncio.Event()
        self._closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""
        self._peer_closed = False

    # ------------------------------------------------------------ control

    def wake(self) -> None:
        self._wake.set()

    def finish(self, code: int, reason: str) -> None:
        """Ask the session to end with this close code (first call wins)."""
        if not self._finished.is_set():
            self.close_code, self.close_reason = code, reason
            self._finished.set()

    async def wait_closed(self) -> None:
        """Until the session is over and its handler has recorded the close in the store."""
        await self._closed.wait()

    def released(self) -> None:
        """Called last by the handler: nothing of this session touches the store any more."""
        self._closed.set()

    async def send(self, message: Any) -> None:
        if isinstance(message, TradeSignal | Halt | Resume):
            message = self._signed(message)
        async with self._send_lock:
            await self.socket.send_data(encode(message).decode())

    async def push_control(self) -> bool:
        """Send the executor's outstanding HALT or RESUME, if any; True when one was sent."""
        store = self.brain.db.store
        row = await self.brain.db.call(store.get_executor, self.executor_id)
        if row is None or row.halt_request is None or row.halt_done_ms is not None:
            return False
        assert row.halt_id is not None
        reason = row.halt_request_reason or ""
        if row.halt_request == "halt":
            await self.send(
                Halt(
                    halt_id=row.halt_id, flatten=row.halt_flatten, reason=reason, timestamp=utcnow()
                )
            )
        else:
            await self.send(Resume(reason=reason, timestamp=utcnow()))
            await self.brain.db.call(
                store.resume_delivered, self.executor_id, row.halt_id, now_ms()
            )
        logger.info("{} {} sent to {}", row.halt_request.upper(), row.halt_id, self.executor_id)
        return True

    # ------------------------------------------------------------ run

    async def run(self) -> None:
        tasks = [
            asyncio.create_task(self._owned(self._read(), "reader")),
            asyncio.create_task(self._owned(self._work(), "worker")),
            asyncio.create_task(self._owned(self._beat(), "heartbeat")),
            asyncio.create_task(self._owned(self._deliver(), "delivery")),
        ]
        try:
            await self._finished.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not self._peer_closed:
                with contextlib.suppress(Exception):
                    await self.socket.close(self.close_code, self.close_reason)

    async def _owned(self, coro: Any, name: str) -> None:
        """Every session task ends the session when it fails, and says why in the log."""
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except (WebSocketDisconnect, OSError) as exc:
            # The peer vanished mid-write: an ordinary end of a session, not a failure.
            logger.info(
                "executor {} session {}: connection lost in {} ({!r})",
                self.executor_id,
                self.session_id,
                name,
                exc,
            )
            self._peer_closed = True
            self.finish(1006, "CONNECTION_LOST")
        except Exception:
            logger.exception(
                "executor {} session {}: {} failed", self.executor_id, self.session_id, name
            )
            self.finish(1011, ReasonCode.INTERNAL_ERROR.value)

    async def _read(self) -> None:
        while True:
            event = await self.socket.receive()
            if event["type"] == "websocket.disconnect":
                self._peer_closed = True
                self.finish(event.get("code", 1000), "PEER_CLOSED")
                return
            data = frame_data(event)
            self.heartbeat.seen(now_ms())
            try:
                message = decode_from_executor(data)
            except ProtocolError as exc:
                await self._refuse(exc.reason, exc.message, exc.field)
                return
            if isinstance(message, Hello):
                await self._refuse(ReasonCode.INVALID_COMMAND, "HELLO after the handshake", None)
                return
            self._inbox.append(message)
            self._inbox_ready.set()
            if len(self._inbox) >= INBOX_LIMIT:
                # Back-pressure: stop reading until the worker has caught up.
                self._inbox_room.clear()
                await self._inbox_room.wait()

    async def _work(self) -> None:
        """Handle what the reader received, in order; consecutive reliable messages together.

        While one batch is being committed the reader keeps receiving, so under
        load the next batch is larger: one fsync for many ACK/RESULT/FILL
        messages instead of one each (docs/performance.md).
        """
        while True:
            await self._inbox_ready.wait()
            self._inbox_ready.clear()
            while self._inbox:
                message = self._inbox.popleft()
                self._inbox_room.set()
                if not isinstance(message, RELIABLE_FROM_EXECUTOR):
                    await self._handle(message)
                    continue
                batch = [message]
                while self._inbox:
                    following = self._inbox[0]
                    if not isinstance(following, RELIABLE_FROM_EXECUTOR):
                        break
                    batch.append(following)
                    self._inbox.popleft()
                await self._reliable(batch, now_ms())

    async def _refuse(self, reason: ReasonCode, message: str, field: str | None) -> None:
        self.brain.metrics.protocol_errors += 1
        logger.warning(
            "executor {} from {}: bad frame ({}: {} at {}); closing",
            self.executor_id,
            self.address,
            reason.value,
            message,
            field,
        )
        with contextlib.suppress(Exception):
            await self.send(Error(reason=reason, message=message, field=field))
        self.finish(close_codes.code_for(reason), reason.value)

    async def _handle(self, message: ExecutorToBrain) -> None:
        brain, store = self.brain, self.brain.db.store
        now = now_ms()
        if isinstance(message, Heartbeat):
            await self.send(HeartbeatAck(id=message.id, sent_at=message.sent_at))
            self.last_heartbeat_ms = now
        elif isinstance(message, HeartbeatAck):
            # Kept in memory; the brain writes all sessions' heartbeats in one batch
            # (Brain.flush_heartbeats), so a heartbeat costs no fsync of its own.
            if self.heartbeat.pong(message.id, now) is not None:
                self.last_heartbeat_ms = now
                self.heartbeat_dirty = True
        elif isinstance(message, RELIABLE_FROM_EXECUTOR):
            await self._reliable([message], now)
        elif isinstance(message, ExecutorStatus):
            await brain.db.call(store.store_status, self.executor_id, message, now)
            self.last_status = message
            brain.bus.publish(
                ExecutorStatusEvent(
                    executor_id=self.executor_id,
                    online=True,
                    trading_state=message.trading_state,
                    halt_reason=message.halt_reason,
                    terminal_connected=message.terminal_connected,
                    latency_ms=self.heartbeat.latency_ms,
                    timestamp=message.timestamp,
                ),
                self.executor_id,
            )
        elif isinstance(message, PositionsSnapshot):
            await brain.db.call(store.store_positions, self.executor_id, message, now)
            brain.bus.publish(
                PositionsEvent(
                    executor_id=self.executor_id,
                    positions=message.positions,
                    orders=message.orders,
                    timestamp=message.timestamp,
                ),
                self.executor_id,
            )
        elif isinstance(message, AccountUpdate):
            await brain.db.call(store.store_account, self.executor_id, message, now)
            brain.bus.publish(
                AccountEvent(
                    executor_id=self.executor_id,
                    account=message.account,
                    timestamp=message.timestamp,
                ),
                self.executor_id,
            )
        elif isinstance(message, MarketUpdate):
            brain.buffer_tick(self.executor_id, message)
            data = message.data
            brain.bus.publish(
                TickEvent(
                    executor_id=self.executor_id,
                    symbol=data.symbol,
                    bid=data.bid,
                    ask=data.ask,
                    spread=data.spread,
                    volume=data.volume,
                    timestamp=message.timestamp,
                ),
                self.executor_id,
            )
        elif isinstance(message, Error):
            logger.warning(
                "executor {} reported {}: {}",
                self.executor_id,
                message.reason.value,
                message.message,
            )

    async def _reliable(
        self, messages: list[CommandAck | CommandReject | ExecutionResult | Fill], now: int
    ) -> None:
        brain = self.brain
        for message in messages:
            if isinstance(message, ExecutionResult) and message.executor_id != self.executor_id:
                logger.warning(
                    "executor {} sent a result naming executor {}; stored under the session's id",
                    self.executor_id,
                    message.executor_id,
                )
        outcomes = await brain.db.call(
            brain.db.store.apply_reliable_many, self.executor_id, messages, now
        )
        ack_seq: int | None = None
        for applied in outcomes:
            if applied.warning:
                logger.warning("executor {}: {}", self.executor_id, applied.warning)
            for change in applied.changes:
                brain.command_changed(change)
            if applied.new_fill is not None:
                brain.bus.publish(
                    FillEvent(
                        executor_id=self.executor_id, fill=applied.new_fill, timestamp=utcnow()
                    ),
                    self.executor_id,
                )
            if applied.ack_seq is not None:
                ack_seq = applied.ack_seq if ack_seq is None else max(ack_seq, applied.ack_seq)
        if ack_seq is not None:
            # ACK is cumulative: the highest seq of the batch acknowledges all of it.
            self.state.stored(ack_seq)
            await self.send(Ack(seq=ack_seq))

    async def _beat(self) -> None:
        clock = self.heartbeat
        next_ping = now_ms() + clock.interval_ms
        while True:
            now = now_ms()
            if clock.timed_out(now):
                logger.warning(
                    "executor {}: no frame for {} ms; closing",
                    self.executor_id,
                    now - clock.last_seen_ms,
                )
                with contextlib.suppress(Exception):
                    await self.send(
                        Error(reason=ReasonCode.HEARTBEAT_TIMEOUT, message="heartbeat timeout")
                    )
                self.finish(
                    close_codes.code_for(ReasonCode.HEARTBEAT_TIMEOUT),
                    ReasonCode.HEARTBEAT_TIMEOUT.value,
                )
                return
            if now >= next_ping:
                await self.send(Heartbeat(id=clock.ping(now), sent_at=utcnow()))
                next_ping = now + clock.interval_ms
            deadline = min(next_ping, clock.last_seen_ms + clock.timeout_ms + 1)
            await asyncio.sleep(max(0.005, (deadline - now_ms()) / 1000))

    def _signed(self, message: signing.SignedMessage) -> signing.SignedMessage:
        if self.signing_secret is None:
            return message
        return signing.sign(message, self.executor_id, self.signing_secret)

    async def _deliver(self) -> None:
        await self.push_control()
        fresh = True
        self._wake.set()
        batch = self.brain.settings.delivery_batch
        store = self.brain.db.store
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                claim = await self.brain.db.call(
                    store.claim_delivery,
                    self.executor_id,
                    self.session_id,
                    fresh=fresh,
                    first_seq=self.state.brain_seq + 1,
                    limit=batch,
                    now_ms=now_ms(),
                )
                fresh = False
                for change in claim.expired:
                    self.brain.command_changed(change)
                new = 0
                for out in claim.send:
                    self.state.brain_seq = out.seq
                    row = out.row
                    now = utcnow()
                    await self.send(
                        TradeSignal(
                            timestamp=now,
                            command_id=row.id,
                            seq=out.seq,
                            command=row.command,
                            priority=row.priority,
                            expiry=(
                                max(0, row.expires_ms - now_ms())
                                if row.expires_ms is not None
                                else None
                            ),
                            expires_at=to_datetime(row.expires_ms) if row.expires_ms else None,
                            strategy_id=row.strategy_id,
                            possible_duplicate=out.possible_duplicate,
                        )
                    )
                    if not out.possible_duplicate:
                        new += 1
                        self.brain.command_changed(StatusChange(row, None))
                if new + len(claim.expired) < batch:
                    break


@websocket("/ws/executor", name="executor_socket")
async def executor_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Executor sessions: HELLO → WELCOME, then commands out, results in."""
    brain: Brain = socket.app.state.brain
    settings = brain.settings
    address = socket.client.host if socket.client else "unknown"
    await socket.accept()

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
        return
    if event["type"] == "websocket.disconnect":
        return
    data = frame_data(event)
    try:
        hello = decode_from_executor(data)
    except ProtocolError as exc:
        brain.metrics.protocol_errors += 1
        logger.warning("executor connection from {}: bad first frame: {}", address, exc.message)
        await refuse(exc.reason, exc.message, exc.field)
        return
    if not isinstance(hello, Hello):
        logger.warning("executor connection from {}: first frame was not HELLO", address)
        await refuse(ReasonCode.AUTH_FAILED, "the first frame must be HELLO")
        return
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
        return
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
        return
    brain.throttle.success(address)

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
