"""Brain ↔ executor messages over the executor WebSocket (``/ws/executor``).

Every frame is one JSON text message with a ``type`` tag and camelCase
fields. ``TRADE_SIGNAL``, ``EXECUTION_RESULT`` and ``MARKET_UPDATE`` keep the
names and fields of the original architecture; the rest is what a reliable
session needs. Session rules, in short (``docs/protocol.md`` § Brain session):

1. The executor opens with ``HELLO`` (credentials, protocol version); the
   brain answers ``WELCOME`` or an ``ERROR`` and closes.
2. Brain → executor ``TRADE_SIGNAL`` carries a per-session ``seq``; the
   executor answers each with exactly one ``COMMAND_ACK`` or
   ``COMMAND_REJECT``. Unanswered commands are resent on the next session
   with ``possibleDuplicate: true``; the executor de-duplicates by
   ``commandId`` against its journal, so a command never executes twice.
3. Executor → brain reliable messages (``COMMAND_ACK``, ``COMMAND_REJECT``,
   ``EXECUTION_RESULT``, ``FILL``) carry a durable, strictly increasing
   ``seq``. The brain stores them and answers ``ACK {seq}`` (cumulative).
   ``WELCOME.lastExecutorSeq`` tells a reconnecting executor where to resume.
4. Snapshots (``EXECUTOR_STATUS``, ``POSITIONS``, ``ACCOUNT``,
   ``MARKET_UPDATE``) are latest-wins and never resent.
5. Either side sends ``HEARTBEAT``; the other echoes ``HEARTBEAT_ACK``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from fx_protocol.codec import INT64_MAX, AwareDatetime, BoundedDecoder, Int64, encode
from fx_protocol.commands import Magic, Symbol, TradeCommand, validate_command
from fx_protocol.vocabulary import Priority, ReasonCode, RejectSource, TradingState

__all__ = [
    "Account",
    "AccountUpdate",
    "Ack",
    "BrainToExecutor",
    "CommandAck",
    "CommandReject",
    "Error",
    "ExecutionResult",
    "ExecutionResultBody",
    "ExecutorStatus",
    "ExecutorToBrain",
    "Fill",
    "FillReport",
    "Halt",
    "Heartbeat",
    "HeartbeatAck",
    "Hello",
    "LimitsSummary",
    "MarketData",
    "MarketUpdate",
    "OpenOrder",
    "Position",
    "PositionsSnapshot",
    "Resume",
    "TradeSignal",
    "Welcome",
    "decode_from_brain",
    "decode_from_executor",
    "encode",
]

#: A command message is a few hundred bytes; snapshots of many positions are larger.
MAX_MESSAGE_BYTES = 256 * 1024

CommandId = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,31}$(?!\n)", description="fits an MT5 comment")
]
ExecutorId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,64}$(?!\n)")]
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Side = Literal["BUY", "SELL"]


class _Message(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="type", omit_defaults=True
):
    pass


# ---------------------------------------------------------------- handshake


class Hello(_Message, tag="HELLO", frozen=True, kw_only=True):
    """Executor → brain, first frame: who I am and which protocol I speak."""

    executor_id: ExecutorId
    api_key: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    protocol_version: Int64
    app_version: str
    timestamp: AwareDatetime


class Welcome(_Message, tag="WELCOME", frozen=True, kw_only=True):
    """Brain → executor: session accepted."""

    session_id: str
    protocol_version: Int64
    server_time: AwareDatetime
    heartbeat_interval_ms: Annotated[int, msgspec.Meta(ge=100, le=INT64_MAX)]
    heartbeat_timeout_ms: Annotated[int, msgspec.Meta(ge=100, le=INT64_MAX)]
    #: the highest executor ``seq`` the brain has stored; resend everything above it
    last_executor_seq: Seq


class Heartbeat(_Message, tag="HEARTBEAT", frozen=True, kw_only=True):
    """Either direction; the peer echoes it as HEARTBEAT_ACK to measure round-trip latency."""

    id: Seq
    sent_at: AwareDatetime


class HeartbeatAck(_Message, tag="HEARTBEAT_ACK", frozen=True, kw_only=True):
    id: Seq
    sent_at: AwareDatetime


class Error(_Message, tag="ERROR", frozen=True, kw_only=True):
    """Either direction: a frame could not be accepted. Never carries internals."""

    reason: ReasonCode
    message: str
    field: str | None = None


# ---------------------------------------------------------------- commands (brain → executor)


class TradeSignal(_Message, tag="TRADE_SIGNAL", frozen=True, kw_only=True):
    """Brain → executor: one command to execute (reference design § 1, plus ``commandId``)."""

    timestamp: AwareDatetime
    command_id: CommandId
    seq: Seq
    command: TradeCommand
    priority: Priority = Priority.NORMAL
    #: time to live in milliseconds from ``timestamp`` (reference design)
    expiry: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] | None = None
    #: absolute deadline; authoritative when present
    expires_at: AwareDatetime | None = None
    strategy_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    possible_duplicate: bool = False
    #: base64 HMAC over the canonical signal (docs/security.md)
    signature: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class Halt(_Message, tag="HALT", frozen=True, kw_only=True):
    """Brain → executor: remote emergency stop."""

    halt_id: str
    flatten: bool = False
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""
    timestamp: AwareDatetime
    #: base64 HMAC like TRADE_SIGNAL's (docs/security.md); an unsigned HALT still halts
    #: but never flattens
    signature: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class Resume(_Message, tag="RESUME", frozen=True, kw_only=True):
    """Brain → executor: lift a halt the brain requested (never a local one)."""

    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""
    timestamp: AwareDatetime
    #: base64 HMAC like TRADE_SIGNAL's (docs/security.md); an unsigned RESUME is ignored
    signature: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class Ack(_Message, tag="ACK", frozen=True, kw_only=True):
    """Brain → executor: every executor message with ``seq`` ≤ this one is stored."""

    seq: Seq


# ---------------------------------------------------------------- reliable (executor → brain)


class CommandAck(_Message, tag="COMMAND_ACK", frozen=True, kw_only=True):
    """The command passed local safety, is journaled and goes to the terminal."""

    seq: Seq
    command_id: CommandId
    timestamp: AwareDatetime


class CommandReject(_Message, tag="COMMAND_REJECT", frozen=True, kw_only=True):
    """The command was refused before reaching the terminal."""

    seq: Seq
    command_id: CommandId
    reason: ReasonCode
    source: RejectSource
    message: str
    field: str | None = None
    timestamp: AwareDatetime


class ExecutionResultBody(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True
):
    """The outcome at the terminal (reference design § 2, extended)."""

    success: bool
    #: executed | rejected | unknown (timed out, being reconciled)
    status: Literal["executed", "rejected", "unknown"]
    ticket: Int64 | None = None
    open_price: float | None = None
    #: milliseconds from receipt by the executor to the terminal's reply
    execution_time: float | None = None
    slippage: float | None = None
    price: float | None = None
    volume: float | None = None
    deal: Int64 | None = None
    order: Int64 | None = None
    retcode: Int64 | None = None
    retcode_name: str | None = None
    reason: ReasonCode | None = None
    message: str | None = None
    #: the terminal had already processed this command id and returned its first result
    duplicate: bool = False


class ExecutionResult(_Message, tag="EXECUTION_RESULT", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    seq: Seq
    command_id: CommandId
    executor_id: ExecutorId
    result: ExecutionResultBody


class FillReport(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """A deal on the account, whoever caused it (command, SL/TP, stop-out, manual)."""

    deal: Int64
    order: Int64
    position_id: Int64
    symbol: Symbol
    side: Side
    entry: Literal["IN", "OUT", "INOUT", "OUT_BY"]
    volume: NonNegative
    price: NonNegative
    profit: float = 0.0
    commission: float = 0.0
    swap: float = 0.0
    magic: Magic = 0
    comment: str = ""
    #: CLIENT, EXPERT, SL, TP, SO, MOBILE, WEB, ... (MT5 ENUM_DEAL_REASON without prefix)
    reason: str
    time: AwareDatetime
    command_id: CommandId | None = None


class Fill(_Message, tag="FILL", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    seq: Seq
    fill: FillReport


# ---------------------------------------------------------------- snapshots (executor → brain)


class LimitsSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The local limits in force, reported so the brain can show them (never change them)."""

    allowed_symbols: list[str]
    max_volume_per_order: float
    max_total_volume_per_symbol: float
    max_open_positions: Int64
    max_orders_per_minute: Int64
    daily_loss_limit: float
    require_stop_loss: bool
    max_price_deviation_pct: float
    max_spread_points: Int64
    on_brain_disconnect: Literal["keep", "halt", "flatten"]


