"""Executor messages stored: ACK, REJECT, RESULT, FILL exactly once; status, positions, ticks."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from brain_server.core.session import SeqVerdict, seq_verdict
from brain_server.store.commands import CommandQueries
from brain_server.store.rows import Applied, json_encoder
from fx_protocol.brain_wire import (
    AccountUpdate,
    CommandAck,
    CommandReject,
    ExecutionResult,
    ExecutionResultBody,
    ExecutorStatus,
    Fill,
    FillReport,
    MarketUpdate,
    PositionsSnapshot,
)
from fx_protocol.vocabulary import CommandStatus, ReasonCode, RejectSource, TradingState


class ExecutorMessageQueries(CommandQueries):
    # ------------------------------------------------------------ executor messages

    def apply_reliable_many(
        self,
        executor_id: str,
        messages: Sequence[CommandAck | CommandReject | ExecutionResult | Fill],
        now_ms: int,
    ) -> list[Applied]:
        """Several seq-carrying messages in one transaction: one fsync for the lot.

        All or nothing: if one fails, none is stored (and none is ACKed), so the
        executor sends them all again on its next session. The executor's stored
        seq is read once and written once per batch (the same row either way).
        """
        with self._tx() as db:
            last = int(
                db.execute(
                    "SELECT last_executor_seq FROM executors WHERE id = ?", (executor_id,)
                ).fetchone()[0]
            )
            applied: list[Applied] = []
            for message in messages:
                if seq_verdict(message.seq, last) is SeqVerdict.REPLAY:
                    applied.append(Applied(ack_seq=last, replay=True))
                    continue
                applied.append(self._apply_new(db, executor_id, message, now_ms))
                last = message.seq
            if any(not a.replay for a in applied):
                db.execute(
                    "UPDATE executors SET last_executor_seq = ?, last_seen_ms = ? WHERE id = ?",
                    (last, now_ms, executor_id),
                )
            return applied

    def apply_reliable(
        self,
        executor_id: str,
        message: CommandAck | CommandReject | ExecutionResult | Fill,
        now_ms: int,
    ) -> Applied:
        """Store one seq-carrying executor message exactly once (replays are only ACKed)."""
        (applied,) = self.apply_reliable_many(executor_id, [message], now_ms)
        return applied

    def _apply_new(
        self,
        db: sqlite3.Connection,
        executor_id: str,
        message: CommandAck | CommandReject | ExecutionResult | Fill,
        now_ms: int,
    ) -> Applied:
        applied = Applied(ack_seq=message.seq)
        if isinstance(message, Fill):
            self._store_fill(db, executor_id, message.fill, now_ms, applied)
            return applied
        row = db.execute(
            "SELECT id, status FROM commands WHERE id = ? AND executor_id = ?",
            (message.command_id, executor_id),
        ).fetchone()
        if row is not None and row["status"] == CommandStatus.PENDING.value:
            row = self._sent_mark_lost(db, row, now_ms, applied)
        if row is None:
            applied.warning = f"{type(message).__name__} for unknown command {message.command_id}"
        elif isinstance(message, CommandAck):
            change = self._transition(db, row, CommandStatus.ACKNOWLEDGED, now_ms)
            applied.changes.extend([change] if change else [])
        elif isinstance(message, CommandReject):
            change = self._transition(
                db,
                row,
                CommandStatus.REJECTED,
                now_ms,
                reason=message.reason.value,
                source=message.source.value,
                field=message.field,
                message=message.message,
            )
            applied.changes.extend([change] if change else [])
        else:
            self._store_result(db, executor_id, row, message.result, now_ms, applied)
        return applied

    def _sent_mark_lost(
        self, db: sqlite3.Connection, row: sqlite3.Row, now_ms: int, applied: Applied
    ) -> sqlite3.Row:
        """An answer to a command the brain has as ``pending``: it was sent, the mark was lost.

        The executor answers only commands it received, so the command was sent; its
        ``sent`` mark (committed without an fsync, ``claim_delivery``) was rolled back
        by a power cut. It is marked sent now, so the answer applies as it would have;
        otherwise the answer would be stored and ACKed but move nothing, and the resend
        of the command would get only a replay of the same answer.
        """
        change = self._transition(db, row, CommandStatus.SENT, now_ms)
        if change is None:
            return row
        applied.changes.append(change)
        applied.warning = f"{row['id']} was answered while pending: its sent mark was lost"
        fresh: sqlite3.Row = db.execute(
            "SELECT id, status FROM commands WHERE id = ?", (row["id"],)
        ).fetchone()
        return fresh

    def _store_result(
        self,
        db: sqlite3.Connection,
        executor_id: str,
        row: sqlite3.Row,
        result: ExecutionResultBody,
        now_ms: int,
        applied: Applied,
    ) -> None:
        existing = db.execute(
            "SELECT status FROM results WHERE command_id = ?", (row["id"],)
        ).fetchone()
        if existing is not None and existing["status"] != "unknown":
            # Results are deduplicated by command id: the first final one stands.
            applied.warning = f"duplicate result for {row['id']} ignored"
            return
        price = result.price if result.price is not None else result.open_price
        db.execute(
            "INSERT INTO results (command_id, executor_id, status, success, ticket, price, volume, "
            "slippage, retcode, body, received_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?) ON CONFLICT(command_id) DO UPDATE SET status = excluded.status, "
            "success = excluded.success, ticket = excluded.ticket, price = excluded.price, "
            "volume = excluded.volume, slippage = excluded.slippage, retcode = excluded.retcode, "
            "body = excluded.body, updated_ms = excluded.updated_ms",
            (
                row["id"],
                executor_id,
                result.status,
                int(result.success),
                result.ticket,
                price,
                result.volume,
                result.slippage,
                result.retcode,
                json_encoder.encode(result).decode(),
                now_ms,
                now_ms,
            ),
        )
        target = CommandStatus(result.status)
        columns: dict[str, Any] = {}
        if target is CommandStatus.REJECTED:
            columns = {
                "reason": (result.reason or ReasonCode.BROKER_REJECTED).value,
                "source": RejectSource.BROKER.value,
                "message": result.message or result.retcode_name,
            }
        elif target is CommandStatus.UNKNOWN:
            columns = {"message": result.message or "outcome being reconciled"}
        change = self._transition(db, row, target, now_ms, **columns)
        if change is None:
            applied.warning = f"result {result.status} for {row['id']} in status {row['status']}"
        else:
            applied.changes.append(change)

    def _store_fill(
        self,
        db: sqlite3.Connection,
        executor_id: str,
        fill: FillReport,
        now_ms: int,
        applied: Applied,
    ) -> None:
        cursor = db.execute(
            "INSERT OR IGNORE INTO fills (executor_id, deal, order_ticket, position_id, symbol, "
            "side, entry, volume, price, profit, magic, reason, command_id, time_ms, body, "
            "received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                executor_id,
                fill.deal,
                fill.order,
                fill.position_id,
                fill.symbol,
                fill.side,
                fill.entry,
                fill.volume,
                fill.price,
                fill.profit,
                fill.magic,
                fill.reason,
                fill.command_id,
                int(fill.time.timestamp() * 1000),
                json_encoder.encode(fill).decode(),
                now_ms,
            ),
        )
        if cursor.rowcount == 1:
            applied.new_fill = fill

    def list_fills(
        self, executor_id: str | None = None, command_id: str | None = None, limit: int = 100
    ) -> list[FillReport]:
        clauses, params = [], []
        if executor_id is not None:
            clauses.append("executor_id = ?")
            params.append(executor_id)
        if command_id is not None:
            clauses.append("command_id = ?")
            params.append(command_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"SELECT body FROM fills {where} ORDER BY time_ms DESC, deal DESC LIMIT ?",
            (*params, limit),
        )
        return [msgspec.json.decode(r[0], type=FillReport) for r in rows]

    def store_status(self, executor_id: str, status: ExecutorStatus, now_ms: int) -> None:
        """Latest EXECUTOR_STATUS; a HALTED state confirms a pending brain halt."""
        with self._tx() as db:
            db.execute(
                "UPDATE executors SET trading_state = ?, halt_reason = ?, terminal_connected = ?, "
                "status_json = ?, status_ms = ?, last_seen_ms = ? WHERE id = ?",
                (
                    status.trading_state.value,
                    status.halt_reason,
                    int(status.terminal_connected),
                    json_encoder.encode(status).decode(),
                    now_ms,
                    now_ms,
                    executor_id,
                ),
            )
            if status.trading_state is TradingState.HALTED:
                db.execute(
                    "UPDATE executors SET halt_done_ms = ? WHERE id = ? AND halt_request = 'halt' "
                    "AND halt_done_ms IS NULL",
                    (now_ms, executor_id),
                )

    def store_positions(self, executor_id: str, snapshot: PositionsSnapshot, now_ms: int) -> None:
        self._latest("positions", executor_id, snapshot, now_ms)

    def store_account(self, executor_id: str, update: AccountUpdate, now_ms: int) -> None:
        self._latest("accounts", executor_id, update, now_ms)

    def _latest(self, table: str, executor_id: str, body: msgspec.Struct, now_ms: int) -> None:
        with self._tx() as db:
            db.execute(
                f"INSERT INTO {table} (executor_id, body, updated_ms) VALUES (?, ?, ?) "
                "ON CONFLICT(executor_id) DO UPDATE SET body = excluded.body, "
                "updated_ms = excluded.updated_ms",
                (executor_id, json_encoder.encode(body).decode(), now_ms),
            )

    def store_ticks(self, executor_id: str, updates: Sequence[MarketUpdate]) -> None:
        """Latest tick per symbol; a batch of updates in one transaction."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO ticks (executor_id, symbol, bid, ask, spread, volume, time_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(executor_id, symbol) DO UPDATE SET "
                "bid = excluded.bid, ask = excluded.ask, spread = excluded.spread, "
                "volume = excluded.volume, time_ms = excluded.time_ms",
                [
                    (
                        executor_id,
                        u.data.symbol,
                        u.data.bid,
                        u.data.ask,
                        u.data.spread,
                        u.data.volume,
                        int(u.timestamp.timestamp() * 1000),
                    )
                    for u in updates
                ],
            )
