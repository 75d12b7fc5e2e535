"""Decisions for outcomes the executor does not know (``docs/executor.md`` § Reconciliation).

A command whose terminal reply never came is ``unknown``: it is never resent
blindly. The runtime asks the terminal (``QUERY_COMMAND``) and this module
decides from the answer:

- the terminal knows the id → record its outcome (executed or rejected);
- the terminal never saw it and the command is still live → send it again
  (the EA is idempotent per command id, so even a race cannot double it);
- the terminal never saw it and the command has expired → reject EXPIRED;
- no answer → stay ``unknown`` and ask again later.

At start-up every journaled command still ``sending`` or ``unknown`` goes
through the same decision before new risk is accepted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from fx_protocol.brain_wire import ExecutionResultBody
from fx_protocol.retcodes import is_success, retcode_name
from fx_protocol.terminal_wire import CommandStatusReply, TradeOutcome
from fx_protocol.vocabulary import ReasonCode


class Resolution(StrEnum):
    RECORD = "record"  # the terminal knows the outcome
    RESEND = "resend"  # never reached the terminal and still live
    EXPIRE = "expire"  # never reached the terminal and too late now
    WAIT = "wait"  # no answer: still unknown


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    resolution: Resolution
    outcome: TradeOutcome | None = None


def resolve(
    reply: CommandStatusReply | None, now: datetime, expires_at: datetime | None
) -> Decision:
    """What to do with a command whose outcome is unknown, given the terminal's answer."""
    if reply is None:
        return Decision(resolution=Resolution.WAIT)
    if reply.known and reply.outcome is not None:
        return Decision(resolution=Resolution.RECORD, outcome=reply.outcome)
    if expires_at is not None and now >= expires_at:
        return Decision(resolution=Resolution.EXPIRE)
    return Decision(resolution=Resolution.RESEND)


def result_body(
    outcome: TradeOutcome,
    duplicate: bool,
    execution_ms: float | None,
    requested_price: float | None,
    is_buy: bool | None,
) -> ExecutionResultBody:
    """The brain's view of a terminal outcome, with slippage against the requested price."""
    success = outcome.success and is_success(outcome.retcode)
    slippage = None
    if success and requested_price and outcome.price and is_buy is not None:
        # Positive slippage is worse for the trader: paid more on a buy, got less on a sell.
        slippage = (
            (outcome.price - requested_price) if is_buy else (requested_price - outcome.price)
        )
    ticket = outcome.position or outcome.order or None
    return ExecutionResultBody(
        success=success,
        status="executed" if success else "rejected",
        ticket=ticket,
        open_price=outcome.price or None,
        execution_time=execution_ms,
        slippage=slippage,
        price=outcome.price or None,
        volume=outcome.volume or None,
        deal=outcome.deal or None,
        order=outcome.order or None,
        retcode=outcome.retcode,
        retcode_name=outcome.retcode_name or retcode_name(outcome.retcode),
        reason=None if success else ReasonCode.BROKER_REJECTED,
        message=outcome.message or None,
        duplicate=duplicate,
    )


def unknown_body(message: str) -> ExecutionResultBody:
    """Reported while an outcome is being reconciled; a final result follows."""
    return ExecutionResultBody(success=False, status="unknown", message=message)


def expired_body() -> ExecutionResultBody:
    return ExecutionResultBody(
        success=False,
        status="rejected",
        reason=ReasonCode.EXPIRED,
        message="the terminal never received the command and it has expired",
    )
