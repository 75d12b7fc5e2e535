"""Remote emergency stop, with and without flatten, checked in the simulator itself."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fx_demo.stack import FINAL, Stack
from tests.e2e.conftest import assert_rejected, executor_errors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack() as running:
        running.sim_control(pauseMarket=True)
        running.sim_control(setQuote={"symbol": "EURUSD", "bid": 1.08000, "ask": 1.08010})
        yield running
        assert executor_errors(running) == []


def terminal_book(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    positions = stack.terminal_request("GET_POSITIONS")["positions"]
    orders = stack.terminal_request("GET_ORDERS")["orders"]
    return positions, orders


def open_book(stack: Stack) -> None:
    """One position and one pending order on EURUSD."""
    buy = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}
    limit = {
        "action": "PLACE_ORDER",
        "symbol": "EURUSD",
        "type": "BUY_LIMIT",
        "volume": 0.1,
        "price": 1.0790,
    }
    for command in (buy, limit):
        stack.wait_command(stack.submit(command)["commandId"], {"executed"})


def wait_book(stack: Stack, positions: int, orders: int) -> None:
    for _ in range(200):  # bounded: 10 s
        have = terminal_book(stack)
        if (len(have[0]), len(have[1])) == (positions, orders):
            return
        time.sleep(0.05)  # polling another process's state: no event to await
    raise AssertionError(f"terminal book {terminal_book(stack)} != {positions}/{orders}")


def resume(stack: Stack) -> None:
    stack.api("POST", f"/api/v1/executors/{stack.executor_id}/resume", {"reason": "test"})
    stack.wait_executor(lambda e: e.get("tradingState") == "ACTIVE", 10)


def test_halt_without_flatten_cancels_orders_keeps_positions(stack: Stack) -> None:
    """HALT: new risk refused, pending orders cancelled, positions left open."""
    open_book(stack)
    assert [len(x) for x in terminal_book(stack)] == [1, 1]
    stack.halt(flatten=False)
    stack.wait_executor(lambda e: e.get("tradingState") == "HALTED", 10)
    wait_book(stack, positions=1, orders=0)
    command = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}
    assert_rejected(stack, stack.submit(command)["commandId"], "TRADING_HALTED")
    resume(stack)


def test_halt_with_flatten_closes_everything(stack: Stack) -> None:
    """HALT with flatten: every position closed and every order cancelled in the terminal."""
    open_book(stack)
    stack.halt(flatten=True)
    stack.wait_executor(lambda e: e.get("tradingState") == "HALTED", 10)
    wait_book(stack, positions=0, orders=0)
    out = [d for d in stack.deals() if d.get("entry") == "OUT"]
    assert len(out) == 2  # the position kept by the first halt and the new one
    resume(stack)


def test_stop_loss_hit_reaches_the_brain_as_fill(stack: Stack) -> None:
    """A fill the executor did not cause (SL) is reported to the brain exactly once."""
    buy = {
        "action": "OPEN_POSITION",
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": 0.1,
        "stopLoss": 1.0790,
    }
    view = stack.wait_command(stack.submit(buy)["commandId"], FINAL)
    assert view["status"] == "executed", view
    stack.sim_control(setQuote={"symbol": "EURUSD", "bid": 1.0785, "ask": 1.0786})
    deals = stack.deals()
    sl_deals = [d for d in deals if d.get("reason") == "SL"]
    assert len(sl_deals) == 1, deals
    deal = sl_deals[0]["ticket"]
    rows: list[tuple[str]] = []
    for _ in range(200):  # bounded: 10 s; the brain's own database, no event to await
        with sqlite3.connect(f"file:{stack.brain_db}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT body FROM fills WHERE deal = ?", (deal,)).fetchall()
        if rows:
            break
        time.sleep(0.05)
    assert len(rows) == 1, (deal, executor_errors(stack), stack.programs["executor"].lines[-20:])
    body = json.loads(rows[0][0])
    assert body["reason"] == "SL"
    assert body["entry"] == "OUT"
