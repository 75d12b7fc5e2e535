"""What the parts of :class:`executor_app.runtime.Runtime` share, one object each.

- ``RuntimeState``: the state more than one part reads or changes (limits, trading
  state, the terminal mirror, reconciliation, the wish for a status snapshot), the
  journal, brain link, terminal bridge and execution once ``Runtime.start`` has made
  them, what is persisted of it, and the messages for the brain built from it.
- ``Tasks``: the owner of every background task; a failure is logged, never lost.
- ``Observers``: the subscribers (called after the current step of the order flow,
  never inside it) and the recent command updates a late snapshot shows.
- ``TradingControl``: carries out a trading-state transition: persist it, tell the
  observers and the brain, cancel or flatten if it asks.

State that only one part uses lives in that part (``runtime_brain``,
``runtime_terminal``, ``runtime_periodic``), not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import Settings
from executor_app.core.events import CommandUpdated, ExecutorEvent, TradingStateChanged
from executor_app.core.trading_state import Effects, TradingStateMachine
from executor_app.core.wire_views import account_view
from executor_app.execution import Execution, Spawn
from executor_app.journal import Journal, OutboxEntry
from executor_app.terminal_bridge import TerminalBridge
from executor_app.terminal_mirror import TerminalMirror
from fx_protocol.brain_wire import Account, ExecutorStatus, PositionsSnapshot

Observer = Callable[[ExecutorEvent], None]
Emit = Callable[[ExecutorEvent], None]
_RECENT = 200
#: acknowledged outbox messages are kept this long (a brain restored from a backup
#: can still be resent what it lost)
OUTBOX_RETENTION = timedelta(days=7)


def utcnow() -> datetime:
    return datetime.now(UTC)


class RuntimeState:
    """The runtime's shared state: read and changed by the brain side, the terminal side,
    the periodic work and the public API."""

    def __init__(
        self,
        settings: Settings,
        *,
        app_version: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.executor_id = settings.brain.executor_id
        self.app_version = app_version
        self.clock = clock
        #: seconds a request to the terminal may take
        self.timeout = settings.terminal.request_timeout_seconds
        self.zone = ZoneInfo(self.limits.daily_reset_zone)
        self.trading = TradingStateMachine(self.limits, self.zone)
        self.terminal = TerminalMirror()
        #: set once by the reconciliation at start; new risk waits for it
        self.reconciled = False
        self.reconciled_event = asyncio.Event()
        #: a status snapshot for the brain is wanted now (the periodic work sends it)
        self.status_wanted = asyncio.Event()
        #: an ACK moved the brain's acked seq since it was last stored
        self.acked_dirty = False
        self._last_prune = 0.0
        # Made by Runtime.start, dropped by Runtime.stop.
        self.journal: Journal | None = None
        self.bridge: TerminalBridge | None = None
        self.link: BrainLink | None = None
        self.execution: Execution | None = None

    def running_journal(self) -> Journal:
        assert self.journal is not None
        return self.journal

    def running_execution(self) -> Execution:
        assert self.execution is not None
        return self.execution

    def send_reliable(self, entry: OutboxEntry) -> None:
        if self.link is not None:
            self.link.send_reliable(entry)

    # ================================================================ persisted

    def persist_acked(self) -> None:
        if self.acked_dirty and self.link is not None:
            self.running_journal().set_state("acked_seq", str(self.link.session.acked_seq))
            self.acked_dirty = False

    def prune_outbox(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        acked = self.link.session.acked_seq if self.link else 0
        removed = self.running_journal().prune_outbox(acked, self.clock() - OUTBOX_RETENTION)
        if removed:
            logger.info("pruned {} acknowledged outbox message(s)", removed)

    def persist_trading(self) -> None:
        record = msgspec.json.encode(self.trading.record()).decode()
        self.running_journal().set_state("trading", record)

    # ================================================================ messages for the brain

    def status_message(self) -> ExecutorStatus:
        return ExecutorStatus(
            timestamp=self.clock(),
            trading_state=self.trading.state,
            halt_reason=self.trading.reason or None,
            terminal_connected=self.terminal.available,
            terminal_trade_allowed=self.terminal.trade_allowed,
            reconciled=self.reconciled,
            app_version=self.app_version,
            limits=self.limits.summary(),
        )

    def positions_message(self) -> PositionsSnapshot:
        return PositionsSnapshot(
            timestamp=self.clock(),
            positions=self.terminal.positions_view(),
            orders=self.terminal.orders_view(),
        )

    def account_view(self) -> Account | None:
        account = self.terminal.account
        if account is None:
            return None
        return account_view(account, self.trading.latches.day_start_equity)


class Tasks:
    """Owns every background task of the runtime: each failure is logged, never lost."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        # Every background task has this owner: its failure is logged, never lost.
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.opt(exception=exc).error("background task {} failed", task.get_name())

    async def cancel_all(self) -> None:
        """Cancel every task and wait until each has ended."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


class Observers:
    """Who is told about every event, and the recent command updates."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []
        self.recent: deque[CommandUpdated] = deque(maxlen=_RECENT)

    def subscribe(self, callback: Observer) -> Callable[[], None]:
        self._observers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._observers.remove(callback)

        return unsubscribe

    def emit(self, event: ExecutorEvent) -> None:
        if isinstance(event, CommandUpdated):
            self.recent.append(event)
        if self._observers:
            # Observers run after the current step of the order flow, never inside it.
            asyncio.get_running_loop().call_soon(self._dispatch, event)

    def _dispatch(self, event: ExecutorEvent) -> None:
        for callback in list(self._observers):
            try:
                callback(event)
            except Exception:
                logger.exception("observer failed on {}", type(event).__name__)


class TradingControl:
    """Carries out what a trading-state transition asks for."""

    def __init__(self, state: RuntimeState, *, emit: Emit, spawn: Spawn) -> None:
        self._state = state
        self._emit = emit
        self._spawn = spawn

    def apply(self, effects: Effects) -> None:
        """Persist the trading state and carry out what a transition asks for."""
        state = self._state
        state.persist_trading()
        if effects.changed:
            trading, reason = state.trading.state, state.trading.reason
            logger.warning("trading state {}{}", trading, f" ({reason})" if reason else "")
            self._emit(TradingStateChanged(time=state.clock(), state=trading, reason=reason))
            state.status_wanted.set()
        if effects.flatten or effects.cancel_orders:
            self._spawn(state.running_execution().risk_off(effects.flatten), "risk-off")

    def apply_if_changed(self, effects: Effects) -> None:
        if effects.changed or effects.flatten or effects.cancel_orders:
            self.apply(effects)
