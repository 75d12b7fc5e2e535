"""What the terminal shows: positions, orders and symbols as wire structs, paged like the EA.

Pure functions of the trading engine's state; the server only forwards the
replies (``docs/protocol.md`` § Terminal, paging).
"""

from __future__ import annotations

from fx_protocol.terminal_wire import (
    GetOrders,
    GetPositions,
    GetSymbols,
    OrdersList,
    PositionsList,
    SymbolsInfo,
    SymbolSpec,
    TerminalOrder,
    TerminalPosition,
)
from mt5_simulator.engine.book import PendingOrder, Position
from mt5_simulator.engine.trading import TradingEngine


def position_view(engine: TradingEngine, position: Position) -> TerminalPosition:
    """A position with its current price and floating profit."""
    quote = engine.quotes.get(position.symbol)
    current = 0.0
    if quote is not None:
        current = quote.bid if position.is_buy else quote.ask
    return TerminalPosition(
        ticket=position.ticket,
        symbol=position.symbol,
        side="BUY" if position.is_buy else "SELL",
        volume=position.volume,
        price_open=position.price_open,
        price_current=current,
        sl=position.sl,
        tp=position.tp,
        profit=engine.position_profit(position),
        magic=position.magic,
        comment=position.comment,
        time_msc=position.time_msc,
    )


def order_view(order: PendingOrder) -> TerminalOrder:
    return TerminalOrder(
        ticket=order.ticket,
        symbol=order.symbol,
        order_type=order.order_type,
        volume=order.volume,
        price_open=order.price,
        sl=order.sl,
        tp=order.tp,
        magic=order.magic,
        comment=order.comment,
        time_setup_msc=order.time_setup_msc,
        expiration_msc=order.expiration_msc,
    )


def positions_list(engine: TradingEngine, request: GetPositions) -> PositionsList:
    """Open positions by ticket, filtered by symbol and magic, one page of them."""
    positions = [
        p
        for _, p in sorted(engine.positions.items())
        if (request.symbol is None or p.symbol == request.symbol)
        and (request.magic is None or p.magic == request.magic)
    ]
    page = positions[request.offset : request.offset + request.limit]
    return PositionsList(
        request_id=request.request_id,
        total=len(positions),
        positions=[position_view(engine, p) for p in page],
    )


def orders_list(engine: TradingEngine, request: GetOrders) -> OrdersList:
    """Pending orders by ticket, filtered by symbol, one page of them."""
    orders = [
        o
        for _, o in sorted(engine.orders.items())
        if request.symbol is None or o.symbol == request.symbol
    ]
    page = orders[request.offset : request.offset + request.limit]
    return OrdersList(
        request_id=request.request_id, total=len(orders), orders=[order_view(o) for o in page]
    )


def symbol_spec(engine: TradingEngine, name: str) -> SymbolSpec:
    """One symbol's specification with its current quote (0 when it has none)."""
    spec = engine.instruments[name]
    quote = engine.quotes.get(name)
    return SymbolSpec(
        symbol=name,
        digits=spec.digits,
        point=spec.point,
        contract_size=spec.contract_size,
        volume_min=spec.volume_min,
        volume_max=spec.volume_max,
        volume_step=spec.volume_step,
        stops_level=spec.stops_level,
        freeze_level=spec.freeze_level,
        filling_modes=spec.filling_modes,
        trade_mode=spec.trade_mode,
        currency_profit=spec.profit_currency,
        currency_margin=spec.margin_currency,
        bid=quote.bid if quote else 0.0,
        ask=quote.ask if quote else 0.0,
    )


def symbols_info(engine: TradingEngine, request: GetSymbols) -> SymbolsInfo:
    known = [s for s in request.symbols if s in engine.instruments]
    return SymbolsInfo(
        request_id=request.request_id,
        symbols=[symbol_spec(engine, s) for s in known],
        unknown=[s for s in request.symbols if s not in engine.instruments],
    )
