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
from mt5_simulator.engine.holdings import FLOAT_TOLERANCE
from mt5_simulator.engine.market_orders import MarketOrders
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument


class PositionChanges(MarketOrders):
    """Closing (whole or partial), changing stops, and the stop-out."""

    def _close_request(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "CLOSE_POSITION needs a ticket")
        position = self.positions.get(request.ticket)
        if position is None:
            raise RefusedError(Retcode.POSITION_CLOSED, f"position {request.ticket} does not exist")
        spec = self.instruments[position.symbol]
        quote = self._check_symbol(spec, now, opening_buy=None)
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
        fill = self._fill_price(spec, quote, not position.is_buy)
        if request.price:
            rules.check_deviation(spec, request, spec.normalize_price(request.price), fill)
        order_ticket = self._ticket()
        deal = self._close(
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
        return self._outcome(
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

    def _close(
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
        profit = self._realised(spec, position, volume, price)
        remaining = spec.normalize_volume(position.volume - volume)
        side = "SELL" if position.is_buy else "BUY"
        deal = self._deal(
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
            del self.positions[position.ticket]
            changes.positions[position.ticket] = None
        changes.account_changed = True
        changes.deals.append(deal)
        changes.transactions.append(
            Transaction("DEAL_ADD", spec.name, order_ticket, position.ticket, deal, now)
        )
        return deal

    def _modify(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "MODIFY_POSITION needs a ticket")
        if request.sl is None and request.tp is None:
            raise RefusedError(Retcode.INVALID, "MODIFY_POSITION needs sl or tp")
        position = self.positions.get(request.ticket)
        if position is None:
            raise RefusedError(Retcode.POSITION_CLOSED, f"position {request.ticket} does not exist")
        spec = self.instruments[position.symbol]
        quote = self._check_symbol(spec, now, opening_buy=None)
        sl = position.sl if request.sl is None else spec.normalize_price(request.sl)
        tp = position.tp if request.tp is None else spec.normalize_price(request.tp)
        if sl == position.sl and tp == position.tp:
            return self._outcome(
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
        return self._outcome(
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
        level = self.conditions.stop_out_level
        changes: Changeset | None = None
        while level > 0 and self.positions:
            info = self.account_info()
            if info.margin <= 0 or info.margin_level >= level:
                break
            worst = min(self.positions.values(), key=self.position_profit)
            quote = self.quotes.get(worst.symbol)
            if quote is None:
                break
            changes = changes or Changeset()
            spec = self.instruments[worst.symbol]
            price = quote.bid if worst.is_buy else quote.ask
            comment = f"[so {info.margin_level:.2f}%/{info.equity:.2f}/{info.margin:.2f}]"
            self._close(spec, worst, worst.volume, price, self._ticket(), worst.magic,
                        comment[:31], "SO", now, changes)  # fmt: skip
        if changes is not None:
            self._reindex()
        return changes
