"""The account's positions, pending orders and quotes, and what they are worth.

The state of :class:`~mt5_simulator.engine.trading.TradingEngine`, one object
every part of it shares: instruments, quotes, account, positions, orders, the
ticket counter and the trigger index; valuation (profit, margin, account info)
and the small parts every operation uses (tickets, currency rates, outcomes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fx_protocol.retcodes import is_success, retcode_name
from fx_protocol.terminal_wire import (
    CloseItem,
    TerminalAccount,
    TradeOutcome,
)
from mt5_simulator.engine.account import (
    Account,
    Converter,
    margin_in_margin_currency,
    price_profit,
)
from mt5_simulator.engine.book import PendingOrder, Position
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.symbols import Instrument
from mt5_simulator.engine.triggers import TriggerLevels, trigger_levels

#: tolerance for float comparisons of volumes, prices and money (the engine's values are floats)
FLOAT_TOLERANCE = 1e-9


class Holdings:
    """The account's positions, orders and quotes, and their valuation.

    ``conditions`` is read only for the account's trade permission in
    :meth:`account_info`; every other switch is read by the part it concerns.
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        account: Account,
        conditions: Conditions,
        *,
        positions: Iterable[Position] = (),
        orders: Iterable[PendingOrder] = (),
        next_ticket: int = 1_000_001,
    ) -> None:
        self.instruments: dict[str, Instrument] = dict(instruments)
        self.account = account
        self.quotes: dict[str, Quote] = {}
        self.positions: dict[int, Position] = {p.ticket: p for p in positions}
        self.orders: dict[int, PendingOrder] = {o.ticket: o for o in orders}
        self.next_ticket = next_ticket
        #: per symbol, the prices at which a stop or a pending order may fire
        self.levels: dict[str, TriggerLevels] = trigger_levels(
            self.positions.values(), self.orders.values()
        )
        self._conditions = conditions
        self._converter = Converter(self.instruments, self.quotes)

    def position_profit(self, position: Position) -> float:
        """Floating profit in the account currency at the current quote."""
        quote = self.quotes.get(position.symbol)
        if quote is None:
            return 0.0
        spec = self.instruments[position.symbol]
        close = quote.bid if position.is_buy else quote.ask
        raw = price_profit(spec, position.is_buy, position.volume, position.price_open, close)
        return round(raw * self.rate(spec.profit_currency), 2)

    def realised_profit(
        self, spec: Instrument, position: Position, volume: float, price: float
    ) -> float:
        """Profit in the account currency of closing ``volume`` of a position at ``price``."""
        raw = price_profit(spec, position.is_buy, volume, position.price_open, price)
        return round(raw * self.rate(spec.profit_currency), 2)

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
            if volume <= FLOAT_TOLERANCE:
                continue
            quote = self.quotes.get(symbol)
            price = (quote.bid + quote.ask) / 2.0 if quote else spec.start_price
            amount = margin_in_margin_currency(spec, volume, price, self.account.leverage)
            total += amount * self.rate(spec.margin_currency)
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
            trade_allowed=self._conditions.account_trade_allowed,
        )

    def reindex(self) -> None:
        """Rebuild the trigger levels after positions or orders changed."""
        self.levels = trigger_levels(self.positions.values(), self.orders.values())

    def new_ticket(self) -> int:
        """Take the next ticket; orders, deals and positions all draw from this one counter."""
        ticket = self.next_ticket
        self.next_ticket += 1
        return ticket

    def rate(self, currency: str) -> float:
        """Units of the account currency per unit of ``currency``."""
        rate = self._converter.rate(currency, self.account.currency)
        # Without a linking quote yet (no tick so far) count 1:1 rather than refuse.
        return 1.0 if rate is None else rate

    def outcome(
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
        """A request's outcome, with the symbol's current bid and ask."""
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
