"""The executor's WebSocket link to the brain: connect, HELLO, resume, read, write, reconnect.

The session rules live in :mod:`executor_app.core.session`; this layer only
moves frames (``docs/protocol.md`` § Brain session):

1. connect (compression off: frames are small and latency matters), send
   ``HELLO``, wait for ``WELCOME``;
2. resend every outbox entry above ``WELCOME.lastExecutorSeq`` in order,
   then go live: new reliable messages are written as they are journaled;
3. read frames and hand them to the runtime; answer heartbeats; close the
   connection when the peer is silent past the heartbeat timeout;
4. on any failure: report disconnected, wait a jittered exponential
   backoff (:func:`executor_app.core.session.backoff`) and start again.
   :func:`classify` decides whether an error is worth retrying.

One writer task per connection drains an in-memory queue, so frames leave in
the order they were queued and no caller ever awaits the network.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import msgspec
import websockets
from loguru import logger
from websockets.asyncio.client import ClientConnection, connect

from executor_app import tls as tls_policy
from executor_app.config import BrainSettings
from executor_app.core.session import BrainSession, SessionParams, backoff, jitter
from executor_app.journal import OutboxEntry
from fx_protocol.brain_wire import (
    MAX_MESSAGE_BYTES,
    Ack,
    BrainToExecutor,
    Error,
    Heartbeat,
    HeartbeatAck,
    Hello,
    TradeSignal,
    Welcome,
    decode_from_brain,
)
from fx_protocol.codec import encode
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import ReasonCode


class Retry(StrEnum):
    SOON = "soon"  # network trouble: back off and retry
    SLOW = "slow"  # the brain refused us (credentials, version): retry at the longest delay
    NEVER = "never"  # a configuration error no retry can fix


class SessionRefused(Exception):  # noqa: N818 - named for what happened
    """The brain answered HELLO with ERROR (or closed without WELCOME)."""

    def __init__(self, reason: ReasonCode | None, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def classify(exc: BaseException) -> Retry:
    """Should the link try again after this error, and how soon?"""
    if isinstance(exc, tls_policy.TlsError | ssl.SSLCertVerificationError):
        # An untrusted brain certificate may be fixed on the server: retry, slowly.
        return Retry.SLOW
    if isinstance(exc, websockets.InvalidURI | ValueError):
        return Retry.NEVER
    if isinstance(exc, SessionRefused):
        if exc.reason in (ReasonCode.AUTH_FAILED, ReasonCode.PROTOCOL_VERSION):
            return Retry.SLOW
        return Retry.SOON
    if isinstance(exc, websockets.InvalidStatus):
        return Retry.SLOW if exc.response.status_code in (401, 403) else Retry.SOON
    if isinstance(exc, websockets.ConnectionClosed) and exc.rcvd is not None:
        # The brain's close codes (docs/brain.md): credentials, version, or another
        # process using this executor id. Retrying at once would not help.
        return Retry.SLOW if exc.rcvd.code in _REFUSED_CLOSE_CODES else Retry.SOON
    return Retry.SOON


#: AUTH_FAILED, PROTOCOL_VERSION, SESSION_REPLACED
_REFUSED_CLOSE_CODES = frozenset({4001, 4002, 4003})


def utcnow() -> datetime:
    return datetime.now(UTC)


class BrainLink:
    """Keeps one session with the brain alive and carries frames both ways."""

    def __init__(
        self,
        *,
        url: str,
        hello: Callable[[], Hello],
        session: BrainSession,
        outbox_after: Callable[[int], list[OutboxEntry]],
        on_message: Callable[[BrainToExecutor], None],
        on_connection: Callable[[str], None],
        on_ack: Callable[[int], None],
        connect_timeout: float,
        max_backoff: float,
        clock: Callable[[], datetime] = utcnow,
        tls: BrainSettings | None = None,
    ) -> None:
        self._url = url
        # docs/security.md § TLS: the brain's certificate is checked before HELLO.
        self._tls = tls
        self._ssl = tls_policy.client_context(tls) if tls is not None else None
        self._hello = hello
        self.session = session
        self._outbox_after = outbox_after
        self._on_message = on_message
        self._on_connection = on_connection
        self._on_ack = on_ack
        self._connect_timeout = connect_timeout
        self._max_backoff = max_backoff
        self._clock = clock
        self._queue: asyncio.Queue[bytes] | None = None
        self._ws: ClientConnection | None = None

    # ---------------------------------------------------------------- sending (sync, never awaits)

    def send_reliable(self, entry: OutboxEntry) -> None:
        """A freshly journaled message: write it now if live; otherwise the resend will."""
        if self._queue is not None and self.session.should_send_live(entry.seq):
            self._queue.put_nowait(entry.payload)
            self.session.resent_through(entry.seq)

    def send_snapshot(self, message: msgspec.Struct) -> None:
        """Latest-wins messages: sent when connected, dropped otherwise (never resent)."""
        if self._queue is not None and self.session.live:
            self._queue.put_nowait(encode(message))

    def resend(self, entry: OutboxEntry) -> None:
        """Write an already-sent entry again (the brain stores by seq, so this is idempotent)."""
        if self._queue is not None and self.session.live:
            self._queue.put_nowait(entry.payload)

    # ---------------------------------------------------------------- the connection loop

    async def run(self) -> None:
        """Connect, serve, and reconnect forever (until cancelled)."""
        delays: Iterator[float] = backoff(maximum=self._max_backoff)
        while True:
            self.session.connecting()
            self._on_connection("connecting")
            welcomed = False
            try:
                welcomed = await self._serve_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                kind = classify(exc)
                if kind is Retry.NEVER:
                    logger.error("brain link stopped: {}", exc)
                    self.session.closed()
                    self._on_connection("disconnected")
                    raise
                detail = f"{type(exc).__name__}: {exc}"
                log = logger.error if kind is Retry.SLOW else logger.info
                log("brain connection failed ({})", detail)
                if kind is Retry.SLOW:
                    delays = backoff(self._max_backoff, 1.0, self._max_backoff)
            finally:
                self._queue = None
                self._ws = None
                self.session.closed()
                self._on_connection("disconnected")
            if welcomed:
                # Resume at once after a working session; back off only on repeated failures.
                delays = backoff(maximum=self._max_backoff)
                await asyncio.sleep(0.05)
                continue
            await asyncio.sleep(jitter(next(delays), random.random()))

    async def _serve_once(self) -> bool:
        async with asyncio.timeout(self._connect_timeout):
            ws = await connect(
                self._url,
                compression=None,
                max_size=MAX_MESSAGE_BYTES,
                ping_interval=None,  # the protocol's own heartbeats measure latency
                close_timeout=2,  # a silent brain must not hold up a shutdown for long
                open_timeout=self._connect_timeout,
                ssl=self._ssl,
            )
        async with ws:
            if self._tls is not None:
                tls_policy.check_pin(self._tls, ws.transport.get_extra_info("ssl_object"))
            async with asyncio.timeout(self._connect_timeout):
                await ws.send(encode(self._hello()), text=True)
                welcome = self._first_reply(await ws.recv(decode=False))
            params = SessionParams(
                session_id=welcome.session_id,
                heartbeat_interval=timedelta(milliseconds=welcome.heartbeat_interval_ms),
                heartbeat_timeout=timedelta(milliseconds=welcome.heartbeat_timeout_ms),
                last_executor_seq=welcome.last_executor_seq,
            )
            resume_after = self.session.welcomed(params, self._clock())
            self._on_ack(resume_after)
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            self._queue, self._ws = queue, ws
            resent = self._resend_after(resume_after, queue)
            self.session.go_live()
            logger.info(
                "brain session {} up; resent {} message(s) after seq {}",
                welcome.session_id,
                resent,
                resume_after,
            )
            self._on_connection("connected")
            writer = asyncio.create_task(self._write(ws, queue), name="brain-writer")
            beat = asyncio.create_task(self._heartbeat(ws, queue), name="brain-heartbeat")
            try:
                await self._read(ws)
            finally:
                writer.cancel()
                beat.cancel()
                await asyncio.gather(writer, beat, return_exceptions=True)
            return True

    def _first_reply(self, frame: bytes) -> Welcome:
        message = decode_from_brain(frame)
        if isinstance(message, Welcome):
            return message
        if isinstance(message, Error):
            raise SessionRefused(message.reason, f"{message.reason}: {message.message}")
        raise SessionRefused(None, f"expected WELCOME, got {type(message).__name__}")

    def _resend_after(self, seq: int, queue: asyncio.Queue[bytes]) -> int:
        # Synchronous on purpose: nothing else can be queued between this and go_live.
        count = 0
        while True:
            entries = self._outbox_after(seq)
            if not entries:
                return count
            for entry in entries:
                queue.put_nowait(entry.payload)
                seq = entry.seq
                count += 1
            self.session.resent_through(seq)

    async def _write(self, ws: ClientConnection, queue: asyncio.Queue[bytes]) -> None:
        try:
            while True:
                payload = await queue.get()
                await ws.send(payload, text=True)
        except websockets.ConnectionClosed:
            return
        except Exception:
            # Without its writer the session is useless: close it, the loop reconnects.
            logger.exception("brain writer failed")
            await ws.close(code=1011, reason="INTERNAL_ERROR")

    async def _heartbeat(self, ws: ClientConnection, queue: asyncio.Queue[bytes]) -> None:
        while True:
            await asyncio.sleep(0.1)
            now = self._clock()
            if self.session.peer_silent(now):
                logger.warning("brain silent past the heartbeat timeout; reconnecting")
                await ws.close(code=1011, reason="heartbeat timeout")
                return
            beat = self.session.heartbeat_due(now)
            if beat is not None:
                queue.put_nowait(encode(Heartbeat(id=beat, sent_at=now)))

    async def _read(self, ws: ClientConnection) -> None:
        async for frame in ws:
            self.session.received(self._clock())
            data = frame.encode() if isinstance(frame, str) else frame
            try:
                message = decode_from_brain(data)
            except ProtocolError as exc:
                signal = _unvalidated_signal(data)
                if signal is not None:
                    # Well-formed but invalid command: the safety engine rejects it with
                    # INVALID_COMMAND, so the brain still gets its one COMMAND_REJECT.
                    self._on_message(signal)
                    continue
                logger.warning("unreadable frame from the brain: {} ({})", exc.message, exc.field)
                if self._queue is not None:
                    self._queue.put_nowait(
                        encode(Error(reason=exc.reason, message=exc.message, field=exc.field))
                    )
                continue
            if isinstance(message, Heartbeat):
                if self._queue is not None:
                    self._queue.put_nowait(
                        encode(HeartbeatAck(id=message.id, sent_at=message.sent_at))
                    )
            elif isinstance(message, HeartbeatAck):
                self.session.on_heartbeat_ack(message.id, self._clock())
            elif isinstance(message, Ack):
                if self.session.on_ack(message.seq):
                    self._on_ack(message.seq)
            elif isinstance(message, Error):
                logger.warning("brain reported {}: {}", message.reason, message.message)
            else:
                self._on_message(message)


_raw_signal = msgspec.json.Decoder(TradeSignal)


def _unvalidated_signal(data: bytes) -> TradeSignal | None:
    try:
        return _raw_signal.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
