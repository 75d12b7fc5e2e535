"""Pending orders and triggers: PLACE_ORDER, CANCEL_ORDER, ticks firing SL/TP and orders, expiry."""

from __future__ import annotations

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import (
    PendingType,
    Trade,
    TradeOutcome,
)
from mt5_simulator.engine import rules
from mt5_simulator.engine.book import Changeset, PendingOrder, Transaction
from mt5_simulator.engine.checks import Checks
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.holdings import FLOAT_TOLERANCE, Holdings
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.market_orders import MarketOrders
from mt5_simulator.engine.position_changes import PositionChanges
from mt5_simulator.engine.rules import RefusedError

_PENDING: tuple[PendingType, ...] = ("BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP")


class PendingOrders:
    """Placing and cancelling pending orders; ticks that fire stops and orders; expiration.

    Changes the holdings' orders and quotes; reads the conditions' order limit.
    A tick closes positions at their SL or TP through ``position_changes`` and
    fills a triggered order through ``market_orders``, as a request would.
    """

    def __init__(
        self,
        holdings: Holdings,
        checks: Checks,
        conditions: Conditions,
        market_orders: MarketOrders,
        position_changes: PositionChanges,
    ) -> None:
        self._holdings = holdings
        self._checks = checks
        self._conditions = conditions
        self._market_orders = market_orders
        self._position_changes = position_changes

    def place(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        """PLACE_ORDER."""
        holdings = self._holdings
        spec = self._checks.spec(request.symbol)
        order_type = request.order_type
        if order_type not in _PENDING:
            raise RefusedError(Retcode.INVALID, "PLACE_ORDER needs a pending orderType")
        if request.price is None:
            raise RefusedError(Retcode.INVALID, "PLACE_ORDER needs a price")
        is_buy = order_type in ("BUY_LIMIT", "BUY_STOP")
        quote = self._checks.check_symbol(spec, now, opening_buy=is_buy)
        volume = rules.check_volume(spec, request.volume)
        if request.expiration_msc and request.expiration_msc <= now:
            raise RefusedError(Retcode.INVALID_EXPIRATION, "expiration is in the past")
        price = spec.normalize_price(request.price)
        rules.check_pending_price(spec, order_type, price, quote)
        sl = spec.normalize_price(request.sl or 0.0)
        tp = spec.normalize_price(request.tp or 0.0)
        rules.check_stops(spec, is_buy, price, sl, tp)
        limit = self._conditions.max_orders
        if limit and len(holdings.orders) >= limit:
            raise RefusedError(Retcode.LIMIT_ORDERS, "pending order limit reached")
        order = PendingOrder(
            ticket=holdings.new_ticket(),
            symbol=spec.name,
            order_type=order_type,
            volume=volume,
            price=price,
            sl=sl,
            tp=tp,
            magic=request.magic or 0,
            comment=request.command_id,
            time_setup_msc=now,
            expiration_msc=request.expiration_msc,
        )
        holdings.orders[order.ticket] = order
        changes.orders[order.ticket] = order
        changes.transactions.append(Transaction("ORDER_ADD", spec.name, order.ticket, 0, None, now))
        return holdings.outcome(
            request.command_id,
            Retcode.PLACED,
            now,
            spec.name,
            order=order.ticket,
            volume=volume,
            price=price,
        )

    def cancel_request(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        """CANCEL_ORDER."""
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "CANCEL_ORDER needs a ticket")
        order = self.cancel(request.ticket, now, changes)
        return self._holdings.outcome(
            request.command_id,
            Retcode.DONE,
            now,
            order.symbol,
            order=order.ticket,
            volume=order.volume,
            price=order.price,
        )

    def cancel(self, ticket: int, now: int, changes: Changeset) -> PendingOrder:
        """Delete a pending order unless its symbol is closed or it is within the freeze level."""
        holdings = self._holdings
        order = holdings.orders.get(ticket)
        if order is None:
            raise RefusedError(Retcode.INVALID, f"order {ticket} not found")
        spec = holdings.instruments[order.symbol]
        quote = self._checks.check_symbol(spec, now, opening_buy=None)
        market = quote.ask if order.is_buy else quote.bid
        if abs(market - order.price) < spec.freeze_level * spec.point - FLOAT_TOLERANCE:
            raise RefusedError(Retcode.FROZEN, f"order {ticket} is within the freeze level")
        del holdings.orders[ticket]
        changes.orders[ticket] = None
        changes.transactions.append(Transaction("ORDER_DELETE", order.symbol, ticket, 0, None, now))
        return order

    def on_quote(self, symbol: str, bid: float, ask: float, now: int) -> Changeset | None:
        """Store a tick and fire SL, TP and pending orders it reaches; None if nothing fired."""
        holdings = self._holdings
        holdings.quotes[symbol] = Quote(bid, ask, now)
        levels = holdings.levels.get(symbol)
        if levels is None or not levels.reached(bid, ask):
            return None
        changes: Changeset | None = None
        for position in [p for p in holdings.positions.values() if p.symbol == symbol]:
            if not (position.sl or position.tp):
                continue
            if position.is_buy:
                hit_sl = position.sl > 0 and bid <= position.sl
                hit_tp = position.tp > 0 and bid >= position.tp
                price = bid
            else:
                hit_sl = position.sl > 0 and ask >= position.sl
                hit_tp = position.tp > 0 and ask <= position.tp
                price = ask
            if not (hit_sl or hit_tp):
                continue
            changes = changes or Changeset()
            spec = holdings.instruments[symbol]
            reason = "SL" if hit_sl else "TP"
            stop = position.sl if hit_sl else position.tp
            comment = f"[{reason.lower()} {stop:.{spec.digits}f}]"
            self._position_changes.close(
                spec,
                position,
                position.volume,
                price,
                holdings.new_ticket(),
                position.magic,
                comment,
                reason,
                now,
                changes,
            )
        for order in [o for o in holdings.orders.values() if o.symbol == symbol]:
            triggered = {
                "BUY_LIMIT": ask <= order.price,
                "BUY_STOP": ask >= order.price,
                "SELL_LIMIT": bid >= order.price,
                "SELL_STOP": bid <= order.price,
            }[order.order_type]
            if triggered:
                changes = changes or Changeset()
                self._trigger(order, bid, ask, now, changes)
        if changes is not None:
            holdings.reindex()
        return changes

    def _trigger(
        self, order: PendingOrder, bid: float, ask: float, now: int, changes: Changeset
    ) -> None:
        spec = self._holdings.instruments[order.symbol]
        del self._holdings.orders[order.ticket]
        changes.orders[order.ticket] = None
        market = ask if order.is_buy else bid
        # A limit fills at its price or better; a stop becomes a market order.
        if order.order_type == "BUY_LIMIT":
            price = min(order.price, market)
        elif order.order_type == "SELL_LIMIT":
            price = max(order.price, market)
        else:
            price = market
        try:
            self._checks.check_margin(
                spec.name,
                order.volume if order.is_buy else 0.0,
                0.0 if order.is_buy else order.volume,
            )
        except RefusedError:
            changes.transactions.append(
                Transaction("ORDER_DELETE", spec.name, order.ticket, 0, None, now)
            )
            return
        self._market_orders.execute(
            spec,
            is_buy=order.is_buy,
            volume=order.volume,
            price=price,
            sl=order.sl,
            tp=order.tp,
            magic=order.magic,
            comment=order.comment,
            order_ticket=order.ticket,
            reason="EXPERT",
            now=now,
            changes=changes,
        )
        changes.transactions.append(
            Transaction("HISTORY_ADD", spec.name, order.ticket, 0, None, now)
        )

    def expire(self, now: int) -> Changeset | None:
        """Delete pending orders whose expiration has passed."""
        holdings = self._holdings
        due = [o for o in holdings.orders.values() if o.expiration_msc and o.expiration_msc <= now]
        if not due:
            return None
        changes = Changeset()
        for order in due:
            del holdings.orders[order.ticket]
            changes.orders[order.ticket] = None
            changes.transactions.append(
                Transaction("ORDER_DELETE", order.symbol, order.ticket, 0, None, now)
            )
        holdings.reindex()
        return changes

    def next_expiration(self) -> int:
        """Earliest pending-order expiration, 0 if none."""
        times = [o.expiration_msc for o in self._holdings.orders.values() if o.expiration_msc]
        return min(times) if times else 0
