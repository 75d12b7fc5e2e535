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

``Runtime`` holds the lifecycle and the public API, and builds its parts, each
given exactly what it uses:

- ``RuntimeState`` (``runtime_state``): the shared state; the journal, brain link,
  terminal bridge and execution are set on it by :meth:`Runtime.start`.
- ``Tasks``, ``Observers``, ``TradingControl`` (``runtime_state``): task
  ownership, observer dispatch, trading-state transitions.
- ``BrainSide`` (``runtime_brain``): what the brain sends: signals, the worker
  queue, HALT / RESUME, acks. Its callbacks go to the brain link.
- ``TerminalSide`` (``runtime_terminal``): what the EA sends: availability,
  events, deals, positions, reconciliation at start. Its callbacks go to the
  terminal bridge; it is given the brain side's ``idle`` event.
- ``PeriodicWork`` (``runtime_periodic``): status snapshots, tick forwarding,
  the clock.

The parts never call each other: what crosses (the ``idle`` event, the refresh
wish of :class:`executor_app.execution.Execution`, tick subscription on new
limits) is wired here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import Settings, signing_secret
from executor_app.core import authenticity
from executor_app.core.events import LimitsChanged, Snapshot, TickReceived
from executor_app.core.limits import Limits
from executor_app.core.session import BrainSession, LinkState
from executor_app.core.trading_state import Latches, TradingStateMachine
from executor_app.execution import Execution
from executor_app.journal import Journal
from executor_app.runtime_brain import BrainSide
from executor_app.runtime_periodic import PeriodicWork
from executor_app.runtime_state import (
    OUTBOX_RETENTION,
    Observer,
    Observers,
    RuntimeState,
    Tasks,
    TradingControl,
    utcnow,
)
from executor_app.runtime_terminal import TerminalSide
from executor_app.terminal_bridge import TerminalBridge
from executor_app.terminal_mirror import TerminalMirror
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import Hello

__all__ = ["OUTBOX_RETENTION", "Observer", "Runtime", "RuntimeState", "utcnow"]


