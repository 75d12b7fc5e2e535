"""MT5's per-request rules that need no account state: volume, stops, filling, freeze, deviation.

Each check raises :class:`RefusedError` with the retcode MT5 answers; the
trading engine turns it into a :class:`TradeOutcome` (``docs/simulator.md`` §
Retcodes).
"""

from __future__ import annotations

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import Trade
from mt5_simulator.engine.book import Position
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.symbols import FILLING_FOK, FILLING_IOC, Instrument

#: tolerance for float price and volume comparisons
_EPS = 1e-9


class RefusedError(Exception):
    """Internal control flow: a check failed; turned into an outcome before returning."""

    def __init__(self, code: Retcode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_volume(spec: Instrument, volume: float | None) -> float:
    """MT5's volume rule (10014); returns the volume without float noise."""
    if volume is None:
        raise RefusedError(Retcode.INVALID, "volume is required")
    if not spec.volume_valid(volume):
        raise RefusedError(
            Retcode.INVALID_VOLUME,
            f"volume {volume} is not within {spec.volume_min}..{spec.volume_max} "
            f"in steps of {spec.volume_step}",
        )
    return spec.normalize_volume(volume)


def check_stops(spec: Instrument, is_buy: bool, reference: float, sl: float, tp: float) -> None:
    """SL/TP at least ``stops_level`` points from ``reference`` on the correct side.

    For positions MT5 measures from the price the position would close at
    (bid for a buy, ask for a sell); for pending orders from the order price.
    """
    level = spec.stops_level * spec.point - _EPS
    if is_buy:
        if sl > 0 and (sl >= reference or reference - sl < level):
            raise RefusedError(Retcode.INVALID_STOPS, f"stop loss {sl} too close to {reference}")
        if tp > 0 and (tp <= reference or tp - reference < level):
            raise RefusedError(Retcode.INVALID_STOPS, f"take profit {tp} too close to {reference}")
    else:
        if sl > 0 and (sl <= reference or sl - reference < level):
            raise RefusedError(Retcode.INVALID_STOPS, f"stop loss {sl} too close to {reference}")
        if tp > 0 and (tp >= reference or reference - tp < level):
            raise RefusedError(Retcode.INVALID_STOPS, f"take profit {tp} too close to {reference}")


def check_filling(spec: Instrument) -> None:
    """Market execution needs FOK or IOC among the symbol's filling modes (10030)."""
    # Market execution accepts FOK or IOC only; a symbol allowing neither
    # leaves the EA no valid ORDER_FILLING_* to send.
    if not spec.filling_modes & (FILLING_FOK | FILLING_IOC):
        raise RefusedError(Retcode.INVALID_FILL, f"no supported filling mode for {spec.name}")


def check_frozen_position(spec: Instrument, position: Position, quote: Quote) -> None:
    """Within the freeze level of SL or TP the position can be neither changed nor closed."""
    level = spec.freeze_level * spec.point
    if level <= 0:
        return
    price = quote.bid if position.is_buy else quote.ask
    for stop in (position.sl, position.tp):
        if stop > 0 and abs(price - stop) < level - _EPS:
            raise RefusedError(Retcode.FROZEN, f"position {position.ticket} is frozen near {stop}")


def check_deviation(spec: Instrument, request: Trade, reference: float, fill: float) -> None:
    """A fill further than ``deviation`` points from the requested price is a requote (10004)."""
    if abs(fill - reference) > request.deviation * spec.point + _EPS:
        raise RefusedError(
            Retcode.REQUOTE,
            f"price {fill} is {abs(fill - reference) / spec.point:.0f} points from "
            f"{reference}, deviation {request.deviation}",
        )


def check_pending_price(spec: Instrument, order_type: str, price: float, quote: Quote) -> None:
    """A pending price on the correct side of the market and beyond the stops level (10015)."""
    level = spec.stops_level * spec.point - _EPS
    distance = {
        "BUY_LIMIT": quote.ask - price,
        "BUY_STOP": price - quote.ask,
        "SELL_LIMIT": price - quote.bid,
        "SELL_STOP": quote.bid - price,
    }[order_type]
    if distance <= 0 or distance < level:
        raise RefusedError(
            Retcode.INVALID_PRICE,
            f"{order_type} price {price} is on the wrong side of, or within "
            f"{spec.stops_level} points of, the market {quote.bid}/{quote.ask}",
        )
