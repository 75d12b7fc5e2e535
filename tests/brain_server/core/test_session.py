"""Session bookkeeping: sequence numbers, replay detection, heartbeats, auth throttle."""

from __future__ import annotations

from brain_server.core.auth_throttle import AuthThrottle
from brain_server.core.session import HeartbeatClock, SeqVerdict, SessionState


def test_brain_seq_counts_from_one() -> None:
    """Every TRADE_SIGNAL of a session gets the next number, starting at 1."""
    state = SessionState(last_executor_seq=0)
    assert [state.next_brain_seq() for _ in range(3)] == [1, 2, 3]


def test_executor_replays_are_detected_and_ack_is_cumulative() -> None:
    """A seq at or below the stored one is a replay; the ACK never goes down."""
    state = SessionState(last_executor_seq=5)
    assert state.classify(5) is SeqVerdict.REPLAY
    assert state.classify(3) is SeqVerdict.REPLAY
    assert state.classify(6) is SeqVerdict.APPLY
    assert state.stored(6) == 6
    assert state.stored(4) == 6


def test_heartbeat_rtt_and_timeout() -> None:
    """RTT is measured from our ping to its echo; silence past the timeout is detected."""
    clock = HeartbeatClock(interval_ms=100, timeout_ms=300, last_seen_ms=0)
    beat = clock.ping(1000)
    assert clock.pong(beat, 1012) == 12.0
    assert clock.latency_ms == 12.0
    assert clock.pong(beat, 1020) is None  # echoed twice: ignored
    assert clock.pong(999, 1020) is None  # never sent
    clock.seen(1000)
    assert not clock.timed_out(1300)
    assert clock.timed_out(1301)


def test_heartbeat_outstanding_is_bounded() -> None:
    """A peer that never answers does not grow memory."""
    clock = HeartbeatClock(interval_ms=1, timeout_ms=10, last_seen_ms=0)
    for t in range(1000):
        clock.ping(t)
    assert len(clock._outstanding) <= 8


def test_auth_throttle_doubles_and_resets() -> None:
    """Repeated failures from one address wait longer; success or a quiet window clears."""
    throttle = AuthThrottle(base_delay_ms=100, max_delay_ms=1000, window_ms=10_000)
    assert [throttle.failure("a", t) for t in range(6)] == [100, 200, 400, 800, 1000, 1000]
    assert throttle.failure("b", 0) == 100
    throttle.success("a")
    assert throttle.failure("a", 10) == 100
    assert throttle.failure("a", 50_000) == 100  # window passed
