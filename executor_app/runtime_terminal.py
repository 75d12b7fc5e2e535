"""The terminal side of the runtime: availability, events, deals, positions.

Also the reconciliation at start (journal vs terminal before any new risk,
``docs/executor.md`` § Reconciliation) and the positions refresher.
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
from executor_app.runtime_brain import signal_decoder
from executor_app.runtime_state import RuntimeState
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


class TerminalSide(RuntimeState):
    """What the runtime does with what the EA sends, and what it asks it (a part of ``Runtime``)."""

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
        command_id = deal.comment if deal.comment and journal.command_known(deal.comment) else None
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

    # ================================================================ positions refresher

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


def _command_of(signal: bytes, local: bool) -> TradeCommand:
    """The command of a journaled row (local commands store the bare command)."""
    if local:
        return msgspec.json.decode(signal, type=TradeCommand)
    return signal_decoder.decode(signal).command
