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
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import Settings, signing_secret
from executor_app.core import authenticity, safety
from executor_app.core.event_stream import Continuity
from executor_app.core.events import (
    AccountChanged,
    BrainConnectionChanged,
    CommandUpdated,
    ExecutorEvent,
    LimitsChanged,
    PositionsChanged,
    ReconciliationChanged,
    Snapshot,
    TerminalConnectionChanged,
    TickReceived,
    TradingStateChanged,
)
from executor_app.core.limits import Limits
from executor_app.core.safety import RateWindow, SafetyContext
from executor_app.core.session import BrainSession, LinkState
from executor_app.core.trading_state import Effects, Latches, TradingStateMachine
from executor_app.core.wire_views import account_view, fill_report, get_deals
from executor_app.execution import Execution
from executor_app.journal import SENDING, Journal, OutboxEntry
from executor_app.terminal_bridge import TerminalBridge, TerminalError
from executor_app.terminal_mirror import TerminalMirror
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Account,
    AccountUpdate,
    BrainToExecutor,
    CommandAck,
    CommandReject,
    Error,
    ExecutorStatus,
    Fill,
    Halt,
    Hello,
    MarketData,
    MarketUpdate,
    PositionsSnapshot,
    Resume,
    TradeSignal,
)
from fx_protocol.commands import TradeCommand
from fx_protocol.terminal_wire import (
    AccountUpdateEvent,
    DealsList,
    HeartbeatEvent,
    TerminalAccount,
    TerminalDeal,
    TerminalEvent,
    TradeTransactionEvent,
)
from fx_protocol.vocabulary import CommandStatus, ReasonCode

Observer = Callable[[ExecutorEvent], None]
_signal_decoder = msgspec.json.Decoder(TradeSignal)
_RECENT = 200
#: acknowledged outbox messages are kept this long (a brain restored from a backup
#: can still be resent what it lost)
OUTBOX_RETENTION = timedelta(days=7)


