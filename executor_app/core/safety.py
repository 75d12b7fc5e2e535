"""The safety engine: every command passes here before it can reach the terminal.

Checks run cheapest first and stop at the first denial (``docs/executor.md``
§ Safety checks)::

    expiry → duplicate → validation → terminal available → reconciled
    → halted → daily loss → reducing → symbol allowed → volume per order
    → volume per symbol → open positions → rate → stop loss required
    → price deviation → spread

The daily loss is checked against current equity (DAILY_LOSS_LIMIT); once the
trading state has latched REDUCING, commands get TRADING_REDUCING even if
equity recovers within the day.

Closing, modifying and cancelling never add risk, so after the first five
checks they are always allowed. A denial is data (:class:`Verdict`) carrying
the contract's ``ReasonCode`` and the offending field, never an exception.
Everything the engine needs is passed in, the clock included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import msgspec

from executor_app.core.limits import Limits
from fx_protocol.brain_wire import TradeSignal
from fx_protocol.commands import validate_command
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import Action, ReasonCode, RejectSource, TradingState

RATE_WINDOW = timedelta(seconds=60)


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """The latest tick of one symbol; ``point`` is 0 until the symbol spec is known."""

    bid: float
    ask: float
    point: float = 0.0

    @property
    def spread_points(self) -> int:
        """The spread in points; 0 while the point size is unknown."""
        return max(round((self.ask - self.bid) / self.point), 0) if self.point > 0 else 0


class Holding(msgspec.Struct, frozen=True, kw_only=True):
    """One open position or pending order, as far as exposure is concerned."""

    ticket: int
    symbol: str
    volume: float


class SafetyContext(msgspec.Struct, frozen=True, kw_only=True):
    """The world as the runtime sees it when a command is checked."""

    now: datetime
    trading_state: TradingState
    reconciled: bool
    terminal_available: bool
    #: the command id is already in the journal
    known_command: bool = False
    positions: Sequence[Holding] = ()
    orders: Sequence[Holding] = ()
    quotes: Mapping[str, Quote] = msgspec.field(default_factory=dict)
    equity: float | None = None
    day_start_equity: float | None = None
    #: risk-adding commands accepted in the last 60 seconds
    recent_orders: int = 0


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """Allowed, or denied with a reason code, a source, a message and a field path."""

    allowed: bool
    reason: ReasonCode | None = None
    source: RejectSource | None = None
    message: str = ""
    field: str | None = None


ALLOWED = Verdict(allowed=True)


def _deny(
    reason: ReasonCode,
    message: str,
    field: str | None = None,
    source: RejectSource = RejectSource.SAFETY,
) -> Verdict:
    return Verdict(allowed=False, reason=reason, source=source, message=message, field=field)


def deadline(signal: TradeSignal) -> datetime | None:
    """When the command expires: ``expiresAt`` if given, else ``timestamp + expiry`` ms."""
    if signal.expires_at is not None:
        return signal.expires_at
    if signal.expiry is not None:
        return signal.timestamp + timedelta(milliseconds=signal.expiry)
    return None


def check(signal: TradeSignal, limits: Limits, ctx: SafetyContext) -> Verdict:
    """Run every check in order and return the first denial, or ``ALLOWED``."""
    expires = deadline(signal)
    if expires is not None and ctx.now >= expires:
        return _deny(ReasonCode.EXPIRED, f"command expired at {expires.isoformat()}", "$.expiry")
    if ctx.known_command:
        return _deny(ReasonCode.DUPLICATE, "command id already processed", "$.commandId")
    command = signal.command
    try:
        validate_command(command)
    except ProtocolError as exc:
        return _deny(exc.reason, exc.message, exc.field, RejectSource.VALIDATION)
    if not ctx.terminal_available:
        return _deny(ReasonCode.TERMINAL_UNAVAILABLE, "the MT5 terminal is not reachable")
    if not command.action.adds_risk:
        # Closing, modifying and cancelling are always allowed (docs/executor.md).
        return ALLOWED
    if not ctx.reconciled:
        return _deny(ReasonCode.NOT_RECONCILED, "start-up reconciliation has not completed")
    if ctx.trading_state is TradingState.HALTED:
        return _deny(ReasonCode.TRADING_HALTED, "trading is halted: no new risk")
    loss = daily_loss(ctx.equity, ctx.day_start_equity)
    if limits.daily_loss_limit and loss >= limits.daily_loss_limit:
        return _deny(
            ReasonCode.DAILY_LOSS_LIMIT,
            f"daily loss {loss:.2f} reached daily_loss_limit {limits.daily_loss_limit:.2f}",
        )
    if ctx.trading_state is TradingState.REDUCING:
        # Latched by the daily loss (or later rules) even if equity has since recovered.
        return _deny(ReasonCode.TRADING_REDUCING, "trading is reducing: only closes and cancels")
    return _check_risk(signal, limits, ctx)


def _check_risk(signal: TradeSignal, limits: Limits, ctx: SafetyContext) -> Verdict:
    command = signal.command
    symbol = command.symbol or ""
    volume = command.volume or 0.0
    if symbol not in limits.allowed_symbols:
        return _deny(
            ReasonCode.SYMBOL_NOT_ALLOWED, f"{symbol} is not an allowed symbol", "$.command.symbol"
        )
    if volume > limits.max_volume_per_order:
        return _deny(
            ReasonCode.VOLUME_TOO_LARGE,
            f"volume {volume} exceeds max_volume_per_order {limits.max_volume_per_order}",
            "$.command.volume",
        )
    held = sum(h.volume for h in (*ctx.positions, *ctx.orders) if h.symbol == symbol)
    if held + volume > limits.max_total_volume_per_symbol + 1e-9:
        return _deny(
            ReasonCode.SYMBOL_VOLUME_LIMIT,
            f"{symbol} would hold {held + volume:g} lots, above "
            f"max_total_volume_per_symbol {limits.max_total_volume_per_symbol:g}",
            "$.command.volume",
        )
    open_count = len(ctx.positions) + len(ctx.orders)
    if limits.max_open_positions and open_count >= limits.max_open_positions:
        return _deny(
            ReasonCode.MAX_POSITIONS,
            f"{open_count} positions and orders open, max_open_positions is "
            f"{limits.max_open_positions}",
        )
    if limits.max_orders_per_minute and ctx.recent_orders >= limits.max_orders_per_minute:
        return _deny(
            ReasonCode.RATE_LIMIT,
            f"{ctx.recent_orders} orders in the last minute, max_orders_per_minute is "
            f"{limits.max_orders_per_minute}",
        )
    if limits.require_stop_loss and command.stop_loss is None:
        return _deny(ReasonCode.STOP_LOSS_REQUIRED, "a stopLoss is required", "$.command.stopLoss")
    return _check_price(signal, limits, ctx)


def _check_price(signal: TradeSignal, limits: Limits, ctx: SafetyContext) -> Verdict:
    command = signal.command
    symbol = command.symbol or ""
    band_applies = limits.max_price_deviation_pct > 0 and command.price is not None
    spread_applies = limits.max_spread_points > 0
    if not (band_applies or spread_applies):
        return ALLOWED
    quote = ctx.quotes.get(symbol)
    if quote is None or quote.bid <= 0 or quote.ask <= 0:
        return _deny(ReasonCode.NO_PRICE, f"no current tick for {symbol}", "$.command.symbol")
    if band_applies and command.price is not None:
        is_buy = command.type is not None and command.type.is_buy
        reference = quote.ask if is_buy else quote.bid
        deviation = abs(command.price - reference) / reference * 100.0
        if deviation > limits.max_price_deviation_pct:
            return _deny(
                ReasonCode.PRICE_OUT_OF_BAND,
                f"price {command.price} is {deviation:.3f}% from the current tick {reference}, "
                f"max_price_deviation_pct is {limits.max_price_deviation_pct}",
                "$.command.price",
            )
    if spread_applies:
        if quote.point <= 0:
            return _deny(ReasonCode.NO_PRICE, f"point size of {symbol} unknown", "$.command.symbol")
        spread = quote.spread_points
        if spread > limits.max_spread_points:
            return _deny(
                ReasonCode.SPREAD_TOO_WIDE,
                f"spread {spread} points exceeds max_spread_points {limits.max_spread_points}",
            )
    return ALLOWED


def daily_loss(equity: float | None, day_start_equity: float | None) -> float:
    """Loss since the start of the trading day; 0 while either figure is unknown."""
    if equity is None or day_start_equity is None:
        return 0.0
    return max(0.0, day_start_equity - equity)


def is_risk(action: Action) -> bool:
    """Whether the rate limit counts this action (closing never counts)."""
    return action.adds_risk


class RateWindow:
    """Times of accepted risk-adding commands in the last minute (rejects, never queues)."""

    def __init__(self) -> None:
        self._times: deque[datetime] = deque()

    def count(self, now: datetime) -> int:
        cutoff = now - RATE_WINDOW
        while self._times and self._times[0] <= cutoff:
            self._times.popleft()
        return len(self._times)

    def record(self, now: datetime) -> None:
        self._times.append(now)
