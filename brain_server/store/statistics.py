"""Figures for the web admin and metrics: overview, admin sessions, fills, daily stats."""

from __future__ import annotations

from typing import Any

import msgspec

from brain_server import credentials
from brain_server.store.connection import StoreConnection
from brain_server.store.rows import (
    AdminSessionRow,
    Overview,
    StoreError,
)
from fx_protocol.brain_wire import (
    FillReport,
)


class StatisticsQueries(StoreConnection):
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