def utcnow() -> datetime:
    return datetime.now(UTC)


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

    # ================================================================ brain side

    def _on_brain_connection(self, state: str) -> None:
        now = self._clock()
        link_state = LinkState(state)
        if link_state is LinkState.CONNECTED:
            self._apply_if_changed(self.trading.brain_connected())
            self._status_wanted.set()
        elif link_state is LinkState.DISCONNECTED:
            self.trading.brain_disconnected(now)
        latency = self.link.session.latency_ms if self.link else None
        logger.info("brain {}", state)
        self._emit(BrainConnectionChanged(time=now, state=link_state, latency_ms=latency))

    def _on_brain_ack(self, seq: int) -> None:
        if self._j().skip_seq_to(seq):
            # The brain stored seqs this journal never issued: it was deleted or replaced.
            # New messages must number above them or the brain would drop them as old.
            logger.error(
                "the brain has executor seq {} but this journal ends lower; "
                "was the journal replaced? numbering continues above it",
                seq,
            )
        # Not a commit per ACK (three per command): the resume point comes from WELCOME,
        # so the stored value is refreshed with the snapshots and at stop.
        self._acked_dirty = True

    def _on_brain_message(self, message: BrainToExecutor) -> None:
        if isinstance(message, TradeSignal):
            self._accept_signal(message)
        elif isinstance(message, Halt):
            flatten = message.flatten
            verdict = authenticity.check(message, self._auth, self._clock())
            if not verdict.allowed:
                # docs/security.md: halting is the safe direction, so an unauthenticated
                # HALT still halts; closing positions on its word it never does.
                logger.warning(
                    "HALT not authenticated ({}: {}): halting, never flattening",
                    verdict.reason,
                    verdict.message,
                )
                flatten = False
            logger.warning("HALT from the brain (flatten={}): {}", flatten, message.reason)
            self._apply(self.trading.brain_halt(flatten, message.reason))
        elif isinstance(message, Resume):
            verdict = authenticity.check(message, self._auth, self._clock())
            if not verdict.allowed:
                logger.warning(
                    "RESUME ignored, not authenticated ({}: {})", verdict.reason, verdict.message
                )
                return
            logger.warning("RESUME from the brain: {}", message.reason)
            self._apply(self.trading.brain_resume())

    def _accept_signal(self, signal: TradeSignal) -> None:
        received = time.perf_counter()
        row = self._j().command(signal.command_id)
        if (
            row is not None
            and not row.local
            and self._auth.active
            and authenticity.is_replay(signal, _signal_decoder.decode(row.signal))
        ):
            # docs/security.md: a known id with other content is never executed or
            # answered as if it were the journaled command.
            logger.warning(
                "TRADE_SIGNAL {} refused REPLAYED: the id is journaled with other content",
                signal.command_id,
            )
            if self.link is not None:
                self.link.send_snapshot(
                    Error(
                        reason=ReasonCode.REPLAYED,
                        message=f"{signal.command_id} was received with other content",
                        field="commandId",
                    )
                )
            return
        if row is not None or signal.command_id in self._queued:
            # A resend of a command already answered: the same answer again, nothing else.
            logger.info("duplicate TRADE_SIGNAL {} ignored", signal.command_id)
            if row is not None and row.answer_seq is not None and self.link is not None:
                entry = self._j().outbox_entry(row.answer_seq)
                if entry is not None:
                    self.link.resend(entry)
            return
        self._queued.add(signal.command_id)
        self._queue.put_nowait((-signal.priority.rank, next(self._order), received, signal))

    async def _worker(self) -> None:
        while True:
            _, _, received, signal = await self._queue.get()
            self._idle.clear()
            try:
                await self._process(signal, received)
            except Exception:
                logger.exception("command {} failed in the executor", signal.command_id)
            finally:
                self._queued.discard(signal.command_id)
                if self._queue.empty():
                    self._idle.set()

    def _safety_context(self, now: datetime, known: bool) -> SafetyContext:
        positions, orders = self.terminal.holdings()
        account = self.terminal.account
        return SafetyContext(
            now=now,
            trading_state=self.trading.state,
            reconciled=self.reconciled,
            terminal_available=self.terminal.available,
            known_command=known,
            positions=positions,
            orders=orders,
            quotes=self.terminal.quotes,
            equity=account.equity if account else None,
            day_start_equity=self.trading.latches.day_start_equity,
            recent_orders=self._rate.count(now),
        )

    async def _process(self, signal: TradeSignal, received: float) -> None:
        # Authenticity first (docs/security.md): a forged or stale signal reaches neither
        # the safety checks nor the terminal. Freshness is judged at receipt, not after
        # the queue.
        received_at = self._clock() - timedelta(seconds=time.perf_counter() - received)
        verdict = authenticity.check(signal, self._auth, received_at)
        if verdict.allowed and signal.command.action.adds_risk and not self.reconciled:
            # Right after start-up the brain may deliver queued commands before the
            # reconciliation (a few requests) is done: give it a moment, then fail closed.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await self._reconciled.wait()
        now = self._clock()
        journal = self._j()
        known = journal.command(signal.command_id) is not None
        if verdict.allowed:
            verdict = safety.check(signal, self.limits, self._safety_context(now, known))
        command = signal.command
        record = partial(
            journal.record_command,
            command_id=signal.command_id,
            signal=msgspec.json.encode(signal),
            now=now,
            action=command.action.value,
            symbol=command.symbol,
            volume=command.volume,
            expires_at=safety.deadline(signal),
        )
        if not verdict.allowed:
            assert verdict.reason is not None
            assert verdict.source is not None
            reason, source = verdict.reason, verdict.source
            entry = record(
                status=CommandStatus.REJECTED.value,
                reason=reason.value,
                answer_kind="COMMAND_REJECT",
                answer=lambda seq: CommandReject(
                    seq=seq,
                    command_id=signal.command_id,
                    reason=reason,
                    source=source,
                    message=verdict.message,
                    field=verdict.field,
                    timestamp=now,
                ),
            )
            assert entry is not None
            self._send_reliable(entry)
            logger.info(
                "command {} {} {} rejected: {} {}",
                signal.command_id,
                command.action,
                command.symbol or "",
                reason,
                verdict.message,
            )
            self._x().command_event(
                signal.command_id,
                command,
                "rejected",
                received,
                reason=reason,
                message=verdict.message,
            )
            return
        # Journaled with its COMMAND_ACK BEFORE it goes to the terminal (docs/executor.md).
        entry = record(
            status=SENDING,
            answer_kind="COMMAND_ACK",
            answer=lambda seq: CommandAck(seq=seq, command_id=signal.command_id, timestamp=now),
        )
        assert entry is not None
        self._send_reliable(entry)
        if command.action.adds_risk:
            self._rate.record(now)
        self._x().command_event(
            signal.command_id, command, CommandStatus.ACKNOWLEDGED.value, received
        )
        await self._x().execute(signal.command_id, command, received, safety.deadline(signal))

    # ================================================================ terminal side

    def _on_terminal_availability(self, available: bool, health: HeartbeatEvent | None) -> None:
        self.terminal.available = available
        self.terminal.health = health
        if available:
            self._terminal_up.set()
            logger.info("terminal available")
            self._refresh_wanted.set()
        else:
            self._terminal_up.clear()
            logger.warning("terminal unavailable")
        self._emit(
            TerminalConnectionChanged(
                time=self._clock(), available=available, trade_allowed=self.terminal.trade_allowed
            )
        )
        self._status_wanted.set()

    def _on_terminal_event(self, event: TerminalEvent) -> None:
        if isinstance(event, TradeTransactionEvent):
            if event.deal is not None:
                self._record_deal(event.deal)
            self._refresh_wanted.set()
        elif isinstance(event, AccountUpdateEvent):
            self._set_account(event.account)
        elif isinstance(event, HeartbeatEvent):
            self.terminal.health = event

    def _on_event_gap(self, continuity: Continuity) -> None:
        logger.info("terminal event stream {}: recovering deals", continuity)
        if self.reconciled:
            self._spawn(self._catch_up_deals(), "deal-catch-up")
        if continuity is Continuity.RESTART:
            # A new EA instance starts with no tick subscription.
            self._spawn(self._subscribe_ticks(), "subscribe")
        self._refresh_wanted.set()

    def _set_account(self, account: TerminalAccount) -> None:
        self.terminal.account = account
        self._apply_if_changed(self.trading.on_equity(self._clock(), account.equity))
        view = self._account_view()
        if view is not None:
            self._emit(AccountChanged(time=self._clock(), account=view))

    def _record_deal(self, deal: TerminalDeal) -> None:
        """Report a deal as FILL exactly once, whoever caused it (command, SL/TP, manual)."""
        journal = self._j()
        command_id = deal.comment if deal.comment and journal.command(deal.comment) else None
        report = fill_report(deal, command_id)
        if report is None:
            return
        now = self._clock()
        entry = journal.record_deal(
            deal.ticket, command_id, now, lambda seq: Fill(timestamp=now, seq=seq, fill=report)
        )
        if entry is not None:
            self._send_reliable(entry)
            # DEBUG: the command's outcome line (execution.py) is the one INFO line per
            # command; the fill itself is in the journal and reported to the brain, and a
            # second formatted line to two sinks per command was ~half the logging cost.
            logger.debug(
                "fill deal={} {} {} {} @ {} reason={}",
                deal.ticket,
                deal.side,
                deal.volume,
                deal.symbol,
                deal.price,
                deal.reason,
            )

    async def _catch_up_deals(self) -> bool:
        """Report every deal after the last one known (missed events, restarts)."""
        if self._catching_up:
            # Another gap while one catch-up runs: it may already be past the new gap.
            self._deals_behind = True
            return True
        self._catching_up = True
        self._deals_behind = False
        try:
            assert self.bridge is not None
            journal = self._j()
            # From the last *completed* catch-up, not the newest deal: live events may
            # already have reported deals after a gap whose own deals are still missing.
            last = journal.deals_caught_up()
            baseline = last is None
            after = last or 0
            while True:
                reply = await self.bridge.request(partial(get_deals, after), self._timeout)
                if not isinstance(reply, DealsList):
                    raise TerminalError(f"unexpected reply to GET_DEALS: {type(reply).__name__}")
                for deal in reply.deals:
                    after = max(after, deal.ticket)
                    if not baseline:
                        self._record_deal(deal)
                if not reply.more or not reply.deals:
                    break
            if baseline:
                # First start: the account's history is not ours to report.
                journal.set_state("last_deal", str(after))
                logger.info("deal baseline set at ticket {}", after)
            journal.set_state("deals_caught_up", str(after))
            return True
        except TerminalError as exc:
            logger.warning("deal catch-up failed: {}", exc)
            self._deals_behind = True
            return False
        finally:
            self._catching_up = False

    async def _refresh_positions(self) -> bool:
        assert self.bridge is not None
        ok = await self.terminal.refresh(self.bridge, self._timeout)
        if self.terminal.account is not None:
            self._set_account(self.terminal.account)
        if ok:
            self._emit(
                PositionsChanged(
                    time=self._clock(),
                    positions=self.terminal.positions_view(),
                    orders=self.terminal.orders_view(),
                )
            )
            if self.link is not None:
                self.link.send_snapshot(self._positions_message())
        return ok

    async def _subscribe_ticks(self) -> None:
        assert self.bridge is not None
        await self.terminal.subscribe(self.bridge, list(self.limits.allowed_symbols), self._timeout)

    async def _reconcile_at_start(self) -> None:
        """Journal vs terminal before any new risk: unknown outcomes, missed deals, positions."""
        attempt = 0
        while True:
            await self._terminal_up.wait()
            attempt += 1
            try:
                await self._subscribe_ticks()
                for row in self._j().open_commands():
                    command = _command_of(row.signal, row.local)
                    expires = datetime.fromisoformat(row.expires_at) if row.expires_at else None
                    logger.info("reconciling command {} ({})", row.command_id, row.status)
                    if not await self._x().resolve_once(
                        row.command_id, command, expires, row.local
                    ):
                        raise TerminalError(f"command {row.command_id} still unknown")
                if not await self._catch_up_deals():
                    raise TerminalError("deals not caught up")
                if not await self._refresh_positions():
                    raise TerminalError("positions not loaded")
            except TerminalError as exc:
                logger.warning("reconciliation attempt {} failed: {}", attempt, exc)
                self._emit(
                    ReconciliationChanged(time=self._clock(), reconciled=False, detail=str(exc))
                )
                await asyncio.sleep(min(0.2 * attempt, 2.0))
                continue
            self.reconciled = True
            self._reconciled.set()
            logger.info("reconciled with the terminal; accepting new risk")
            self._emit(ReconciliationChanged(time=self._clock(), reconciled=True))
            self._status_wanted.set()
            return

    # ================================================================ periodic work

    async def _positions_refresher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.brain.status_interval_seconds):
                    await self._refresh_wanted.wait()
            # Coalesce a burst of fills into one refresh, and keep its three requests out
            # of the way of commands: wait for a quiet moment (at most a second).
            await asyncio.sleep(0.05)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._idle.wait()
            self._refresh_wanted.clear()
            if self.terminal.available:
                await self._refresh_positions()
                if self._deals_behind and self.reconciled:
                    await self._catch_up_deals()

    async def _snapshots(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.brain.status_interval_seconds):
                    await self._status_wanted.wait()
            self._status_wanted.clear()
            if self.link is None:
                continue
            self._persist_acked()
            self._prune_outbox()
            session = self.link.session
            if session.state is LinkState.CONNECTED:
                # Observers get the latest heartbeat latency at the status cadence.
                self._emit(
                    BrainConnectionChanged(
                        time=self._clock(), state=session.state, latency_ms=session.latency_ms
                    )
                )
            self.link.send_snapshot(self._status_message())
            self.link.send_snapshot(self._positions_message())
            account = self._account_view()
            if account is not None:
                self.link.send_snapshot(AccountUpdate(timestamp=self._clock(), account=account))

    async def _forward_ticks(self) -> None:
        while True:
            rate = self.settings.brain.tick_forward_hz
            await asyncio.sleep(1.0 / rate if rate > 0 else 1.0)
            if rate <= 0:
                continue
            now = self._clock()
            for symbol, quote in self.terminal.take_changed_quotes().items():
                if not quote.point:
                    # No symbol spec: not one we subscribed to (a terminal publishes its
                    # chart symbol, or all, until SUBSCRIBE), so no spread to report.
                    continue
                spread = quote.spread_points
                if self.link is not None:
                    data = MarketData(symbol=symbol, bid=quote.bid, ask=quote.ask, spread=spread)
                    self.link.send_snapshot(MarketUpdate(timestamp=now, data=data))
                self._emit(
                    TickReceived(
                        time=now, symbol=symbol, bid=quote.bid, ask=quote.ask, spread=spread
                    )
                )

    async def _clock_tick(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._apply_if_changed(self.trading.on_clock(self._clock()))
            account = self.terminal.account
            if account is not None:
                # Crossing the daily reset with no account event: start the new day anyway.
                self._apply_if_changed(self.trading.on_equity(self._clock(), account.equity))

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


def _command_of(signal: bytes, local: bool) -> TradeCommand:
    """The command of a journaled row (local commands store the bare command)."""
    if local:
        return msgspec.json.decode(signal, type=TradeCommand)
    return _signal_decoder.decode(signal).command
