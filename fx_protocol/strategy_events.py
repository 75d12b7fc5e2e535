"""What strategies and the web admin see of the brain: REST bodies and events.

The brain's REST API (``docs/rest-api.md``) and its events WebSocket
(``/ws/events``) speak these structs, so ``fx_client``, the web admin and any
strategy decode them without importing ``brain_server``. Fields are camelCase;
events are tagged by ``type``. Like every protocol module, this one only grows:
fields and event types are added, never renamed or removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from fx_protocol.brain_wire import (
    Account,
    ExecutionResultBody,
    FillReport,
    LimitsSummary,
    OpenOrder,
    Position,
)
from fx_protocol.codec import BoundedDecoder
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import CommandStatus, Priority, RejectSource, TradingState

__all__ = [
    "AccountEvent",
    "ApiError",
    "CancelResult",
    "CommandList",
    "CommandStatusEvent",
    "CommandView",
    "ExecutorList",
    "ExecutorStatusEvent",
    "ExecutorView",
    "FillEvent",
    "HaltAccepted",
    "HaltAllAccepted",
    "HaltRequest",
    "PositionsEvent",
    "ResumeRequest",
    "StrategyEvent",
    "StreamReady",
    "SubmitCommand",
    "Submitted",
    "TickEvent",
    "decode_event",
]

ExecutorId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
IdempotencyKey = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
StrategyId = Annotated[str, msgspec.Meta(max_length=64)]
#: time to live in milliseconds from submission (reference design ``expiry``)
ExpiryMs = Annotated[int, msgspec.Meta(ge=1, le=30 * 24 * 3600 * 1000)]


class _Body(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """REST bodies keep every key (null when unset), so clients see a stable shape."""

    pass


# ---------------------------------------------------------------- REST requests


class SubmitCommand(_Body, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/commands``."""

    executor_id: ExecutorId
    command: TradeCommand
    priority: Priority = Priority.NORMAL
    expiry: ExpiryMs | None = None
    strategy_id: StrategyId | None = None
    idempotency_key: IdempotencyKey | None = None


class HaltRequest(_Body, frozen=True, kw_only=True):
    """``POST /api/v1/executors/{id}/halt`` and ``/api/v1/halt-all``."""

    flatten: bool = False
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ResumeRequest(_Body, frozen=True, kw_only=True):
    """``POST /api/v1/executors/{id}/resume``."""

    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


# ---------------------------------------------------------------- REST responses


class Submitted(_Body, frozen=True, kw_only=True):
    """202 answer to a submit: the command is stored. ``duplicate``: the idempotency key matched."""

    command_id: str
    status: CommandStatus
    duplicate: bool = False


class CommandView(_Body, frozen=True, kw_only=True):
    """One command as stored, with its outcome."""

    command_id: str
    executor_id: str
    status: CommandStatus
    command: TradeCommand
    priority: Priority
    expiry: int | None = None
    expires_at: datetime | None = None
    strategy_id: str | None = None
    idempotency_key: str | None = None
    #: who submitted it: ``token:NAME``, ``webhook:NAME``, ``admin:NAME``
    origin: str = ""
    reason: str | None = None
    source: RejectSource | None = None
    field: str | None = None
    message: str | None = None
    result: ExecutionResultBody | None = None
    #: per-session sequence number of the latest delivery
    seq: int | None = None
    #: deliveries after the first (resends flagged ``possibleDuplicate``)
    retry_count: int = 0
    created_at: datetime
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    executed_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime


class CommandList(_Body, frozen=True, kw_only=True):
    commands: list[CommandView]


class CancelResult(_Body, frozen=True, kw_only=True):
    command_id: str
    status: CommandStatus
    cancelled: bool


class ExecutorView(_Body, frozen=True, kw_only=True):
    executor_id: str
    name: str
    online: bool
    revoked: bool = False
    trading_state: TradingState | None = None
    halt_reason: str | None = None
    terminal_connected: bool | None = None
    reconciled: bool | None = None
    app_version: str | None = None
    last_heartbeat: datetime | None = None
    latency_ms: float | None = None
    connected_at: datetime | None = None
    last_seen: datetime | None = None
    #: the brain asked for a halt that the executor has not confirmed yet
    halt_pending: bool = False
    pending_commands: int = 0
    account: Account | None = None
    positions: list[Position] = []
    orders: list[OpenOrder] = []
    limits: LimitsSummary | None = None
    created_at: datetime


class ExecutorList(_Body, frozen=True, kw_only=True):
    executors: list[ExecutorView]


class HaltAccepted(_Body, frozen=True, kw_only=True):
    """The halt (or resume) is stored; ``delivered``: sent to a live session just now."""

    executor_id: str
    halt_id: str
    delivered: bool


class HaltAllAccepted(_Body, frozen=True, kw_only=True):
    halts: list[HaltAccepted]


class ApiError(_Body, frozen=True, kw_only=True):
    """Every 4xx/5xx body: a one-line message, a reason code, the offending field."""

    error: str
    reason: str
    field: str | None = None
    status_code: int


# ---------------------------------------------------------------- events (/ws/events)


class _Event(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="type", omit_defaults=True
):
    pass


class StreamReady(_Event, tag="READY", frozen=True, kw_only=True):
    """First frame of a subscription: events from here on will be delivered."""

    timestamp: datetime


class CommandStatusEvent(_Event, tag="COMMAND_STATUS", frozen=True, kw_only=True):
    """A command moved to ``status`` (submitted commands appear as ``pending``)."""

    command_id: str
    executor_id: str
    status: CommandStatus
    previous: CommandStatus | None = None
    strategy_id: str | None = None
    reason: str | None = None
    source: RejectSource | None = None
    field: str | None = None
    message: str | None = None
    result: ExecutionResultBody | None = None
    timestamp: datetime


class FillEvent(_Event, tag="FILL", frozen=True, kw_only=True):
    """A deal on an executor's account (commands, SL/TP hits, manual trades)."""

    executor_id: str
    fill: FillReport
    timestamp: datetime


class ExecutorStatusEvent(_Event, tag="EXECUTOR_STATUS", frozen=True, kw_only=True):
    executor_id: str
    online: bool
    trading_state: TradingState | None = None
    halt_reason: str | None = None
    terminal_connected: bool | None = None
    latency_ms: float | None = None
    timestamp: datetime


class TickEvent(_Event, tag="TICK", frozen=True, kw_only=True):
    executor_id: str
    symbol: str
    bid: float
    ask: float
    spread: int
    volume: int = 0
    timestamp: datetime


class AccountEvent(_Event, tag="ACCOUNT", frozen=True, kw_only=True):
    executor_id: str
    account: Account
    timestamp: datetime


class PositionsEvent(_Event, tag="POSITIONS", frozen=True, kw_only=True):
    executor_id: str
    positions: list[Position]
    orders: list[OpenOrder] = []
    timestamp: datetime


StrategyEvent = (
    StreamReady
    | CommandStatusEvent
    | FillEvent
    | ExecutorStatusEvent
    | TickEvent
    | AccountEvent
    | PositionsEvent
)

decode_event: BoundedDecoder[StrategyEvent] = BoundedDecoder(StrategyEvent, 1024 * 1024)
"""Decode one frame of ``/ws/events``. Raises only ``ProtocolError``."""
