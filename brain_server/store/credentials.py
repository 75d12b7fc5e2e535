"""Executors, their sessions, API tokens, admin password and webhooks."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from brain_server import credentials
from brain_server.store.connection import StoreConnection
from brain_server.store.rows import (
    ExecutorRow,
    StoreError,
    Webhook,
    executor_row,
)
from fx_protocol.brain_wire import (
    AccountUpdate,
    PositionsSnapshot,
)
from fx_protocol.signing import new_signing_secret


class CredentialQueries(StoreConnection):
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
        return None if row is None else executor_row(row)

    def list_executors(self, include_revoked: bool = True) -> list[ExecutorRow]:
        sql = "SELECT * FROM executors"
        if not include_revoked:
            sql += " WHERE revoked_ms IS NULL"
        return [executor_row(r) for r in self._db.execute(sql + " ORDER BY created_ms, id")]

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
