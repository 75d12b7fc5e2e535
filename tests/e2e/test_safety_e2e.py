"""Every safety reason the REST API can provoke, through the real brain, executor and terminal.

The tests run in file order on one stack: each step sets up the next (positions
opened early make the volume, position and rate limits reachable later). Every
rejection is also checked against the simulator's own deal list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fx_demo.stack import Stack
from tests.e2e.conftest import assert_rejected, deals_for, executor_errors

pytestmark = pytest.mark.slow

LIMITS = {
    # AUDUSD is allowed but the simulator does not quote it: NO_PRICE
    "allowed_symbols": ["EURUSD", "XAUUSD", "AUDUSD"],
    "max_volume_per_order": 1.0,
    "max_total_volume_per_symbol": 1.5,
    "max_open_positions": 3,
    "max_orders_per_minute": 4,
    "daily_loss_limit": 50.0,
    "require_stop_loss": True,
    "max_price_deviation_pct": 0.5,
    "max_spread_points": 50,
}
EUR = (1.08000, 1.08010)
XAU = (2350.00, 2350.30)
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(limits=LIMITS) as running:
        running.sim_control(pauseMarket=True)
        running.sim_control(setQuote={"symbol": "EURUSD", "bid": EUR[0], "ask": EUR[1]})
        running.sim_control(setQuote={"symbol": "XAUUSD", "bid": XAU[0], "ask": XAU[1]})
        yield running
        assert executor_errors(running) == []


def buy(symbol: str, volume: float, sl: float | None = None, **extra: Any) -> dict[str, Any]:
    command: dict[str, Any] = {
        "action": "OPEN_POSITION",
        "symbol": symbol,
        "type": "BUY",
        "volume": volume,
        **extra,
    }
    if sl is not None:
        command["stopLoss"] = sl
    return command


def submit(stack: Stack, command: dict[str, Any], **fields: Any) -> str:
    return str(stack.submit(command, **fields)["commandId"])


def wait_positions(stack: Stack, count: int) -> None:
    stack.wait_executor(lambda e: len(e.get("positions") or []) == count, 10)


def test_command_executes_with_ticket_and_price(stack: Stack) -> None:
    """A REST command reaches `executed` with ticket and price, and exactly one deal."""
    command_id = submit(stack, buy("XAUUSD", 1.0, sl=2300.0))
    view = stack.wait_command(command_id, {"executed"})
    assert view["result"]["ticket"] > 0
    assert view["result"]["price"] == pytest.approx(XAU[1])
    assert len(deals_for(stack, command_id)) == 1
    STATE["xau_ticket"] = view["result"]["ticket"]


def test_symbol_not_allowed(stack: Stack) -> None:
    """A symbol outside allowed_symbols is refused before the terminal."""
    assert_rejected(stack, submit(stack, buy("GBPUSD", 0.1, sl=1.2)), "SYMBOL_NOT_ALLOWED")


def test_volume_too_large(stack: Stack) -> None:
    """More than max_volume_per_order is refused."""
    assert_rejected(stack, submit(stack, buy("EURUSD", 1.2, sl=1.07)), "VOLUME_TOO_LARGE")


def test_symbol_volume_limit(stack: Stack) -> None:
    """1.0 lot held + 0.6 exceeds max_total_volume_per_symbol 1.5."""
    assert_rejected(stack, submit(stack, buy("XAUUSD", 0.6, sl=2300.0)), "SYMBOL_VOLUME_LIMIT")


def test_stop_loss_required(stack: Stack) -> None:
    """require_stop_loss refuses an order without stopLoss."""
    assert_rejected(stack, submit(stack, buy("EURUSD", 0.1)), "STOP_LOSS_REQUIRED")


def test_price_out_of_band(stack: Stack) -> None:
    """A limit price 2 % from the tick is outside the 0.5 % band."""
    command = {
        "action": "PLACE_ORDER",
        "symbol": "EURUSD",
        "type": "BUY_LIMIT",
        "volume": 0.1,
        "price": 1.0584,
        "stopLoss": 1.05,
    }
    assert_rejected(stack, submit(stack, command), "PRICE_OUT_OF_BAND")


def test_no_price(stack: Stack) -> None:
    """Without a tick for the symbol the spread check cannot run: NO_PRICE, fail closed."""
    assert_rejected(stack, submit(stack, buy("AUDUSD", 0.1, sl=0.6)), "NO_PRICE")


def test_spread_too_wide(stack: Stack) -> None:
    """A 100-point spread exceeds max_spread_points 50."""
    stack.sim_control(setQuote={"symbol": "EURUSD", "bid": 1.08000, "ask": 1.08100})
    try:
        # The tick reaches the executor over PUB/SUB; resubmit until it has (bounded).
        reason = ""
        for _ in range(50):
            command_id = submit(stack, buy("EURUSD", 0.1, sl=1.07))
            view = stack.wait_command(command_id)
            reason = view.get("reason") or view["status"]
            if reason == "SPREAD_TOO_WIDE":
                break
            assert view["status"] == "executed", view
            STATE.setdefault("spread_race_tickets", []).append(view["result"]["ticket"])
        assert reason == "SPREAD_TOO_WIDE"
        assert deals_for(stack, command_id) == []
    finally:
        stack.sim_control(setQuote={"symbol": "EURUSD", "bid": EUR[0], "ask": EUR[1]})
    assert not STATE.get("spread_race_tickets"), "tick arrived late; later counts would be off"


def test_max_positions(stack: Stack) -> None:
    """Two more positions fill max_open_positions 3; the next one is refused."""
    tickets = []
    for _ in range(2):
        command_id = submit(stack, buy("EURUSD", 0.1, sl=1.07))
        tickets.append(stack.wait_command(command_id, {"executed"})["result"]["ticket"])
    STATE["eur_tickets"] = tickets
    wait_positions(stack, 3)
    assert_rejected(stack, submit(stack, buy("EURUSD", 0.1, sl=1.07)), "MAX_POSITIONS")


def test_rate_limit(stack: Stack) -> None:
    """Four risk orders in a minute reach max_orders_per_minute; closes never count."""
    close = {"action": "CLOSE_POSITION", "ticket": STATE["eur_tickets"].pop()}
    stack.wait_command(submit(stack, close), {"executed"})
    wait_positions(stack, 2)
    command_id = submit(stack, buy("EURUSD", 0.1, sl=1.07))
    STATE["eur_tickets"].append(stack.wait_command(command_id, {"executed"})["result"]["ticket"])
    close = {"action": "CLOSE_POSITION", "ticket": STATE["eur_tickets"].pop()}
    stack.wait_command(submit(stack, close), {"executed"})
    wait_positions(stack, 2)
    assert_rejected(stack, submit(stack, buy("EURUSD", 0.1, sl=1.07)), "RATE_LIMIT")


def test_daily_loss_limit(stack: Stack) -> None:
    """Gold down $1 on 1 lot loses ~$100 > 50: REDUCING, and new risk gets DAILY_LOSS_LIMIT."""
    stack.sim_control(setQuote={"symbol": "XAUUSD", "bid": XAU[0] - 1.0, "ask": XAU[1] - 1.0})
    stack.wait_executor(lambda e: e.get("tradingState") == "REDUCING", 15)
    assert_rejected(stack, submit(stack, buy("XAUUSD", 0.1, sl=2300.0)), "DAILY_LOSS_LIMIT")


def test_trading_reducing_latches_and_closes_pass(stack: Stack) -> None:
    """Equity recovers: still REDUCING (TRADING_REDUCING), and a close still executes."""
    stack.sim_control(setQuote={"symbol": "XAUUSD", "bid": XAU[0] + 1.0, "ask": XAU[1] + 1.0})
    stack.wait_executor(
        lambda e: (e.get("account") or {}).get("equity", 0) > e["account"]["dayStartEquity"], 15
    )
    assert_rejected(stack, submit(stack, buy("XAUUSD", 0.1, sl=2300.0)), "TRADING_REDUCING")
    close = {"action": "CLOSE_POSITION", "ticket": STATE["xau_ticket"]}
    stack.wait_command(submit(stack, close), {"executed"})


def test_trading_halted(stack: Stack) -> None:
    """A remote halt refuses new risk with TRADING_HALTED."""
    stack.halt(flatten=False)
    stack.wait_executor(lambda e: e.get("tradingState") == "HALTED", 10)
    assert_rejected(stack, submit(stack, buy("EURUSD", 0.1, sl=1.07)), "TRADING_HALTED")


def test_expired_in_the_executor_queue(stack: Stack) -> None:
    """A command that expires while queued behind a slow one never reaches the terminal."""
    stack.sim_control(replyDelayMs=1200)
    try:
        slow = submit(stack, {"action": "CLOSE_POSITION", "ticket": STATE["eur_tickets"][0]})
        late = submit(stack, {"action": "CLOSE_ALL", "symbol": "EURUSD"}, expiry=300)
        assert_rejected(stack, late, "EXPIRED", statuses=("rejected", "expired"))
        stack.wait_command(slow, {"executed"})
    finally:
        stack.sim_control(replyDelayMs=0)


def test_terminal_unavailable(stack: Stack) -> None:
    """Heartbeats stop: the terminal is unavailable and commands are refused at once."""
    stack.sim_control(heartbeats=False)
    try:
        stack.wait_executor(lambda e: e.get("terminalConnected") is False, 15)
        command_id = submit(stack, {"action": "CLOSE_ALL"})
        assert_rejected(stack, command_id, "TERMINAL_UNAVAILABLE")
    finally:
        stack.sim_control(heartbeats=True)
