"""All SQL of the brain: one SQLite database in WAL mode, migrations in code, one writer.

Every method runs on the single database thread of :class:`brain_server.database.Database`
(or directly, in the CLI and tests), so transactions never interleave. Times are
epoch milliseconds. Status changes go through :func:`brain_server.core.lifecycle.can_transition`,
so a command's status only ever moves forward, whatever arrives in whatever order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from loguru import logger

from brain_server import credentials
from brain_server.core.delivery import QueuedCommand, expires_at, plan_delivery
from brain_server.core.lifecycle import can_transition
from brain_server.core.session import SeqVerdict, seq_verdict
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
from fx_protocol.signing import new_signing_secret
from fx_protocol.vocabulary import CommandStatus, Priority, ReasonCode, RejectSource, TradingState

_MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE executors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        api_key_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        last_executor_seq INTEGER NOT NULL DEFAULT 0,
        online INTEGER NOT NULL DEFAULT 0,
        session_id TEXT,
        connected_ms INTEGER,
        last_seen_ms INTEGER,
        last_heartbeat_ms INTEGER,
        latency_ms REAL,
        trading_state TEXT,
        halt_reason TEXT,
        terminal_connected INTEGER,
        status_json TEXT,
        status_ms INTEGER,
        -- remote halt/resume the brain must get through: 'halt' | 'resume' | NULL
        halt_request TEXT,
        halt_id TEXT,
        halt_flatten INTEGER NOT NULL DEFAULT 0,
        halt_request_reason TEXT,
        halt_requested_ms INTEGER,
        halt_done_ms INTEGER
    );
    CREATE TABLE executor_sessions (
        id TEXT PRIMARY KEY,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        api_key_hash TEXT NOT NULL,
        ip_address TEXT,
        app_version TEXT,
        connected_ms INTEGER NOT NULL,
        last_heartbeat_ms INTEGER,
        latency_ms REAL,
        disconnected_ms INTEGER,
        status TEXT NOT NULL DEFAULT 'online',
        close_reason TEXT,
        last_brain_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX executor_sessions_by_executor ON executor_sessions(executor_id, connected_ms);
    CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        strategy_id TEXT,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        priority TEXT NOT NULL DEFAULT 'NORMAL',
        priority_rank INTEGER NOT NULL,
        idempotency_key TEXT,
        expiry_ms INTEGER,
        expires_ms INTEGER,
        origin TEXT NOT NULL,
        reason TEXT,
        source TEXT,
        field TEXT,
        message TEXT,
        session_id TEXT,
        seq INTEGER,
        retry_count INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER,
        last_sent_ms INTEGER,
        acknowledged_ms INTEGER,
        executed_ms INTEGER,
        completed_ms INTEGER,
        updated_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX commands_idempotency ON commands(idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE INDEX commands_queue ON commands(executor_id, status, priority_rank DESC, created_ms);
    CREATE INDEX commands_created ON commands(created_ms DESC);
    CREATE INDEX commands_status ON commands(status);
    CREATE TABLE results (
        command_id TEXT PRIMARY KEY REFERENCES commands(id),
        executor_id TEXT NOT NULL,
        status TEXT NOT NULL,
        success INTEGER NOT NULL,
        ticket INTEGER,
        price REAL,
        volume REAL,
        slippage REAL,
        retcode INTEGER,
        body TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE fills (
        executor_id TEXT NOT NULL,
        deal INTEGER NOT NULL,
        order_ticket INTEGER NOT NULL,
        position_id INTEGER NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        entry TEXT NOT NULL,
        volume REAL NOT NULL,
        price REAL NOT NULL,
        profit REAL NOT NULL,
        magic INTEGER NOT NULL,
        reason TEXT NOT NULL,
        command_id TEXT,
        time_ms INTEGER NOT NULL,
        body TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (executor_id, deal)
    );
    CREATE INDEX fills_by_command ON fills(command_id);
    CREATE TABLE positions (
        executor_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE accounts (
        executor_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE ticks (
        executor_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        bid REAL NOT NULL,
        ask REAL NOT NULL,
        spread INTEGER NOT NULL,
        volume INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        PRIMARY KEY (executor_id, symbol)
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        last_used_ms INTEGER
    );
    CREATE TABLE admin_credentials (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        secret_hash TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
    );
    CREATE INDEX audit_log_at ON audit_log(at_ms DESC);
    """,
    # 2: web admin sessions (brain_server/admin); the cookie's secret is kept only as a hash
    """
    CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        address TEXT,
        user_agent TEXT,
        created_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_ms);
    """,
    # 3: security (docs/security.md): the secret the brain signs TRADE_SIGNALs with (it
    # must be able to use it, so unlike keys it is not a hash) and client address
    # allow-lists (comma-separated CIDRs; NULL = any address)
    """
    ALTER TABLE executors ADD COLUMN signing_secret TEXT;
    ALTER TABLE executors ADD COLUMN allow_cidrs TEXT;
    ALTER TABLE api_tokens ADD COLUMN allow_cidrs TEXT
    """,
]

