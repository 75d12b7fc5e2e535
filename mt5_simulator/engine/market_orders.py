"""Market orders: OPEN_POSITION, the fill of any opening order (hedging or netting), deals.

Every deal is booked here (:meth:`MarketOrders.book_deal`), also the closing
deals of :mod:`~mt5_simulator.engine.position_changes`.
"""

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
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument


class MarketOrders:
    """Opening at market, filling into positions, booking deals.

    Changes the holdings' positions and balance; reads the conditions'
    position limit and commission.
    """

    def __init__(self, holdings: Holdings, checks: Checks, conditions: Conditions) -> None:
        self._holdings = holdings
        self._checks = checks
        self._conditions = conditions

    def open(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        """OPEN_POSITION."""
        holdings, checks = self._holdings, self._checks
        spec = checks.spec(request.symbol)
        if request.order_type not in ("BUY", "SELL"):
            raise RefusedError(Retcode.INVALID, "OPEN_POSITION needs orderType BUY or SELL")
        is_buy = request.order_type == "BUY"
        quote = checks.check_symbol(spec, now, opening_buy=is_buy)
        volume = rules.check_volume(spec, request.volume)
        rules.check_filling(spec)
        sl = spec.normalize_price(request.sl or 0.0)
        tp = spec.normalize_price(request.tp or 0.0)
        rules.check_stops(spec, is_buy, quote.bid if is_buy else quote.ask, sl, tp)
        netted = self._netting_position(spec.name)
        limit = self._conditions.max_positions
        if limit and netted is None and len(holdings.positions) >= limit:
            raise RefusedError(Retcode.LIMIT_POSITIONS, "position limit reached")
        checks.check_margin(spec.name, volume if is_buy else 0.0, 0.0 if is_buy else volume)
        market = quote.ask if is_buy else quote.bid
        reference = spec.normalize_price(request.price) if request.price else market
        fill = checks.fill_price(spec, quote, is_buy)
        rules.check_deviation(spec, request, reference, fill)
        order_ticket = holdings.new_ticket()
        deal, position = self.execute(
            spec,
            is_buy=is_buy,
            volume=volume,
            price=fill,
            sl=sl,
            tp=tp,
            magic=request.magic or 0,
            comment=request.command_id,
            order_ticket=order_ticket,
            reason="EXPERT",
            now=now,
            changes=changes,
        )
        return holdings.outcome(
            request.command_id,
            Retcode.DONE,
            now,
            spec.name,
            order=order_ticket,
            deal=deal.ticket,
            position=position,
            volume=volume,
            price=fill,
        )

    def _netting_position(self, symbol: str) -> Position | None:
        if self._holdings.account.mode != "netting":
            return None
        for position in self._holdings.positions.values():
            if position.symbol == symbol:
                return position
        return None

    def execute(
        self,
        spec: Instrument,
        *,
        is_buy: bool,
        volume: float,
        price: float,
        sl: float,
        tp: float,
        magic: int,
        comment: str,
        order_ticket: int,
        reason: str,
        now: int,
        changes: Changeset,
    ) -> tuple[TerminalDeal, int]:
        """Fill an opening order: a new position (hedging) or a netted change."""
        existing = self._netting_position(spec.name)
        side = "BUY" if is_buy else "SELL"
        if existing is None:
            position = Position(
                ticket=order_ticket,
                symbol=spec.name,
                is_buy=is_buy,
                volume=volume,
                price_open=price,
                sl=sl,
                tp=tp,
                magic=magic,
                comment=comment,
                time_msc=now,
            )
            self._holdings.positions[position.ticket] = position
            changes.positions[position.ticket] = position
            deal = self.book_deal(
                spec.name,
                side,
                "IN",
                volume,
                price,
                0.0,
                position,
                order_ticket,
                magic,
                comment,
                reason,
                now,
            )
        elif existing.is_buy == is_buy:
            total = existing.volume + volume
            existing.price_open = round(
                (existing.price_open * existing.volume + price * volume) / total, spec.digits + 3
            )
            existing.volume = spec.normalize_volume(total)
            # MT5 netting: stops given with the added volume replace the position's.
            if sl:
                existing.sl = sl
            if tp:
                existing.tp = tp
            changes.positions[existing.ticket] = existing
            deal = self.book_deal(
                spec.name,
                side,
                "IN",
                volume,
                price,
                0.0,
                existing,
                order_ticket,
                magic,
                comment,
                reason,
                now,
            )
        else:
            closing = min(volume, existing.volume)
            profit = self._holdings.realised_profit(spec, existing, closing, price)
            remaining = spec.normalize_volume(existing.volume - volume)
            if remaining > FLOAT_TOLERANCE:
                existing.volume = remaining
                entry = "OUT"
            elif remaining < -FLOAT_TOLERANCE:
                # Reversal: the position id stays, the direction and open price change.
                existing.is_buy = is_buy
                existing.volume = spec.normalize_volume(-remaining)
                existing.price_open = price
                existing.sl, existing.tp = sl, tp
                existing.time_msc = now
                entry = "INOUT"
            else:
                entry = "OUT"
            if abs(remaining) <= FLOAT_TOLERANCE:
                del self._holdings.positions[existing.ticket]
                changes.positions[existing.ticket] = None
            else:
                changes.positions[existing.ticket] = existing
            changes.account_changed = True
            deal = self.book_deal(
                spec.name,
                side,
                entry,
                volume,
                price,
                profit,
                existing,
                order_ticket,
                magic,
                comment,
                reason,
                now,
            )
            position_ticket = existing.ticket
            changes.deals.append(deal)
            changes.transactions.append(
                Transaction("DEAL_ADD", spec.name, order_ticket, position_ticket, deal, now)
            )
            return deal, position_ticket
        changes.account_changed = True
        changes.deals.append(deal)
        changes.transactions.append(
            Transaction("DEAL_ADD", spec.name, order_ticket, deal.position_id, deal, now)
        )
        return deal, deal.position_id

    def book_deal(
        self,
        symbol: str,
        side: str,
        entry: str,
        volume: float,
        price: float,
        profit: float,
        position: Position,
        order_ticket: int,
        magic: int,
        comment: str,
        reason: str,
        now: int,
    ) -> TerminalDeal:
        """Book a deal: its profit and commission go to the balance at once, as in MT5."""
        commission = -round(self._conditions.commission_per_lot * volume, 2)
        account = self._holdings.account
        account.balance = round(account.balance + profit + commission, 2)
        return TerminalDeal(
            ticket=self._holdings.new_ticket(),
            order=order_ticket,
            position_id=position.ticket,
            symbol=symbol,
            side=side,  # type: ignore[arg-type]
            entry=entry,  # type: ignore[arg-type]
            volume=volume,
            price=price,
            profit=profit,
            commission=commission,
            magic=magic,
            comment=comment,
            reason=reason,
            time_msc=now,
        )
