"""Closing and modifying positions: CLOSE_POSITION, MODIFY_POSITION and the stop-out."""

from __future__ import annotations

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import (
    TerminalDeal,
    Trade,
    TradeOutcome,
)
from mt5_simulator.engine import rules
from mt5_simulator.engine.book import Changeset, Position, Transaction
from mt5_simulator.engine.checks import Checks
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.holdings import FLOAT_TOLERANCE, Holdings
from mt5_simulator.engine.market_orders import MarketOrders
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument


class PositionChanges:
    """Closing (whole or partial), changing stops, and the stop-out.

    Changes the holdings' positions; a close books its deal through
    ``market_orders`` (one place for commission, balance and deal tickets);
    reads the conditions' stop-out level.
    """

    def __init__(
        self,
        holdings: Holdings,
        checks: Checks,
        conditions: Conditions,
        market_orders: MarketOrders,
    ) -> None:
        self._holdings = holdings
        self._checks = checks
        self._conditions = conditions
        self._market_orders = market_orders

    def close_request(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        """CLOSE_POSITION, whole or partial."""
        holdings = self._holdings
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "CLOSE_POSITION needs a ticket")
        position = holdings.positions.get(request.ticket)
        if position is None:
            raise RefusedError(Retcode.POSITION_CLOSED, f"position {request.ticket} does not exist")
        spec = holdings.instruments[position.symbol]
        quote = self._checks.check_symbol(spec, now, opening_buy=None)
        volume = position.volume
        if request.volume is not None:
            volume = rules.check_volume(spec, request.volume)
            if volume > position.volume + FLOAT_TOLERANCE:
                raise RefusedError(
                    Retcode.INVALID_CLOSE_VOLUME,
                    f"close volume {volume} exceeds position volume {position.volume}",
                )
        rules.check_filling(spec)
        rules.check_frozen_position(spec, position, quote)
        fill = self._checks.fill_price(spec, quote, not position.is_buy)
        if request.price:
            rules.check_deviation(spec, request, spec.normalize_price(request.price), fill)
        order_ticket = holdings.new_ticket()
        deal = self.close(
            spec,
            position,
            volume,
            fill,
            order_ticket,
            request.magic or position.magic,
            request.command_id,
            "EXPERT",
            now,
            changes,
        )
        return holdings.outcome(
            request.command_id,
            Retcode.DONE,
            now,
            spec.name,
            order=order_ticket,
            deal=deal.ticket,
            position=position.ticket,
            volume=volume,
            price=fill,
        )

    def close(
        self,
        spec: Instrument,
        position: Position,
        volume: float,
        price: float,
        order_ticket: int,
        magic: int,
        comment: str,
        reason: str,
        now: int,
        changes: Changeset,
    ) -> TerminalDeal:
        """Close ``volume`` of a position at ``price``: its deal, the position reduced or gone."""
        profit = self._holdings.realised_profit(spec, position, volume, price)
        remaining = spec.normalize_volume(position.volume - volume)
        side = "SELL" if position.is_buy else "BUY"
        deal = self._market_orders.book_deal(
            spec.name,
            side,
            "OUT",
            volume,
            price,
            profit,
            position,
            order_ticket,
            magic,
            comment,
            reason,
            now,
        )
        if remaining > FLOAT_TOLERANCE:
            position.volume = remaining
            changes.positions[position.ticket] = position
        else:
            del self._holdings.positions[position.ticket]
            changes.positions[position.ticket] = None
        changes.account_changed = True
        changes.deals.append(deal)
        changes.transactions.append(
            Transaction("DEAL_ADD", spec.name, order_ticket, position.ticket, deal, now)
        )
        return deal

    def modify(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        """MODIFY_POSITION: new SL and/or TP."""
        holdings = self._holdings
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "MODIFY_POSITION needs a ticket")
        if request.sl is None and request.tp is None:
            raise RefusedError(Retcode.INVALID, "MODIFY_POSITION needs sl or tp")
        position = holdings.positions.get(request.ticket)
        if position is None:
            raise RefusedError(Retcode.POSITION_CLOSED, f"position {request.ticket} does not exist")
        spec = holdings.instruments[position.symbol]
        quote = self._checks.check_symbol(spec, now, opening_buy=None)
        sl = position.sl if request.sl is None else spec.normalize_price(request.sl)
        tp = position.tp if request.tp is None else spec.normalize_price(request.tp)
        if sl == position.sl and tp == position.tp:
            return holdings.outcome(
                request.command_id,
                Retcode.NO_CHANGES,
                now,
                spec.name,
                position=position.ticket,
                message="stops unchanged",
            )
        rules.check_frozen_position(spec, position, quote)
        reference = quote.bid if position.is_buy else quote.ask
        rules.check_stops(spec, position.is_buy, reference, sl, tp)
        position.sl, position.tp = sl, tp
        changes.positions[position.ticket] = position
        changes.transactions.append(
            Transaction("POSITION", spec.name, 0, position.ticket, None, now)
        )
        return holdings.outcome(
            request.command_id,
            Retcode.DONE,
            now,
            spec.name,
            position=position.ticket,
            volume=position.volume,
            price=position.price_open,
        )

    def stop_out(self, now: int) -> Changeset | None:
        """Close the most losing positions while the margin level is below the stop-out level."""
        holdings = self._holdings
        level = self._conditions.stop_out_level
        changes: Changeset | None = None
        while level > 0 and holdings.positions:
            info = holdings.account_info()
            if info.margin <= 0 or info.margin_level >= level:
                break
            worst = min(holdings.positions.values(), key=holdings.position_profit)
            quote = holdings.quotes.get(worst.symbol)
            if quote is None:
                break
            changes = changes or Changeset()
            spec = holdings.instruments[worst.symbol]
            price = quote.bid if worst.is_buy else quote.ask
            comment = f"[so {info.margin_level:.2f}%/{info.equity:.2f}/{info.margin:.2f}]"
            self.close(spec, worst, worst.volume, price, holdings.new_ticket(), worst.magic,
                       comment[:31], "SO", now, changes)  # fmt: skip
        if changes is not None:
            holdings.reindex()
        return changes
