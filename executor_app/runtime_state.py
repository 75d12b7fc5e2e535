"""What every part of :class:`executor_app.runtime.Runtime` shares: its state and plumbing.

The state is created in ``RuntimeState.__init__``; the plumbing is task ownership,
observer dispatch, the journal and outbox helpers, trading-state transitions, and
the status messages for the brain. The brain side, the terminal side and the
periodic work (``runtime_brain``, ``runtime_terminal``, ``runtime_periodic``) build
on it; ``Runtime`` adds the public API.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import Settings
from executor_app.core import authenticity
from executor_app.core.events import CommandUpdated, ExecutorEvent, TradingStateChanged
from executor_app.core.safety import RateWindow
from executor_app.core.trading_state import Effects, TradingStateMachine
from executor_app.core.wire_views import account_view
from executor_app.execution import Execution
from executor_app.journal import Journal, OutboxEntry
from executor_app.terminal_bridge import TerminalBridge
from executor_app.terminal_mirror import TerminalMirror
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Account,
    ExecutorStatus,
    Hello,
    PositionsSnapshot,
    TradeSignal,
)

Observer = Callable[[ExecutorEvent], None]
_RECENT = 200
#: acknowledged outbox messages are kept this long (a brain restored from a backup
#: can still be resent what it lost)
OUTBOX_RETENTION = timedelta(days=7)


def utcnow() -> datetime:
    return datetime.now(UTC)


class RuntimeState:
    """The runtime's state and the plumbing all of its parts use."""

    def __init__(
        self,
        settings: Settings,
        api_key: str,
        *,
        app_version: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.executor_id = settings.brain.executor_id
        self._api_key = api_key
        self._app_version = app_version
        self._clock = clock
        self._timeout = settings.terminal.request_timeout_seconds
        self._observers: list[Observer] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._queue: asyncio.PriorityQueue[tuple[int, int, float, TradeSignal]] = (
            asyncio.PriorityQueue()
        )
        self._order = count()
        self._queued: set[str] = set()
        self._rate = RateWindow()
        self.terminal = TerminalMirror()
        self.reconciled = False
        self._reconciled = asyncio.Event()
        self._terminal_up = asyncio.Event()
        self._recent: deque[CommandUpdated] = deque(maxlen=_RECENT)
        self._catching_up = False
        #: a deal catch-up failed or was skipped: the refresher runs it again
        self._deals_behind = False
        self._refresh_wanted = asyncio.Event()
        self._status_wanted = asyncio.Event()
        #: set while no command is being processed (refreshes wait for it)
        self._idle = asyncio.Event()
        self._idle.set()
        self._zone = ZoneInfo(self.limits.daily_reset_zone)
        self.trading = TradingStateMachine(self.limits, self._zone)
        self.journal: Journal | None = None
        self.bridge: TerminalBridge | None = None
        self.link: BrainLink | None = None
        self._execution: Execution | None = None
        self._acked_dirty = False
        self._last_prune = 0.0
        #: docs/security.md § Signed commands; the secret is read at start()
        self._auth = authenticity.Authenticity(
            executor_id=self.executor_id, required=settings.brain.require_signed_commands
        )

    # ================================================================ plumbing

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
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

    def _emit(self, event: ExecutorEvent) -> None:
        if isinstance(event, CommandUpdated):
            self._recent.append(event)
        if self._observers:
            # Observers run after the current step of the order flow, never inside it.
            asyncio.get_running_loop().call_soon(self._dispatch, event)

    def _dispatch(self, event: ExecutorEvent) -> None:
        for callback in list(self._observers):
            try:
                callback(event)
            except Exception:
                logger.exception("observer failed on {}", type(event).__name__)

    def _hello(self) -> Hello:
        return Hello(
            executor_id=self.executor_id,
            api_key=self._api_key,
            protocol_version=BRAIN_PROTOCOL_VERSION,
            app_version=self._app_version,
            timestamp=self._clock(),
        )

    def _j(self) -> Journal:
        assert self.journal is not None
        return self.journal

    def _x(self) -> Execution:
        assert self._execution is not None
        return self._execution

    def _send_reliable(self, entry: OutboxEntry) -> None:
        if self.link is not None:
            self.link.send_reliable(entry)

    def _persist_acked(self) -> None:
        if self._acked_dirty and self.link is not None:
            self._j().set_state("acked_seq", str(self.link.session.acked_seq))
            self._acked_dirty = False

    def _prune_outbox(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        acked = self.link.session.acked_seq if self.link else 0
        removed = self._j().prune_outbox(acked, self._clock() - OUTBOX_RETENTION)
        if removed:
            logger.info("pruned {} acknowledged outbox message(s)", removed)

    def _persist_trading(self) -> None:
        self._j().set_state("trading", msgspec.json.encode(self.trading.record()).decode())

    def _apply(self, effects: Effects) -> None:
        """Persist the trading state and carry out what a transition asks for."""
        self._persist_trading()
        if effects.changed:
            state, reason = self.trading.state, self.trading.reason
            logger.warning("trading state {}{}", state, f" ({reason})" if reason else "")
            self._emit(TradingStateChanged(time=self._clock(), state=state, reason=reason))
            self._status_wanted.set()
        if effects.flatten or effects.cancel_orders:
            self._spawn(self._x().risk_off(effects.flatten), "risk-off")

    def _apply_if_changed(self, effects: Effects) -> None:
        if effects.changed or effects.flatten or effects.cancel_orders:
            self._apply(effects)

    # ================================================================ messages for the brain

    def _status_message(self) -> ExecutorStatus:
        return ExecutorStatus(
            timestamp=self._clock(),
            trading_state=self.trading.state,
            halt_reason=self.trading.reason or None,
            terminal_connected=self.terminal.available,
            terminal_trade_allowed=self.terminal.trade_allowed,
            reconciled=self.reconciled,
            app_version=self._app_version,
            limits=self.limits.summary(),
        )

    def _positions_message(self) -> PositionsSnapshot:
        return PositionsSnapshot(
            timestamp=self._clock(),
            positions=self.terminal.positions_view(),
            orders=self.terminal.orders_view(),
        )

    def _account_view(self) -> Account | None:
        account = self.terminal.account
        if account is None:
            return None
        return account_view(account, self.trading.latches.day_start_equity)
