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
then sends it to the terminal. The reply is journaled with its
EXECUTION_RESULT in one transaction. A timeout leaves the command ``unknown``
until ``QUERY_COMMAND`` resolves it. Observers are called later, never in
the order path.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from itertools import count
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from loguru import logger

from executor_app.brain_link import BrainLink
from executor_app.config import Settings
from executor_app.core import reconciliation, safety
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
from executor_app.core.reconciliation import Resolution
from executor_app.core.safety import Holding, Quote, RateWindow, SafetyContext
from executor_app.core.session import BrainSession, LinkState
from executor_app.core.trading_state import Effects, Latches, TradingStateMachine
from executor_app.journal import SENDING, Journal
from executor_app.terminal_bridge import (
    TerminalBridge,
    TerminalError,
    TerminalTimeout,
    TerminalUnavailable,
)
from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Account,
    AccountUpdate,
    BrainToExecutor,
    CommandAck,
    CommandReject,
    ExecutionResult,
    ExecutionResultBody,
    ExecutorStatus,
    Fill,
    FillReport,
    Halt,
    Hello,
    MarketData,
    MarketUpdate,
    OpenOrder,
    Position,
    PositionsSnapshot,
    Resume,
    TradeSignal,
)
from fx_protocol.command_ids import new_command_id
from fx_protocol.commands import TradeCommand
from fx_protocol.terminal_wire import (
    AccountInfo,
    AccountUpdateEvent,
    CommandStatusReply,
    DealsList,
    ErrorReply,
    GetAccount,
    GetDeals,
    GetOrders,
    GetPositions,
    GetSymbols,
    HeartbeatEvent,
    OrdersList,
    PositionsList,
    QueryCommand,
    Subscribe,
    SymbolsInfo,
    TerminalAccount,
    TerminalDeal,
    TerminalEvent,
    TerminalOrder,
    TerminalPosition,
    TerminalReply,
    TickEvent,
    Trade,
    TradeOutcome,
    TradeReply,
    TradeTransactionEvent,
)
from fx_protocol.vocabulary import Action, CommandStatus, ReasonCode

