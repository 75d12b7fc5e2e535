"""Decisions for unknown outcomes, and how a terminal outcome is reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from executor_app.core.event_stream import Continuity, EventSequencer
from executor_app.core.reconciliation import Resolution, resolve, result_body
from fx_protocol.terminal_wire import CommandStatusReply, TradeOutcome
from fx_protocol.vocabulary import ReasonCode

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DONE = TradeOutcome(
    command_id="c1",
    retcode=10009,
    retcode_name="DONE",
    success=True,
    order=11,
    deal=12,
    position=13,
    volume=0.1,
    price=1.1003,
    time_msc=1,
)


def test_known_outcome_is_recorded() -> None:
    """The terminal processed it: record that outcome, never resend."""
    reply = CommandStatusReply(request_id="r", command_id="c1", known=True, outcome=DONE)
    decision = resolve(reply, NOW, None)
    assert decision.resolution is Resolution.RECORD
    assert decision.outcome == DONE


def test_unseen_live_command_is_resent_and_expired_one_is_not() -> None:
    """Never seen by the terminal: resend while live, expire once past the deadline."""
    reply = CommandStatusReply(request_id="r", command_id="c1", known=False)
    assert resolve(reply, NOW, NOW + timedelta(seconds=1)).resolution is Resolution.RESEND
    assert resolve(reply, NOW, None).resolution is Resolution.RESEND
    assert resolve(reply, NOW, NOW).resolution is Resolution.EXPIRE


def test_no_answer_stays_unknown() -> None:
    """No reply to the query: wait, do not guess."""
    assert resolve(None, NOW, None).resolution is Resolution.WAIT


def test_result_body_for_success_and_broker_reject() -> None:
    """Success carries ticket, price and slippage; a failure retcode is BROKER_REJECTED."""
    body = result_body(DONE, duplicate=False, execution_ms=2.5, requested_price=1.1001, is_buy=True)
    assert body.status == "executed"
    assert body.ticket == 13
    assert body.price == 1.1003
    assert body.slippage is not None
    assert abs(body.slippage - 0.0002) < 1e-9
    failed = TradeOutcome(
        command_id="c2", retcode=10019, retcode_name="NO_MONEY", success=False, time_msc=1
    )
    body = result_body(failed, duplicate=True, execution_ms=None, requested_price=None, is_buy=None)
    assert body.status == "rejected"
    assert body.reason is ReasonCode.BROKER_REJECTED
    assert body.retcode == 10019
    assert body.duplicate


def test_event_sequencer_detects_gaps_and_restarts() -> None:
    """A skipped seq is a gap, a new instance a restart, an old seq stale."""
    seq = EventSequencer()
    assert seq.feed("a", 5) is Continuity.FIRST
    assert seq.feed("a", 6) is Continuity.IN_ORDER
    assert seq.feed("a", 9) is Continuity.GAP
    assert seq.feed("a", 9) is Continuity.STALE
    assert seq.feed("b", 1) is Continuity.RESTART
