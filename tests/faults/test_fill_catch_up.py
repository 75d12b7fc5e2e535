"""Regression: a deal whose event died with the terminal reaches the brain even when the
first catch-up after the restart fails and newer deals arrive live before the next one."""

from __future__ import annotations

import sqlite3
import time

import pytest

from fx_demo.stack import Stack

pytestmark = pytest.mark.slow

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}
LIMITS = {"max_open_positions": 0, "max_orders_per_minute": 0, "max_total_volume_per_symbol": 50}


def brain_fill_deals(stack: Stack) -> set[int]:
    with sqlite3.connect(f"file:{stack.brain_db}?mode=ro", uri=True) as db:
        return {int(row[0]) for row in db.execute("SELECT deal FROM fills")}


def test_missed_deal_survives_failed_catch_up() -> None:
    """Crash after trading, catch-up times out, a live deal passes it: still one fill each."""
    settings = {"terminal": {"request_timeout_seconds": 1.0}}
    with Stack(limits=LIMITS, executor_settings=settings) as stack:
        stack.sim_control(crashAfterTrades=1)
        lost = stack.submit(BUY)["commandId"]
        sim = stack.programs["sim"]
        assert sim.proc is not None
        sim.proc.wait(15)
        # The terminal comes back answering too slowly: the catch-up after the gap fails.
        sim.argv += ["--reply-delay-ms", "1500"]
        stack.start_sim()
        executor = stack.programs["executor"]
        executor.wait_for("deal catch-up failed", 20)
        stack.sim_control(replyDelayMs=0)
        live = stack.submit(BUY)["commandId"]
        stack.wait_command(live, {"executed"}, timeout=30)
        stack.wait_command(lost, {"executed"}, timeout=30)
        deals = {d["comment"]: d["ticket"] for d in stack.deals()}
        deadline = time.monotonic() + 20
        while deals[lost] not in brain_fill_deals(stack) and time.monotonic() < deadline:
            time.sleep(0.1)
        fills = brain_fill_deals(stack)
        assert deals[live] in fills
        assert deals[lost] in fills, f"deal {deals[lost]} of {lost} never reached the brain"
