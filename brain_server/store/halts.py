"""Halt and resume requests: remembered until the executor has them (docs/brain.md)."""

from __future__ import annotations

from brain_server import credentials
from brain_server.store.connection import StoreConnection
from brain_server.store.rows import StoreError


class HaltQueries(StoreConnection):
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
