"""One live executor session: the reader, the worker that stores what arrives, sending.

Thin I/O around :mod:`brain_server.core.session` and the store. The heartbeat and
delivery loops it runs are in :mod:`brain_server.executor_loops`; the HELLO before
it in :mod:`brain_server.executor_handshake`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import Any

from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect
from loguru import logger

from brain_server import close_codes
from brain_server.brain import Brain
from brain_server.clock import now_ms, utcnow
from brain_server.core.session import HeartbeatClock, SessionState
from brain_server.executor_loops import delivery_loop, heartbeat_loop
from fx_protocol import signing
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
            asyncio.create_task(self._owned(heartbeat_loop(self), "heartbeat")),
            asyncio.create_task(self._owned(delivery_loop(self, self._wake), "delivery")),
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

    def _signed(self, message: signing.SignedMessage) -> signing.SignedMessage:
        if self.signing_secret is None:
            return message
        return signing.sign(message, self.executor_id, self.signing_secret)
