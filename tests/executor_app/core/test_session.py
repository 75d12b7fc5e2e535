"""The brain session state machine: resume point, acks, heartbeats, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from executor_app.core.session import BrainSession, LinkState, SessionParams, backoff, jitter

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PARAMS = SessionParams(
    session_id="s1",
    heartbeat_interval=timedelta(seconds=1),
    heartbeat_timeout=timedelta(seconds=3),
    last_executor_seq=7,
)


def test_welcome_sets_resume_point_and_waits_for_resend() -> None:
    """After WELCOME nothing goes live until the resend above lastExecutorSeq is done."""
    session = BrainSession(acked_seq=9)
    session.connecting()
    assert session.welcomed(PARAMS, NOW) == 7
    assert session.acked_seq == 7
    assert session.state is LinkState.CONNECTED
    assert not session.should_send_live(8)
    session.resent_through(9)
    session.go_live()
    assert not session.should_send_live(9)
    assert session.should_send_live(10)


def test_cumulative_ack_only_moves_forward() -> None:
    """ACK is cumulative; an older ack changes nothing."""
    session = BrainSession()
    assert session.on_ack(5)
    assert not session.on_ack(3)
    assert session.acked_seq == 5


def test_heartbeat_schedule_latency_and_silence() -> None:
    """Heartbeats go out each interval, their acks give latency, silence is detected."""
    session = BrainSession()
    session.welcomed(PARAMS, NOW)
    assert session.heartbeat_due(NOW + timedelta(milliseconds=500)) is None
    hb = session.heartbeat_due(NOW + timedelta(seconds=1))
    assert hb == 1
    assert session.on_heartbeat_ack(1, NOW + timedelta(seconds=1, milliseconds=4)) == 4.0
    assert session.on_heartbeat_ack(1, NOW) is None
    assert not session.peer_silent(NOW + timedelta(seconds=3))
    assert session.peer_silent(NOW + timedelta(seconds=3, milliseconds=1))
    session.received(NOW + timedelta(seconds=3))
    assert not session.peer_silent(NOW + timedelta(seconds=5))


def test_closed_session_never_sends_live() -> None:
    """A closed session reports disconnected and holds messages for the next resend."""
    session = BrainSession()
    session.welcomed(PARAMS, NOW)
    session.go_live()
    session.closed()
    assert session.state is LinkState.DISCONNECTED
    assert not session.should_send_live(100)


def test_backoff_grows_to_a_cap_and_jitter_stays_in_upper_half() -> None:
    """Delays grow exponentially, stop at the cap; jitter keeps them in [d/2, d]."""
    delays = list(islice(backoff(0.1, 2.0, 1.0), 6))
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert jitter(1.0, 0.0) == 0.5
    assert jitter(1.0, 0.999) < 1.0
