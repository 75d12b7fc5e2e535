"""The running brain: database thread, live executor sessions, events, metrics.

One :class:`Brain` per server. REST handlers, the webhook, the web admin and
the WebSocket sessions all go through it, so a command is submitted, delivered
and reported the same way whoever asked for it.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loguru import logger

from brain_server.clock import now_ms, to_datetime, utcnow
from brain_server.core.auth_throttle import AuthThrottle
from brain_server.database import Database
from brain_server.events import EventBus
from brain_server.metrics import Metrics
from brain_server.rate_limit import RateLimiter
from brain_server.settings import Settings
from brain_server.store import CommandRow, NewCommand, StatusChange, Store, StoreError
from fx_protocol.brain_wire import MarketUpdate
from fx_protocol.commands import TradeCommand, validate_command
from fx_protocol.strategy_events import ExecutorStatusEvent
from fx_protocol.vocabulary import Priority

if TYPE_CHECKING:
    from brain_server.executor_session import ExecutorSession


@dataclass(frozen=True, slots=True)
class HaltOutcome:
    executor_id: str
    halt_id: str
    delivered: bool


class Brain:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.db = Database(store or Store(settings.db, settings.sqlite_synchronous))
        self.bus = EventBus(settings.events_queue_size)
        self.metrics = Metrics()
        self.throttle = AuthThrottle(
            settings.auth_fail_delay_ms,
            settings.auth_fail_max_delay_ms,
            settings.auth_fail_window_ms,
        )
        # docs/security.md § Rate limits: per API token, and failed logins per address
        self.rest_limiter = RateLimiter(settings.rest_rate_per_second, settings.rest_rate_burst)
        self.auth_limiter = RateLimiter(
            settings.auth_fail_per_minute / 60, settings.auth_fail_per_minute
        )
        self.sessions: dict[str, ExecutorSession] = {}
        self._register_locks: dict[str, asyncio.Lock] = {}
        self._ticks: dict[tuple[str, str], MarketUpdate] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._submits: list[
            tuple[NewCommand, asyncio.Future[tuple[CommandRow, bool] | StoreError]]
        ] = []
        self._committer: asyncio.Task[None] | None = None
        self.started_ms = now_ms()
        self.ready = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        count = await self.db.call(self.db.store.mark_all_offline, now_ms())
        if count:
            logger.info("{} executor(s) marked offline after restart", count)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="brain-sweeper")
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        sessions = list(self.sessions.values())
        for session in sessions:
            session.finish(1001, "BRAIN_SHUTDOWN")
        await asyncio.gather(*(s.wait_closed() for s in sessions), return_exceptions=True)
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._committer is not None:
            await asyncio.gather(self._committer, return_exceptions=True)
        await self._flush_ticks()
        self.db.close()

    async def _sweep_forever(self) -> None:
        """Expire due commands of offline executors and flush buffered ticks."""
        period = self.settings.expiry_sweep_ms / 1000
        while True:
            await asyncio.sleep(period)
            try:
                for change in await self.db.call(self.db.store.expire_due, now_ms()):
                    self.command_changed(change)
                await self._flush_ticks()
                await self.flush_heartbeats(list(self.sessions.values()))
                await self._close_revoked()
            except Exception:
                logger.exception("expiry sweep failed; retrying next period")

    # ------------------------------------------------------------ commands

    async def submit(
        self,
        *,
        executor_id: str,
        command: TradeCommand,
        priority: Priority = Priority.NORMAL,
        expiry_ms: int | None = None,
        strategy_id: str | None = None,
        idempotency_key: str | None = None,
        origin: str,
    ) -> tuple[CommandRow, bool]:
        """Validate, store (committed) and queue a command; (row, created).

        Raises ``ProtocolError`` for an invalid command and ``StoreError``
        (``UNKNOWN_EXECUTOR``) for an executor that does not exist.
        """
        validate_command(command)
        if expiry_ms is None and self.settings.default_expiry_ms > 0:
            expiry_ms = self.settings.default_expiry_ms
        request = NewCommand(
            executor_id=executor_id,
            command=command,
            priority=priority,
            expiry_ms=expiry_ms,
            strategy_id=strategy_id,
            idempotency_key=idempotency_key,
            origin=origin,
            now_ms=now_ms(),
            random80=os.urandom(10),
        )
        future: asyncio.Future[tuple[CommandRow, bool] | StoreError] = (
            asyncio.get_running_loop().create_future()
        )
        self._submits.append((request, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_submits(), name="brain-submits")
        outcome = await asyncio.shield(future)
        if isinstance(outcome, StoreError):
            raise outcome
        row, created = outcome
        if created:
            self.metrics.submitted += 1
            self.command_changed(StatusChange(row, None))
            self.kick(executor_id)
        return row, created

    async def _commit_submits(self) -> None:
        """Group commit: every submit queued while a batch was on disk goes in the next one.

        Under one request at a time this is a plain commit per submit; under
        concurrency the fsync is shared, which is where commands/s come from.
        """
        while self._submits:
            batch, self._submits = self._submits, []
            try:
                outcomes = await self.db.call(self.db.store.submit_many, [r for r, _ in batch])
            except Exception as exc:
                logger.exception("storing {} submitted command(s) failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    async def cancel(self, command_id: str, actor: str) -> tuple[CommandRow, bool]:
        row, change = await self.db.call(self.db.store.cancel_command, command_id, now_ms(), actor)
        if change is not None:
            self.command_changed(change)
        return row, change is not None

    def command_changed(self, change: StatusChange) -> None:
        self.metrics.command_changed(change)
        self.bus.command_changed(change)

    def kick(self, executor_id: str) -> None:
        """Tell the executor's live session, if any, that there is work."""
        session = self.sessions.get(executor_id)
        if session is not None:
            session.wake()

    # ------------------------------------------------------------ halt / resume

    async def halt(self, executor_id: str, flatten: bool, reason: str, actor: str) -> HaltOutcome:
        halt_id = await self.db.call(
            self.db.store.request_halt, executor_id, flatten, reason, actor, now_ms()
        )
        logger.warning(
            "halt {} of {} requested by {} (flatten={})", halt_id, executor_id, actor, flatten
        )
        return HaltOutcome(executor_id, halt_id, await self._push_control(executor_id))

    async def halt_all(self, flatten: bool, reason: str, actor: str) -> list[HaltOutcome]:
        executors = await self.db.call(self.db.store.list_executors, False)
        return [await self.halt(e.id, flatten, reason, actor) for e in executors]

    async def resume(self, executor_id: str, reason: str, actor: str) -> HaltOutcome:
        resume_id = await self.db.call(
            self.db.store.request_resume, executor_id, reason, actor, now_ms()
        )
        logger.info("resume {} of {} requested by {}", resume_id, executor_id, actor)
        return HaltOutcome(executor_id, resume_id, await self._push_control(executor_id))

    async def _push_control(self, executor_id: str) -> bool:
        session = self.sessions.get(executor_id)
        if session is None:
            return False
        try:
            return await session.push_control()
        except Exception:
            logger.exception("could not push halt/resume to {}", executor_id)
            return False

    # ------------------------------------------------------------ sessions

    async def register(self, session: ExecutorSession) -> None:
        """Make ``session`` the executor's live one; an older one is closed (SESSION_REPLACED)."""
        lock = self._register_locks.setdefault(session.executor_id, asyncio.Lock())
        async with lock:
            old = self.sessions.get(session.executor_id)
            self.sessions[session.executor_id] = session
            if old is not None:
                logger.warning(
                    "executor {}: session {} replaced by {} from {}",
                    session.executor_id,
                    old.session_id,
                    session.session_id,
                    session.address,
                )
                old.finish(4003, "SESSION_REPLACED")
                await old.wait_closed()

    def unregister(self, session: ExecutorSession) -> bool:
        if self.sessions.get(session.executor_id) is session:
            del self.sessions[session.executor_id]
            return True
        return False

    def executor_online(self, session: ExecutorSession, online: bool) -> None:
        status = session.last_status
        self.bus.publish(
            ExecutorStatusEvent(
                executor_id=session.executor_id,
                online=online,
                trading_state=status.trading_state if status else None,
                halt_reason=status.halt_reason if status else None,
                terminal_connected=status.terminal_connected if status else None,
                latency_ms=session.heartbeat.latency_ms,
                timestamp=utcnow(),
            ),
            session.executor_id,
        )

    async def _close_revoked(self) -> None:
        """A key revoked while its executor is connected ends that session (4001)."""
        revoked = await self.db.call(self.db.store.revoked_among, list(self.sessions))
        for executor_id in revoked:
            session = self.sessions.get(executor_id)
            if session is not None:
                logger.warning("executor {} was revoked; closing its session", executor_id)
                session.finish(4001, "AUTH_FAILED")

    async def flush_heartbeats(self, sessions: list[ExecutorSession]) -> None:
        """Write the latest heartbeat time and latency of these sessions in one transaction."""
        rows = [
            (s.executor_id, s.session_id, s.heartbeat.latency_ms, s.last_heartbeat_ms)
            for s in sessions
            if s.heartbeat_dirty and s.last_heartbeat_ms is not None
        ]
        for s in sessions:
            s.heartbeat_dirty = False
        if rows:
            await self.db.call(self.db.store.record_heartbeats, rows)

    # ------------------------------------------------------------ ticks

    def buffer_tick(self, executor_id: str, update: MarketUpdate) -> None:
        """Latest tick per symbol is stored in batches: ticks are many and only the last matters."""
        self._ticks[(executor_id, update.data.symbol)] = update

    async def _flush_ticks(self) -> None:
        if not self._ticks:
            return
        batch, self._ticks = self._ticks, {}
        by_executor: dict[str, list[MarketUpdate]] = {}
        for (executor_id, _), update in batch.items():
            by_executor.setdefault(executor_id, []).append(update)
        for executor_id, updates in by_executor.items():
            await self.db.call(self.db.store.store_ticks, executor_id, updates)


def describe_store_error(exc: StoreError) -> str:
    return f"{exc.reason}: {exc.message}"


__all__ = ["Brain", "HaltOutcome", "StoreError", "to_datetime"]
