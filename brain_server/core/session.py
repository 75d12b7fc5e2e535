"""Per-session bookkeeping of the executor WebSocket (``fx_protocol.brain_wire`` rules 2-5).

- Brain → executor ``TRADE_SIGNAL`` frames carry a per-session ``seq`` from 1.
- Executor → brain reliable messages carry a durable ``seq``; one at or below
  the highest stored is a replay: it is not applied again but still ACKed,
  and the ACK is cumulative (the highest stored seq).
- Heartbeats: RTT from our HEARTBEAT to its HEARTBEAT_ACK; the session times
  out when nothing at all has arrived for ``timeout_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class SeqVerdict(Enum):
    APPLY = "apply"  # new: store it, then ACK it
    REPLAY = "replay"  # already stored: ACK again, change nothing


def seq_verdict(seq: int, last_stored: int) -> SeqVerdict:
    """A reliable executor message is new only above the highest stored seq."""
    return SeqVerdict.APPLY if seq > last_stored else SeqVerdict.REPLAY


@dataclass
class SessionState:
    """Sequence numbers of one live session; ``last_executor_seq`` is loaded from the store."""

    last_executor_seq: int
    brain_seq: int = 0

    def next_brain_seq(self) -> int:
        self.brain_seq += 1
        return self.brain_seq

    def classify(self, seq: int) -> SeqVerdict:
        return seq_verdict(seq, self.last_executor_seq)

    def stored(self, seq: int) -> int:
        """Record that ``seq`` is durable; returns the cumulative ACK to send."""
        self.last_executor_seq = max(self.last_executor_seq, seq)
        return self.last_executor_seq


@dataclass
class HeartbeatClock:
    """Heartbeat ids, round-trip latency and the silence timeout of one session."""

    interval_ms: int
    timeout_ms: int
    last_seen_ms: int
    next_id: int = 1
    latency_ms: float | None = None
    _outstanding: dict[int, int] = field(default_factory=dict)

    def seen(self, now_ms: int) -> None:
        """Any frame from the peer proves it alive."""
        self.last_seen_ms = max(self.last_seen_ms, now_ms)

    def ping(self, now_ms: int) -> int:
        """Allocate the id of a HEARTBEAT sent now."""
        beat_id = self.next_id
        self.next_id += 1
        self._outstanding[beat_id] = now_ms
        # Only the newest few matter; a peer that never answers must not grow this.
        for old in [k for k in self._outstanding if k <= beat_id - 8]:
            del self._outstanding[old]
        return beat_id

    def pong(self, beat_id: int, now_ms: int) -> float | None:
        """Record a HEARTBEAT_ACK; returns the RTT in ms if the id was ours."""
        sent = self._outstanding.pop(beat_id, None)
        if sent is None:
            return None
        self.latency_ms = float(max(0, now_ms - sent))
        return self.latency_ms

    def timed_out(self, now_ms: int) -> bool:
        return now_ms - self.last_seen_ms > self.timeout_ms