class Runtime:
    """The executor: one instance per process, driven by its asyncio loop."""

    def __init__(
        self,
        settings: Settings,
        api_key: str,
        *,
        app_version: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._api_key = api_key
        state = RuntimeState(settings, app_version=app_version, clock=clock)
        self._state = state
        self._tasks = Tasks()
        self._observers = Observers()
        emit, spawn = self._observers.emit, self._tasks.spawn
        self._control = TradingControl(state, emit=emit, spawn=spawn)
        self._brain = BrainSide(
            state,
            self._control,
            emit=emit,
            auth=authenticity.Authenticity(
                executor_id=state.executor_id,
                required=settings.brain.require_signed_commands,
            ),
        )
        self._terminal = TerminalSide(
            state, self._control, emit=emit, spawn=spawn, idle=self._brain.idle
        )
        self._periodic = PeriodicWork(state, self._control, emit=emit)

    # ================================================================ read-only views

    @property
    def settings(self) -> Settings:
        return self._state.settings

    @property
    def limits(self) -> Limits:
        return self._state.limits

    @property
    def executor_id(self) -> str:
        return self._state.executor_id

    @property
    def trading(self) -> TradingStateMachine:
        return self._state.trading

    @property
    def terminal(self) -> TerminalMirror:
        return self._state.terminal

    @property
    def reconciled(self) -> bool:
        return self._state.reconciled

    @property
    def journal(self) -> Journal | None:
        return self._state.journal

    @property
    def link(self) -> BrainLink | None:
        return self._state.link

    @property
    def bridge(self) -> TerminalBridge | None:
        return self._state.bridge

    # ================================================================ public API

    async def start(self) -> None:
        state = self._state
        loop = asyncio.get_running_loop()
        # The bridge thread decodes thousands of ticks a second; a shorter GIL switch
        # interval (default 5 ms; here 0.1 ms) keeps it from delaying the order flow.
        sys.setswitchinterval(0.0001)
        settings = state.settings
        brain = settings.brain
        auth = self._brain.auth = msgspec.structs.replace(
            self._brain.auth,
            secret=await asyncio.to_thread(signing_secret, settings),
            max_age=timedelta(seconds=brain.command_max_age_seconds),
        )
        if auth.required and not auth.secret:
            logger.warning(
                "no command signing secret (keyring or brain.signing_secret_env): every "
                "TRADE_SIGNAL will be refused BAD_SIGNATURE (docs/security.md)"
            )
        journal = Journal(settings.storage.journal_file())
        state.journal = journal
        stored = journal.get_state("trading")
        if stored:
            latches = msgspec.json.decode(stored, type=Latches)
            state.trading = TradingStateMachine(state.limits, state.zone, latches)
        link = state.link = BrainLink(
            url=brain.url,
            hello=self._hello,
            # WELCOME.lastExecutorSeq is authoritative; the stored ack is only what we show.
            session=BrainSession(acked_seq=int(journal.get_state("acked_seq") or 0)),
            outbox_after=journal.outbox_after,
            on_message=self._brain.on_message,
            on_connection=self._brain.on_connection,
            on_ack=self._brain.on_ack,
            connect_timeout=brain.connect_timeout_seconds,
            max_backoff=brain.reconnect_max_seconds,
            clock=state.clock,
            tls=brain,
        )
        terminal = settings.terminal
        if terminal.allow_remote:
            logger.warning(
                "terminal.allow_remote: the EA's endpoints may be on another machine; its "
                "ZeroMQ sockets have no authentication or encryption (docs/security.md)"
            )
        bridge = state.bridge = TerminalBridge(
            terminal.command_endpoint,
            terminal.events_endpoint,
            terminal.heartbeat_timeout_seconds,
            loop,
            on_event=self._terminal.on_event,
            on_ticks=state.terminal.on_ticks,
            on_availability=self._terminal.on_availability,
            on_gap=self._terminal.on_gap,
        )
        state.execution = Execution(
            journal=journal,
            bridge=bridge,
            mirror=state.terminal,
            executor_id=state.executor_id,
            timeout=state.timeout,
            clock=state.clock,
            send_reliable=state.send_reliable,
            emit=self._observers.emit,
            spawn=self._tasks.spawn,
            on_traded=self._terminal.refresh_wanted.set,
        )
        bridge.start()
        logger.info(
            "executor {} starting; trading state {}{}",
            state.executor_id,
            state.trading.state,
            f" ({state.trading.reason})" if state.trading.reason else "",
        )
        spawn = self._tasks.spawn
        spawn(link.run(), "brain-link")
        spawn(self._brain.worker(), "command-worker")
        spawn(self._terminal.reconcile_at_start(), "reconciliation")
        spawn(self._periodic.snapshots(), "snapshots")
        spawn(self._periodic.forward_ticks(), "tick-forwarder")
        spawn(self._terminal.positions_refresher(), "positions-refresher")
        spawn(self._periodic.clock_tick(), "clock")

    async def stop(self) -> None:
        state = self._state
        await self._tasks.cancel_all()
        if state.bridge is not None:
            await asyncio.to_thread(state.bridge.stop)
            state.bridge = None
        if state.journal is not None:
            state.persist_trading()
            state.persist_acked()
            state.journal.close()
            state.journal = None
        logger.info("executor stopped")

    def subscribe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns the function that unsubscribes."""
        return self._observers.subscribe(callback)

    def emergency_stop(self, flatten: bool) -> None:
        """Local kill switch: HALTED before this returns; cancels (and flattens) follow."""
        logger.warning("local emergency stop (flatten={})", flatten)
        self._control.apply(self._state.trading.emergency_stop(flatten))

    def resume(self) -> None:
        """The operator lifts every halt and the daily-loss latch."""
        logger.warning("local resume")
        self._control.apply(self._state.trading.resume())

    def reload_limits(self, limits: Limits) -> None:
        """Apply new limits at once: every later command is checked against them."""
        state = self._state
        zone = ZoneInfo(limits.daily_reset_zone)  # raises before anything changes
        state.limits = limits
        state.zone = zone
        state.trading.set_limits(limits)
        state.trading.zone = zone
        logger.info("limits reloaded: {}", msgspec.json.encode(limits).decode())
        self._observers.emit(LimitsChanged(time=state.clock(), limits=limits))
        state.status_wanted.set()
        if state.bridge is not None and state.terminal.available:
            self._tasks.spawn(self._terminal.subscribe_ticks(), "subscribe")

    def snapshot(self) -> Snapshot:
        """The current picture, for an observer that starts late."""
        state = self._state
        link = state.link
        now = state.clock()
        terminal = state.terminal
        return Snapshot(
            time=now,
            executor_id=state.executor_id,
            trading_state=state.trading.state,
            halt_reason=state.trading.reason,
            brain=link.session.state if link else LinkState.DISCONNECTED,
            brain_latency_ms=link.session.latency_ms if link else None,
            terminal_available=terminal.available,
            terminal_trade_allowed=terminal.trade_allowed,
            reconciled=state.reconciled,
            account=state.account_view(),
            positions=terminal.positions_view(),
            orders=terminal.orders_view(),
            recent_commands=list(self._observers.recent),
            ticks={
                s: TickReceived(time=now, symbol=s, bid=q.bid, ask=q.ask, spread=q.spread_points)
                for s, q in terminal.quotes.items()
                if q.point
            },
            limits=state.limits,
        )

    def _hello(self) -> Hello:
        state = self._state
        return Hello(
            executor_id=state.executor_id,
            api_key=self._api_key,
            protocol_version=BRAIN_PROTOCOL_VERSION,
            app_version=state.app_version,
            timestamp=state.clock(),
        )
