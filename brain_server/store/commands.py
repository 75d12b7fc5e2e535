"""The command queue: submit, cancel, expire, delivery claim, status moves, row mapping."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from brain_server.core.delivery import expires_at, plan_delivery
from brain_server.core.lifecycle import can_transition
from brain_server.store.credentials import CredentialQueries
from brain_server.store.rows import (
    STATUS_TIME_COLUMN,
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
from fx_protocol.command_ids import new_command_id
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import CommandStatus, Priority, ReasonCode, RejectSource

#: A command with its stored result, if any: one query where a row and then its result
#: took two (the command path reads a row back after every status move).
COMMAND_WITH_RESULT = (
    "SELECT c.*, r.body AS result_body FROM commands c LEFT JOIN results r ON r.command_id = c.id"
)


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
        return _inserted_row(command_id, r), True

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
            f"{COMMAND_WITH_RESULT} WHERE c.idempotency_key = ?", (key,)
        ).fetchone()
        return None if row is None else self._command_row(row)

    def get_command(self, command_id: str) -> CommandRow | None:
        row = self._db.execute(f"{COMMAND_WITH_RESULT} WHERE c.id = ?", (command_id,)).fetchone()
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
                clauses.append(f"c.{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"{COMMAND_WITH_RESULT} {where} ORDER BY c.created_ms DESC, c.id DESC LIMIT ?",
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

        This transaction commits without an fsync (``_without_fsync``), the one write of
        the command path that does: a crash of the brain keeps the mark; a power cut
        may roll it back to ``pending`` (only if nothing committed after it, an ACK or
        RESULT of these commands included). Such a command is sent again as new; the
        executor answers a journaled id with its first answer and the terminal's ledger
        trades an id once, so it is never traded twice; an answer that arrives for it
        while it is still ``pending`` marks it sent first (``_apply_new``).
        docs/reliability.md § The sent mark says what this costs.
        """
        with self._without_fsync(), self._tx() as db:
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
                    f"{COMMAND_WITH_RESULT} WHERE c.id = ?", (row["id"],)
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
        fresh = db.execute(f"{COMMAND_WITH_RESULT} WHERE c.id = ?", (row["id"],)).fetchone()
        return StatusChange(self._command_row(fresh), current)

    # ------------------------------------------------------------ row mapping

    def _command_row(self, row: sqlite3.Row) -> CommandRow:
        """A row of :data:`COMMAND_WITH_RESULT` as a :class:`CommandRow`."""
        result_body = row["result_body"]
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
            result=result_decoder.decode(result_body) if result_body else None,
        )


def _inserted_row(command_id: str, r: NewCommand) -> CommandRow:
    """The row ``_insert_command`` just wrote, without reading it back (nothing else sets it)."""
    return CommandRow(
        id=command_id,
        executor_id=r.executor_id,
        strategy_id=r.strategy_id,
        command=r.command,
        status=CommandStatus.PENDING,
        priority=r.priority,
        idempotency_key=r.idempotency_key,
        expiry_ms=r.expiry_ms,
        expires_ms=expires_at(r.now_ms, r.expiry_ms),
        origin=r.origin,
        reason=None,
        source=None,
        field=None,
        message=None,
        session_id=None,
        seq=None,
        retry_count=0,
        created_ms=r.now_ms,
        sent_ms=None,
        acknowledged_ms=None,
        executed_ms=None,
        completed_ms=None,
        updated_ms=r.now_ms,
    )
