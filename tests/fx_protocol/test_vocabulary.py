"""Vocabulary: wire values, final statuses and the command state machine."""

from __future__ import annotations

import itertools

import pytest

from fx_protocol.vocabulary import (
    SAFETY_REASONS,
    CommandStatus,
    Priority,
    ReasonCode,
    can_transition,
)

S = CommandStatus

ALLOWED = {
    (S.PENDING, S.SENT),
    (S.PENDING, S.EXPIRED),
    (S.PENDING, S.CANCELLED),
    (S.SENT, S.ACKNOWLEDGED),
    (S.SENT, S.EXECUTED),
    (S.SENT, S.REJECTED),
    (S.SENT, S.UNKNOWN),
    (S.ACKNOWLEDGED, S.EXECUTED),
    (S.ACKNOWLEDGED, S.REJECTED),
    (S.ACKNOWLEDGED, S.UNKNOWN),
    (S.UNKNOWN, S.EXECUTED),
    (S.UNKNOWN, S.REJECTED),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(S, S)))
def test_transition_table(old: CommandStatus, new: CommandStatus) -> None:
    """can_transition allows exactly the documented pairs (docs/protocol.md)."""
    assert can_transition(old, new) is ((old, new) in ALLOWED)


def test_final_statuses_never_move() -> None:
    """executed, rejected, expired and cancelled are terminal."""
    for old in S:
        if old.is_final:
            assert not any(can_transition(old, new) for new in S)
    assert {s for s in S if s.is_final} == {S.EXECUTED, S.REJECTED, S.EXPIRED, S.CANCELLED}


def test_only_forward() -> None:
    """No path leads back to an earlier status: the graph has no cycles."""
    order = [S.PENDING, S.SENT, S.ACKNOWLEDGED, S.UNKNOWN]
    for old, new in ALLOWED:
        if new in order and old in order:
            assert order.index(new) > order.index(old)


def test_cancel_and_expire_only_before_sending() -> None:
    """Only a pending command can be cancelled or expire; once sent the executor decides."""
    assert [s for s in S if can_transition(s, S.CANCELLED)] == [S.PENDING]
    assert [s for s in S if can_transition(s, S.EXPIRED)] == [S.PENDING]


def test_unknown_cannot_be_forgotten() -> None:
    """unknown resolves only to executed or rejected, never back to a sendable status."""
    assert {new for new in S if can_transition(S.UNKNOWN, new)} == {S.EXECUTED, S.REJECTED}


def test_status_values_are_lowercase_wire_strings() -> None:
    """Stored and shown as the contract spells them."""
    assert [s.value for s in S] == [
        "pending",
        "sent",
        "acknowledged",
        "executed",
        "rejected",
        "expired",
        "cancelled",
        "unknown",
    ]


def test_priority_rank_orders_members() -> None:
    """LOW < NORMAL < HIGH < CRITICAL."""
    assert sorted(Priority, key=lambda p: p.rank) == list(Priority)


def test_contract_safety_reasons_exist() -> None:
    """Every safety reason code the contract names is a member and a safety reason."""
    names = [
        "SYMBOL_NOT_ALLOWED",
        "VOLUME_TOO_LARGE",
        "SYMBOL_VOLUME_LIMIT",
        "MAX_POSITIONS",
        "DAILY_LOSS_LIMIT",
        "RATE_LIMIT",
        "TRADING_HALTED",
        "TRADING_REDUCING",
        "EXPIRED",
        "DUPLICATE",
        "STOP_LOSS_REQUIRED",
        "PRICE_OUT_OF_BAND",
        "SPREAD_TOO_WIDE",
    ]
    for name in names:
        assert ReasonCode(name) in SAFETY_REASONS
    assert ReasonCode("INVALID_COMMAND") not in SAFETY_REASONS
