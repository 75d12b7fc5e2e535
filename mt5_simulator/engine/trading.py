"""The trade server: requests in, retcodes, deals and position changes out.

Checks follow the order and the conditions of an MT5 trade server
(``docs/simulator.md`` § Retcodes): request shape (10013 INVALID), terminal
permissions (10027, 10031), request rate (10024), symbol trade mode and
session (10017, 10018, 10042-10044), quotes (10021 PRICE_OFF), volume
(10014, 10038), filling (10030), prices and stops against the stops level
(10015, 10016), freeze level (10029), expiration (10022), margin (10019),
deviation (10004 REQUOTE), then execution (10009 DONE, 10008 PLACED).
Every rejection is data: a :class:`TradeOutcome` with its retcode.

The engine is composed of parts, one module each, and each part's constructor
names what it uses:

- :class:`~.holdings.Holdings` (instruments, account, conditions): the state
  (instruments, quotes, account, positions, orders, ticket counter, trigger
  index) and its valuation (profit, margin, account info);
- :class:`~.checks.Checks` (holdings, conditions, rng): terminal, symbol,
  margin and fill-price checks; owns the request-rate window;
- :class:`~.market_orders.MarketOrders` (holdings, checks, conditions):
  OPEN_POSITION, fills of opening orders, booking every deal;
- :class:`~.position_changes.PositionChanges` (holdings, checks, conditions,
  market_orders): CLOSE_POSITION, MODIFY_POSITION, the stop-out;
- :class:`~.pending_orders.PendingOrders` (holdings, checks, conditions,
  market_orders, position_changes): PLACE_ORDER, CANCEL_ORDER, ticks firing
  stops and orders, expiry.

:class:`TradingEngine` builds them, dispatches requests to them, carries out
CLOSE_ALL (positions and orders at once) and is the only API the rest of the
simulator uses.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import (
    CloseItem,
    TerminalAccount,
    Trade,
    TradeOutcome,
)
from fx_protocol.vocabulary import Action
from mt5_simulator.engine import rules
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.book import Changeset, PendingOrder, Position
from mt5_simulator.engine.checks import Checks
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.holdings import Holdings
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.market_orders import MarketOrders
from mt5_simulator.engine.pending_orders import PendingOrders
from mt5_simulator.engine.position_changes import PositionChanges
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument


class TradingEngine:
    """The account's positions, orders and quotes, and every operation on them.

    The state lives in one :class:`~.holdings.Holdings`; the read-only
    properties below hand out the very objects the parts share, so changing
    ``instruments`` or ``conditions`` in place (as tests and SIM_CONTROL do)
    takes effect at once.
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        account: Account,
        *,
        rng: random.Random,
        conditions: Conditions | None = None,
        positions: Iterable[Position] = (),
        orders: Iterable[PendingOrder] = (),
        next_ticket: int = 1_000_001,
    ) -> None:
        self._conditions = conditions = conditions or Conditions()
        self._holdings = holdings = Holdings(
            instruments,
            account,
            conditions,
            positions=positions,
            orders=orders,
            next_ticket=next_ticket,
        )
        self._checks = checks = Checks(holdings, conditions, rng)
        self._market_orders = market_orders = MarketOrders(holdings, checks, conditions)
        self._position_changes = position_changes = PositionChanges(
            holdings, checks, conditions, market_orders
        )
        self._pending_orders = PendingOrders(
            holdings, checks, conditions, market_orders, position_changes
        )

    # -- the state, read (and changed in place) by the simulator and tests --

    @property
    def conditions(self) -> Conditions:
        """The switches every part reads; change them in place, never rebind."""
        return self._conditions

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self._holdings.instruments

    @property
    def account(self) -> Account:
        return self._holdings.account

    @property
    def quotes(self) -> dict[str, Quote]:
        return self._holdings.quotes

    @property
    def positions(self) -> dict[int, Position]:
        return self._holdings.positions

    @property
    def orders(self) -> dict[int, PendingOrder]:
        return self._holdings.orders

    @property
    def next_ticket(self) -> int:
        """The ticket the next order, deal or position gets (persisted with the account)."""
        return self._holdings.next_ticket

    # -- valuation --

    def position_profit(self, position: Position) -> float:
        """Floating profit in the account currency at the current quote."""
        return self._holdings.position_profit(position)

    def margin(self, extra: tuple[str, float, float] | None = None) -> float:
        """Used margin; ``extra`` = (symbol, buy volume, sell volume) added hypothetically."""
        return self._holdings.margin(extra)

    def account_info(self) -> TerminalAccount:
        return self._holdings.account_info()

    # -- requests --

    def trade(self, request: Trade, now_msc: int) -> tuple[TradeOutcome, Changeset]:
        """Carry out one TRADE request; the changeset is empty unless it succeeded."""
        changes = Changeset()
        try:
            self._checks.check_terminal(now_msc)
            outcome = self._dispatch(request, now_msc, changes)
        except RefusedError as rejected:
            return self.rejection(request, rejected.code, rejected.message, now_msc), Changeset()
        if not changes.empty:
            self._holdings.reindex()
        return outcome, changes

    def rejection(self, request: Trade, code: int, message: str, now_msc: int) -> TradeOutcome:
        """The outcome of a request that did nothing (also used for injected faults)."""
        return self._holdings.outcome(
            request.command_id, code, now_msc, request.symbol, message=message
        )

    def _dispatch(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        action = request.action
        if action is Action.OPEN_POSITION:
            return self._market_orders.open(request, now, changes)
        if action is Action.PLACE_ORDER:
            return self._pending_orders.place(request, now, changes)
        if action is Action.CLOSE_POSITION:
            return self._position_changes.close_request(request, now, changes)
        if action is Action.MODIFY_POSITION:
            return self._position_changes.modify(request, now, changes)
        if action is Action.CANCEL_ORDER:
            return self._pending_orders.cancel_request(request, now, changes)
        return self._close_all(request, now, changes)

    # -- the market moving and time passing --

    def on_quote(self, symbol: str, bid: float, ask: float, now: int) -> Changeset | None:
        """Store a tick and fire SL, TP and pending orders it reaches; None if nothing fired."""
        return self._pending_orders.on_quote(symbol, bid, ask, now)

    def stop_out(self, now: int) -> Changeset | None:
        """Close the most losing positions while the margin level is below the stop-out level."""
        return self._position_changes.stop_out(now)

    def expire(self, now: int) -> Changeset | None:
        """Delete pending orders whose expiration has passed."""
        return self._pending_orders.expire(now)

    def next_expiration(self) -> int:
        """Earliest pending-order expiration, 0 if none."""
        return self._pending_orders.next_expiration()

    def _close_all(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        holdings, checks = self._holdings, self._checks
        if request.symbol is not None:
            checks.spec(request.symbol)
        items: list[CloseItem] = []

        def selected(symbol: str, magic: int) -> bool:
            if request.symbol is not None and symbol != request.symbol:
                return False
            return request.magic is None or magic == request.magic

        for position in [p for p in holdings.positions.values() if selected(p.symbol, p.magic)]:
            try:
                spec = holdings.instruments[position.symbol]
                quote = checks.check_symbol(spec, now, opening_buy=None)
                rules.check_filling(spec)
                rules.check_frozen_position(spec, position, quote)
                fill = checks.fill_price(spec, quote, not position.is_buy)
                volume = position.volume
                deal = self._position_changes.close(
                    spec,
                    position,
                    volume,
                    fill,
                    holdings.new_ticket(),
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
        for order in [o for o in holdings.orders.values() if selected(o.symbol, o.magic)]:
            try:
                self._pending_orders.cancel(order.ticket, now, changes)
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
        return holdings.outcome(
            request.command_id, code, now, request.symbol, message=message, closed=items
        )
