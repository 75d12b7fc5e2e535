"""Account arithmetic: profit and margin in the account currency.

MT5 computes a position's profit in the symbol's profit currency and its
margin in the margin currency, then converts both to the deposit currency
through the current quotes of a symbol that links the two currencies
(``USDJPY`` turns JPY profit into USD, ``EURUSD`` turns EUR margin into USD).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.symbols import Instrument

MarginMode = Literal["hedging", "netting"]


@dataclass
class Account:
    """The deposit: what is stored across restarts."""

    login: int
    server: str
    currency: str
    balance: float
    leverage: int
    mode: MarginMode


class Converter:
    """Converts amounts between currencies using the latest quotes of known pairs."""

    def __init__(self, instruments: Mapping[str, Instrument], quotes: Mapping[str, Quote]) -> None:
        self._quotes = quotes
        self._pairs: dict[tuple[str, str], str] = {}
        for spec in instruments.values():
            self._pairs[(spec.base_currency, spec.profit_currency)] = spec.name

    def rate(self, source: str, target: str) -> float | None:
        """Units of ``target`` per unit of ``source``, or None when no quote links them."""
        if source == target:
            return 1.0
        direct = self._direct(source, target)
        if direct is not None:
            return direct
        # Cross through USD, the currency every default instrument touches.
        if "USD" not in (source, target):
            first = self._direct(source, "USD")
            second = self._direct("USD", target)
            if first is not None and second is not None:
                return first * second
        return None

    def _direct(self, source: str, target: str) -> float | None:
        name = self._pairs.get((source, target))
        if name is not None:
            quote = self._quotes.get(name)
            if quote is not None and quote.bid > 0:
                return (quote.bid + quote.ask) / 2.0
        name = self._pairs.get((target, source))
        if name is not None:
            quote = self._quotes.get(name)
            if quote is not None and quote.ask > 0:
                return 2.0 / (quote.bid + quote.ask)
        return None


def price_profit(
    spec: Instrument, is_buy: bool, volume: float, open_price: float, close_price: float
) -> float:
    """Profit in the symbol's profit currency."""
    direction = 1.0 if is_buy else -1.0
    return (close_price - open_price) * direction * volume * spec.contract_size


def margin_in_margin_currency(
    spec: Instrument, volume: float, price: float, leverage: int
) -> float:
    """MT5's Forex and CFD-leverage margin formulas."""
    if spec.margin_calc == "FOREX":
        return volume * spec.contract_size / leverage
    return volume * spec.contract_size * price / leverage
