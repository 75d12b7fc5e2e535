"""Crashes and disconnects: nothing lost, nothing doubled (checked in the simulator's deals)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fx_demo.stack import Stack
from tests.e2e.conftest import deals_for, executor_errors

pytestmark = pytest.mark.slow

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}
LIMITS = {"max_open_positions": 0, "max_orders_per_minute": 0, "max_total_volume_per_symbol": 50}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    settings = {"terminal": {"request_timeout_seconds": 2.0}}
    with Stack(limits=LIMITS, executor_settings=settings, proxy_brain=True) as running:
        yield running
        assert executor_errors(running) == []


def wait_deal(stack: Stack, command_id: str) -> None:
    for _ in range(100):  # bounded: the trade is committed within milliseconds
        if deals_for(stack, command_id):
            return
        time.sleep(0.02)
    raise AssertionError(f"no deal for {command_id}")


def assert_once(stack: Stack, command_ids: list[str]) -> None:
    """Every command executed, each with exactly one deal in the terminal."""
    for command_id in command_ids:
        view = stack.wait_command(command_id, {"executed"}, timeout=30)
        assert view["result"]["ticket"] > 0
    # Read the deals once every command is executed: read earlier, a command still
    # queued behind a reconnect has no deal yet and looks lost.
    deals = stack.deals()
    for command_id in command_ids:
        mine = [d for d in deals if d.get("comment") == command_id]
        assert len(mine) == 1, (command_id, mine)


def test_kill_executor_between_send_and_reply(stack: Stack) -> None:
    """kill -9 after the terminal traded but before the reply was journaled: one deal."""
    # Replies (this one included) wait 5 s; the executor would time out after 2 s.
    stack.sim_control(wait=False, replyDelayMs=5_000)
    command_id = stack.submit(BUY)["commandId"]
    wait_deal(stack, command_id)
    stack.kill("executor")
    stack.sim_control(replyDelayMs=0)
    stack.start_executor()
    assert_once(stack, [command_id])
    assert stack.command(command_id)["result"]["duplicate"] is True


def test_lost_reply_is_resolved_by_query(stack: Stack) -> None:
    """A TRADE reply that never comes: unknown, then QUERY_COMMAND finds the one deal."""
    stack.sim_control(dropTradeReplies=1)
    command_id = stack.submit(BUY)["commandId"]
    assert_once(stack, [command_id])
    assert stack.programs["executor"].count(f"command {command_id} outcome unknown") == 1


def test_brain_restart_mid_stream(stack: Stack) -> None:
    """kill -9 of the brain with commands in flight, restart: each executes exactly once."""
    ids = [stack.submit(BUY)["commandId"] for _ in range(10)]
    stack.kill("brain")
    stack.start_brain()
    ids += [stack.submit(BUY)["commandId"] for _ in range(5)]
    assert_once(stack, ids)


def test_network_drop_mid_stream(stack: Stack) -> None:
    """The brain link is cut and refused for a second mid-stream: nothing lost or doubled."""
    ids = [stack.submit(BUY)["commandId"] for _ in range(10)]
    assert stack.proxy is not None
    stack.proxy.cut()
    ids += [stack.submit(BUY)["commandId"] for _ in range(5)]
    time.sleep(1.0)  # the outage itself
    stack.proxy.restore()
    assert_once(stack, ids)


def test_executor_killed_mid_stream(stack: Stack) -> None:
    """kill -9 of the executor while commands stream in, restart: each executes once."""
    ids = [stack.submit(BUY)["commandId"] for _ in range(10)]
    stack.kill("executor")
    ids += [stack.submit(BUY)["commandId"] for _ in range(3)]
    stack.start_executor()
    assert_once(stack, ids)


def test_terminal_crash_after_trade_before_reply(stack: Stack) -> None:
    """The terminal dies after trading, before replying; after its restart: one deal."""
    stack.sim_control(crashAfterTrades=1)
    command_id = stack.submit(BUY)["commandId"]
    executor = stack.programs["executor"]
    executor.wait_for(f"command {command_id} outcome unknown", 15)
    stack.restart("sim")
    assert_once(stack, [command_id])


def test_wrong_api_key_is_refused_then_fixed(stack: Stack) -> None:
    """A wrong key: AUTH_FAILED logged, never online, key not in the log; right key: online."""
    executor = stack.programs["executor"]
    executor.stop()
    good, stack.api_key = stack.api_key, "fxk-definitely-wrong"
    try:
        stack.start_executor(wait_reconciled=False)
        executor.wait_for("AUTH_FAILED", 20)
        assert stack.executor()["online"] is False
        assert not any("fxk-definitely-wrong" in line for line in executor.lines)
    finally:
        executor.stop()
        stack.api_key = good
    stack.start_executor()
