"""Delivery order and expiry decisions, without sockets."""

from __future__ import annotations

from brain_server.core.delivery import QueuedCommand, expires_at, is_expired, plan_delivery


def q(
    cid: str, rank: int = 1, created: int = 0, expires: int | None = None, sent: int | None = None
) -> QueuedCommand:
    return QueuedCommand(cid, rank, created, expires, sent)


def test_priority_then_age() -> None:
    """Higher priority first; equal priority oldest first."""
    plan = plan_delivery(
        [], [q("a", 1, 10), q("b", 3, 30), q("c", 1, 5), q("d", 3, 20)], now_ms=100
    )
    assert [d.command_id for d in plan.send] == ["d", "b", "c", "a"]
    assert not any(d.possible_duplicate for d in plan.send)


def test_unanswered_resent_first_as_possible_duplicates() -> None:
    """Commands sent on an earlier session go first, flagged, in their original send order."""
    plan = plan_delivery([q("x", sent=50), q("w", sent=40)], [q("p", 3, 0)], now_ms=100)
    assert [(d.command_id, d.possible_duplicate) for d in plan.send] == [
        ("w", True),
        ("x", True),
        ("p", False),
    ]


def test_expired_pending_are_never_sent() -> None:
    """A pending command at or past its deadline is expired, not sent."""
    plan = plan_delivery(
        [],
        [q("old", expires=100), q("ok", created=1, expires=101), q("never", created=2)],
        now_ms=100,
    )
    assert plan.expire == ("old",)
    assert [d.command_id for d in plan.send] == ["ok", "never"]


def test_sent_commands_are_not_expired_by_the_brain() -> None:
    """Once sent, the executor decides about staleness; the brain resends it."""
    plan = plan_delivery([q("s", expires=10, sent=5)], [], now_ms=100)
    assert plan.expire == ()
    assert [d.command_id for d in plan.send] == ["s"]


def test_expiry_arithmetic() -> None:
    """No or zero expiry never expires; a deadline is inclusive."""
    assert expires_at(1000, None) is None
    assert expires_at(1000, 0) is None
    assert expires_at(1000, 500) == 1500
    assert is_expired(1500, 1500)
    assert not is_expired(1500, 1499)
    assert not is_expired(None, 10**15)
