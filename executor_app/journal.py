"""The executor's durable journal: the only module that speaks SQL.

One SQLite file (WAL, ``synchronous=NORMAL``: durable across a process kill,
which is the failure the journal guards against), one writer (the runtime's
event loop), migrations in code. Tables:

- ``commands``: every command, recorded BEFORE it goes to the terminal,
  with its status (``sending`` → ``executed`` / ``rejected`` / ``unknown``)
  and the seq of the answer the brain was given;
- ``outbox``: every reliable message for the brain (COMMAND_ACK,
  COMMAND_REJECT, EXECUTION_RESULT, FILL) under a durable, strictly
  increasing ``seq``; resent after every reconnect until ``ACK``\\ ed;
- ``deals``: deal tickets already reported, so a fill is never reported twice;
- ``state``: small named values (trading-state latches, acked seq, ...).

A change and the outbox entry that reports it are written in ONE transaction,
so a kill -9 between them cannot lose or repeat a report (``docs/executor.md``
§ Journal).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from fx_protocol.codec import encode

SCHEMA_VERSION = 1

#: statuses of the ``commands`` table beyond fx_protocol's CommandStatus
SENDING = "sending"  # journaled and on its way to the terminal: unknown if we crash now

Builder = Callable[[int], msgspec.Struct]


class OutboxEntry(msgspec.Struct, frozen=True):
    seq: int
    payload: bytes


class CommandRow(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    status: str
    local: bool
    signal: bytes
    answer_seq: int | None
    reason: str | None
    received_at: str
    expires_at: str | None
    result: str | None


def _migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < 1:
        db.execute(
            """CREATE TABLE IF NOT EXISTS commands (
                command_id TEXT PRIMARY KEY,
                received_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                status TEXT NOT NULL,
                local INTEGER NOT NULL DEFAULT 0,
                action TEXT, symbol TEXT, volume REAL,
                signal BLOB NOT NULL,
                expires_at TEXT,
                reason TEXT,
                answer_seq INTEGER,
                result TEXT)"""
        )
        db.execute("CREATE INDEX IF NOT EXISTS commands_status ON commands(status)")
        db.execute(
            """CREATE TABLE IF NOT EXISTS outbox (
                seq INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                command_id TEXT,
                payload BLOB NOT NULL,
                created_at TEXT NOT NULL)"""
        )
        db.execute(
            """CREATE TABLE IF NOT EXISTS deals (
                ticket INTEGER PRIMARY KEY,
                command_id TEXT,
                seq INTEGER,
                recorded_at TEXT NOT NULL)"""
        )
        db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class Journal:
    """Durable record of commands, outbox, reported deals and state."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Plain sqlite3 (no sqlite-utils): importing sqlite-utils alone took ~0.45 s of
        # the executor's start-up, and every statement here is hand-written SQL anyway.
        self._conn = sqlite3.connect(path)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._conn:
            _migrate(self._conn)
        row = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
        self._last_seq: int = row[0]

    def close(self) -> None:
        self._conn.close()

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def skip_seq_to(self, seq: int) -> bool:
        """Continue numbering above ``seq`` (the brain has seen more than this journal holds).

        Only after a journal was deleted or replaced; returns whether anything changed.
        """
        if seq <= self._last_seq:
            return False
        self._last_seq = seq
        return True

    # ---------------------------------------------------------------- outbox

    def _append(self, kind: str, command_id: str | None, build: Builder, now: str) -> OutboxEntry:
        seq = self._last_seq + 1
        payload = encode(build(seq))
        self._conn.execute(
            "INSERT INTO outbox (seq, kind, command_id, payload, created_at) VALUES (?,?,?,?,?)",
            (seq, kind, command_id, payload, now),
        )
        return OutboxEntry(seq, payload)

    def _commit_seq(self, entry: OutboxEntry | None) -> None:
        if entry is not None:
            self._last_seq = entry.seq

    def outbox_after(self, seq: int, limit: int = 500) -> list[OutboxEntry]:
        rows = self._conn.execute(
            "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [OutboxEntry(r[0], bytes(r[1])) for r in rows]

    def prune_outbox(self, acked_seq: int, before: datetime) -> int:
        """Forget messages the brain confirmed long ago; returns how many were removed.

        Recent ones stay, so a brain restored from an older backup can still be resent
        what it lost (its WELCOME then names a lower ``lastExecutorSeq``).
        """
        with self._conn:
            cursor = self._conn.execute(
                "DELETE FROM outbox WHERE seq <= ? AND created_at < ?",
                (acked_seq, before.isoformat()),
            )
        return int(cursor.rowcount)

    def outbox_entry(self, seq: int) -> OutboxEntry | None:
        row = self._conn.execute("SELECT seq, payload FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return OutboxEntry(row[0], bytes(row[1])) if row else None

    def append_outbox(self, kind: str, build: Builder, now: datetime) -> OutboxEntry:
        with self._conn:
            entry = self._append(kind, None, build, now.isoformat())
        self._commit_seq(entry)
        return entry

    # ---------------------------------------------------------------- commands

    def command_known(self, command_id: str) -> bool:
        """Whether the command is journaled (cheaper than :meth:`command`: no row is built)."""
        row = self._conn.execute(
            "SELECT 1 FROM commands WHERE command_id = ?", (command_id,)
        ).fetchone()
        return row is not None

    def command(self, command_id: str) -> CommandRow | None:
        row = self._conn.execute(
            "SELECT command_id, status, local, signal, answer_seq, reason, received_at,"
            " expires_at, result FROM commands WHERE command_id = ?",
            (command_id,),
        ).fetchone()
        return _command_row(row) if row else None

    def record_command(
        self,
        *,
        command_id: str,
        signal: bytes,
        status: str,
        now: datetime,
        action: str,
        symbol: str | None,
        volume: float | None,
        expires_at: datetime | None,
        reason: str | None = None,
        local: bool = False,
        answer: Builder | None = None,
        answer_kind: str = "",
    ) -> OutboxEntry | None:
        """Journal a new command together with the brain's answer, in one transaction."""
        stamp = now.isoformat()
        with self._conn:
            entry = self._append(answer_kind, command_id, answer, stamp) if answer else None
            self._conn.execute(
                "INSERT INTO commands (command_id, received_at, updated_at, status, local, action,"
                " symbol, volume, signal, expires_at, reason, answer_seq)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    command_id,
                    stamp,
                    stamp,
                    status,
                    int(local),
                    action,
                    symbol,
                    volume,
                    signal,
                    expires_at.isoformat() if expires_at else None,
                    reason,
                    entry.seq if entry else None,
                ),
            )
        self._commit_seq(entry)
        return entry

    def record_outcome(
        self,
        command_id: str,
        *,
        status: str,
        now: datetime,
        result: dict[str, Any] | None = None,
        reason: str | None = None,
        report: Builder | None = None,
    ) -> OutboxEntry | None:
        """Store a command's (new) status and the EXECUTION_RESULT reporting it, atomically."""
        stamp = now.isoformat()
        with self._conn:
            entry = self._append("EXECUTION_RESULT", command_id, report, stamp) if report else None
            self._conn.execute(
                "UPDATE commands SET status = ?, updated_at = ?, result = COALESCE(?, result),"
                " reason = COALESCE(?, reason) WHERE command_id = ?",
                (status, stamp, json.dumps(result) if result else None, reason, command_id),
            )
        self._commit_seq(entry)
        return entry

    def open_commands(self) -> list[CommandRow]:
        """Commands whose terminal outcome is not known (crash or timeout)."""
        rows = self._conn.execute(
            "SELECT command_id, status, local, signal, answer_seq, reason, received_at,"
            " expires_at, result FROM commands WHERE status IN (?, 'unknown')"
            " ORDER BY received_at",
            (SENDING,),
        ).fetchall()
        return [_command_row(r) for r in rows]

    def recent_commands(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT command_id, received_at, updated_at, status, local, action, symbol, volume,"
            " reason, result FROM commands ORDER BY received_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = [
            "command_id",
            "received_at",
            "updated_at",
            "status",
            "local",
            "action",
            "symbol",
            "volume",
            "reason",
            "result",
        ]
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ---------------------------------------------------------------- deals

    def record_deal(
        self, ticket: int, command_id: str | None, now: datetime, report: Builder | None
    ) -> OutboxEntry | None:
        """Remember a deal and queue its FILL, once; None if it was already recorded."""
        stamp = now.isoformat()
        with self._conn:
            # The ticket's row decides "once" (primary key): no separate lookup, and no
            # FILL queued unless the row went in. Its seq is the one _append takes next.
            inserted = self._conn.execute(
                "INSERT OR IGNORE INTO deals (ticket, command_id, seq, recorded_at)"
                " VALUES (?,?,?,?)",
                (ticket, command_id, self._last_seq + 1 if report else None, stamp),
            ).rowcount
            if not inserted:
                return None
            entry = self._append("FILL", command_id, report, stamp) if report else None
        self._commit_seq(entry)
        return entry

    def last_deal_ticket(self) -> int | None:
        """The newest deal known: the newest recorded, or the baseline set at first start.

        Journals written before deals were read from their own table also kept the
        newest ticket in the ``last_deal`` state value; it still counts.
        """
        newest = self._conn.execute("SELECT MAX(ticket) FROM deals").fetchone()[0]
        value = self.get_state("last_deal")
        known = [t for t in (newest, int(value) if value is not None else None) if t is not None]
        return max(known) if known else None

    def deals_caught_up(self) -> int | None:
        """The newest ticket of the last completed deal catch-up (journals from before
        this mark existed fall back to the newest recorded deal)."""
        value = self.get_state("deals_caught_up")
        return int(value) if value is not None else self.last_deal_ticket()

    # ---------------------------------------------------------------- state

    def get_state(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key)"
                " DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _command_row(row: tuple[Any, ...]) -> CommandRow:
    return CommandRow(
        command_id=row[0],
        status=row[1],
        local=bool(row[2]),
        signal=bytes(row[3]),
        answer_seq=row[4],
        reason=row[5],
        received_at=row[6],
        expires_at=row[7],
        result=row[8],
    )
