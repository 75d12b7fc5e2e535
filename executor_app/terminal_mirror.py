"""What the executor knows about the terminal's account: positions, orders, equity, quotes.

Filled from the EA's replies and events by the runtime; read by the safety
engine (exposure, quotes), the snapshots and the GUI. Refreshes go through
the terminal bridge.
"""

from __future__ import annotations

import time

from loguru import logger

from executor_app.core.safety import Holding, Quote
from executor_app.core.wire_views import order_view, position_view
from executor_app.terminal_bridge import TerminalBridge, TerminalError
from executor_app.tick_intake import TickIntake
from fx_protocol.brain_wire import OpenOrder, Position
from fx_protocol.terminal_wire import (
    AccountInfo,
    GetAccount,
    GetOrders,
    GetPositions,
    GetSymbols,
    HeartbeatEvent,
    OrdersList,
    PositionsList,
    Subscribe,
    SymbolsInfo,
    TerminalAccount,
    TerminalOrder,
    TerminalPosition,
)


class TerminalMirror:
    """The latest known state of the terminal's account and market."""

    def __init__(self) -> None:
        self.available = False
        self.health: HeartbeatEvent | None = None
        self.positions: list[TerminalPosition] = []
        self.orders: list[TerminalOrder] = []
        self.account: TerminalAccount | None = None
        self._quotes: dict[str, Quote] = {}
        self._ticks = TickIntake()
        self._points: dict[str, float] = {}
        self._dirty: set[str] = set()
        #: positions opened by our commands that a refresh has not shown yet
        self._unconfirmed: dict[int, tuple[Holding, float]] = {}

    # ---------------------------------------------------------------- exposure

    def note_opened(self, ticket: int, symbol: str, volume: float) -> None:
        """Count a fresh fill in the exposure before the next refresh shows it."""
        self._unconfirmed[ticket] = (
            Holding(ticket=ticket, symbol=symbol, volume=volume),
            time.monotonic(),
        )

    def note_closed(self, ticket: int, volume: float) -> None:
        """Take a close by our own command off a fill that no refresh has shown yet.

        A position opened and closed while one refresh was in flight is absent from
        that refresh's answer, yet its fill was noted after the refresh started, so
        it would still count as open until the next refresh: a MAX_POSITIONS refusal
        right after a close (tests/e2e/test_safety_e2e.py saw it). A partial close
        keeps the rest; an unknown closed volume (0) keeps it all, erring on the safe side.
        """
        noted = self._unconfirmed.get(ticket)
        if noted is None or volume <= 0:
            return
        holding, at = noted
        left = round(holding.volume - volume, 8)  # lots: no float residue in the exposure
        if left <= 1e-9:
            del self._unconfirmed[ticket]
        else:
            self._unconfirmed[ticket] = (
                Holding(ticket=ticket, symbol=holding.symbol, volume=left),
                at,
            )

    def holdings(self) -> tuple[list[Holding], list[Holding]]:
        positions = [
            Holding(ticket=p.ticket, symbol=p.symbol, volume=p.volume) for p in self.positions
        ]
        seen = {p.ticket for p in self.positions}
        positions += [h for h, _ in self._unconfirmed.values() if h.ticket not in seen]
        orders = [Holding(ticket=o.ticket, symbol=o.symbol, volume=o.volume) for o in self.orders]
        return positions, orders

    @property
    def trade_allowed(self) -> bool:
        health = self.health
        return bool(
            self.available
            and health is not None
            and health.health.trade_allowed
            and health.health.ea_trade_allowed
        )

    # ---------------------------------------------------------------- refreshes

    async def refresh(self, bridge: TerminalBridge, wait_s: float) -> bool:
        """Positions, orders and account from the terminal; False if any request failed."""
        started = time.monotonic()
        try:
            positions = await bridge.request(
                lambda rid: GetPositions(request_id=rid, limit=1000), wait_s
            )
            orders = await bridge.request(lambda rid: GetOrders(request_id=rid, limit=1000), wait_s)
            account = await bridge.request(lambda rid: GetAccount(request_id=rid), wait_s)
        except TerminalError as exc:
            logger.debug("positions refresh failed: {}", exc)
            return False
        if isinstance(positions, PositionsList):
            self.positions = positions.positions
            # Fills journaled before this refresh started are in its answer now.
            self._unconfirmed = {
                t: (h, at) for t, (h, at) in self._unconfirmed.items() if at > started
            }
        if isinstance(orders, OrdersList):
            self.orders = orders.orders
        if isinstance(account, AccountInfo):
            self.account = account.account
        return isinstance(positions, PositionsList) and isinstance(orders, OrdersList)

    async def fetch_orders(self, bridge: TerminalBridge, wait_s: float) -> list[TerminalOrder]:
        """The pending orders right now (the last known ones if the terminal does not answer)."""
        try:
            reply = await bridge.request(lambda rid: GetOrders(request_id=rid, limit=1000), wait_s)
        except TerminalError:
            return list(self.orders)
        return reply.orders if isinstance(reply, OrdersList) else list(self.orders)

    async def subscribe(self, bridge: TerminalBridge, symbols: list[str], wait_s: float) -> None:
        """Symbol specs (point sizes, first quotes) and the tick subscription."""
        try:
            info = await bridge.request(
                lambda rid: GetSymbols(request_id=rid, symbols=symbols), wait_s
            )
            if isinstance(info, SymbolsInfo):
                for spec in info.symbols:
                    self._points[spec.symbol] = spec.point
                    if spec.bid > 0 and spec.ask > 0:
                        self._quotes[spec.symbol] = Quote(
                            bid=spec.bid, ask=spec.ask, point=spec.point
                        )
            await bridge.request(lambda rid: Subscribe(request_id=rid, symbols=symbols), wait_s)
        except TerminalError as exc:
            logger.warning("tick subscription failed: {}", exc)

    # ---------------------------------------------------------------- ticks

    def on_ticks(self, frames: dict[bytes, bytes]) -> None:
        """The latest raw tick per topic, from the terminal bridge's thread (thread-safe)."""
        self._ticks.offer(frames)

    @property
    def quotes(self) -> dict[str, Quote]:
        """The latest quote per symbol; ticks offered since the last read are decoded now."""
        if self._ticks.pending:
            for tick in self._ticks.take():
                symbol = tick.symbol
                self._quotes[symbol] = Quote(
                    bid=tick.bid, ask=tick.ask, point=self._points.get(symbol, 0.0)
                )
                self._dirty.add(symbol)
        return self._quotes

    def take_changed_quotes(self) -> dict[str, Quote]:
        """Quotes changed since the last call (each symbol once, latest value)."""
        quotes = self.quotes
        dirty, self._dirty = self._dirty, set()
        return {symbol: quotes[symbol] for symbol in dirty}

    # ---------------------------------------------------------------- views

    def positions_view(self) -> list[Position]:
        return [position_view(p) for p in self.positions]

    def orders_view(self) -> list[OpenOrder]:
        return [order_view(o) for o in self.orders]
