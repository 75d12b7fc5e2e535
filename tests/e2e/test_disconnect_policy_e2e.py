"""on_brain_disconnect = halt: the brain out of reach past the grace period halts new risk."""

from __future__ import annotations

import time

import pytest

from fx_demo.stack import Stack

pytestmark = pytest.mark.slow


def test_halt_after_grace_and_lift_on_reconnect() -> None:
    """Link cut → HALTED after the grace period, pending orders cancelled; back → ACTIVE."""
    limits = {"on_brain_disconnect": "halt", "disconnect_grace_seconds": 1.0}
    with Stack(limits=limits, proxy_brain=True) as stack:
        stack.sim_control(pauseMarket=True)
        stack.sim_control(setQuote={"symbol": "EURUSD", "bid": 1.08000, "ask": 1.08010})
        order = {
            "action": "PLACE_ORDER",
            "symbol": "EURUSD",
            "type": "BUY_LIMIT",
            "volume": 0.1,
            "price": 1.0790,
        }
        stack.wait_command(stack.submit(order)["commandId"], {"executed"})
        assert stack.proxy is not None
        executor = stack.programs["executor"]
        stack.proxy.cut()
        executor.wait_for("trading state HALTED (brain unreachable", 15)
        for _ in range(200):  # bounded: 10 s; polling the simulator, no event to await
            if stack.terminal_request("GET_ORDERS")["orders"] == []:
                break
            time.sleep(0.05)
        assert stack.terminal_request("GET_ORDERS")["orders"] == []
        stack.proxy.restore()
        executor.wait_for("trading state ACTIVE", 15)
        stack.wait_executor(lambda e: e.get("online") and e.get("tradingState") == "ACTIVE", 15)
