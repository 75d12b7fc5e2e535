"""Open positions and pending orders, and the set of changes one operation makes.

A ``Changeset`` is what the I/O layer persists in one transaction (together
with the command record) and then publishes; nothing is published before
it is committed (``docs/simulator.md`` § Persistence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fx_protocol.terminal_wire import PendingType, TerminalDeal


@dataclass
class Position:
    """An open position; ``ticket`` is also MT5's position identifier."""

    ticket: int
    symbol: str
    is_buy: bool
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    comment: str
    time_msc: int

    @property
    def side(self) -> str:
        return "BUY" if self.is_buy else "SELL"


@dataclass
class PendingOrder:
    ticket: int
    symbol: str
    order_type: PendingType
    volume: float
    price: float
    sl: float
    tp: float
    magic: int
    comment: str
    time_setup_msc: int
    expiration_msc: int = 0

    @property
    def is_buy(self) -> bool:
        return self.order_type in ("BUY_LIMIT", "BUY_STOP")


@dataclass(frozen=True)
class Transaction:
    """One ``TradeTransactionEvent`` to publish after commit (without instance and seq)."""

    kind: str
    symbol: str
    order: int
    position: int
    deal: TerminalDeal | None
    time_msc: int


@dataclass
class Changeset:
    """Rows an operation touched. ``None`` in a map means the row was deleted."""

    positions: dict[int, Position | None] = field(default_factory=dict)
    orders: dict[int, PendingOrder | None] = field(default_factory=dict)
    deals: list[TerminalDeal] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    account_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.positions or self.orders or self.deals or self.account_changed)

    def merge(self, other: Changeset) -> None:
        self.positions.update(other.positions)
        self.orders.update(other.orders)
        self.deals.extend(other.deals)
        self.transactions.extend(other.transactions)
        self.account_changed = self.account_changed or other.account_changed