Observer = Callable[[ExecutorEvent], None]
_signal_decoder = msgspec.json.Decoder(TradeSignal)
_RECENT = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


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
        self._observers: list[Observer] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._queue: asyncio.PriorityQueue[tuple[int, int, float, TradeSignal]] = (
            asyncio.PriorityQueue()
        )
        self._order = count()
        self._queued: set[str] = set()
        self._resolving: set[str] = set()
        self._rate = RateWindow()
        self.quotes: dict[str, Quote] = {}
        self._points: dict[str, float] = {}
        self._dirty_ticks: set[str] = set()
        self.positions: list[TerminalPosition] = []
        self.orders: list[TerminalOrder] = []
        self._unconfirmed: dict[int, tuple[Holding, float]] = {}
        self.account: TerminalAccount | None = None
        self.reconciled = False
        self.terminal_available = False
        self._terminal_health: HeartbeatEvent | None = None
        self._terminal_up = asyncio.Event()
        self._recent: deque[CommandUpdated] = deque(maxlen=_RECENT)
        self._catching_up = False
        self._refresh_wanted = asyncio.Event()
        #: set while no command is being processed (refreshes wait for it)
        self._idle = asyncio.Event()
        self._idle.set()
        self._status_wanted = asyncio.Event()
        self._started = False
        self.journal: Journal | None = None
        self.bridge: TerminalBridge | None = None
        self.link: BrainLink | None = None
        self._zone = ZoneInfo(self.limits.daily_reset_zone)
        self.trading = TradingStateMachine(self.limits, self._zone)

    # ================================================================ public API

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # The bridge thread decodes thousands of ticks a second; a shorter GIL switch
        # interval (default 5 ms) keeps it from delaying the order flow on the loop.
        sys.setswitchinterval(0.0005)
        journal = Journal(self.settings.storage.journal_file())
        self.journal = journal
        stored = journal.get_state("trading")
        if stored:
            latches = msgspec.json.decode(stored, type=Latches)
            self.trading = TradingStateMachine(self.limits, self._zone, latches)
        acked = int(journal.get_state("acked_seq") or 0)
        session = BrainSession(acked_seq=acked)
        self.link = BrainLink(
            url=self.settings.brain.url,
            hello=self._hello,
            session=session,
            outbox_after=journal.outbox_after,
            on_message=self._on_brain_message,
            on_connection=self._on_brain_connection,
            on_ack=self._on_brain_ack,
            connect_timeout=self.settings.brain.connect_timeout_seconds,
            max_backoff=self.settings.brain.reconnect_max_seconds,
            clock=self._clock,
        )
        terminal = self.settings.terminal
        self.bridge = TerminalBridge(
            terminal.command_endpoint,
            terminal.events_endpoint,
            terminal.heartbeat_timeout_seconds,
            loop,
            on_event=self._on_terminal_event,
            on_ticks=self._on_ticks,
            on_availability=self._on_terminal_availability,
            on_gap=self._on_event_gap,
        )
        self.bridge.start()
        self._started = True
        logger.info(
            "executor {} starting; trading state {} {}",
            self.executor_id,
            self.trading.state,
            f"({self.trading.reason})" if self.trading.reason else "",
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
        if self.journal is not None:
            self._persist_trading()
            self.journal.close()
            self.journal = None
        logger.info("executor stopped")

    def subscribe(self, callback: Observer) -> Callable[[], None]:
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
        logger.warning("local resume")
        self._apply(self.trading.resume())

    def reload_limits(self, limits: Limits) -> None:
        """Apply new limits at once: every later command is checked against them."""
        ZoneInfo(limits.daily_reset_zone)  # raises before anything changes
        self.limits = limits
        self._zone = ZoneInfo(limits.daily_reset_zone)
        self.trading.set_limits(limits)
        self.trading.zone = self._zone
        logger.info("limits reloaded: {}", msgspec.json.encode(limits).decode())
        self._emit(LimitsChanged(time=self._clock(), limits=limits))
        self._status_wanted.set()
        if self.bridge is not None and self.terminal_available:
            self._spawn(self._subscribe_ticks(), "subscribe")

    def snapshot(self) -> Snapshot:
        link = self.link
        return Snapshot(
            time=self._clock(),
            executor_id=self.executor_id,
            trading_state=self.trading.state,
            halt_reason=self.trading.reason,
            brain=link.session.state if link else LinkState.DISCONNECTED,
            brain_latency_ms=link.session.latency_ms if link else None,
            terminal_available=self.terminal_available,
            terminal_trade_allowed=self._trade_allowed(),
            reconciled=self.reconciled,
            account=self._account_view(),
            positions=self._positions_view(),
            orders=self._orders_view(),
            recent_commands=list(self._recent),
            ticks={
                s: TickReceived(time=self._clock(), symbol=s, bid=q.bid, ask=q.ask)
                for s, q in self.quotes.items()
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
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.opt(exception=exc).error("background task {} failed", task.get_name())

    def _emit(self, event: ExecutorEvent) -> None:
        if isinstance(event, CommandUpdated):
            self._recent.append(event)
        if not self._observers:
            return
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

    def _persist_trading(self) -> None:
        self._j().set_state("trading", msgspec.json.encode(self.trading.record()).decode())

    def _apply(self, effects: Effects) -> None:
        if effects.changed:
            self._persist_trading()
            state, reason = self.trading.state, self.trading.reason
            logger.warning("trading state {}{}", state, f" ({reason})" if reason else "")
            self._emit(TradingStateChanged(time=self._clock(), state=state, reason=reason))
            self._status_wanted.set()
        else:
            self._persist_trading()
        if effects.flatten or effects.cancel_orders:
            self._spawn(self._risk_off(effects.flatten), "risk-off")

    # ================================================================ brain side

    def _on_brain_connection(self, state: str) -> None:
        now = self._clock()
        link_state = LinkState(state)
        if link_state is LinkState.CONNECTED:
            self._apply(self.trading.brain_connected())
            self._status_wanted.set()
        elif link_state is LinkState.DISCONNECTED:
            self.trading.brain_disconnected(now)
        latency = self.link.session.latency_ms if self.link else None
        logger.info("brain {}", state)
        self._emit(BrainConnectionChanged(time=now, state=link_state, latency_ms=latency))

    def _on_brain_ack(self, seq: int) -> None:
        self._j().set_state("acked_seq", str(seq))

    def _on_brain_message(self, message: BrainToExecutor) -> None:
        if isinstance(message, TradeSignal):
            self._accept_signal(message)
        elif isinstance(message, Halt):
            logger.warning("HALT from the brain (flatten={}): {}", message.flatten, message.reason)
            self._apply(self.trading.brain_halt(message.flatten, message.reason))
        elif isinstance(message, Resume):
            logger.warning("RESUME from the brain: {}", message.reason)
            self._apply(self.trading.brain_resume())

    def _accept_signal(self, signal: TradeSignal) -> None:
        received = time.perf_counter()
        row = self._j().command(signal.command_id)
        if row is not None or signal.command_id in self._queued:
            # A resend of a command we already answered: send the same answer again.
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
        positions = [
            Holding(ticket=p.ticket, symbol=p.symbol, volume=p.volume) for p in self.positions
        ]
        tickets = {p.ticket for p in self.positions}
        positions += [h for h, _ in self._unconfirmed.values() if h.ticket not in tickets]
        orders = [Holding(ticket=o.ticket, symbol=o.symbol, volume=o.volume) for o in self.orders]
        return SafetyContext(
            now=now,
            trading_state=self.trading.state,
            reconciled=self.reconciled,
            terminal_available=self.terminal_available,
            known_command=known,
            positions=positions,
            orders=orders,
            quotes=self.quotes,
            equity=self.account.equity if self.account else None,
            day_start_equity=self.trading.latches.day_start_equity,
            recent_orders=self._rate.count(now),
        )

    async def _process(self, signal: TradeSignal, received: float) -> None:
        now = self._clock()
        journal = self._j()
        known = journal.command(signal.command_id) is not None
        verdict = safety.check(signal, self.limits, self._safety_context(now, known))
        command = signal.command
        common: dict[str, Any] = {
            "command_id": signal.command_id,
            "signal": msgspec.json.encode(signal),
            "now": now,
            "action": command.action.value,
            "symbol": command.symbol,
            "volume": command.volume,
            "expires_at": safety.deadline(signal),
        }
        if not verdict.allowed:
            assert verdict.reason is not None
            assert verdict.source is not None
            reason, source = verdict.reason, verdict.source

            def reject(seq: int) -> CommandReject:
                return CommandReject(
                    seq=seq,
                    command_id=signal.command_id,
                    reason=reason,
                    source=source,
                    message=verdict.message,
                    field=verdict.field,
                    timestamp=now,
                )

            entry = journal.record_command(
                status=CommandStatus.REJECTED.value,
                reason=reason.value,
                answer=reject,
                answer_kind="COMMAND_REJECT",
                **common,
            )
            assert entry is not None
            assert self.link is not None
            self.link.send_reliable(entry)
            logger.info(
                "command {} {} {} rejected: {} {}",
                signal.command_id,
                command.action,
                command.symbol or "",
                reason,
                verdict.message,
            )
            self._command_event(
                signal.command_id,
                command,
                "rejected",
                received,
                reason=reason,
                message=verdict.message,
            )
            return

        def ack(seq: int) -> CommandAck:
            return CommandAck(seq=seq, command_id=signal.command_id, timestamp=now)

        entry = journal.record_command(
            status=SENDING, answer=ack, answer_kind="COMMAND_ACK", **common
        )
        assert entry is not None
        assert self.link is not None
        self.link.send_reliable(entry)
        if command.action.adds_risk:
            self._rate.record(now)
        self._command_event(signal.command_id, command, CommandStatus.ACKNOWLEDGED.value, received)
        await self._execute(signal.command_id, command, received, safety.deadline(signal))

    # ================================================================ terminal side: commands

    async def _execute(
        self,
        command_id: str,
        command: TradeCommand,
        received: float,
        expires_at: datetime | None,
        local: bool = False,
    ) -> None:
        """Send a journaled command to the terminal and journal + report what happened."""
        assert self.bridge is not None
        timeout = self.settings.terminal.request_timeout_seconds
        try:
            reply = await self.bridge.request(
                lambda rid: _to_trade(rid, command_id, command), timeout
            )
        except TerminalUnavailable as exc:
            body = ExecutionResultBody(
                success=False,
                status="rejected",
                reason=ReasonCode.TERMINAL_UNAVAILABLE,
                message=str(exc),
            )
            self._finish(command_id, command, CommandStatus.REJECTED.value, body, received, local)
            return
        except TerminalTimeout as exc:
            logger.warning("command {} outcome unknown: {}", command_id, exc)
            body = reconciliation.unknown_body("no reply from the terminal; reconciling")
            self._finish(command_id, command, CommandStatus.UNKNOWN.value, body, received, local)
            self._spawn(self._resolve_unknown(command_id, command, expires_at, local), "resolve")
            return
        self._record_reply(command_id, command, reply, received, local)

    def _record_reply(
        self,
        command_id: str,
        command: TradeCommand,
        reply: TerminalReply,
        received: float | None,
        local: bool,
    ) -> None:
        if isinstance(reply, TradeReply):
            self._record_outcome(
                command_id, command, reply.outcome, reply.duplicate, received, local
            )
            return
        message = reply.message if isinstance(reply, ErrorReply) else type(reply).__name__
        code = reply.code if isinstance(reply, ErrorReply) else "UNEXPECTED_REPLY"
        body = ExecutionResultBody(
            success=False,
            status="rejected",
            reason=ReasonCode.BROKER_REJECTED,
            retcode_name=code,
            message=message,
        )
        self._finish(command_id, command, CommandStatus.REJECTED.value, body, received, local)

    def _record_outcome(
        self,
        command_id: str,
        command: TradeCommand,
        outcome: TradeOutcome,
        duplicate: bool,
        received: float | None,
        local: bool,
    ) -> None:
        elapsed = (time.perf_counter() - received) * 1000.0 if received is not None else None
        is_buy = command.type.is_buy if command.type is not None else None
        body = reconciliation.result_body(outcome, duplicate, elapsed, command.price, is_buy)
        status = CommandStatus.EXECUTED if body.success else CommandStatus.REJECTED
        if body.success and command.action is Action.OPEN_POSITION and outcome.position:
            holding = Holding(
                ticket=outcome.position, symbol=command.symbol or "", volume=outcome.volume
            )
            self._unconfirmed[outcome.position] = (holding, time.monotonic())
        self._finish(command_id, command, status.value, body, received, local)
        self._refresh_wanted.set()

    def _finish(
        self,
        command_id: str,
        command: TradeCommand,
        status: str,
        body: ExecutionResultBody,
        received: float | None,
        local: bool,
    ) -> None:
        now = self._clock()

        def report(seq: int) -> ExecutionResult:
            return ExecutionResult(
                timestamp=now,
                seq=seq,
                command_id=command_id,
                executor_id=self.executor_id,
                result=body,
            )

        entry = self._j().record_outcome(
            command_id,
            status=status,
            now=now,
            result=msgspec.to_builtins(body),
            reason=body.reason.value if body.reason else None,
            report=None if local else report,
        )
        if entry is not None and self.link is not None:
            self.link.send_reliable(entry)
        logger.info(
            "command {} {} {}: {} ticket={} price={} retcode={} {}",
            command_id,
            command.action,
            command.symbol or "",
            status,
            body.ticket,
            body.price,
            body.retcode_name,
            body.message or "",
        )
        self._command_event(
            command_id,
            command,
            status,
            received,
            reason=body.reason,
            message=body.message or "",
            ticket=body.ticket,
            price=body.price,
            local=local,
        )

    def _command_event(
        self,
        command_id: str,
        command: TradeCommand,
        status: str,
        received: float | None,
        **extra: Any,
    ) -> None:
        latency = (time.perf_counter() - received) * 1000.0 if received is not None else None
        self._emit(
            CommandUpdated(
                time=self._clock(),
                command_id=command_id,
                action=command.action.value,
                symbol=command.symbol,
                volume=command.volume,
                status=status,
                latency_ms=latency,
                **extra,
            )
        )

    async def _query(self, command_id: str) -> CommandStatusReply | None:
        assert self.bridge is not None
        try:
            reply = await self.bridge.request(
                lambda rid: QueryCommand(request_id=rid, command_id=command_id),
                self.settings.terminal.request_timeout_seconds,
            )
        except TerminalError:
            return None
        return reply if isinstance(reply, CommandStatusReply) else None

    async def _resolve_once(
        self, command_id: str, command: TradeCommand, expires_at: datetime | None, local: bool
    ) -> bool:
        """One QUERY_COMMAND round; True once the command is no longer unknown."""
        decision = reconciliation.resolve(await self._query(command_id), self._clock(), expires_at)
        if decision.resolution is Resolution.RECORD:
            assert decision.outcome is not None
            logger.info("command {} resolved by QUERY_COMMAND", command_id)
            self._record_outcome(command_id, command, decision.outcome, True, None, local)
            return True
        if decision.resolution is Resolution.EXPIRE:
            self._finish(
                command_id,
                command,
                CommandStatus.REJECTED.value,
                reconciliation.expired_body(),
                None,
                local,
            )
            return True
        if decision.resolution is Resolution.RESEND:
            logger.info("command {} never reached the terminal; sending it again", command_id)
            await self._execute(command_id, command, time.perf_counter(), expires_at, local)
            row = self._j().command(command_id)
            return row is not None and row.status not in (SENDING, CommandStatus.UNKNOWN.value)
        return False

    async def _resolve_unknown(
        self, command_id: str, command: TradeCommand, expires_at: datetime | None, local: bool
    ) -> None:
        if command_id in self._resolving:
            return
        self._resolving.add(command_id)
        try:
            delay = 0.2
            while not await self._resolve_once(command_id, command, expires_at, local):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        finally:
            self._resolving.discard(command_id)

    # ================================================================ risk off (halt effects)

    async def _risk_off(self, flatten: bool) -> None:
        """Cancel pending orders; with flatten, close every position too (CLOSE_ALL)."""
        if flatten:
            await self._local_command(TradeCommand(action=Action.CLOSE_ALL))
            return
        orders = await self._fetch_orders()
        for order in orders if orders is not None else self.orders:
            await self._local_command(TradeCommand(action=Action.CANCEL_ORDER, ticket=order.ticket))

    async def _local_command(self, command: TradeCommand) -> None:
        now = self._clock()
        # "x" marks the executor's own commands in the terminal's comments.
        command_id = "x" + new_command_id(int(now.timestamp() * 1000), os.urandom(10))[1:]
        self._j().record_command(
            command_id=command_id,
            signal=msgspec.json.encode(command),
            status=SENDING,
            now=now,
            action=command.action.value,
            symbol=command.symbol,
            volume=command.volume,
            expires_at=None,
            local=True,
        )
        await self._execute(command_id, command, time.perf_counter(), None, local=True)

    # ================================================================ terminal side: state

    def _on_terminal_availability(self, available: bool, health: HeartbeatEvent | None) -> None:
        self.terminal_available = available
        self._terminal_health = health
        if available:
            self._terminal_up.set()
            logger.info("terminal available")
            self._refresh_wanted.set()
        else:
            self._terminal_up.clear()
            logger.warning("terminal unavailable")
        self._emit(
            TerminalConnectionChanged(
                time=self._clock(), available=available, trade_allowed=self._trade_allowed()
            )
        )
        self._status_wanted.set()

    def _trade_allowed(self) -> bool:
        health = self._terminal_health
        return bool(
            self.terminal_available
            and health is not None
            and health.health.trade_allowed
            and health.health.ea_trade_allowed
        )

    def _on_terminal_event(self, event: TerminalEvent) -> None:
        if isinstance(event, TradeTransactionEvent):
            if event.deal is not None:
                self._record_deal(event.deal)
            self._refresh_wanted.set()
        elif isinstance(event, AccountUpdateEvent):
            self._set_account(event.account)
        elif isinstance(event, HeartbeatEvent):
            self._terminal_health = event

    def _on_event_gap(self, continuity: Continuity) -> None:
        logger.info("terminal event stream {}: recovering deals", continuity)
        if self.reconciled:
            self._spawn(self._catch_up_deals(), "deal-catch-up")
        self._refresh_wanted.set()

    def _set_account(self, account: TerminalAccount) -> None:
        self.account = account
        self._apply_quiet(self.trading.on_equity(self._clock(), account.equity))
        view = self._account_view()
        if view is not None:
            self._emit(AccountChanged(time=self._clock(), account=view))

    def _apply_quiet(self, effects: Effects) -> None:
        if effects.changed:
            self._apply(effects)

    def _record_deal(self, deal: TerminalDeal) -> None:
        if deal.side not in ("BUY", "SELL"):
            return
        journal = self._j()
        command_id = deal.comment if deal.comment and journal.command(deal.comment) else None
        side: Literal["BUY", "SELL"] = "BUY" if deal.side == "BUY" else "SELL"
        report = FillReport(
            deal=deal.ticket,
            order=deal.order,
            position_id=deal.position_id,
            symbol=deal.symbol,
            side=side,
            entry=deal.entry,
            volume=deal.volume,
            price=deal.price,
            profit=deal.profit,
            commission=deal.commission,
            swap=deal.swap,
            magic=deal.magic,
            comment=deal.comment,
            reason=deal.reason,
            time=_ms_to_dt(deal.time_msc),
            command_id=command_id if command_id and not command_id.startswith("x") else None,
        )
        now = self._clock()
        entry = journal.record_deal(
            deal.ticket, command_id, now, lambda seq: Fill(timestamp=now, seq=seq, fill=report)
        )
        if entry is not None and self.link is not None:
            self.link.send_reliable(entry)
            logger.info(
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
            return True
        self._catching_up = True
        try:
            assert self.bridge is not None
            journal = self._j()
            last = journal.last_deal_ticket()
            baseline = last is None
            after = last or 0
            while True:
                reply = await self.bridge.request(
                    partial(_get_deals, after), self.settings.terminal.request_timeout_seconds
                )
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
            return True
        except TerminalError as exc:
            logger.warning("deal catch-up failed: {}", exc)
            return False
        finally:
            self._catching_up = False

    async def _fetch_orders(self) -> list[TerminalOrder] | None:
        assert self.bridge is not None
        try:
            reply = await self.bridge.request(
                lambda rid: GetOrders(request_id=rid, limit=1000),
                self.settings.terminal.request_timeout_seconds,
            )
        except TerminalError:
            return None
        return reply.orders if isinstance(reply, OrdersList) else None

    async def _refresh_positions(self) -> bool:
        assert self.bridge is not None
        started = time.monotonic()
        timeout = self.settings.terminal.request_timeout_seconds
        try:
            positions = await self.bridge.request(
                lambda rid: GetPositions(request_id=rid, limit=1000), timeout
            )
            orders = await self.bridge.request(
                lambda rid: GetOrders(request_id=rid, limit=1000), timeout
            )
            account = await self.bridge.request(lambda rid: GetAccount(request_id=rid), timeout)
        except TerminalError as exc:
            logger.debug("positions refresh failed: {}", exc)
            return False
        if isinstance(positions, PositionsList):
            self.positions = positions.positions
            self._unconfirmed = {
                t: (h, at) for t, (h, at) in self._unconfirmed.items() if at > started
            }
        if isinstance(orders, OrdersList):
            self.orders = orders.orders
        if isinstance(account, AccountInfo):
            self._set_account(account.account)
        self._emit(
            PositionsChanged(
                time=self._clock(), positions=self._positions_view(), orders=self._orders_view()
            )
        )
        if self.link is not None:
            self.link.send_snapshot(self._positions_message())
        return isinstance(positions, PositionsList) and isinstance(orders, OrdersList)

    async def _subscribe_ticks(self) -> None:
        assert self.bridge is not None
        symbols = list(self.limits.allowed_symbols)
        timeout = self.settings.terminal.request_timeout_seconds
        try:
            info = await self.bridge.request(
                lambda rid: GetSymbols(request_id=rid, symbols=symbols), timeout
            )
            if isinstance(info, SymbolsInfo):
                for spec in info.symbols:
                    self._points[spec.symbol] = spec.point
                    if spec.bid > 0 and spec.ask > 0:
                        self.quotes[spec.symbol] = Quote(
                            bid=spec.bid, ask=spec.ask, point=spec.point
                        )
            await self.bridge.request(
                lambda rid: Subscribe(request_id=rid, symbols=symbols), timeout
            )
        except TerminalError as exc:
            logger.warning("tick subscription failed: {}", exc)

    def _on_ticks(self, ticks: dict[str, TickEvent]) -> None:
        for symbol, tick in ticks.items():
            self.quotes[symbol] = Quote(
                bid=tick.bid, ask=tick.ask, point=self._points.get(symbol, 0.0)
            )
            self._dirty_ticks.add(symbol)

    # ================================================================ start-up reconciliation

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
                    if not await self._resolve_once(row.command_id, command, expires, row.local):
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
            # Coalesce a burst of fills into one refresh, and keep the three requests out of
            # the way of commands: wait for a quiet moment (at most a second).
            await asyncio.sleep(0.05)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._idle.wait()
            self._refresh_wanted.clear()
            if self.terminal_available:
                await self._refresh_positions()

    async def _snapshots(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.brain.status_interval_seconds):
                    await self._status_wanted.wait()
            self._status_wanted.clear()
            if self.link is None:
                continue
            self.link.send_snapshot(self._status_message())
            self.link.send_snapshot(self._positions_message())
            account = self._account_view()
            if account is not None:
                self.link.send_snapshot(AccountUpdate(timestamp=self._clock(), account=account))

    async def _forward_ticks(self) -> None:
        while True:
            rate = self.settings.brain.tick_forward_hz
            await asyncio.sleep(1.0 / rate if rate > 0 else 1.0)
            if rate <= 0 or not self._dirty_ticks:
                continue
            dirty, self._dirty_ticks = self._dirty_ticks, set()
            now = self._clock()
            for symbol in dirty:
                quote = self.quotes[symbol]
                spread = round((quote.ask - quote.bid) / quote.point) if quote.point else 0
                if self.link is not None:
                    self.link.send_snapshot(
                        MarketUpdate(
                            timestamp=now,
                            data=MarketData(
                                symbol=symbol, bid=quote.bid, ask=quote.ask, spread=max(spread, 0)
                            ),
                        )
                    )
                self._emit(TickReceived(time=now, symbol=symbol, bid=quote.bid, ask=quote.ask))

    async def _clock_tick(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._apply_quiet(self.trading.on_clock(self._clock()))
            if self.account is not None:
                self._apply_quiet(self.trading.on_equity(self._clock(), self.account.equity))

    # ================================================================ views

    def _status_message(self) -> ExecutorStatus:
        return ExecutorStatus(
            timestamp=self._clock(),
            trading_state=self.trading.state,
            halt_reason=self.trading.reason or None,
            terminal_connected=self.terminal_available,
            terminal_trade_allowed=self._trade_allowed(),
            reconciled=self.reconciled,
            app_version=self._app_version,
            limits=self.limits.summary(),
        )

    def _positions_message(self) -> PositionsSnapshot:
        return PositionsSnapshot(
            timestamp=self._clock(), positions=self._positions_view(), orders=self._orders_view()
        )

    def _positions_view(self) -> list[Position]:
        return [
            Position(
                ticket=p.ticket,
                symbol=p.symbol,
                type=p.side,
                volume=p.volume,
                open_price=p.price_open,
                current_price=p.price_current,
                stop_loss=p.sl or None,
                take_profit=p.tp or None,
                profit=p.profit,
                swap=p.swap,
                magic=p.magic,
                comment=p.comment,
                open_time=_ms_to_dt(p.time_msc),
            )
            for p in self.positions
        ]

    def _orders_view(self) -> list[OpenOrder]:
        return [
            OpenOrder(
                ticket=o.ticket,
                symbol=o.symbol,
                type=o.order_type,
                volume=o.volume,
                price=o.price_open,
                stop_loss=o.sl or None,
                take_profit=o.tp or None,
                magic=o.magic,
                comment=o.comment,
                expiration=_ms_to_dt(o.expiration_msc) if o.expiration_msc else None,
                setup_time=_ms_to_dt(o.time_setup_msc),
            )
            for o in self.orders
        ]

    def _account_view(self) -> Account | None:
        a = self.account
        if a is None:
            return None
        return Account(
            login=a.login,
            server=a.server,
            currency=a.currency,
            balance=a.balance,
            equity=a.equity,
            margin=a.margin,
            free_margin=a.free_margin,
            margin_level=a.margin_level or None,
            leverage=a.leverage,
            profit=a.profit,
            mode=a.margin_mode,
            day_start_equity=self.trading.latches.day_start_equity,
        )


def _get_deals(after: int, request_id: str) -> GetDeals:
    return GetDeals(request_id=request_id, after_ticket=after, limit=1000)


def _to_trade(request_id: str, command_id: str, command: TradeCommand) -> Trade:
    return Trade(
        request_id=request_id,
        command_id=command_id,
        action=command.action,
        symbol=command.symbol,
        order_type=command.type.value if command.type is not None else None,
        volume=command.volume,
        price=command.price,
        sl=command.stop_loss,
        tp=command.take_profit,
        ticket=command.ticket,
        magic=command.magic_number,
        deviation=command.deviation if command.deviation is not None else 10,
        expiration_msc=command.expiration or 0,
    )


def _command_of(signal: bytes, local: bool) -> TradeCommand:
    if local:
        return msgspec.json.decode(signal, type=TradeCommand)
    return _signal_decoder.decode(signal).command
