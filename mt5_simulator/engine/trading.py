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

import random
from collections import deque
from collections.abc import Iterable, Mapping

from fx_protocol.retcodes import Retcode, is_success, retcode_name
from fx_protocol.terminal_wire import (
    CloseItem,
    PendingType,
    TerminalAccount,
    TerminalDeal,
    Trade,
    TradeOutcome,
)
from fx_protocol.vocabulary import Action
from mt5_simulator.engine import rules
from mt5_simulator.engine.account import (
    Account,
    Converter,
    margin_in_margin_currency,
    price_profit,
)
from mt5_simulator.engine.book import Changeset, PendingOrder, Position, Transaction
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument
from mt5_simulator.engine.triggers import trigger_levels

_PENDING: tuple[PendingType, ...] = ("BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP")
_EPS = 1e-9


class TradingEngine:
    """The account's positions, orders and quotes, and every operation on them."""

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
        self.instruments: dict[str, Instrument] = dict(instruments)
        self.account = account
        self.conditions = conditions or Conditions()
        self.quotes: dict[str, Quote] = {}
        self.positions: dict[int, Position] = {p.ticket: p for p in positions}
        self.orders: dict[int, PendingOrder] = {o.ticket: o for o in orders}
        self.next_ticket = next_ticket
        self._rng = rng
        self._converter = Converter(self.instruments, self.quotes)
        self._recent_trades: deque[int] = deque()
        self._levels = trigger_levels(self.positions.values(), self.orders.values())

    # ------------------------------------------------------------ views

    def position_profit(self, position: Position) -> float:
        """Floating profit in the account currency at the current quote."""
        quote = self.quotes.get(position.symbol)
        if quote is None:
            return 0.0
        spec = self.instruments[position.symbol]
        close = quote.bid if position.is_buy else quote.ask
        raw = price_profit(spec, position.is_buy, position.volume, position.price_open, close)
        return round(raw * self._rate(spec.profit_currency), 2)

    def margin(self, extra: tuple[str, float, float] | None = None) -> float:
        """Used margin; ``extra`` = (symbol, buy volume, sell volume) added hypothetically.

        Hedged volume (buy and sell on one symbol) needs margin for the larger
        leg only, MT5's default for hedging accounts.
        """
        legs: dict[str, list[float]] = {}
        for position in self.positions.values():
            leg = legs.setdefault(position.symbol, [0.0, 0.0])
            leg[0 if position.is_buy else 1] += position.volume
        if extra is not None:
            leg = legs.setdefault(extra[0], [0.0, 0.0])
            leg[0] += extra[1]
            leg[1] += extra[2]
        total = 0.0
        for symbol, (buy, sell) in legs.items():
            spec = self.instruments[symbol]
            netting = self.account.mode == "netting"
            volume = abs(buy - sell) if netting else max(buy, sell)
            if volume <= _EPS:
                continue
            quote = self.quotes.get(symbol)
            price = (quote.bid + quote.ask) / 2.0 if quote else spec.start_price
            amount = margin_in_margin_currency(spec, volume, price, self.account.leverage)
            total += amount * self._rate(spec.margin_currency)
        return round(total, 2)

    def account_info(self) -> TerminalAccount:
        profit = round(sum(self.position_profit(p) for p in self.positions.values()), 2)
        equity = round(self.account.balance + profit, 2)
        margin = self.margin()
        return TerminalAccount(
            login=self.account.login,
            server=self.account.server,
            currency=self.account.currency,
            balance=round(self.account.balance, 2),
            equity=equity,
            margin=margin,
            free_margin=round(equity - margin, 2),
            margin_level=round(equity / margin * 100.0, 2) if margin > 0 else 0.0,
            leverage=self.account.leverage,
            profit=profit,
            margin_mode=self.account.mode,
            trade_allowed=self.conditions.account_trade_allowed,
        )

    # ------------------------------------------------------------ requests

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

    # ------------------------------------------------------------ checks

    def _check_terminal(self, now: int) -> None:
        c = self.conditions
        if not c.terminal_trade_allowed:
            raise RefusedError(
                Retcode.CLIENT_DISABLES_AT, "algo trading is disabled in the terminal"
            )
        if not c.ea_trade_allowed:
            raise RefusedError(Retcode.CLIENT_DISABLES_AT, "the expert is not allowed to trade")
        if not c.connected:
            raise RefusedError(Retcode.CONNECTION, "no connection with the trade server")
        if c.max_trades_per_second > 0:
            recent = self._recent_trades
            while recent and recent[0] <= now - 1000:
                recent.popleft()
            if len(recent) >= c.max_trades_per_second:
                raise RefusedError(Retcode.TOO_MANY_REQUESTS, "too frequent requests")
            recent.append(now)
        if not c.account_trade_allowed:
            raise RefusedError(Retcode.TRADE_DISABLED, "trading is disabled for the account")

    def _spec(self, symbol: str | None) -> Instrument:
        if symbol is None:
            raise RefusedError(Retcode.INVALID, "symbol is required")
        spec = self.instruments.get(symbol)
        if spec is None:
            raise RefusedError(Retcode.INVALID, f"unknown symbol {symbol}")
        return spec

    def _check_symbol(self, spec: Instrument, now: int, opening_buy: bool | None) -> Quote:
        """Trade mode and session; ``opening_buy`` None = the request only reduces risk."""
        if spec.trade_mode == "DISABLED":
            raise RefusedError(Retcode.TRADE_DISABLED, f"trading is disabled for {spec.name}")
        if spec.name in self.conditions.closed_symbols or (
            self.conditions.market_hours == "sessions" and not spec.is_open(now)
        ):
            raise RefusedError(Retcode.MARKET_CLOSED, f"market is closed for {spec.name}")
        if opening_buy is not None:
            if spec.trade_mode == "CLOSEONLY":
                raise RefusedError(Retcode.CLOSE_ONLY, f"{spec.name} allows closing only")
            if spec.trade_mode == "LONGONLY" and not opening_buy:
                raise RefusedError(Retcode.LONG_ONLY, f"{spec.name} allows buying only")
            if spec.trade_mode == "SHORTONLY" and opening_buy:
                raise RefusedError(Retcode.SHORT_ONLY, f"{spec.name} allows selling only")
        quote = self.quotes.get(spec.name)
        if quote is None:
            raise RefusedError(Retcode.PRICE_OFF, f"no quotes for {spec.name}")
        return quote

    def _check_margin(self, symbol: str, buy: float, sell: float) -> None:
        info = self.account_info()
        required = self.margin((symbol, buy, sell))
        if required > info.equity + _EPS:
            raise RefusedError(
                Retcode.NO_MONEY,
                f"not enough money: margin {required:.2f} > equity {info.equity:.2f}",
            )

    def _fill_price(self, spec: Instrument, quote: Quote, is_buy: bool) -> float:
        market = quote.ask if is_buy else quote.bid
        slip = self.conditions.slippage_points
        if slip <= 0:
            return market
        # Adverse slippage is likelier than price improvement, as on a real feed.
        points = self._rng.randint(-slip // 2, slip)
        return spec.normalize_price(market + (points if is_buy else -points) * spec.point)

    # ------------------------------------------------------------ opening

    def _open(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        spec = self._spec(request.symbol)
        if request.order_type not in ("BUY", "SELL"):
            raise RefusedError(Retcode.INVALID, "OPEN_POSITION needs orderType BUY or SELL")
        is_buy = request.order_type == "BUY"
        quote = self._check_symbol(spec, now, opening_buy=is_buy)
        volume = rules.check_volume(spec, request.volume)
        rules.check_filling(spec)
        sl = spec.normalize_price(request.sl or 0.0)
        tp = spec.normalize_price(request.tp or 0.0)
        rules.check_stops(spec, is_buy, quote.bid if is_buy else quote.ask, sl, tp)
        netted = self._netting_position(spec.name)
        limit = self.conditions.max_positions
        if limit and netted is None and len(self.positions) >= limit:
            raise RefusedError(Retcode.LIMIT_POSITIONS, "position limit reached")
        self._check_margin(spec.name, volume if is_buy else 0.0, 0.0 if is_buy else volume)
        market = quote.ask if is_buy else quote.bid
        reference = spec.normalize_price(request.price) if request.price else market
        fill = self._fill_price(spec, quote, is_buy)
        rules.check_deviation(spec, request, reference, fill)
        order_ticket = self._ticket()
        deal, position = self._execute(
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
        return self._outcome(
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
        if self.account.mode != "netting":
            return None
        for position in self.positions.values():
            if position.symbol == symbol:
                return position
        return None

    def _execute(
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
            self.positions[position.ticket] = position
            changes.positions[position.ticket] = position
            deal = self._deal(
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
            deal = self._deal(
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
            profit = self._realised(spec, existing, closing, price)
            remaining = spec.normalize_volume(existing.volume - volume)
            if remaining > _EPS:
                existing.volume = remaining
                entry = "OUT"
            elif remaining < -_EPS:
                # Reversal: the position id stays, the direction and open price change.
                existing.is_buy = is_buy
                existing.volume = spec.normalize_volume(-remaining)
                existing.price_open = price
                existing.sl, existing.tp = sl, tp
                existing.time_msc = now
                entry = "INOUT"
            else:
                entry = "OUT"
            if abs(remaining) <= _EPS:
                del self.positions[existing.ticket]
                changes.positions[existing.ticket] = None
            else:
                changes.positions[existing.ticket] = existing
            changes.account_changed = True
            deal = self._deal(
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

    def _deal(
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
        commission = -round(self.conditions.commission_per_lot * volume, 2)
        self.account.balance = round(self.account.balance + profit + commission, 2)
        return TerminalDeal(
            ticket=self._ticket(),
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

    def _realised(self, spec: Instrument, position: Position, volume: float, price: float) -> float:
        raw = price_profit(spec, position.is_buy, volume, position.price_open, price)
        return round(raw * self._rate(spec.profit_currency), 2)

    # ------------------------------------------------------------ pending orders

    def _place(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        spec = self._spec(request.symbol)
        order_type = request.order_type
        if order_type not in _PENDING:
            raise RefusedError(Retcode.INVALID, "PLACE_ORDER needs a pending orderType")
        if request.price is None:
            raise RefusedError(Retcode.INVALID, "PLACE_ORDER needs a price")
        is_buy = order_type in ("BUY_LIMIT", "BUY_STOP")
        quote = self._check_symbol(spec, now, opening_buy=is_buy)
        volume = rules.check_volume(spec, request.volume)
        if request.expiration_msc and request.expiration_msc <= now:
            raise RefusedError(Retcode.INVALID_EXPIRATION, "expiration is in the past")
        price = spec.normalize_price(request.price)
        rules.check_pending_price(spec, order_type, price, quote)
        sl = spec.normalize_price(request.sl or 0.0)
        tp = spec.normalize_price(request.tp or 0.0)
        rules.check_stops(spec, is_buy, price, sl, tp)
        if self.conditions.max_orders and len(self.orders) >= self.conditions.max_orders:
            raise RefusedError(Retcode.LIMIT_ORDERS, "pending order limit reached")
        order = PendingOrder(
            ticket=self._ticket(),
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
        self.orders[order.ticket] = order
        changes.orders[order.ticket] = order
        changes.transactions.append(Transaction("ORDER_ADD", spec.name, order.ticket, 0, None, now))
        return self._outcome(
            request.command_id,
            Retcode.PLACED,
            now,
            spec.name,
            order=order.ticket,
            volume=volume,
            price=price,
        )

    def _cancel_request(self, request: Trade, now: int, changes: Changeset) -> TradeOutcome:
        if request.ticket is None:
            raise RefusedError(Retcode.INVALID, "CANCEL_ORDER needs a ticket")
        order = self._cancel(request.ticket, now, changes)
        return self._outcome(
            request.command_id,
            Retcode.DONE,
            now,
            order.symbol,
            order=order.ticket,
            volume=order.volume,
            price=order.price,
        )

    def _cancel(self, ticket: int, now: int, changes: Changeset) -> PendingOrder:
        order = self.orders.get(ticket)
        if order is None:
            raise RefusedError(Retcode.INVALID, f"order {ticket} not found")
        spec = self.instruments[order.symbol]
        quote = self._check_symbol(spec, now, opening_buy=None)
        market = quote.ask if order.is_buy else quote.bid
        if abs(market - order.price) < spec.freeze_level * spec.point - _EPS:
            raise RefusedError(Retcode.FROZEN, f"order {ticket} is within the freeze level")
        del self.orders[ticket]
        changes.orders[ticket] = None
        changes.transactions.append(Transaction("ORDER_DELETE", order.symbol, ticket, 0, None, now))
        return order

    # ------------------------------------------------------------ closing

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
            if volume > position.volume + _EPS:
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
        if remaining > _EPS:
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

    # ------------------------------------------------------------ ticks and time

    def on_quote(self, symbol: str, bid: float, ask: float, now: int) -> Changeset | None:
        """Store a tick and fire SL, TP and pending orders it reaches; None if nothing fired."""
        self.quotes[symbol] = Quote(bid, ask, now)
        levels = self._levels.get(symbol)
        if levels is None or not levels.reached(bid, ask):
            return None
        changes: Changeset | None = None
        for position in [p for p in self.positions.values() if p.symbol == symbol]:
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
            spec = self.instruments[symbol]
            reason = "SL" if hit_sl else "TP"
            stop = position.sl if hit_sl else position.tp
            comment = f"[{reason.lower()} {stop:.{spec.digits}f}]"
            self._close(
                spec,
                position,
                position.volume,
                price,
                self._ticket(),
                position.magic,
                comment,
                reason,
                now,
                changes,
            )
        for order in [o for o in self.orders.values() if o.symbol == symbol]:
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
            self._reindex()
        return changes

    def _reindex(self) -> None:
        """Rebuild the trigger levels after positions or orders changed."""
        self._levels = trigger_levels(self.positions.values(), self.orders.values())

    def _trigger(
        self, order: PendingOrder, bid: float, ask: float, now: int, changes: Changeset
    ) -> None:
        spec = self.instruments[order.symbol]
        del self.orders[order.ticket]
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
            self._check_margin(
                spec.name,
                order.volume if order.is_buy else 0.0,
                0.0 if order.is_buy else order.volume,
            )
        except RefusedError:
            changes.transactions.append(
                Transaction("ORDER_DELETE", spec.name, order.ticket, 0, None, now)
            )
            return
        self._execute(
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

    def expire(self, now: int) -> Changeset | None:
        """Delete pending orders whose expiration has passed."""
        due = [o for o in self.orders.values() if o.expiration_msc and o.expiration_msc <= now]
        if not due:
            return None
        changes = Changeset()
        for order in due:
            del self.orders[order.ticket]
            changes.orders[order.ticket] = None
            changes.transactions.append(
                Transaction("ORDER_DELETE", order.symbol, order.ticket, 0, None, now)
            )
        self._reindex()
        return changes

    def next_expiration(self) -> int:
        """Earliest pending-order expiration, 0 if none."""
        times = [o.expiration_msc for o in self.orders.values() if o.expiration_msc]
        return min(times) if times else 0

    # ------------------------------------------------------------ small parts

    def _ticket(self) -> int:
        ticket = self.next_ticket
        self.next_ticket += 1
        return ticket

    def _rate(self, currency: str) -> float:
        rate = self._converter.rate(currency, self.account.currency)
        # Without a linking quote yet (no tick so far) count 1:1 rather than refuse.
        return 1.0 if rate is None else rate

    def _outcome(
        self,
        command_id: str,
        code: int,
        now: int,
        symbol: str | None,
        *,
        message: str = "",
        order: int = 0,
        deal: int = 0,
        position: int = 0,
        volume: float = 0.0,
        price: float = 0.0,
        closed: list[CloseItem] | None = None,
    ) -> TradeOutcome:
        quote = self.quotes.get(symbol) if symbol else None
        return TradeOutcome(
            command_id=command_id,
            retcode=int(code),
            retcode_name=retcode_name(int(code)),
            success=is_success(int(code)),
            order=order,
            deal=deal,
            position=position,
            volume=volume,
            price=price,
            bid=quote.bid if quote else 0.0,
            ask=quote.ask if quote else 0.0,
            message=message,
            time_msc=now,
            closed=closed or [],
        )
