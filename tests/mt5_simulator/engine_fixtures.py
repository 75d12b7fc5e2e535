"""Builders for engine tests: an engine with fixed quotes and a clock that moves only when told."""

from __future__ import annotations

import random
from typing import Any

from fx_protocol.terminal_wire import Trade
from fx_protocol.vocabulary import Action
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.symbols import default_instruments
from mt5_simulator.engine.trading import TradingEngine

#: Wednesday 2026-11-18 12:00:00 UTC, inside every trading session
NOW = 1_795_003_200_000

QUOTES = {
    "EURUSD": (1.08500, 1.08510),
    "GBPUSD": (1.26500, 1.26514),
    "USDJPY": (151.500, 151.512),
    "XAUUSD": (2350.00, 2350.25),
    "USDCHF": (0.88500, 0.88515),
}

_counter = iter(range(1, 1_000_000))


def make_engine(mode: str = "hedging", balance: float = 10_000.0, seed: int = 1) -> TradingEngine:
    """An engine with every default instrument quoted at QUOTES."""
    engine = TradingEngine(
        default_instruments(),
        Account(5100001, "Sim", "USD", balance, 100, mode),  # type: ignore[arg-type]
        rng=random.Random(seed),
    )
    for symbol, (bid, ask) in QUOTES.items():
        engine.on_quote(symbol, bid, ask, NOW)
    return engine


def trade(action: Action = Action.OPEN_POSITION, **fields: Any) -> Trade:
    """A TRADE request with a fresh command id."""
    n = next(_counter)
    fields.setdefault("command_id", f"cmd-{n}")
    return Trade(request_id=f"r{n}", action=action, **fields)


def buy(symbol: str = "EURUSD", volume: float = 0.1, **fields: Any) -> Trade:
    return trade(Action.OPEN_POSITION, symbol=symbol, order_type="BUY", volume=volume, **fields)


def sell(symbol: str = "EURUSD", volume: float = 0.1, **fields: Any) -> Trade:
    return trade(Action.OPEN_POSITION, symbol=symbol, order_type="SELL", volume=volume, **fields)