class ExecutorStatus(_Message, tag="EXECUTOR_STATUS", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    trading_state: TradingState
    halt_reason: str | None = None
    terminal_connected: bool
    terminal_trade_allowed: bool = False
    terminal_latency_ms: float | None = None
    reconciled: bool = False
    app_version: str = ""
    limits: LimitsSummary | None = None


class Position(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    ticket: Int64
    symbol: Symbol
    type: Side
    volume: NonNegative
    open_price: float
    current_price: float = 0.0
    stop_loss: float | None = None
    take_profit: float | None = None
    profit: float = 0.0
    swap: float = 0.0
    magic: Magic = 0
    comment: str = ""
    open_time: AwareDatetime


class OpenOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    ticket: Int64
    symbol: Symbol
    type: Literal["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"]
    volume: NonNegative
    price: float
    stop_loss: float | None = None
    take_profit: float | None = None
    magic: Magic = 0
    comment: str = ""
    expiration: AwareDatetime | None = None
    setup_time: AwareDatetime


class PositionsSnapshot(_Message, tag="POSITIONS", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    positions: list[Position]
    orders: list[OpenOrder] = []


class Account(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    login: Int64 = 0
    server: str = ""
    currency: str
    balance: float
    equity: float
    margin: float = 0.0
    free_margin: float = 0.0
    margin_level: float | None = None
    leverage: Int64 = 0
    profit: float = 0.0
    mode: Literal["hedging", "netting"] = "hedging"
    day_start_equity: float | None = None


class AccountUpdate(_Message, tag="ACCOUNT", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    account: Account


class MarketData(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Reference design § 3: spread in points, volume as the terminal reports it."""

    symbol: Symbol
    bid: float
    ask: float
    spread: Int64
    volume: Int64 = 0


class MarketUpdate(_Message, tag="MARKET_UPDATE", frozen=True, kw_only=True):
    timestamp: AwareDatetime
    data: MarketData


# ---------------------------------------------------------------- unions and edges

ExecutorToBrain = (
    Hello
    | Heartbeat
    | HeartbeatAck
    | CommandAck
    | CommandReject
    | ExecutionResult
    | Fill
    | ExecutorStatus
    | PositionsSnapshot
    | AccountUpdate
    | MarketUpdate
    | Error
)
BrainToExecutor = Welcome | Heartbeat | HeartbeatAck | TradeSignal | Ack | Halt | Resume | Error

#: the executor → brain messages that carry a durable ``seq`` and wait for ``ACK``
RELIABLE_FROM_EXECUTOR = (CommandAck, CommandReject, ExecutionResult, Fill)


def _validate_from_brain(message: BrainToExecutor) -> None:
    if isinstance(message, TradeSignal):
        validate_command(message.command)


decode_from_brain: BoundedDecoder[BrainToExecutor] = BoundedDecoder(
    BrainToExecutor, MAX_MESSAGE_BYTES, _validate_from_brain
)
"""Decode one frame the executor received. Raises only ``ProtocolError``."""

decode_from_executor: BoundedDecoder[ExecutorToBrain] = BoundedDecoder(
    ExecutorToBrain, MAX_MESSAGE_BYTES
)
"""Decode one frame the brain received. Raises only ``ProtocolError``."""
