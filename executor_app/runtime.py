"""The executor runtime: core + journal + brain link + terminal bridge, wired together.

The same object runs under ``fx-executor --headless`` and under the tray GUI.
Public API (``docs/executor.md`` § Runtime API)::

    runtime = Runtime(settings, api_key)
    await runtime.start()                  # opens the journal, starts links and tasks
    unsubscribe = runtime.subscribe(cb)    # cb(event) for every executor_app.core.events event
    runtime.snapshot()                     # -> Snapshot: state, connections, account, ...
    runtime.emergency_stop(flatten=True)   # HALTED at once; cancels orders; flattens if asked
    runtime.resume()                       # the operator lifts every halt
    runtime.reload_limits(new_limits)      # safe at run time; the brain is told
    await runtime.stop()                   # flushes the journal, stops everything

Order flow (``docs/executor.md`` § Command flow): a TRADE_SIGNAL is queued by
priority; one worker takes it, runs the safety engine, journals the command
together with the brain's answer (COMMAND_ACK or COMMAND_REJECT), and only
then hands it to :class:`executor_app.execution.Execution`. Observers are
called later, never in the order path.

The class is assembled from parts, one subject each: ``runtime_state``
(``RuntimeState``: the state, task ownership, observers, trading-state
transitions, status messages), ``runtime_brain`` (what the brain sends: signals,
the worker queue, HALT / RESUME, acks), ``runtime_terminal`` (what the EA sends:
availability, events, deals, positions, reconciliation at start) and
``runtime_periodic`` (status snapshots, tick forwarding, the clock). This module
holds the lifecycle and the public API.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import signing_secret
from executor_app.core.events import LimitsChanged, Snapshot, TickReceived
from executor_app.core.limits import Limits
from executor_app.core.session import BrainSession, LinkState
from executor_app.core.trading_state import Latches, TradingStateMachine
from executor_app.execution import Execution
from executor_app.journal import Journal
from executor_app.runtime_brain import BrainSide
from executor_app.runtime_periodic import PeriodicWork
from executor_app.runtime_state import OUTBOX_RETENTION, Observer, RuntimeState, utcnow
from executor_app.runtime_terminal import TerminalSide
from executor_app.terminal_bridge import TerminalBridge

__all__ = ["OUTBOX_RETENTION", "Observer", "Runtime", "RuntimeState", "utcnow"]


class Runtime(BrainSide, TerminalSide, PeriodicWork):
    """The executor: one instance per process, driven by its asyncio loop."""

    # ================================================================ public API

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # The bridge thread decodes thousands of ticks a second; a shorter GIL switch
        # interval (default 5 ms; here 0.1 ms) keeps it from delaying the order flow.
        sys.setswitchinterval(0.0001)
        brain = self.settings.brain
        self._auth = msgspec.structs.replace(
            self._auth,
            secret=await asyncio.to_thread(signing_secret, self.settings),
            max_age=timedelta(seconds=brain.command_max_age_seconds),
        )
        if self._auth.required and not self._auth.secret:
            logger.warning(
                "no command signing secret (keyring or brain.signing_secret_env): every "
                "TRADE_SIGNAL will be refused BAD_SIGNATURE (docs/security.md)"
            )
        journal = Journal(self.settings.storage.journal_file())
        self.journal = journal
        stored = journal.get_state("trading")
        if stored:
            latches = msgspec.json.decode(stored, type=Latches)
            self.trading = TradingStateMachine(self.limits, self._zone, latches)
        self.link = BrainLink(
            url=self.settings.brain.url,
            hello=self._hello,
            # WELCOME.lastExecutorSeq is authoritative; the stored ack is only what we show.
            session=BrainSession(acked_seq=int(journal.get_state("acked_seq") or 0)),
            outbox_after=journal.outbox_after,
            on_message=self._on_brain_message,
            on_connection=self._on_brain_connection,
            on_ack=self._on_brain_ack,
            connect_timeout=self.settings.brain.connect_timeout_seconds,
            max_backoff=self.settings.brain.reconnect_max_seconds,
            clock=self._clock,
            tls=brain,
        )
        terminal = self.settings.terminal
        if terminal.allow_remote:
            logger.warning(
                "terminal.allow_remote: the EA's endpoints may be on another machine; its "
                "ZeroMQ sockets have no authentication or encryption (docs/security.md)"
            )
        self.bridge = TerminalBridge(
            terminal.command_endpoint,
            terminal.events_endpoint,
            terminal.heartbeat_timeout_seconds,
            loop,
            on_event=self._on_terminal_event,
            on_ticks=self.terminal.on_ticks,
            on_availability=self._on_terminal_availability,
            on_gap=self._on_event_gap,
        )
        self._execution = Execution(
            journal=journal,
            bridge=self.bridge,
            mirror=self.terminal,
            executor_id=self.executor_id,
            timeout=self._timeout,
            clock=self._clock,
            send_reliable=self._send_reliable,
            emit=self._emit,
            spawn=self._spawn,
            on_traded=self._refresh_wanted.set,
        )
        self.bridge.start()
        logger.info(
            "executor {} starting; trading state {}{}",
            self.executor_id,
            self.trading.state,
            f" ({self.trading.reason})" if self.trading.reason else "",
        )
        self._spawn(self.link.run(), "brain-link")
        self._spawn(self._worker(), "command-worker")
        self._spawn(self._reconcile_at_start(), "reconciliation")
        self._spawn(self._snapshots(), "snapshots")
        self._spawn(self._forward_ticks(), "tick-forwarder")
        self._spawn(self._positions_refresher(), "positions-refresher")
        self._spawn(self._clock_tick(), "clock")

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.bridge is not None:
            await asyncio.to_thread(self.bridge.stop)
            self.bridge = None
        if self.journal is not None:
            self._persist_trading()
            self._persist_acked()
            self.journal.close()
            self.journal = None
        logger.info("executor stopped")

    def subscribe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns the function that unsubscribes."""
        self._observers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._observers.remove(callback)

        return unsubscribe

    def emergency_stop(self, flatten: bool) -> None:
        """Local kill switch: HALTED before this returns; cancels (and flattens) follow."""
        logger.warning("local emergency stop (flatten={})", flatten)
        self._apply(self.trading.emergency_stop(flatten))

    def resume(self) -> None:
        """The operator lifts every halt and the daily-loss latch."""
        logger.warning("local resume")
        self._apply(self.trading.resume())

    def reload_limits(self, limits: Limits) -> None:
        """Apply new limits at once: every later command is checked against them."""
        zone = ZoneInfo(limits.daily_reset_zone)  # raises before anything changes
        self.limits = limits
        self._zone = zone
        self.trading.set_limits(limits)
        self.trading.zone = zone
        logger.info("limits reloaded: {}", msgspec.json.encode(limits).decode())
        self._emit(LimitsChanged(time=self._clock(), limits=limits))
        self._status_wanted.set()
        if self.bridge is not None and self.terminal.available:
            self._spawn(self._subscribe_ticks(), "subscribe")

    def snapshot(self) -> Snapshot:
        """The current picture, for an observer that starts late."""
        link = self.link
        now = self._clock()
        return Snapshot(
            time=now,
            executor_id=self.executor_id,
            trading_state=self.trading.state,
            halt_reason=self.trading.reason,
            brain=link.session.state if link else LinkState.DISCONNECTED,
            brain_latency_ms=link.session.latency_ms if link else None,
            terminal_available=self.terminal.available,
            terminal_trade_allowed=self.terminal.trade_allowed,
            reconciled=self.reconciled,
            account=self._account_view(),
            positions=self.terminal.positions_view(),
            orders=self.terminal.orders_view(),
            recent_commands=list(self._recent),
            ticks={
                s: TickReceived(time=now, symbol=s, bid=q.bid, ask=q.ask, spread=q.spread_points)
                for s, q in self.terminal.quotes.items()
                if q.point
            },
            limits=self.limits,
        )
