"""The checks a request passes before it may trade: terminal, symbol, margin, fill price.

Order of checks: ``docs/simulator.md`` § Retcodes (see :mod:`mt5_simulator.engine.trading`).
Each refusal raises :class:`~mt5_simulator.engine.rules.RefusedError` with its retcode.
The checks that need no state (volume, filling, stops...) are plain functions in
:mod:`mt5_simulator.engine.rules`.
"""

from __future__ import annotations

import random
from collections import deque

from fx_protocol.retcodes import Retcode
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.holdings import FLOAT_TOLERANCE, Holdings
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.rules import RefusedError
from mt5_simulator.engine.symbols import Instrument


class Checks:
    """Terminal permissions and request rate, symbol trade mode and session, margin, fill price.

    Reads the holdings (instruments, quotes, margin) and the conditions; owns the
    window of recent trade requests (the rate limit) and draws slippage from ``rng``.
    """

    def __init__(self, holdings: Holdings, conditions: Conditions, rng: random.Random) -> None:
        self._holdings = holdings
        self._conditions = conditions
        self._rng = rng
        self._recent_trades: deque[int] = deque()

    def check_terminal(self, now: int) -> None:
        """Terminal, EA and account permissions, connection and request rate (every request)."""
        c = self._conditions
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

    def spec(self, symbol: str | None) -> Instrument:
        """The requested symbol's instrument."""
        if symbol is None:
            raise RefusedError(Retcode.INVALID, "symbol is required")
        spec = self._holdings.instruments.get(symbol)
        if spec is None:
            raise RefusedError(Retcode.INVALID, f"unknown symbol {symbol}")
        return spec

    def check_symbol(self, spec: Instrument, now: int, opening_buy: bool | None) -> Quote:
        """Trade mode and session; ``opening_buy`` None = the request only reduces risk."""
        if spec.trade_mode == "DISABLED":
            raise RefusedError(Retcode.TRADE_DISABLED, f"trading is disabled for {spec.name}")
        if spec.name in self._conditions.closed_symbols or (
            self._conditions.market_hours == "sessions" and not spec.is_open(now)
        ):
            raise RefusedError(Retcode.MARKET_CLOSED, f"market is closed for {spec.name}")
        if opening_buy is not None:
            if spec.trade_mode == "CLOSEONLY":
                raise RefusedError(Retcode.CLOSE_ONLY, f"{spec.name} allows closing only")
            if spec.trade_mode == "LONGONLY" and not opening_buy:
                raise RefusedError(Retcode.LONG_ONLY, f"{spec.name} allows buying only")
            if spec.trade_mode == "SHORTONLY" and opening_buy:
                raise RefusedError(Retcode.SHORT_ONLY, f"{spec.name} allows selling only")
        quote = self._holdings.quotes.get(spec.name)
        if quote is None:
            raise RefusedError(Retcode.PRICE_OFF, f"no quotes for {spec.name}")
        return quote

    def check_margin(self, symbol: str, buy: float, sell: float) -> None:
        info = self._holdings.account_info()
        required = self._holdings.margin((symbol, buy, sell))
        if required > info.equity + FLOAT_TOLERANCE:
            raise RefusedError(
                Retcode.NO_MONEY,
                f"not enough money: margin {required:.2f} > equity {info.equity:.2f}",
            )

    def fill_price(self, spec: Instrument, quote: Quote, is_buy: bool) -> float:
        market = quote.ask if is_buy else quote.bid
        slip = self._conditions.slippage_points
        if slip <= 0:
            return market
        # Adverse slippage is likelier than price improvement, as on a real feed.
        points = self._rng.randint(-slip // 2, slip)
        return spec.normalize_price(market + (points if is_buy else -points) * spec.point)
