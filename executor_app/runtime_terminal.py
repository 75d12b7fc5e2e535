"""The terminal side of the runtime: availability, events, deals, positions.

Also the reconciliation at start (journal vs terminal before any new risk,
``docs/executor.md`` § Reconciliation) and the positions refresher.

``TerminalSide`` owns the ``terminal_up`` and ``refresh_wanted`` events and the
deal catch-up's progress. It reads and changes the shared
:class:`executor_app.runtime_state.RuntimeState` (the terminal mirror, the
journal, the bridge, reconciliation), applies trading-state transitions through
:class:`executor_app.runtime_state.TradingControl`, and is given the brain side's
``idle`` event so refreshes wait for a quiet moment. ``Runtime`` hands
``on_availability``, ``on_event`` and ``on_gap`` to the terminal bridge, runs
``reconcile_at_start`` and ``positions_refresher`` as tasks, and calls
``subscribe_ticks`` when the limits change.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from functools import partial

import msgspec
from loguru import logger

from executor_app.core.event_stream import Continuity
from executor_app.core.events import (
    AccountChanged,
    PositionsChanged,
    ReconciliationChanged,
    TerminalConnectionChanged,
)
from executor_app.core.wire_views import fill_report, get_deals
from executor_app.execution import Spawn
from executor_app.runtime_brain import signal_decoder
from executor_app.runtime_state import Emit, RuntimeState, TradingControl
from executor_app.terminal_bridge import TerminalError
from fx_protocol.brain_wire import Fill
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


class TerminalSide:
    """What the runtime does with what the EA sends, and what it asks it."""

    def __init__(
        self,
        state: RuntimeState,
        control: TradingControl,
        *,
        emit: Emit,
        spawn: Spawn,
        idle: asyncio.Event,
    ) -> None:
        self._state = state
        self._control = control
        self._emit = emit
        self._spawn = spawn
        #: set while no command is being processed (the brain side's worker owns it)
        self._idle = idle
        self._terminal_up = asyncio.Event()
        #: positions and account should be read again (a trade, a gap, the terminal back)
        self.refresh_wanted = asyncio.Event()
        self._catching_up = False
        #: a deal catch-up failed or was skipped: the refresher runs it again
        self._deals_behind = False

    def on_availability(self, available: bool, health: HeartbeatEvent | None) -> None:
        state = self._state
        state.terminal.available = available
        state.terminal.health = health
        if available:
            self._terminal_up.set()
            logger.info("terminal available")
            self.refresh_wanted.set()
        else:
            self._terminal_up.clear()
            logger.warning("terminal unavailable")
        self._emit(
            TerminalConnectionChanged(
                time=state.clock(), available=available, trade_allowed=state.terminal.trade_allowed
            )
        )
        state.status_wanted.set()

    def on_event(self, event: TerminalEvent) -> None:
        state = self._state
        if isinstance(event, TradeTransactionEvent):
            if event.deal is not None:
                self._record_deal(event.deal)
            self.refresh_wanted.set()
        elif isinstance(event, AccountUpdateEvent):
            self._set_account(event.account)
        elif isinstance(event, HeartbeatEvent):
            state.terminal.health = event

    def on_gap(self, continuity: Continuity) -> None:
        state = self._state
        logger.info("terminal event stream {}: recovering deals", continuity)
        if state.reconciled:
            self._spawn(self._catch_up_deals(), "deal-catch-up")
        if continuity is Continuity.RESTART:
            # A new EA instance starts with no tick subscription.
            self._spawn(self.subscribe_ticks(), "subscribe")
        self.refresh_wanted.set()

    def _set_account(self, account: TerminalAccount) -> None:
        state = self._state
        state.terminal.account = account
        self._control.apply_if_changed(state.trading.on_equity(state.clock(), account.equity))
        view = state.account_view()
        if view is not None:
            self._emit(AccountChanged(time=state.clock(), account=view))

    def _record_deal(self, deal: TerminalDeal) -> None:
        """Report a deal as FILL exactly once, whoever caused it (command, SL/TP, manual)."""
        state = self._state
        journal = state.running_journal()
        command_id = deal.comment if deal.comment and journal.command_known(deal.comment) else None
        report = fill_report(deal, command_id)
        if report is None:
            return
        now = state.clock()
        entry = journal.record_deal(
            deal.ticket, command_id, now, lambda seq: Fill(timestamp=now, seq=seq, fill=report)
        )
        if entry is not None:
            state.send_reliable(entry)
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
        state = self._state
        if self._catching_up:
            # Another gap while one catch-up runs: it may already be past the new gap.
            self._deals_behind = True
            return True
        self._catching_up = True
        self._deals_behind = False
        try:
            assert state.bridge is not None
            journal = state.running_journal()
            # From the last *completed* catch-up, not the newest deal: live events may
            # already have reported deals after a gap whose own deals are still missing.
            last = journal.deals_caught_up()
            baseline = last is None
            after = last or 0
            while True:
                reply = await state.bridge.request(partial(get_deals, after), state.timeout)
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
        state = self._state
        assert state.bridge is not None
        ok = await state.terminal.refresh(state.bridge, state.timeout)
        if state.terminal.account is not None:
            self._set_account(state.terminal.account)
        if ok:
            self._emit(
                PositionsChanged(
                    time=state.clock(),
                    positions=state.terminal.positions_view(),
                    orders=state.terminal.orders_view(),
                )
            )
            if state.link is not None:
                state.link.send_snapshot(state.positions_message())
        return ok

    async def subscribe_ticks(self) -> None:
        state = self._state
        assert state.bridge is not None
        await state.terminal.subscribe(
            state.bridge, list(state.limits.allowed_symbols), state.timeout
        )

    async def reconcile_at_start(self) -> None:
        """Journal vs terminal before any new risk: unknown outcomes, missed deals, positions."""
        state = self._state
        attempt = 0
        while True:
            await self._terminal_up.wait()
            attempt += 1
            try:
                await self.subscribe_ticks()
                for row in state.running_journal().open_commands():
                    command = _command_of(row.signal, row.local)
                    expires = datetime.fromisoformat(row.expires_at) if row.expires_at else None
                    logger.info("reconciling command {} ({})", row.command_id, row.status)
                    if not await state.running_execution().resolve_once(
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
                    ReconciliationChanged(time=state.clock(), reconciled=False, detail=str(exc))
                )
                await asyncio.sleep(min(0.2 * attempt, 2.0))
                continue
            state.reconciled = True
            state.reconciled_event.set()
            logger.info("reconciled with the terminal; accepting new risk")
            self._emit(ReconciliationChanged(time=state.clock(), reconciled=True))
            state.status_wanted.set()
            return

    # ================================================================ positions refresher

    async def positions_refresher(self) -> None:
        state = self._state
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(state.settings.brain.status_interval_seconds):
                    await self.refresh_wanted.wait()
            # Coalesce a burst of fills into one refresh, and keep its three requests out
            # of the way of commands: wait for a quiet moment (at most a second).
            await asyncio.sleep(0.05)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._idle.wait()
            self.refresh_wanted.clear()
            if state.terminal.available:
                await self._refresh_positions()
                if self._deals_behind and state.reconciled:
                    await self._catch_up_deals()


def _command_of(signal: bytes, local: bool) -> TradeCommand:
    """The command of a journaled row (local commands store the bare command)."""
    if local:
        return msgspec.json.decode(signal, type=TradeCommand)
    return signal_decoder.decode(signal).command
