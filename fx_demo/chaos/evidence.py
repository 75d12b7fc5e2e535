"""Read-only views of the brain's store and the terminal's ledger, for the harness.

The brain's SQLite file is opened read-only (``mode=ro``) while the brain runs (WAL lets
readers in beside its one writer); the terminal's deals come from ``fx-mt5sim deals --json``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

OPEN_STATUSES = ("pending", "sent", "acknowledged", "unknown")


class BrainReader:
    """Queries of the brain's database file, never a write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        # Called from the event loop and from worker threads: one connection, one at a time.
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=10, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn().execute(sql, args).fetchall()
            except sqlite3.Error:
                # The brain was killed mid-checkpoint: reopen once.
                self.close()
                return self._conn().execute(sql, args).fetchall()

    def outstanding(self) -> int:
        marks = ",".join("?" * len(OPEN_STATUSES))
        return int(
            self._rows(f"SELECT count(*) FROM commands WHERE status IN ({marks})", *OPEN_STATUSES)[
                0
            ][0]
        )

    def results_since(self, cursor: int) -> tuple[int, list[dict[str, Any]]]:
        """Executed results stored after ``cursor`` (rowid), with the command's payload."""
        rows = self._rows(
            "SELECT r.rowid AS rid, r.command_id, r.ticket, r.price, c.payload "
            "FROM results r JOIN commands c ON c.id = r.command_id "
            "WHERE r.rowid > ? AND r.status = 'executed' ORDER BY r.rowid",
            cursor,
        )
        out = [dict(r) for r in rows]
        return (out[-1]["rid"] if out else cursor), out

    def quotes(self) -> dict[str, tuple[float, float]]:
        rows = self._rows("SELECT symbol, bid, ask FROM ticks")
        return {r["symbol"]: (float(r["bid"]), float(r["ask"])) for r in rows if r["bid"] > 0}

    def commands(self) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, payload, status, reason, source, expiry_ms, expires_ms, created_ms, "
            "idempotency_key FROM commands"
        )
        out = []
        for r in rows:
            item = dict(r)
            item["action"] = json.loads(item.pop("payload"))["action"]
            out.append(item)
        return out

    def fills(self) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT deal, order_ticket, position_id, symbol, side, entry, volume, price, reason, "
            "command_id FROM fills"
        )
        return [dict(r) for r in rows]

    def fill_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM fills")[0][0])

    def status_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT status, count(*) AS n FROM commands GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    def reason_counts(self) -> dict[str, int]:
        rows = self._rows(
            "SELECT reason, count(*) AS n FROM commands WHERE reason IS NOT NULL GROUP BY reason"
        )
        return {r["reason"]: int(r["n"]) for r in rows}


def sim_deal_count(state_dir: Path) -> int:
    """Deals in the simulator's database (read-only), cheaper than the full JSON dump."""
    path = state_dir / "mt5sim.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        return int(db.execute("SELECT count(*) FROM deals").fetchone()[0])
