"""What the executor runtime tells its observers (the tray GUI, logs, tests).

Public API (``docs/executor.md`` § Events). Subscribe with
``Runtime.subscribe(callback)``; the callback receives one of these frozen
structs at a time, on the runtime's event loop, after the order flow has
moved on (observers never delay a command). Unsubscribe with the function
``subscribe`` returned.

======================== =====================================================
event                    when
======================== =====================================================
TradingStateChanged      ACTIVE / REDUCING / HALTED changed (with reason)
BrainConnectionChanged   disconnected / connecting / connected, with latency
TerminalConnectionChanged terminal reachable or not, algo trading allowed
CommandUpdated           a command was received, accepted, rejected, executed,
                         became unknown or was resolved (time, action, symbol,
                         volume, status, reason, latency)
PositionsChanged         the open positions / pending orders changed
AccountChanged           balance / equity / day-start equity changed
TickReceived             latest bid/ask of a symbol (coalesced, at the
                         forwarding rate)
LimitsChanged            limits were reloaded
ReconciliationChanged    start-up reconciliation finished (or failed)
======================== =====================================================

``Runtime.snapshot()`` returns a :class:`Snapshot` with the current value of
everything above, for an observer that starts late.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from executor_app.core.limits import Limits
from executor_app.core.session import LinkState
from fx_protocol.brain_wire import Account, OpenOrder, Position
from fx_protocol.vocabulary import ReasonCode, TradingState


class _Event(msgspec.Struct, frozen=True, kw_only=True):
    time: datetime


class TradingStateChanged(_Event, frozen=True, kw_only=True):
    state: TradingState
    reason: str = ""


class BrainConnectionChanged(_Event, frozen=True, kw_only=True):
    state: LinkState
    latency_ms: float | None = None
    detail: str = ""


class TerminalConnectionChanged(_Event, frozen=True, kw_only=True):
    available: bool
    trade_allowed: bool = False
    latency_ms: float | None = None
    detail: str = ""


class CommandUpdated(_Event, frozen=True, kw_only=True):
    command_id: str
    action: str
    symbol: str | None = None
    volume: float | None = None
    #: the command status as stored (CommandStatus values)
    status: str
    reason: ReasonCode | None = None
    message: str = ""
    ticket: int | None = None
    price: float | None = None
    #: milliseconds from receipt to this update
    latency_ms: float | None = None
    #: True for commands the executor made itself (emergency flatten)
    local: bool = False


class PositionsChanged(_Event, frozen=True, kw_only=True):
    positions: list[Position]
    orders: list[OpenOrder]


class AccountChanged(_Event, frozen=True, kw_only=True):
    account: Account


class TickReceived(_Event, frozen=True, kw_only=True):
    symbol: str
    bid: float
    ask: float
    #: in points, as the brain and the max_spread_points limit count it
    spread: int = 0


class LimitsChanged(_Event, frozen=True, kw_only=True):
    limits: Limits


class ReconciliationChanged(_Event, frozen=True, kw_only=True):
    reconciled: bool
    detail: str = ""


ExecutorEvent = (
    TradingStateChanged
    | BrainConnectionChanged
    | TerminalConnectionChanged
    | CommandUpdated
    | PositionsChanged
    | AccountChanged
    | TickReceived
    | LimitsChanged
    | ReconciliationChanged
)


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an observer needs to draw the current picture."""

    time: datetime
    executor_id: str
    trading_state: TradingState
    halt_reason: str
    brain: LinkState
    brain_latency_ms: float | None
    terminal_available: bool
    terminal_trade_allowed: bool
    reconciled: bool
    account: Account | None
    positions: list[Position]
    orders: list[OpenOrder]
    recent_commands: list[CommandUpdated]
    ticks: dict[str, TickReceived]
    limits: Limits
