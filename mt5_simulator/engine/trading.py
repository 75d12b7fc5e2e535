"""The trade server: requests in, retcodes, deals and position changes out.

Checks follow the order and the conditions of an MT5 trade server
(``docs/simulator.md`` § Retcodes): request shape (10013 INVALID), terminal
permissions (10027, 10031), request rate (10024), symbol trade mode and
session (10017, 10018, 10042-10044), quotes (10021 PRICE_OFF), volume
(10014, 10038), filling (10030), prices and stops against the stops level
(10015, 10016), freeze level (10029), expiration (10022), margin (10019),
deviation (10004 REQUOTE), then execution (10009 DONE, 10008 PLACED).
Every rejection is data: a :class:`TradeOutcome` with its retcode.
"""

from __future__ import annotations

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import (
    CloseItem,
    Trade,
    TradeOutcome,
)
from fx_protocol.vocabulary import Action
from mt5_simulator.engine import rules
from mt5_simulator.engine.book import Changeset
from mt5_simulator.engine.pending_orders import PendingOrders
from mt5_simulator.engine.rules import RefusedError


class TradingEngine(PendingOrders):
    """The account's positions, orders and quotes, and every operation on them.

    Built up in layers, one module each: :class:`~.holdings.Holdings` (state and
    valuation), :class:`~.checks.Checks`, :class:`~.market_orders.MarketOrders`,
    :class:`~.position_changes.PositionChanges`, :class:`~.pending_orders.PendingOrders`;
    this class adds the request dispatch and CLOSE_ALL (positions and orders at once).
    """

    def trade(self, request: Trade, now_msc: int) -> tuple[TradeOutcome, Changeset]:
        """Carry out one TRADE request; the changeset is empty unless it succeeded."""
        changes = Changeset()
        try:
            self._check_terminal(now_msc)
            outcome = self._dispatch(request, now_msc, changes)
        except RefusedError as rejected:
            return self.rejection(request, rejected.code, rejected.message, now_msc), Changeset()
        if not changes.empty:
            self._reindex()
        return outcome, changes

    def rejection(self, request: Trade, code: int, message: str, now_msc: int) -> TradeOutcome:
        """The outcome of a request that did nothing (also used for injected faults)."""
        return self._outcome(request.command_id, code, now_msc, request.symbol, message=message)

    def _dispatch(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        action = request.action
        if action is Action.OPEN_POSITION:
            return self._open(request, now, changes)
        if action is Action.PLACE_ORDER:
            return self._place(request, now, changes)
        if action is Action.CLOSE_POSITION:
            return self._close_request(request, now, changes)
        if action is Action.MODIFY_POSITION:
            return self._modify(request, now, changes)
        if action is Action.CANCEL_ORDER:
            return self._cancel_request(request, now, changes)
        return self._close_all(request, now, changes)

    def _close_all(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        if request.symbol is not None:
            self._spec(request.symbol)
        items: list[CloseItem] = []

        def selected(symbol: str, magic: int) -> bool:
            if request.symbol is not None and symbol != request.symbol:
                return False
            return request.magic is None or magic == request.magic

        for position in [p for p in self.positions.values() if selected(p.symbol, p.magic)]:
            try:
                spec = self.instruments[position.symbol]
                quote = self._check_symbol(spec, now, opening_buy=None)
                rules.check_filling(spec)
                rules.check_frozen_position(spec, position, quote)
                fill = self._fill_price(spec, quote, not position.is_buy)
                volume = position.volume
                deal = self._close(
                    spec,
                    position,
                    volume,
                    fill,
                    self._ticket(),
                    position.magic,
                    request.command_id,
                    "EXPERT",
                    now,
                    changes,
                )
                items.append(
                    CloseItem(
                        ticket=position.ticket,
                        retcode=int(Retcode.DONE),
                        deal=deal.ticket,
                        volume=volume,
                        price=fill,
                    )
                )
            except RefusedError as rejected:
                items.append(CloseItem(ticket=position.ticket, retcode=int(rejected.code)))
        for order in [o for o in self.orders.values() if selected(o.symbol, o.magic)]:
            try:
                self._cancel(order.ticket, now, changes)
                items.append(
                    CloseItem(
                        ticket=order.ticket,
                        retcode=int(Retcode.DONE),
                        volume=order.volume,
                        price=order.price,
                    )
                )
            except RefusedError as rejected:
                items.append(CloseItem(ticket=order.ticket, retcode=int(rejected.code)))
        failures = [i for i in items if i.retcode != Retcode.DONE]
        if not failures:
            code, message = Retcode.DONE, f"{len(items)} closed"
        elif len(failures) < len(items):
            code, message = Retcode.DONE_PARTIAL, f"{len(failures)} of {len(items)} failed"
        else:
            code, message = Retcode(failures[0].retcode), f"all {len(items)} failed"
        return self._outcome(
            request.command_id, code, now, request.symbol, message=message, closed=items
        )
