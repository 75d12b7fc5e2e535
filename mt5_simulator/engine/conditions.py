"""The terminal's switches that tests and fault injection flip at run time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MarketHours = Literal["always", "sessions"]


@dataclass
class Conditions:
    """Everything besides the market and the account that decides a retcode."""

    #: TERMINAL_CONNECTED: connected to the broker's trade server (else 10031 CONNECTION)
    connected: bool = True
    #: TERMINAL_TRADE_ALLOWED, the "Algo Trading" button (else 10027 CLIENT_DISABLES_AT)
    terminal_trade_allowed: bool = True
    #: MQL_TRADE_ALLOWED, the EA's own permission (else 10027 CLIENT_DISABLES_AT)
    ea_trade_allowed: bool = True
    #: ACCOUNT_TRADE_ALLOWED, the broker's permission (else 10017 TRADE_DISABLED)
    account_trade_allowed: bool = True
    #: "always": every symbol trades around the clock (the demo default);
    #: "sessions": each instrument's trade sessions apply (else 10018 MARKET_CLOSED)
    market_hours: MarketHours = "always"
    #: symbols a test has closed by hand (10018 MARKET_CLOSED)
    closed_symbols: set[str] = field(default_factory=set)
    #: largest random slippage, in points, applied to market fills
    slippage_points: int = 0
    #: 0 = unlimited; more trade requests than this within one second get 10024
    max_trades_per_second: int = 0
    #: 0 = unlimited; 10040 LIMIT_POSITIONS / 10033 LIMIT_ORDERS beyond these
    max_positions: int = 0
    max_orders: int = 0
    #: margin level (equity / margin, %) below which the most losing position is
    #: closed with reason SO, as the broker's stop-out does; 0 = never
    stop_out_level: float = 50.0
    #: commission per lot charged on every deal (entry and exit), account currency
    commission_per_lot: float = 0.0
