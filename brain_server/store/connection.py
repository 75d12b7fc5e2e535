"""The one SQLite connection of the brain: WAL, migrations, transactions, the audit log."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from loguru import logger

from brain_server.store.schema import MIGRATIONS


class StoreConnection:
    """Owns the connection. Not thread-safe by design: one thread owns it."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._synchronous = synchronous.upper()
        self._db.execute(f"PRAGMA synchronous={self._synchronous}")
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

    @contextmanager
    def _without_fsync(self) -> Iterator[None]:
        """The transactions inside commit with ``synchronous=NORMAL``: no fsync of their own.

        For writes that may be lost to a power cut (never to a crash of the process: in WAL
        mode a NORMAL commit is in the file system at once) because losing them is
        recovered elsewhere; only the delivery claim (``claim_delivery`` says why). The
        WAL is one file replayed in order, so the next FULL commit (a submit, an executor
        message) syncs these too: a power cut can only take the tail after the last
        fsync, never a NORMAL commit without the FULL ones that followed it.
        ``synchronous`` belongs to the connection, so it is set and put back around the
        transaction, outside it, on the one writer thread.
        """
        if self._synchronous not in ("FULL", "EXTRA") or self._db.in_transaction:
            yield
            return
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self._db.execute(f"PRAGMA synchronous={self._synchronous}")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (0)")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("UPDATE schema_version SET version = ?", (number,))
                logger.debug("database {} migrated to schema {}", self.path, number)

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    def ping(self) -> bool:
        return bool(self._db.execute("SELECT 1").fetchone()[0] == 1)

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
