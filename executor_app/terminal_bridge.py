"""The executor's ZeroMQ link to the EA, on its own thread (``docs/executor.md`` § Terminal).

Why a thread: under the tray GUI the event loop is qasync's, which on Windows
is a Proactor loop that cannot watch ZeroMQ sockets. So the sockets live on
one thread with a plain ``zmq.Poller`` loop, and results cross to asyncio
with ``loop.call_soon_threadsafe``:

- requests: DEALER → the EA's ROUTER. :meth:`TerminalBridge.request` returns
  the reply, or raises :class:`TerminalTimeout` (the outcome is unknown) or
  :class:`TerminalUnavailable` (the request definitely never left). After a
  timeout the DEALER is rebuilt so nothing queued in it is delivered late.
- events: SUB to the EA's PUB. Ticks are coalesced per topic (only the
  latest matters) and handed over raw, once per batch read, to ``on_ticks`` on
  this thread (:mod:`executor_app.tick_intake`: decoded only when used, so
  the asyncio loop is never woken for a tick); trade, account and heartbeat
  events are decoded and handed over in order. The event ``seq``/``instance``
  continuity is checked here for every event, before coalescing drops ticks,
  so a real gap (lost fills) is never confused with a coalesced tick.
- watchdog: no event for ``heartbeat_timeout`` seconds → unavailable.

Exceptions::

    TerminalError
     ├── TerminalUnavailable   not sent: safe to reject, nothing happened
     └── TerminalTimeout       sent, no reply: outcome unknown, reconcile
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq
from loguru import logger

from executor_app.core.event_stream import Continuity, EventSequencer
from executor_app.tick_intake import TICK_PREFIX, tick_head
from fx_protocol.codec import encode
from fx_protocol.errors import ProtocolError
from fx_protocol.terminal_wire import (
    HeartbeatEvent,
    TerminalEvent,
    TerminalReply,
    TerminalRequest,
    TickEvent,
    decode_event,
    decode_reply,
)


class TerminalError(Exception):
    """The terminal could not serve a request."""


class TerminalUnavailable(TerminalError):  # noqa: N818 - named for what the caller does
    """The request was never sent (no connection to the EA)."""


class TerminalTimeout(TerminalError):  # noqa: N818 - named for what the caller does
    """The request was sent but no reply came in time: its outcome is unknown."""


_WATCHDOG_PERIOD_S = 0.1
#: how long a request may wait for the DEALER's connection before it fails as never sent
_CONNECT_GRACE_S = 0.25
_CONNECT_RETRY_S = 0.005
#: replies first, then at most this many events before polling again, so a burst of
#: ticks never delays a trade reply by more than about a millisecond (a tick costs a
#: few microseconds here: two frames read, its instance and seq decoded)
_MAX_REPLIES = 1000
_MAX_EVENTS = 256
#: while ticks stream in, the SUB is read at most this often (plus poll's millisecond
#: rounding), in one batch, instead of waking the thread for every tick: at 20,000 ticks/s
#: this thread's CPU fell by about a third. Not while a request is in flight or for
#: _EAGER_AFTER_REPLY_S after a reply, so a trade's own events (published right after its
#: reply) are read at once; only events no request of ours caused (SL/TP, stop-out, a
#: manual trade) can wait that long.
_TICK_BATCH_S = 0.002
_EAGER_AFTER_REPLY_S = 0.05
_RCVMORE = int(zmq.RCVMORE)  # a plain int: pyzmq converts an enum option on every call


class TerminalBridge:
    """Owns the DEALER and SUB sockets and the thread that polls them."""

    def __init__(
        self,
        command_endpoint: str,
        events_endpoint: str,
        heartbeat_timeout: float,
        loop: asyncio.AbstractEventLoop,
        on_event: Callable[[TerminalEvent], None],
        on_ticks: Callable[[dict[bytes, bytes]], None],
        on_availability: Callable[[bool, HeartbeatEvent | None], None],
        on_gap: Callable[[Continuity], None],
    ) -> None:
        self._command_endpoint = command_endpoint
        self._events_endpoint = events_endpoint
        self._heartbeat_timeout = heartbeat_timeout
        self._loop = loop
        self._on_event = on_event
        self._on_ticks = on_ticks
        self._on_availability = on_availability
        self._on_gap = on_gap
        self._context = zmq.Context()
        self._outgoing: queue.SimpleQueue[tuple[str, bytes, asyncio.Future[Any], float]] = (
            queue.SimpleQueue()
        )
        self._ids = itertools.count(1)
        self._prefix = os.urandom(4).hex()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        wake_address = f"inproc://wake-{self._prefix}"
        self._wake_in = self._context.socket(zmq.PAIR)
        self._wake_in.bind(wake_address)
        self._wake_out = self._context.socket(zmq.PAIR)
        self._wake_out.connect(wake_address)
        self.available = False

    # ---------------------------------------------------------------- asyncio side

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="terminal-bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(zmq.ZMQError):
            self._wake_out.send(b"", zmq.NOBLOCK)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._wake_out.close(linger=0)
        self._context.term()

    async def request(
        self, build: Callable[[str], TerminalRequest], wait_s: float
    ) -> TerminalReply:
        """Send one request and await its reply (see the exceptions above)."""
        request_id = f"{self._prefix}-{next(self._ids)}"
        payload = encode(build(request_id))
        future: asyncio.Future[TerminalReply] = self._loop.create_future()
        self._outgoing.put((request_id, payload, future, time.monotonic() + wait_s))
        self._wake_out.send(b"", zmq.NOBLOCK)
        return await future

    # ---------------------------------------------------------------- bridge thread

    def _new_dealer(self) -> zmq.Socket[bytes]:
        dealer = self._context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        # Queue only on a completed connection: with the EA down, send fails at once.
        dealer.setsockopt(zmq.IMMEDIATE, 1)
        dealer.connect(self._command_endpoint)
        return dealer

    def _run(self) -> None:
        try:
            self._loop_forever()
        except Exception:  # the thread's owner: log, mark unavailable, never die silently
            logger.exception("terminal bridge thread failed")
            self._set_available(False, None)

    def _loop_forever(self) -> None:
        dealer = self._new_dealer()
        sub = self._context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVHWM, 100_000)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(self._events_endpoint)
        poller = zmq.Poller()
        poller.register(self._wake_in, zmq.POLLIN)
        poller.register(dealer, zmq.POLLIN)
        poller.register(sub, zmq.POLLIN)
        pending: dict[str, tuple[asyncio.Future[Any], float]] = {}
        sequencer = EventSequencer()
        last_event = 0.0
        last_health: HeartbeatEvent | None = None
        #: requests the DEALER could not take yet (connection being set up), with the time
        #: after which they fail as never sent
        unsent: list[tuple[str, bytes, asyncio.Future[Any], float, float]] = []
        #: when the SUB, emptied by its last read, is read again (see _TICK_BATCH_S)
        sub_due = 0.0
        sub_polled = True
        eager_until = 0.0
        while not self._stopping.is_set():
            now = time.monotonic()
            wait = _WATCHDOG_PERIOD_S
            if pending:
                wait = min(wait, max(0.0, min(d for _, d in pending.values()) - now))
            if unsent:
                wait = min(wait, _CONNECT_RETRY_S)
            if sub_due > now and now > eager_until and not pending and not unsent:
                if sub_polled:
                    poller.unregister(sub)
                    sub_polled = False
                wait = min(wait, sub_due - now)
            elif not sub_polled:
                poller.register(sub, zmq.POLLIN)
                sub_polled = True
            ready = dict(poller.poll(int(wait * 1000) + 1))
            if self._wake_in in ready:
                while True:
                    try:
                        self._wake_in.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        break
            while True:
                try:
                    request_id, payload, future, deadline = self._outgoing.get_nowait()
                except queue.Empty:
                    break
                unsent.append((request_id, payload, future, deadline, now + _CONNECT_GRACE_S))
            still_unsent = []
            for request_id, payload, future, deadline, give_up in unsent:
                try:
                    dealer.send(payload, zmq.NOBLOCK)
                except zmq.Again:
                    # ZMQ_IMMEDIATE: nothing was queued, so waiting a moment for the
                    # connection (e.g. just rebuilt after a timeout) is safe.
                    if time.monotonic() < give_up:
                        still_unsent.append((request_id, payload, future, deadline, give_up))
                    else:
                        self._fail(future, TerminalUnavailable("not connected to the terminal"))
                    continue
                pending[request_id] = (future, deadline)
            unsent = still_unsent
            if dealer in ready:
                for _ in range(_MAX_REPLIES):
                    try:
                        frames = dealer.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._reply(frames[-1], pending)
                    eager_until = time.monotonic() + _EAGER_AFTER_REPLY_S
            if sub in ready:
                ticks: dict[bytes, bytes] = {}
                heard = False
                for _ in range(_MAX_EVENTS):
                    # recv + RCVMORE, not recv_multipart: a third of the cost per tick.
                    try:
                        topic = sub.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        sub_due = time.monotonic() + _TICK_BATCH_S  # emptied: batch the next
                        break
                    body = topic  # a one-frame message is its own body
                    while sub.get(_RCVMORE):
                        body = sub.recv(zmq.NOBLOCK)
                    head = tick_head(body) if topic.startswith(TICK_PREFIX) else None
                    if head is not None:
                        heard = True
                        if self._in_sequence(sequencer, head.instance, head.seq):
                            ticks[topic] = body
                        continue
                    event = self._decode_event(body)
                    if event is None:
                        continue
                    heard = True
                    if not self._in_sequence(sequencer, event.instance, event.seq):
                        continue
                    if isinstance(event, HeartbeatEvent):
                        last_health = event
                        healthy = event.health.connected
                        if healthy != self.available:
                            self._set_available(healthy, event)
                    if isinstance(event, TickEvent):
                        ticks[TICK_PREFIX + event.symbol.encode()] = body
                    else:
                        self._loop.call_soon_threadsafe(self._on_event, event)
                if heard:
                    last_event = time.monotonic()
                if ticks:
                    self._on_ticks(ticks)
            now = time.monotonic()
            if self.available and now - last_event > self._heartbeat_timeout:
                logger.warning("no event from the terminal for {:.1f} s", now - last_event)
                self._set_available(False, last_health)
            expired = [rid for rid, (_, deadline) in pending.items() if deadline <= now]
            if expired:
                for rid in expired:
                    future, _ = pending.pop(rid)
                    self._fail(future, TerminalTimeout(f"no reply to {rid}"))
                # Lazy pirate: a fresh DEALER, so nothing queued in the old one arrives late.
                poller.unregister(dealer)
                dealer.close(linger=0)
                dealer = self._new_dealer()
                poller.register(dealer, zmq.POLLIN)
                for rid, (future, _) in list(pending.items()):
                    self._fail(future, TerminalTimeout(f"connection reset while {rid} pending"))
                pending.clear()
        for future, _ in pending.values():
            self._fail(future, TerminalUnavailable("terminal bridge stopped"))
        for _, _, future, _, _ in unsent:
            self._fail(future, TerminalUnavailable("terminal bridge stopped"))
        dealer.close(linger=0)
        sub.close(linger=0)
        self._wake_in.close(linger=0)

    def _reply(self, data: bytes, pending: dict[str, tuple[asyncio.Future[Any], float]]) -> None:
        try:
            reply = decode_reply(data)
        except ProtocolError as exc:
            logger.warning("unreadable reply from the terminal: {}", exc.message)
            return
        entry = pending.pop(reply.request_id, None)
        if entry is None:
            logger.debug("late or unknown reply {}", reply.request_id)
            return
        self._loop.call_soon_threadsafe(_resolve, entry[0], reply)

    def _in_sequence(self, sequencer: EventSequencer, instance: str, seq: int) -> bool:
        """Check an event's place in the stream; False for a stale one (drop it).

        A gap or a new instance is reported (the runtime then catches up on deals).
        """
        continuity = sequencer.feed(instance, seq)
        if continuity in (Continuity.GAP, Continuity.RESTART):
            self._loop.call_soon_threadsafe(self._on_gap, continuity)
        return continuity is not Continuity.STALE

    @staticmethod
    def _decode_event(body: bytes) -> TerminalEvent | None:
        try:
            return decode_event(body)
        except ProtocolError as exc:
            logger.warning("unreadable event from the terminal: {}", exc.message)
            return None

    def _set_available(self, available: bool, health: HeartbeatEvent | None) -> None:
        self.available = available
        self._loop.call_soon_threadsafe(self._on_availability, available, health)

    def _fail(self, future: asyncio.Future[Any], error: TerminalError) -> None:
        self._loop.call_soon_threadsafe(_reject, future, error)


def _resolve(future: asyncio.Future[Any], reply: TerminalReply) -> None:
    if not future.done():
        future.set_result(reply)


def _reject(future: asyncio.Future[Any], error: TerminalError) -> None:
    if not future.done():
        future.set_exception(error)
