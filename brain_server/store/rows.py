"""What the store hands out: rows as frozen dataclasses, and the one error it raises."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import msgspec

from brain_server.core.delivery import QueuedCommand
from fx_protocol.brain_wire import (
    ExecutionResultBody,
    ExecutorStatus,
    FillReport,
)
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import CommandStatus, Priority, RejectSource, TradingState

json_encoder = msgspec.json.Encoder()
command_decoder = msgspec.json.Decoder(TradeCommand)
result_decoder = msgspec.json.Decoder(ExecutionResultBody)

STATUS_TIME_COLUMN = {
    CommandStatus.SENT: "sent_ms",
    CommandStatus.ACKNOWLEDGED: "acknowledged_ms",
    CommandStatus.EXECUTED: "executed_ms",
}


class StoreError(Exception):
    """A request the store cannot satisfy; ``reason`` says why (for 4xx answers)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# ---------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class CommandRow:
    id: str
    executor_id: str
    strategy_id: str | None
    command: TradeCommand
    status: CommandStatus
    priority: Priority
    idempotency_key: str | None
    expiry_ms: int | None
    expires_ms: int | None
    origin: str
    reason: str | None
    source: RejectSource | None
    field: str | None
    message: str | None
    session_id: str | None
    seq: int | None
    retry_count: int
    created_ms: int
    sent_ms: int | None
    acknowledged_ms: int | None
    executed_ms: int | None
    completed_ms: int | None
    updated_ms: int
    result: ExecutionResultBody | None = None


@dataclass(frozen=True, slots=True)
class NewCommand:
    """One submit, as the API validated it; time and randomness passed in."""

    executor_id: str
    command: TradeCommand
    priority: Priority
    expiry_ms: int | None
    strategy_id: str | None
    idempotency_key: str | None
    origin: str
    now_ms: int
    random80: bytes


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A command moved from ``previous`` to ``row.status`` (published as an event)."""

    row: CommandRow
    previous: CommandStatus | None


@dataclass(frozen=True, slots=True)
class ExecutorRow:
    id: str
    name: str
    created_ms: int
    revoked_ms: int | None
    online: bool
    session_id: str | None
    connected_ms: int | None
    last_seen_ms: int | None
    last_heartbeat_ms: int | None
    latency_ms: float | None
    trading_state: TradingState | None
    halt_reason: str | None
    terminal_connected: bool | None
    status: ExecutorStatus | None
    halt_request: str | None
    halt_id: str | None
    halt_flatten: bool
    halt_request_reason: str | None
    halt_done_ms: int | None
    last_executor_seq: int


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    name: str
    executor_id: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One TRADE_SIGNAL to send: the command, its session seq and the duplicate flag."""

    row: CommandRow
    seq: int
    possible_duplicate: bool


@dataclass(frozen=True, slots=True)
class Claim:
    send: list[Outgoing]
    expired: list[StatusChange]


@dataclass
class Applied:
    """What storing one executor message did."""

    ack_seq: int | None = None  # cumulative ACK to send (reliable messages only)
    replay: bool = False
    changes: list[StatusChange] = field(default_factory=list)
    new_fill: FillReport | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class AdminSessionRow:
    """A logged-in web admin session (brain_server/admin)."""

    username: str
    csrf_token: str
    created_ms: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class Overview:
    commands_by_status: dict[str, int]
    executors_total: int
    executors_online: int
    queue_depth: int
    fills_total: int


def queued_command(row: sqlite3.Row) -> QueuedCommand:
    return QueuedCommand(
        command_id=row["id"],
        priority_rank=row["priority_rank"],
        created_ms=row["created_ms"],
        expires_ms=row["expires_ms"],
        sent_ms=row["sent_ms"],
    )


def executor_row(row: sqlite3.Row) -> ExecutorRow:
    return ExecutorRow(
        id=row["id"],
        name=row["name"],
        created_ms=row["created_ms"],
        revoked_ms=row["revoked_ms"],
        online=bool(row["online"]),
        session_id=row["session_id"],
        connected_ms=row["connected_ms"],
        last_seen_ms=row["last_seen_ms"],
        last_heartbeat_ms=row["last_heartbeat_ms"],
        latency_ms=row["latency_ms"],
        trading_state=TradingState(row["trading_state"]) if row["trading_state"] else None,
        halt_reason=row["halt_reason"],
        terminal_connected=(
            None if row["terminal_connected"] is None else bool(row["terminal_connected"])
        ),
        status=(
            msgspec.json.decode(row["status_json"], type=ExecutorStatus)
            if row["status_json"]
            else None
        ),
        halt_request=row["halt_request"],
        halt_id=row["halt_id"],
        halt_flatten=bool(row["halt_flatten"]),
        halt_request_reason=row["halt_request_reason"],
        halt_done_ms=row["halt_done_ms"],
        last_executor_seq=row["last_executor_seq"],
    )
