"""Periodic work of the runtime: status snapshots for the brain, tick forwarding, the clock."""

from __future__ import annotations

import asyncio
import contextlib

from executor_app.core.events import BrainConnectionChanged, TickReceived
from executor_app.core.session import LinkState
from executor_app.runtime_state import RuntimeState
from fx_protocol.brain_wire import AccountUpdate, MarketData, MarketUpdate


class PeriodicWork(RuntimeState):
    """The runtime's background loops other than the positions refresher (a part of ``Runtime``)."""

    # ================================================================ periodic work

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