_encoder = msgspec.json.Encoder()
_command_decoder = msgspec.json.Decoder(TradeCommand)
_result_decoder = msgspec.json.Decoder(ExecutionResultBody)

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


# ---------------------------------------------------------------- the store


class Store:
    """The brain database. Not thread-safe by design: one thread owns it."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._migrate()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._db.in_transaction:
            # Inside a batch (apply_reliable_many): a savepoint, the batch commits once.
            self._db.execute("SAVEPOINT nested")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK TO nested")
                self._db.execute("RELEASE nested")
                raise
            else:
                self._db.execute("RELEASE nested")
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (0)")
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("UPDATE schema_version SET version = ?", (number,))
                logger.debug("database {} migrated to schema {}", self.path, number)

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    def ping(self) -> bool:
        return bool(self._db.execute("SELECT 1").fetchone()[0] == 1)

    # ------------------------------------------------------------ executors

    def add_executor(self, name: str, now_ms: int) -> tuple[str, str]:
        """Register an executor; returns (id, api key). Only the key's hash is kept.

        A command signing secret is issued too (:meth:`executor_signing_secret`)."""
        executor_id, api_key = credentials.new_executor_id(), credentials.new_api_key()
        with self._tx() as db:
            db.execute(
                "INSERT INTO executors (id, name, api_key_hash, created_ms, signing_secret) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    executor_id,
                    name,
                    credentials.hash_secret(api_key),
                    now_ms,
                    new_signing_secret(),
                ),
            )
            self._audit(db, now_ms, "cli", "executor.add", executor_id, {"name": name})
        return executor_id, api_key

    def revoke_executor(self, executor_id: str, now_ms: int, actor: str = "cli") -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE executors SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
                (now_ms, executor_id),
            )
            if cursor.rowcount:
                self._audit(db, now_ms, actor, "executor.revoke", executor_id, None)
            return cursor.rowcount == 1

    def executor_key_hash(self, executor_id: str) -> str | None:
        """The stored API key hash of an active (not revoked) executor."""
        row = self._db.execute(
            "SELECT api_key_hash FROM executors WHERE id = ? AND revoked_ms IS NULL",
            (executor_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def executor_signing_secret(self, executor_id: str) -> str | None:
        """The secret TRADE_SIGNALs to this executor are signed with (docs/security.md)."""
        row = self._db.execute(
            "SELECT signing_secret FROM executors WHERE id = ?", (executor_id,)
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def rotate_signing_secret(self, executor_id: str, actor: str, now_ms: int) -> str:
        """A new signing secret (the next session signs with it); shown once."""
        secret = new_signing_secret()
        with self._tx() as db:
            done = db.execute(
                "UPDATE executors SET signing_secret = ? WHERE id = ?", (secret, executor_id)
            ).rowcount
            if not done:
                raise StoreError("UNKNOWN_EXECUTOR", f"no executor {executor_id!r}")
            self._audit(db, now_ms, actor, "executor.signing_secret", executor_id, None)
        return secret

    def set_allowed_addresses(
        self, kind: str, target_id: str, cidrs: Sequence[str], actor: str, now_ms: int
    ) -> bool:
        """The client networks an executor (``kind`` "executor") or token ("token") may
        connect from; empty = any. False when there is no such executor or token."""
        table = {"executor": "executors", "token": "api_tokens"}[kind]
        value = ",".join(cidrs) or None
        with self._tx() as db:
            done = db.execute(
                f"UPDATE {table} SET allow_cidrs = ? WHERE id = ?", (value, target_id)
            ).rowcount
            if done:
                self._audit(db, now_ms, actor, f"{kind}.allow", target_id, {"cidrs": list(cidrs)})
            return done == 1

    def allowed_addresses(self, kind: str, target_id: str) -> list[str]:
        """The allow-list of an executor or token ([] = any address)."""
        table = {"executor": "executors", "token": "api_tokens"}[kind]
        row = self._db.execute(
            f"SELECT allow_cidrs FROM {table} WHERE id = ?", (target_id,)
        ).fetchone()
        return [] if row is None or not row[0] else str(row[0]).split(",")

    def revoked_among(self, executor_ids: Sequence[str]) -> list[str]:
        """Which of these executors have been revoked (e.g. by the CLI, another process)."""
        if not executor_ids:
            return []
        marks = ", ".join("?" for _ in executor_ids)
        rows = self._db.execute(
            f"SELECT id FROM executors WHERE revoked_ms IS NOT NULL AND id IN ({marks})",
            tuple(executor_ids),
        )
        return [str(r[0]) for r in rows]

    def get_executor(self, executor_id: str) -> ExecutorRow | None:
        row = self._db.execute("SELECT * FROM executors WHERE id = ?", (executor_id,)).fetchone()
        return None if row is None else _executor_row(row)

    def list_executors(self, include_revoked: bool = True) -> list[ExecutorRow]:
        sql = "SELECT * FROM executors"
        if not include_revoked:
            sql += " WHERE revoked_ms IS NULL"
        return [_executor_row(r) for r in self._db.execute(sql + " ORDER BY created_ms, id")]

    def executor_snapshot(
        self, executor_id: str
    ) -> tuple[PositionsSnapshot | None, AccountUpdate | None]:
        pos = self._db.execute(
            "SELECT body FROM positions WHERE executor_id = ?", (executor_id,)
        ).fetchone()
        acc = self._db.execute(
            "SELECT body FROM accounts WHERE executor_id = ?", (executor_id,)
        ).fetchone()
        return (
            msgspec.json.decode(pos[0], type=PositionsSnapshot) if pos else None,
            msgspec.json.decode(acc[0], type=AccountUpdate) if acc else None,
        )

    def pending_counts(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT executor_id, COUNT(*) FROM commands WHERE status = 'pending' "
            "GROUP BY executor_id"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def latest_ticks(self, executor_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT symbol, bid, ask, spread, volume, time_ms FROM ticks WHERE executor_id = ? "
            "ORDER BY symbol",
            (executor_id,),
        )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------ sessions

    def mark_all_offline(self, now_ms: int) -> int:
        """At start-up: no session survives a brain restart."""
        with self._tx() as db:
            db.execute(
                "UPDATE executor_sessions SET status = 'closed', close_reason = 'BRAIN_RESTART', "
                "disconnected_ms = ? WHERE status = 'online'",
                (now_ms,),
            )
            return db.execute(
                "UPDATE executors SET online = 0, session_id = NULL WHERE online = 1"
            ).rowcount

    def open_session(
        self,
        executor_id: str,
        session_id: str,
        key_hash: str,
        ip_address: str | None,
        app_version: str,
        now_ms: int,
    ) -> int:
        """Record a new live session; returns the highest stored executor seq."""
        with self._tx() as db:
            db.execute(
                "UPDATE executor_sessions SET status = 'closed', disconnected_ms = ?, "
                "close_reason = COALESCE(close_reason, 'SESSION_REPLACED') "
                "WHERE executor_id = ? AND status = 'online'",
                (now_ms, executor_id),
            )
            db.execute(
                "INSERT INTO executor_sessions (id, executor_id, api_key_hash, ip_address, "
                "app_version, connected_ms, last_heartbeat_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, executor_id, key_hash, ip_address, app_version, now_ms, now_ms),
            )
            db.execute(
                "UPDATE executors SET online = 1, session_id = ?, connected_ms = ?, "
                "last_seen_ms = ? WHERE id = ?",
                (session_id, now_ms, now_ms, executor_id),
            )
            row = db.execute(
                "SELECT last_executor_seq FROM executors WHERE id = ?", (executor_id,)
            ).fetchone()
            return int(row[0])

    def close_session(self, executor_id: str, session_id: str, reason: str, now_ms: int) -> bool:
        """Mark a session closed; returns True when it was the executor's live one."""
        with self._tx() as db:
            db.execute(
                "UPDATE executor_sessions SET status = 'closed', disconnected_ms = ?, "
                "close_reason = ? WHERE id = ? AND status = 'online'",
                (now_ms, reason, session_id),
            )
            return (
                db.execute(
                    "UPDATE executors SET online = 0, session_id = NULL "
                    "WHERE id = ? AND session_id = ?",
                    (executor_id, session_id),
                ).rowcount
                == 1
            )

    def record_heartbeats(self, rows: Sequence[tuple[str, str, float | None, int]]) -> None:
        """Latest heartbeat of many sessions: (executor id, session id, latency ms, time ms)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE executor_sessions SET last_heartbeat_ms = ?, "
                "latency_ms = COALESCE(?, latency_ms) WHERE id = ?",
                [(at, latency, session_id) for _, session_id, latency, at in rows],
            )
            db.executemany(
                "UPDATE executors SET last_heartbeat_ms = ?, last_seen_ms = MAX(COALESCE("
                "last_seen_ms, 0), ?), latency_ms = COALESCE(?, latency_ms) WHERE id = ?",
                [(at, at, latency, executor_id) for executor_id, _, latency, at in rows],
            )

    # ------------------------------------------------------------ tokens, admin, webhooks

    def add_token(self, name: str, now_ms: int) -> str:
        token_id, token = credentials.new_token()
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_tokens (id, name, token_hash, created_ms) VALUES (?, ?, ?, ?)",
                (token_id, name, credentials.hash_secret(token), now_ms),
            )
            self._audit(db, now_ms, "cli", "token.add", token_id, {"name": name})
        return token

    def verify_token(self, token: str) -> str | None:
        """The name of the active token, or None."""
        token_id = credentials.token_id_of(token)
        if token_id is None:
            return None
        row = self._db.execute(
            "SELECT name, token_hash FROM api_tokens WHERE id = ? AND revoked_ms IS NULL",
            (token_id,),
        ).fetchone()
        if row is None or not credentials.secret_matches(token, row["token_hash"]):
            return None
        return str(row["name"])

    def list_tokens(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, name, created_ms, revoked_ms FROM api_tokens ORDER BY created_ms"
        )
        return [dict(r) for r in rows]

    def revoke_token(self, token_id: str, now_ms: int) -> bool:
        with self._tx() as db:
            done = db.execute(
                "UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
                (now_ms, token_id),
            ).rowcount
            if done:
                self._audit(db, now_ms, "cli", "token.revoke", token_id, None)
            return done == 1

    def set_admin_password(self, username: str, password_hash: str, now_ms: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO admin_credentials (username, password_hash, updated_ms) "
                "VALUES (?, ?, ?) ON CONFLICT(username) DO UPDATE SET "
                "password_hash = excluded.password_hash, updated_ms = excluded.updated_ms",
                (username, password_hash, now_ms),
            )
            self._audit(db, now_ms, "cli", "admin.password", username, None)

    def admin_password_hash(self, username: str) -> str | None:
        row = self._db.execute(
            "SELECT password_hash FROM admin_credentials WHERE username = ?", (username,)
        ).fetchone()
        return None if row is None else str(row[0])

    def add_webhook(self, name: str, executor_id: str, now_ms: int) -> tuple[str, str]:
        """Create a webhook for an executor; returns (webhook id, secret)."""
        if self.executor_key_hash(executor_id) is None:
            raise StoreError("UNKNOWN_EXECUTOR", f"no active executor {executor_id!r}")
        webhook_id = "wh-" + credentials.new_halt_id()[2:]
        secret = credentials.new_webhook_secret()
        with self._tx() as db:
            try:
                db.execute(
                    "INSERT INTO webhooks (id, name, executor_id, secret_hash, created_ms) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (webhook_id, name, executor_id, credentials.hash_secret(secret), now_ms),
                )
            except sqlite3.IntegrityError:
                raise StoreError("DUPLICATE", f"a webhook named {name!r} exists") from None
            self._audit(db, now_ms, "cli", "webhook.add", webhook_id, {"name": name})
        return webhook_id, secret

    def webhook_by_secret(self, secret: str) -> Webhook | None:
        row = self._db.execute(
            "SELECT id, name, executor_id FROM webhooks WHERE secret_hash = ? "
            "AND revoked_ms IS NULL",
            (credentials.hash_secret(secret),),
        ).fetchone()
        return None if row is None else Webhook(row["id"], row["name"], row["executor_id"])

    def list_webhooks(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, name, executor_id, created_ms, revoked_ms FROM webhooks ORDER BY created_ms"
        )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------ audit

    def audit(self, actor: str, action: str, target: str | None, detail: Any, now_ms: int) -> None:
        with self._tx() as db:
            self._audit(db, now_ms, actor, action, target, detail)

    def _audit(
        self,
        db: sqlite3.Connection,
        now_ms: int,
        actor: str,
        action: str,
        target: str | None,
        detail: Any,
    ) -> None:
        db.execute(
            "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (now_ms, actor, action, target, None if detail is None else json.dumps(detail)),
        )

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

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
                _encoder.encode(r.command).decode(),
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
                [_queued(r) for r in unanswered], [_queued(r) for r in pending], now_ms
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
                _encoder.encode(result).decode(),
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
                _encoder.encode(fill).decode(),
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
                    _encoder.encode(status).decode(),
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
                (executor_id, _encoder.encode(body).decode(), now_ms),
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

    # ------------------------------------------------------------ statistics

    def overview(self) -> Overview:
        by_status = {
            str(r[0]): int(r[1])
            for r in self._db.execute("SELECT status, COUNT(*) FROM commands GROUP BY status")
        }
        executors = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(online), 0) FROM executors WHERE revoked_ms IS NULL"
        ).fetchone()
        fills = self._db.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        return Overview(
            commands_by_status=by_status,
            executors_total=int(executors[0]),
            executors_online=int(executors[1]),
            queue_depth=by_status.get("pending", 0),
            fills_total=int(fills),
        )

    # ============================================================ web admin
    # Queries of the web admin (brain_server/admin/); nothing above depends on them.

    def create_admin_session(
        self,
        *,
        id_hash: str,
        username: str,
        csrf_token: str,
        address: str | None,
        user_agent: str | None,
        now_ms: int,
        expires_ms: int,
    ) -> None:
        """Store a logged-in admin session (and forget the expired ones)."""
        with self._tx() as db:
            db.execute("DELETE FROM admin_sessions WHERE expires_ms <= ?", (now_ms,))
            db.execute(
                "INSERT INTO admin_sessions (id_hash, username, csrf_token, address, user_agent, "
                "created_ms, last_seen_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (id_hash, username, csrf_token, address, user_agent, now_ms, now_ms, expires_ms),
            )
            self._audit(db, now_ms, f"admin:{username}", "admin.login", address, None)

    def admin_session(
        self, id_hash: str, now_ms: int, idle_ms: int, touch_after_ms: int = 60_000
    ) -> AdminSessionRow | None:
        """The live session with this id hash; None when unknown, expired or idle too long.

        ``last_seen_ms`` is written at most once per ``touch_after_ms`` so that
        page views do not each cost a commit.
        """
        row = self._db.execute(
            "SELECT * FROM admin_sessions WHERE id_hash = ?", (id_hash,)
        ).fetchone()
        if row is None or row["expires_ms"] <= now_ms or now_ms - row["last_seen_ms"] > idle_ms:
            return None
        if now_ms - row["last_seen_ms"] > touch_after_ms:
            with self._tx() as db:
                db.execute(
                    "UPDATE admin_sessions SET last_seen_ms = ? WHERE id_hash = ?",
                    (now_ms, id_hash),
                )
        return AdminSessionRow(
            username=row["username"],
            csrf_token=row["csrf_token"],
            created_ms=row["created_ms"],
            expires_ms=row["expires_ms"],
        )

    def delete_admin_session(self, id_hash: str, now_ms: int) -> None:
        with self._tx() as db:
            row = db.execute(
                "DELETE FROM admin_sessions WHERE id_hash = ? RETURNING username", (id_hash,)
            ).fetchone()
            if row is not None:
                self._audit(db, now_ms, f"admin:{row[0]}", "admin.logout", None, None)

    def rotate_executor_key(self, executor_id: str, actor: str, now_ms: int) -> str:
        """A new API key for an executor (the old one stops working; a revoked one is active
        again); returns the key, which is shown once."""
        api_key = credentials.new_api_key()
        with self._tx() as db:
            done = db.execute(
                "UPDATE executors SET api_key_hash = ?, revoked_ms = NULL WHERE id = ?",
                (credentials.hash_secret(api_key), executor_id),
            ).rowcount
            if not done:
                raise StoreError("UNKNOWN_EXECUTOR", f"no executor {executor_id!r}")
            self._audit(db, now_ms, actor, "executor.key", executor_id, None)
        return api_key

    def executor_sessions(self, executor_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """Session history of one executor, newest first."""
        rows = self._db.execute(
            "SELECT id, ip_address, app_version, connected_ms, last_heartbeat_ms, latency_ms, "
            "disconnected_ms, status, close_reason FROM executor_sessions WHERE executor_id = ? "
            "ORDER BY connected_ms DESC LIMIT ?",
            (executor_id, limit),
        )
        return [dict(r) for r in rows]

    def recent_fills(
        self, executor_id: str | None = None, limit: int = 20
    ) -> list[tuple[str, FillReport]]:
        """(executor id, fill) pairs, newest first."""
        where, params = ("WHERE executor_id = ?", [executor_id]) if executor_id else ("", [])
        rows = self._db.execute(
            f"SELECT executor_id, body FROM fills {where} ORDER BY time_ms DESC, deal DESC LIMIT ?",
            (*params, limit),
        )
        return [(str(r[0]), msgspec.json.decode(r[1], type=FillReport)) for r in rows]

    def command_stats(self, since_ms: int) -> dict[str, dict[str, int]]:
        """Per executor, commands created since ``since_ms`` counted by status."""
        stats: dict[str, dict[str, int]] = {}
        for r in self._db.execute(
            "SELECT executor_id, status, COUNT(*) FROM commands WHERE created_ms >= ? "
            "GROUP BY executor_id, status",
            (since_ms,),
        ):
            stats.setdefault(str(r[0]), {})[str(r[1])] = int(r[2])
        return stats

    def realized_profit(self, since_ms: int) -> dict[str, float]:
        """Per executor, profit + commission + swap of the deals since ``since_ms``."""
        rows = self._db.execute(
            "SELECT executor_id, body FROM fills WHERE time_ms >= ?", (since_ms,)
        )
        totals: dict[str, float] = {}
        for r in rows:
            fill = msgspec.json.decode(r[1], type=FillReport)
            amount = fill.profit + fill.commission + fill.swap
            totals[str(r[0])] = totals.get(str(r[0]), 0.0) + amount
        return totals

    # ============================================================ end of web admin

    # ------------------------------------------------------------ row mapping

    def _command_row(self, row: sqlite3.Row) -> CommandRow:
        result_row = self._db.execute(
            "SELECT body FROM results WHERE command_id = ?", (row["id"],)
        ).fetchone()
        return CommandRow(
            id=row["id"],
            executor_id=row["executor_id"],
            strategy_id=row["strategy_id"],
            command=_command_decoder.decode(row["payload"]),
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
            result=_result_decoder.decode(result_row[0]) if result_row else None,
        )


def _queued(row: sqlite3.Row) -> QueuedCommand:
    return QueuedCommand(
        command_id=row["id"],
        priority_rank=row["priority_rank"],
        created_ms=row["created_ms"],
        expires_ms=row["expires_ms"],
        sent_ms=row["sent_ms"],
    )


def _executor_row(row: sqlite3.Row) -> ExecutorRow:
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
