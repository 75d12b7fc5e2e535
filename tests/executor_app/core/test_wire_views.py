"""Translations from the EA's structs to the brain's, and a command to the EA's TRADE."""

from __future__ import annotations

import msgspec

from executor_app.core.wire_views import account_view, fill_report, order_view, to_trade
from fx_protocol.commands import TradeCommand
from fx_protocol.terminal_wire import TerminalAccount, TerminalDeal, TerminalOrder

DEAL = TerminalDeal(
    ticket=9,
    order=8,
    position_id=7,
    symbol="EURUSD",
    side="SELL",
    entry="OUT",
    volume=0.1,
    price=1.1,
    reason="SL",
    comment="c1",
    time_msc=1_700_000_000_000,
)


def test_fill_report_keeps_reason_and_brain_command_only() -> None:
    """An SL deal keeps its reason; command ids are reported for brain commands only."""
    report = fill_report(DEAL, "c1")
    assert report is not None
    assert (report.side, report.entry, report.reason, report.command_id) == (
        "SELL",
        "OUT",
        "SL",
        "c1",
    )
    local = fill_report(DEAL, "x0123")
    assert local is not None
    assert local.command_id is None


def test_balance_deal_is_not_a_fill() -> None:
    """Deposits and credits are deals in MT5 but not fills."""
    assert fill_report(msgspec.structs.replace(DEAL, side="BALANCE"), None) is None


def test_zero_sl_tp_become_absent() -> None:
    """MT5's 0 for 'no stop' is reported as a missing field, not a price of 0."""
    order = TerminalOrder(
        ticket=1,
        symbol="EURUSD",
        order_type="BUY_LIMIT",
        volume=0.1,
        price_open=1.05,
        time_setup_msc=1,
    )
    view = order_view(order)
    assert view.stop_loss is None
    assert view.expiration is None


def test_account_view_carries_day_start_equity() -> None:
    """The brain sees the start-of-day equity the daily loss is measured from."""
    account = TerminalAccount(currency="USD", balance=100.0, equity=90.0)
    assert account_view(account, 95.0).day_start_equity == 95.0


def test_trade_request_from_command() -> None:
    """The EA's TRADE carries the command id and the command's fields under EA names."""
    command = msgspec.convert(
        {
            "action": "PLACE_ORDER",
            "symbol": "EURUSD",
            "type": "BUY_LIMIT",
            "volume": 0.2,
            "price": 1.05,
            "stopLoss": 1.04,
            "magicNumber": 7,
        },
        TradeCommand,
    )
    trade = to_trade("r1", "c1", command)
    assert (trade.command_id, trade.order_type, trade.sl, trade.magic, trade.deviation) == (
        "c1",
        "BUY_LIMIT",
        1.04,
        7,
        10,
    )
