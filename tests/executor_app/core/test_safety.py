"""The safety engine: every reason code, the order of checks, closes always pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from executor_app.core.limits import Limits
from executor_app.core.safety import (
    ALLOWED,
    Holding,
    Quote,
    RateWindow,
    SafetyContext,
    check,
)
from fx_protocol.brain_wire import TradeSignal
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import Action, OrderType, ReasonCode, RejectSource, TradingState

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMITS = Limits(
    allowed_symbols=["EURUSD", "XAUUSD"],
    max_volume_per_order=1.0,
    max_total_volume_per_symbol=2.0,
    max_open_positions=3,
    max_orders_per_minute=5,
    daily_loss_limit=100.0,
    require_stop_loss=False,
    max_price_deviation_pct=0.5,
    max_spread_points=20,
)
QUOTES = {"EURUSD": Quote(bid=1.1000, ask=1.1001, point=0.00001)}


def signal(**command: object) -> TradeSignal:
    fields: dict[str, object] = {
        "action": Action.OPEN_POSITION,
        "symbol": "EURUSD",
        "type": OrderType.BUY,
        "volume": 0.1,
    }
    fields.update(command)
    expiry = fields.pop("_expiry", None)
    return TradeSignal(
        timestamp=NOW - timedelta(seconds=1),
        command_id="c1",
        seq=1,
        command=TradeCommand(**fields),  # type: ignore[arg-type]
        expiry=expiry,  # type: ignore[arg-type]
    )


def ctx(**overrides: object) -> SafetyContext:
    base = SafetyContext(
        now=NOW,
        trading_state=TradingState.ACTIVE,
        reconciled=True,
        terminal_available=True,
        quotes=QUOTES,
        equity=10_000.0,
        day_start_equity=10_000.0,
    )
    return msgspec.structs.replace(base, **overrides)


def test_plain_market_order_is_allowed() -> None:
    """A small BUY in an allowed symbol with a tight spread passes every check."""
    assert check(signal(), LIMITS, ctx()) == ALLOWED


@pytest.mark.parametrize(
    ("sig", "context", "reason", "field"),
    [
        (signal(_expiry=500), ctx(), ReasonCode.EXPIRED, "$.expiry"),
        (signal(), ctx(known_command=True), ReasonCode.DUPLICATE, "$.commandId"),
        (signal(), ctx(terminal_available=False), ReasonCode.TERMINAL_UNAVAILABLE, None),
        (signal(), ctx(reconciled=False), ReasonCode.NOT_RECONCILED, None),
        (signal(), ctx(trading_state=TradingState.HALTED), ReasonCode.TRADING_HALTED, None),
        (signal(), ctx(trading_state=TradingState.REDUCING), ReasonCode.TRADING_REDUCING, None),
        (
            signal(),
            ctx(trading_state=TradingState.REDUCING, equity=9_000.0),
            ReasonCode.DAILY_LOSS_LIMIT,
            None,
        ),
        (signal(symbol="GBPUSD"), ctx(), ReasonCode.SYMBOL_NOT_ALLOWED, "$.command.symbol"),
        (signal(volume=1.5), ctx(), ReasonCode.VOLUME_TOO_LARGE, "$.command.volume"),
        (
            signal(volume=0.5),
            ctx(
                positions=[Holding(ticket=1, symbol="EURUSD", volume=1.0)],
                orders=[Holding(ticket=2, symbol="EURUSD", volume=0.6)],
            ),
            ReasonCode.SYMBOL_VOLUME_LIMIT,
            "$.command.volume",
        ),
        (
            signal(),
            ctx(positions=[Holding(ticket=i, symbol="XAUUSD", volume=0.01) for i in range(3)]),
            ReasonCode.MAX_POSITIONS,
            None,
        ),
        (signal(), ctx(recent_orders=5), ReasonCode.RATE_LIMIT, None),
        (signal(), ctx(equity=9_899.0), ReasonCode.DAILY_LOSS_LIMIT, None),
        (
            signal(action=Action.PLACE_ORDER, type=OrderType.BUY_LIMIT, price=1.0),
            ctx(),
            ReasonCode.PRICE_OUT_OF_BAND,
            "$.command.price",
        ),
        (
            signal(),
            ctx(quotes={"EURUSD": Quote(bid=1.1000, ask=1.1005, point=0.00001)}),
            ReasonCode.SPREAD_TOO_WIDE,
            None,
        ),
        (signal(), ctx(quotes={}), ReasonCode.NO_PRICE, "$.command.symbol"),
    ],
)
def test_each_denial_carries_its_reason(
    sig: TradeSignal, context: SafetyContext, reason: ReasonCode, field: str | None
) -> None:
    """Every safety rule denies with its contract reason code and the offending field."""
    verdict = check(sig, LIMITS, context)
    assert not verdict.allowed
    assert verdict.reason is reason
    assert verdict.field == field
    assert verdict.source is RejectSource.SAFETY
    assert verdict.message


def test_stop_loss_required() -> None:
    """With require_stop_loss, an order without stopLoss is refused and one with it passes."""
    limits = msgspec.structs.replace(LIMITS, require_stop_loss=True)
    verdict = check(signal(), limits, ctx())
    assert verdict.reason is ReasonCode.STOP_LOSS_REQUIRED
    assert verdict.field == "$.command.stopLoss"
    assert check(signal(stop_loss=1.09), limits, ctx()).allowed


def test_invalid_close_is_refused_as_validation() -> None:
    """A CLOSE_POSITION without a ticket still fails validation (closes are not exempt)."""
    verdict = check(signal(action=Action.CLOSE_POSITION, type=None, volume=None), LIMITS, ctx())
    assert verdict.reason is ReasonCode.INVALID_COMMAND
    assert verdict.source is RejectSource.VALIDATION
    assert verdict.field == "$.command.ticket"


@pytest.mark.parametrize(
    "action", [Action.CLOSE_POSITION, Action.CANCEL_ORDER, Action.MODIFY_POSITION]
)
def test_closing_and_cancelling_pass_when_halted(action: Action) -> None:
    """Halted, unreconciled, over every limit: reducing actions still go through."""
    sig = signal(
        action=action,
        symbol="GBPUSD",
        type=None,
        volume=None,
        ticket=7,
        stop_loss=1.05 if action is Action.MODIFY_POSITION else None,
    )
    context = ctx(
        trading_state=TradingState.HALTED, reconciled=False, recent_orders=99, equity=1.0, quotes={}
    )
    assert check(sig, LIMITS, context).allowed


def test_close_all_passes_when_reducing() -> None:
    """CLOSE_ALL is allowed in REDUCING."""
    sig = signal(action=Action.CLOSE_ALL, symbol=None, type=None, volume=None)
    assert check(sig, LIMITS, ctx(trading_state=TradingState.REDUCING)).allowed


def test_cheapest_check_first() -> None:
    """An expired command that also breaks every other limit is reported as EXPIRED."""
    sig = signal(symbol="GBPUSD", volume=50.0, _expiry=10)
    verdict = check(sig, LIMITS, ctx(trading_state=TradingState.HALTED, terminal_available=False))
    assert verdict.reason is ReasonCode.EXPIRED


def test_price_within_band_is_allowed() -> None:
    """A limit price 0.2 % from the ask is inside a 0.5 % band."""
    sig = signal(action=Action.PLACE_ORDER, type=OrderType.BUY_LIMIT, price=1.0979)
    assert check(sig, LIMITS, ctx()).allowed


def test_zero_limits_switch_checks_off() -> None:
    """0 disables rate, positions, daily loss, band and spread checks."""
    limits = msgspec.structs.replace(
        LIMITS,
        max_orders_per_minute=0,
        max_open_positions=0,
        daily_loss_limit=0,
        max_price_deviation_pct=0,
        max_spread_points=0,
    )
    context = ctx(
        recent_orders=1000,
        equity=1.0,
        quotes={},
        positions=[Holding(ticket=i, symbol="XAUUSD", volume=0.0) for i in range(9)],
    )
    assert check(signal(price=5.0), limits, context).allowed


def test_rate_window_forgets_after_a_minute() -> None:
    """Orders older than 60 s no longer count towards the rate."""
    window = RateWindow()
    for i in range(3):
        window.record(NOW + timedelta(seconds=i))
    assert window.count(NOW + timedelta(seconds=30)) == 3
    assert window.count(NOW + timedelta(seconds=61)) == 1
