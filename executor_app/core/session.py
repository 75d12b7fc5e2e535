"""The brain session as a state machine: sequence numbers, acks and resends.

No sockets here (``docs/protocol.md`` § Brain session). The link feeds in
what it received and asks what to send:

- every reliable executor → brain message (COMMAND_ACK, COMMAND_REJECT,
  EXECUTION_RESULT, FILL) gets the next durable ``seq`` from the journal's
  outbox; the session only tracks what the brain has acknowledged;
- after ``WELCOME`` the link resends every outbox entry above
  ``lastExecutorSeq`` in order, and only then sends new messages live
  (:attr:`BrainSession.live`), so the brain always sees seqs in order;
- ``ACK {seq}`` is cumulative;
- heartbeats measure round-trip latency and detect a silent peer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec


class LinkState(StrEnum):
    """What the operator sees of the brain connection."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"


class SessionParams(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    heartbeat_interval: timedelta
    heartbeat_timeout: timedelta
    last_executor_seq: int


class BrainSession:
    """One executor's view of its session with the brain, across reconnects."""

    def __init__(self, acked_seq: int = 0) -> None:
        self.state = LinkState.DISCONNECTED
        #: highest executor seq the brain confirmed storing
        self.acked_seq = acked_seq
        #: highest executor seq written to the current connection
        self.sent_seq = 0
        #: True once the resend after WELCOME is complete; live sends wait until then
        self.live = False
        self.params: SessionParams | None = None
        self.latency_ms: float | None = None
        self._last_received: datetime | None = None
        self._last_heartbeat_sent: datetime | None = None
        self._heartbeat_id = 0
        self._heartbeat_sent_at: dict[int, datetime] = {}

    # ---------------------------------------------------------------- lifecycle

    def connecting(self) -> None:
        self.state = LinkState.CONNECTING
        self.live = False

    def welcomed(self, params: SessionParams, now: datetime) -> int:
        """Session accepted; returns the seq after which the outbox must be resent."""
        self.state = LinkState.CONNECTED
        self.params = params
        self.live = False
        self._last_received = now
        self._last_heartbeat_sent = now
        self._heartbeat_sent_at.clear()
        # The brain may know less than we thought (it lost its database): trust it.
        self.acked_seq = params.last_executor_seq
        self.sent_seq = params.last_executor_seq
        return params.last_executor_seq

    def resent_through(self, seq: int) -> None:
        self.sent_seq = max(self.sent_seq, seq)

    def go_live(self) -> None:
        self.live = True

    def closed(self) -> None:
        self.state = LinkState.DISCONNECTED
        self.live = False
        self.params = None
        self.latency_ms = None

    # ---------------------------------------------------------------- traffic

    def received(self, now: datetime) -> None:
        self._last_received = now

    def on_ack(self, seq: int) -> bool:
        """Cumulative ack; returns whether it moved anything forward."""
        if seq <= self.acked_seq:
            return False
        self.acked_seq = seq
        return True

    def should_send_live(self, seq: int) -> bool:
        """Send a freshly journaled message now? Only once the resend is complete."""
        return self.state is LinkState.CONNECTED and self.live and seq > self.sent_seq

    def heartbeat_due(self, now: datetime) -> int | None:
        """The id of a heartbeat to send now, or None."""
        if self.params is None or self._last_heartbeat_sent is None:
            return None
        if now - self._last_heartbeat_sent < self.params.heartbeat_interval:
            return None
        self._heartbeat_id += 1
        self._last_heartbeat_sent = now
        self._heartbeat_sent_at[self._heartbeat_id] = now
        if len(self._heartbeat_sent_at) > 16:
            self._heartbeat_sent_at.pop(min(self._heartbeat_sent_at))
        return self._heartbeat_id

    def on_heartbeat_ack(self, heartbeat_id: int, now: datetime) -> float | None:
        sent = self._heartbeat_sent_at.pop(heartbeat_id, None)
        if sent is None:
            return None
        self.latency_ms = (now - sent).total_seconds() * 1000.0
        return self.latency_ms

    def peer_silent(self, now: datetime) -> bool:
        """Nothing received within the heartbeat timeout: the connection is dead."""
        if self.params is None or self._last_received is None:
            return False
        return now - self._last_received > self.params.heartbeat_timeout


def backoff(initial: float = 0.2, factor: float = 1.8, maximum: float = 10.0) -> Iterator[float]:
    """Reconnect delays growing exponentially up to ``maximum``; jitter them with :func:`jitter`."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def jitter(delay: float, random_fraction: float) -> float:
    """Spread reconnects of many executors: between delay/2 and delay."""
    return delay * (0.5 + 0.5 * random_fraction)
