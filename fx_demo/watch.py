"""What the demo knows about the executor from the brain's events stream. No I/O.

Fed with :mod:`fx_protocol.strategy_events` events (ticks, account,
positions, executor status); read by the strategy (prices) and the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fx_protocol.strategy_events import (
    AccountEvent,
    ExecutorStatusEvent,
    ExecutorView,
    PositionsEvent,
    StrategyEvent,
    TickEvent,
)


@dataclass(frozen=True)
class Quote:
    bid: float
    ask: float


@dataclass
class Watch:
    """Latest quote per symbol, account equity, open positions/orders, executor state."""

    quotes: dict[str, Quote] = field(default_factory=dict)
    equity: float | None = None
    balance: float | None = None
    currency: str = ""
    positions: int | None = None
    orders: int | None = None
    online: bool | None = None
    trading_state: str | None = None

    def apply(self, event: StrategyEvent) -> None:
        if isinstance(event, TickEvent):
            self.quotes[event.symbol] = Quote(event.bid, event.ask)
        elif isinstance(event, AccountEvent):
            self.equity = event.account.equity
            self.balance = event.account.balance
            self.currency = event.account.currency
        elif isinstance(event, PositionsEvent):
            self.positions = len(event.positions)
            self.orders = len(event.orders)
        elif isinstance(event, ExecutorStatusEvent):
            self.online = event.online
            if event.trading_state is not None:
                self.trading_state = str(event.trading_state)

    def apply_view(self, view: ExecutorView) -> None:
        """Start from the brain's snapshot of the executor."""
        self.online = view.online
        self.trading_state = None if view.trading_state is None else str(view.trading_state)
        if view.account is not None:
            self.equity = view.account.equity
            self.balance = view.account.balance
            self.currency = view.account.currency
        self.positions = len(view.positions)
        self.orders = len(view.orders)
