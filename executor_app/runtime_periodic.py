"""Periodic work of the runtime: status snapshots for the brain, tick forwarding, the clock.

``PeriodicWork`` owns no state: it reads the shared
:class:`executor_app.runtime_state.RuntimeState` (and waits on its
``status_wanted``), applies the clock's trading-state transitions through
:class:`executor_app.runtime_state.TradingControl` and tells the observers through
``emit``. ``Runtime`` runs ``snapshots``, ``forward_ticks`` and ``clock_tick`` as
tasks.
"""

from __future__ import annotations

import asyncio
import contextlib

from executor_app.core.events import BrainConnectionChanged, TickReceived
from executor_app.core.session import LinkState
from executor_app.runtime_state import Emit, RuntimeState, TradingControl
from fx_protocol.brain_wire import AccountUpdate, MarketData, MarketUpdate


class PeriodicWork:
    """The runtime's background loops other than the positions refresher."""

    def __init__(self, state: RuntimeState, control: TradingControl, *, emit: Emit) -> None:
        self._state = state
        self._control = control
        self._emit = emit

    async def snapshots(self) -> None:
        state = self._state
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(state.settings.brain.status_interval_seconds):
                    await state.status_wanted.wait()
            state.status_wanted.clear()
            if state.link is None:
                continue
            state.persist_acked()
            state.prune_outbox()
            session = state.link.session
            if session.state is LinkState.CONNECTED:
                # Observers get the latest heartbeat latency at the status cadence.
                self._emit(
                    BrainConnectionChanged(
                        time=state.clock(), state=session.state, latency_ms=session.latency_ms
                    )
                )
            state.link.send_snapshot(state.status_message())
            state.link.send_snapshot(state.positions_message())
            account = state.account_view()
            if account is not None:
                state.link.send_snapshot(AccountUpdate(timestamp=state.clock(), account=account))

    async def forward_ticks(self) -> None:
        state = self._state
        while True:
            rate = state.settings.brain.tick_forward_hz
            await asyncio.sleep(1.0 / rate if rate > 0 else 1.0)
            if rate <= 0:
                continue
            now = state.clock()
            for symbol, quote in state.terminal.take_changed_quotes().items():
                if not quote.point:
                    # No symbol spec: not one we subscribed to (a terminal publishes its
                    # chart symbol, or all, until SUBSCRIBE), so no spread to report.
                    continue
                spread = quote.spread_points
                if state.link is not None:
                    data = MarketData(symbol=symbol, bid=quote.bid, ask=quote.ask, spread=spread)
                    state.link.send_snapshot(MarketUpdate(timestamp=now, data=data))
                self._emit(
                    TickReceived(
                        time=now, symbol=symbol, bid=quote.bid, ask=quote.ask, spread=spread
                    )
                )

    async def clock_tick(self) -> None:
        state = self._state
        while True:
            await asyncio.sleep(0.25)
            self._control.apply_if_changed(state.trading.on_clock(state.clock()))
            account = state.terminal.account
            if account is not None:
                # Crossing the daily reset with no account event: start the new day anyway.
                self._control.apply_if_changed(
                    state.trading.on_equity(state.clock(), account.equity)
                )
