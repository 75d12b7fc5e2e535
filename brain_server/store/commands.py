"""The command queue: submit, deliver, executor messages, halt and resume."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from brain_server import credentials
from brain_server.core.delivery import expires_at, plan_delivery
from brain_server.core.lifecycle import can_transition
from brain_server.core.session import SeqVerdict, seq_verdict
from brain_server.store.credentials import CredentialQueries
from brain_server.store.rows import (
    STATUS_TIME_COLUMN,
    Applied,
    Claim,
    CommandRow,
    NewCommand,
    Outgoing,
    StatusChange,
    StoreError,
    command_decoder,
    json_encoder,
    queued_command,
    result_decoder,
)
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
from fx_protocol.command_ids import new_command_id
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import CommandStatus, Priority, ReasonCode, RejectSource, TradingState


class CommandQueries(CredentialQueries):
    # ------------------------------------------------------------ commands

    def submit_command(
        self,
        *,
        executor_id: str,
        command: TradeCommand,
        priority: Priority,
        expiry_ms: int | None,
        strategy_id: str | None,
        idempotency_key: str | None,
        origin: str,
        now_ms: int,
        random80: bytes,
    ) -> tuple[CommandRow, bool]:
        """Store a new pending command, committed before returning; (row, created).

        With an ``idempotency_key`` already used, returns the existing command and
        False. The unique index makes this safe against concurrent submits too.
        """
        (outcome,) = self.submit_many(
            [
                NewCommand(
                    executor_id=executor_id,
                    command=command,
                    priority=priority,
                    expiry_ms=expiry_ms,
                    strategy_id=strategy_id,
                    idempotency_key=idempotency_key,
                    origin=origin,
                    now_ms=now_ms,
                    random80=random80,
                )
            ]
        )
        if isinstance(outcome, StoreError):
            raise outcome
        return outcome

    def submit_many(
        self, requests: Sequence[NewCommand]
    ) -> list[tuple[CommandRow, bool] | StoreError]:
        """Store several submits in one transaction: one fsync for all (group commit).

        Each request gets its own outcome, (row, created) or a StoreError; one
        refused request does not affect the others. Requests are applied in
        order, so a repeated idempotency key within the batch returns the first.
        """
        outcomes: list[tuple[CommandRow, bool] | StoreError] = []
        with self._tx() as db:
            for request in requests:
                try:
                    outcomes.append(self._submit_one(db, request))
                except StoreError as exc:
                    outcomes.append(exc)
        return outcomes

    def _submit_one(self, db: sqlite3.Connection, r: NewCommand) -> tuple[CommandRow, bool]:
        if r.idempotency_key is not None:
            existing = self._by_idempotency(r.idempotency_key)
            if existing is not None:
                return existing, False
        if self.executor_key_hash(r.executor_id) is None:
            raise StoreError("UNKNOWN_EXECUTOR", f"no active executor {r.executor_id!r}")
        command_id = new_command_id(r.now_ms, r.random80)
        try:
            self._insert_command(db, command_id, r)
        except sqlite3.IntegrityError:
            # Another writer (a second process on this file) won the key; it is the command.
            existing = self._by_idempotency(r.idempotency_key) if r.idempotency_key else None
            if existing is None:
                raise
            return existing, False
        row = self.get_command(command_id)
        assert row is not None
        return row, True

    def _insert_command(self, db: sqlite3.Connection, command_id: str, r: NewCommand) -> None:
        db.execute(
            "INSERT INTO commands (id, strategy_id, executor_id, type, payload, status, "
            "priority, priority_rank, idempotency_key, expiry_ms, expires_ms, origin, "
            "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                command_id,
                r.strategy_id,
                r.executor_id,
                r.command.action.value,
                json_encoder.encode(r.command).decode(),
                r.priority.value,
                r.priority.rank,
                r.idempotency_key,
                r.expiry_ms,
                expires_at(r.now_ms, r.expiry_ms),
                r.origin,
                r.now_ms,
                r.now_ms,
            ),
        )

    def _by_idempotency(self, key: str) -> CommandRow | None:
        row = self._db.execute(
            "SELECT * FROM commands WHERE idempotency_key = ?", (key,)
        ).fetchone()
        return None if row is None else self._command_row(row)

    def get_command(self, command_id: str) -> CommandRow | None:
        row = self._db.execute("SELECT * FROM commands WHERE id = ?", (command_id,)).fetchone()
        return None if row is None else self._command_row(row)

    def list_commands(
        self,
        executor_id: str | None = None,
        status: CommandStatus | None = None,
        limit: int = 100,
        strategy_id: str | None = None,
    ) -> list[CommandRow]:
        clauses, params = [], []
        for column, value in (
            ("executor_id", executor_id),
            ("status", status.value if status else None),
            ("strategy_id", strategy_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"SELECT * FROM commands {where} ORDER BY created_ms DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [self._command_row(r) for r in rows]

    def cancel_command(
        self, command_id: str, now_ms: int, actor: str
    ) -> tuple[CommandRow, StatusChange | None]:
        """Cancel a command that has not been sent; the change is None if it was too late."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM commands WHERE id = ?", (command_id,)).fetchone()
            if row is None:
                raise StoreError("UNKNOWN_COMMAND", f"no command {command_id!r}")
            change = self._transition(
                db,
                row,
                CommandStatus.CANCELLED,
                now_ms,
                reason=ReasonCode.CANCELLED.value,
                message=f"cancelled by {actor}",
            )
            if change is not None:
                self._audit(db, now_ms, actor, "command.cancel", command_id, None)
        current = self.get_command(command_id)
        assert current is not None
        return current, change

    def expire_due(self, now_ms: int, limit: int = 1000) -> list[StatusChange]:
        """Expire pending commands past their deadline (executors offline or not)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM commands WHERE status = 'pending' AND expires_ms IS NOT NULL "
                "AND expires_ms <= ? LIMIT ?",
                (now_ms, limit),
            ).fetchall()
            changes = [self._expire(db, row, now_ms) for row in rows]
        return [c for c in changes if c is not None]

    def _expire(self, db: sqlite3.Connection, row: sqlite3.Row, now_ms: int) -> StatusChange | None:
        return self._transition(
            db,
            row,
            CommandStatus.EXPIRED,
            now_ms,
            reason=ReasonCode.EXPIRED.value,
            message="expired before it could be sent",
        )

    def claim_delivery(
        self,
        executor_id: str,
        session_id: str,
        *,
        fresh: bool,
        first_seq: int,
        limit: int,
        now_ms: int,
    ) -> Claim:
        """Mark the next commands of an executor ``sent`` on this session, in delivery order.

        ``fresh`` (first round of a session) also claims every command left ``sent``
        and unanswered by earlier sessions, flagged as possible duplicates.
        Marking happens before the frames are written: a crash in between
        leaves them ``sent``, so they are resent, never lost.
        """
        with self._tx() as db:
            unanswered = (
                db.execute(
                    "SELECT * FROM commands WHERE executor_id = ? AND status = 'sent'",
                    (executor_id,),
                ).fetchall()
                if fresh
                else []
            )
            pending = db.execute(
                "SELECT * FROM commands WHERE executor_id = ? AND status = 'pending' "
                "ORDER BY priority_rank DESC, created_ms, id LIMIT ?",
                (executor_id, limit),
            ).fetchall()
            by_id = {r["id"]: r for r in (*unanswered, *pending)}
            plan = plan_delivery(
                [queued_command(r) for r in unanswered],
                [queued_command(r) for r in pending],
                now_ms,
            )
            expired = [self._expire(db, by_id[cid], now_ms) for cid in plan.expire]
            send: list[Outgoing] = []
            seq = first_seq
            for delivery in plan.send:
                row = by_id[delivery.command_id]
                if delivery.possible_duplicate:
                    db.execute(
                        "UPDATE commands SET session_id = ?, seq = ?, last_sent_ms = ?, "
                        "retry_count = retry_count + 1, updated_ms = ? WHERE id = ?",
                        (session_id, seq, now_ms, now_ms, row["id"]),
                    )
                else:
                    db.execute(
                        "UPDATE commands SET status = 'sent', session_id = ?, seq = ?, "
                        "sent_ms = ?, last_sent_ms = ?, updated_ms = ? WHERE id = ? "
                        "AND status = 'pending'",
                        (session_id, seq, now_ms, now_ms, now_ms, row["id"]),
                    )
                fresh_row = db.execute(
                    "SELECT * FROM commands WHERE id = ?", (row["id"],)
                ).fetchone()
                send.append(
                    Outgoing(self._command_row(fresh_row), seq, delivery.possible_duplicate)
                )
                seq += 1
            if send:
                db.execute(
                    "UPDATE executor_sessions SET last_brain_seq = ? WHERE id = ?",
                    (seq - 1, session_id),
                )
        return Claim(send=send, expired=[c for c in expired if c is not None])

    def _transition(
        self,
        db: sqlite3.Connection,
        row: sqlite3.Row,
        target: CommandStatus,
        now_ms: int,
        **columns: Any,
    ) -> StatusChange | None:
        """Move a command forward if the lifecycle allows it; None when it does not."""
        current = CommandStatus(row["status"])
        if current == target or not can_transition(current, target):
            return None
        sets = {"status": target.value, "updated_ms": now_ms, **columns}
        if (time_column := STATUS_TIME_COLUMN.get(target)) is not None:
            sets[time_column] = now_ms
        if target.is_final:
            sets["completed_ms"] = now_ms
        assignments = ", ".join(f"{k} = ?" for k in sets)
        db.execute(
            f"UPDATE commands SET {assignments} WHERE id = ? AND status = ?",
            (*sets.values(), row["id"], current.value),
        )
        fresh = db.execute("SELECT * FROM commands WHERE id = ?", (row["id"],)).fetchone()
        return StatusChange(self._command_row(fresh), current)

    # ------------------------------------------------------------ executor messages

    def apply_reliable_many(
        self,
        executor_id: str,
        messages: Sequence[CommandAck | CommandReject | ExecutionResult | Fill],
        now_ms: int,
    ) -> list[Applied]:
        """Several seq-carrying messages in one transaction: one fsync for the lot.

        All or nothing: if one fails, none is stored (and none is ACKed), so the
        executor sends them all again on its next session.
        """
        with self._tx():
            return [self.apply_reliable(executor_id, m, now_ms) for m in messages]

    def apply_reliable(
        self,
        executor_id: str,
        message: CommandAck | CommandReject | ExecutionResult | Fill,
        now_ms: int,
    ) -> Applied:
        """Store one seq-carrying executor message exactly once (replays are only ACKed)."""
        with self._tx() as db:
            last = int(
                db.execute(
                    "SELECT last_executor_seq FROM executors WHERE id = ?", (executor_id,)
                ).fetchone()[0]
            )
            if seq_verdict(message.seq, last) is SeqVerdict.REPLAY:
                return Applied(ack_seq=last, replay=True)
            applied = Applied(ack_seq=message.seq)
            if isinstance(message, Fill):
                self._store_fill(db, executor_id, message.fill, now_ms, applied)
            else:
                row = db.execute(
                    "SELECT * FROM commands WHERE id = ? AND executor_id = ?",
                    (message.command_id, executor_id),
                ).fetchone()
                if row is None:
                    applied.warning = (
                        f"{type(message).__name__} for unknown command {message.command_id}"
                    )
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
            db.execute(
                "UPDATE executors SET last_executor_seq = ?, last_seen_ms = ? WHERE id = ?",
                (message.seq, now_ms, executor_id),
            )
            return applied

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

    # ------------------------------------------------------------ halt / resume

    def request_halt(
        self, executor_id: str, flatten: bool, reason: str, actor: str, now_ms: int
    ) -> str:
        """Remember a halt to push until the executor reports HALTED; returns its id."""
        halt_id = credentials.new_halt_id()
        with self._tx() as db:
            done = db.execute(
                "UPDATE executors SET halt_request = 'halt', halt_id = ?, halt_flatten = ?, "
                "halt_request_reason = ?, halt_requested_ms = ?, halt_done_ms = NULL "
                "WHERE id = ? AND revoked_ms IS NULL",
                (halt_id, int(flatten), reason, now_ms, executor_id),
            ).rowcount
            if not done:
                raise StoreError("UNKNOWN_EXECUTOR", f"no active executor {executor_id!r}")
            self._audit(
                db, now_ms, actor, "executor.halt", executor_id, {"flatten": flatten, "id": halt_id}
            )
        return halt_id

    def request_resume(self, executor_id: str, reason: str, actor: str, now_ms: int) -> str:
        resume_id = credentials.new_halt_id()
        with self._tx() as db:
            done = db.execute(
                "UPDATE executors SET halt_request = 'resume', halt_id = ?, halt_flatten = 0, "
                "halt_request_reason = ?, halt_requested_ms = ?, halt_done_ms = NULL "
                "WHERE id = ? AND revoked_ms IS NULL",
                (resume_id, reason, now_ms, executor_id),
            ).rowcount
            if not done:
                raise StoreError("UNKNOWN_EXECUTOR", f"no active executor {executor_id!r}")
            self._audit(db, now_ms, actor, "executor.resume", executor_id, {"id": resume_id})
        return resume_id

    def resume_delivered(self, executor_id: str, resume_id: str, now_ms: int) -> None:
        """A RESUME needs one delivery (the executor may stay halted for local reasons)."""
        with self._tx() as db:
            db.execute(
                "UPDATE executors SET halt_done_ms = ? WHERE id = ? AND halt_request = 'resume' "
                "AND halt_id = ?",
                (now_ms, executor_id, resume_id),
            )

    # ------------------------------------------------------------ row mapping

    def _command_row(self, row: sqlite3.Row) -> CommandRow:
        result_row = self._db.execute(
            "SELECT body FROM results WHERE command_id = ?", (row["id"],)
        ).fetchone()
        return CommandRow(
            id=row["id"],
            executor_id=row["executor_id"],
            strategy_id=row["strategy_id"],
            command=command_decoder.decode(row["payload"]),
            status=CommandStatus(row["status"]),
            priority=Priority(row["priority"]),
            idempotency_key=row["idempotency_key"],
            expiry_ms=row["expiry_ms"],
            expires_ms=row["expires_ms"],
            origin=row["origin"],
            reason=row["reason"],
            source=RejectSource(row["source"]) if row["source"] else None,
            field=row["field"],
            message=row["message"],
            session_id=row["session_id"],
            seq=row["seq"],
            retry_count=row["retry_count"],
            created_ms=row["created_ms"],
            sent_ms=row["sent_ms"],
            acknowledged_ms=row["acknowledged_ms"],
            executed_ms=row["executed_ms"],
            completed_ms=row["completed_ms"],
            updated_ms=row["updated_ms"],
            result=result_decoder.decode(result_row[0]) if result_row else None,
        )
