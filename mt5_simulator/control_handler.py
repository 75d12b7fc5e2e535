"""SIM_CONTROL handling: faults, conditions, symbol settings, quotes and the clock.

The messages themselves are in :mod:`mt5_simulator.control`.
:class:`ControlHandler` is built per run with the opened
:class:`~mt5_simulator.terminal_state.TerminalState` (engine, market source,
faults and the other run-time settings it changes) and the
:class:`~mt5_simulator.event_feed.EventFeed` (a set quote is a tick; what an
advanced clock expires is committed and published).
"""

from __future__ import annotations

from dataclasses import replace as dc_replace

import msgspec

from fx_protocol.terminal_wire import (
    ErrorReply,
)
from mt5_simulator.control import (
    ControlState,
    SimControl,
    SimControlReply,
)
from mt5_simulator.event_feed import EventFeed
from mt5_simulator.terminal_state import TerminalState, crash


class ControlHandler:
    """Applies one SIM_CONTROL request whole, or refuses it before changing anything."""

    def __init__(self, state: TerminalState, feed: EventFeed) -> None:
        self._state = state
        self._feed = feed

    def control(self, request: SimControl) -> SimControlReply | ErrorReply:
        state, feed = self._state, self._feed
        engine, conditions = state.engine, state.engine.conditions
        # Refuse before changing anything: a control request applies whole or not at all.
        if request.set_symbol is not None and request.set_symbol.symbol not in engine.instruments:
            return self._control_error(request, "$.setSymbol.symbol", "unknown symbol")
        if request.set_quote is not None:
            q = request.set_quote
            if q.symbol not in engine.instruments:
                return self._control_error(request, "$.setQuote.symbol", "unknown symbol")
            if q.ask < q.bid:
                return self._control_error(request, "$.setQuote.ask", "ask below bid")
        if request.crash:
            crash("crash requested by SIM_CONTROL")
        faults = state.faults
        fault_changes = {
            name: getattr(request, name)
            for name in (
                "reply_delay_ms", "drop_trade_replies", "reject_next", "reject_retcode",
                "heartbeats", "crash_after_trades", "crash_before_trade",
            )
            if getattr(request, name) is not None
        }  # fmt: skip
        if fault_changes:
            state.faults = faults = msgspec.structs.replace(faults, **fault_changes)
            if "crash_after_trades" in fault_changes:
                state.trades_done = 0
            if "crash_before_trade" in fault_changes:
                state.trades_seen = 0
        if request.pause_market is not None:
            state.paused = request.pause_market
        if request.advance_clock_ms:
            state.clock_offset_ms += request.advance_clock_ms
        for name in (
            "slippage_points", "max_trades_per_second", "max_positions", "max_orders",
            "stop_out_level", "commission_per_lot",
        ):  # fmt: skip
            value = getattr(request, name)
            if value is not None:
                setattr(conditions, name, value)
        if request.terminal is not None:
            t = request.terminal
            if t.connected is not None:
                conditions.connected = t.connected
            if t.trade_allowed is not None:
                conditions.terminal_trade_allowed = t.trade_allowed
            if t.ea_trade_allowed is not None:
                conditions.ea_trade_allowed = t.ea_trade_allowed
            if t.account_trade_allowed is not None:
                conditions.account_trade_allowed = t.account_trade_allowed
        if request.set_symbol is not None:
            setting = request.set_symbol
            spec = engine.instruments[setting.symbol]
            changes: dict[str, object] = {}
            for name in ("trade_mode", "filling_modes", "stops_level", "freeze_level"):
                value = getattr(setting, name)
                if value is not None:
                    changes[name] = value
            engine.instruments[setting.symbol] = dc_replace(spec, **changes)  # type: ignore[arg-type]
            if setting.market_open is not None:
                if setting.market_open:
                    conditions.closed_symbols.discard(setting.symbol)
                else:
                    conditions.closed_symbols.add(setting.symbol)
            if setting.clear_quote:
                engine.quotes.pop(setting.symbol, None)
        if request.set_quote is not None:
            q = request.set_quote
            spec = engine.instruments[q.symbol]
            feed.tick(
                q.symbol, spec.normalize_price(q.bid), spec.normalize_price(q.ask), state.now()
            )
            state.walk.seed_mid(q.symbol, (q.bid + q.ask) / 2.0)
        if request.advance_clock_ms and engine.orders:
            expired = engine.expire(state.now())
            if expired is not None:
                feed.apply(expired, state.now())
        return SimControlReply(request_id=request.request_id, state=self._control_state())

    @staticmethod
    def _control_error(request: SimControl, field: str, message: str) -> ErrorReply:
        code = "UNKNOWN_SYMBOL" if message == "unknown symbol" else "BAD_REQUEST"
        return ErrorReply(request_id=request.request_id, code=code, message=message, field=field)

    def _control_state(self) -> ControlState:
        f = self._state.faults
        return ControlState(
            paused=self._state.paused, reply_delay_ms=f.reply_delay_ms,
            drop_trade_replies=f.drop_trade_replies, reject_next=f.reject_next,
            reject_retcode=f.reject_retcode, heartbeats=f.heartbeats,
            crash_after_trades=f.crash_after_trades, crash_before_trade=f.crash_before_trade,
            clock_offset_ms=self._state.clock_offset_ms,
        )  # fmt: skip
