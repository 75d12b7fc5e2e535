"""The command lifecycle only moves forward."""

from __future__ import annotations

import itertools

from brain_server.core.lifecycle import can_transition, is_open, is_terminal
from fx_protocol.vocabulary import CommandStatus as S

ORDER = {S.PENDING: 0, S.SENT: 1, S.ACKNOWLEDGED: 2, S.UNKNOWN: 3}


def test_happy_path_is_allowed() -> None:
    """pending → sent → acknowledged → executed is the normal path."""
    assert can_transition(S.PENDING, S.SENT)
    assert can_transition(S.SENT, S.ACKNOWLEDGED)
    assert can_transition(S.ACKNOWLEDGED, S.EXECUTED)


def test_final_statuses_never_change() -> None:
    """Nothing follows executed, rejected, expired or cancelled."""
    for final in (S.EXECUTED, S.REJECTED, S.EXPIRED, S.CANCELLED):
        assert is_terminal(final)
        assert not any(can_transition(final, target) for target in S)


def test_never_backwards() -> None:
    """No transition goes to an earlier open status."""
    for a, b in itertools.product(ORDER, ORDER):
        if ORDER[b] <= ORDER[a]:
            assert not can_transition(a, b), (a, b)


def test_cancel_and_expire_only_before_sending() -> None:
    """Cancel and expiry apply to pending commands only."""
    assert can_transition(S.PENDING, S.CANCELLED)
    assert can_transition(S.PENDING, S.EXPIRED)
    for status in (S.SENT, S.ACKNOWLEDGED, S.UNKNOWN):
        assert not can_transition(status, S.CANCELLED)
        assert not can_transition(status, S.EXPIRED)


def test_unknown_resolves_to_a_final_outcome() -> None:
    """An unknown outcome is resolved to executed or rejected, and is still open."""
    assert is_open(S.UNKNOWN)
    assert can_transition(S.UNKNOWN, S.EXECUTED)
    assert can_transition(S.UNKNOWN, S.REJECTED)
    assert not can_transition(S.UNKNOWN, S.PENDING)
