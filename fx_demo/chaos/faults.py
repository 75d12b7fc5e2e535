"""The fault kinds, each an async drill that breaks one thing and then heals it.

Each drill is chosen and parameterised by the run's seeded RNG; drills run one at a time
while the workload streams commands, and the harness waits for the executor to be back
online and reconciled before the next. Blocking Stack calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fx_demo.chaos.harness import Harness

Drill = Callable[["Harness", random.Random], Awaitable[str]]


async def _pause(rng: random.Random, low: float, high: float) -> float:
    seconds = rng.uniform(low, high)
    await asyncio.sleep(seconds)
    return seconds


async def proxy_drop(h: Harness, rng: random.Random) -> str:
    h.proxy.drop()
    return "connections aborted"


async def proxy_refuse(h: Harness, rng: random.Random) -> str:
    h.proxy.refuse(True)
    h.proxy.drop()
    held = await _pause(rng, 0.5, 3.0)
    h.proxy.heal()
    return f"refused for {held:.1f}s"


async def proxy_delay(h: Harness, rng: random.Random) -> str:
    ms = rng.uniform(20, 400)
    h.proxy.delay(ms)
    held = await _pause(rng, 1.0, 4.0)
    h.proxy.heal()
    return f"{ms:.0f} ms per chunk for {held:.1f}s"


async def proxy_stall(h: Harness, rng: random.Random) -> str:
    h.proxy.stall(True)
    held = await _pause(rng, 0.5, 6.0)
    if rng.random() < 0.5:
        h.proxy.stall(False)
        return f"stalled {held:.1f}s, resumed"
    h.proxy.drop()
    h.proxy.heal()
    return f"stalled {held:.1f}s, dropped"


async def proxy_half_open(h: Harness, rng: random.Random) -> str:
    direction = rng.choice(["to_brain", "to_executor"])
    h.proxy.half_open(direction)  # type: ignore[arg-type]
    held = await _pause(rng, 0.5, 4.0)
    h.proxy.heal()
    return f"{direction} closed for {held:.1f}s"


async def executor_kill9(h: Harness, rng: random.Random) -> str:
    await _pause(rng, 0.0, 0.5)
    await asyncio.to_thread(h.stack.kill, "executor")
    down = await _pause(rng, 0.0, 1.5)
    await h.start("executor")
    return f"kill -9, down {down:.1f}s"


async def executor_kill9_in_flight(h: Harness, rng: random.Random) -> str:
    """kill -9 while the terminal holds a TRADE reply: executed, not journaled."""
    before = h.sim_deals()
    await asyncio.to_thread(h.stack.sim_control, False, replyDelayMs=2500)
    deadline = time.monotonic() + 5
    while h.sim_deals() == before and time.monotonic() < deadline:  # noqa: ASYNC110 - polls another process's state
        await asyncio.sleep(0.02)
    traded = h.sim_deals() - before
    await asyncio.to_thread(h.stack.kill, "executor")
    await asyncio.to_thread(h.stack.sim_control, True, replyDelayMs=0)
    await h.start("executor")
    return f"kill -9 with {traded} trade(s) executed, replies held"


async def executor_sigterm(h: Harness, rng: random.Random) -> str:
    await h.restart("executor")
    return "SIGTERM and restart"


async def brain_kill9(h: Harness, rng: random.Random) -> str:
    await asyncio.to_thread(h.stack.kill, "brain")
    down = await _pause(rng, 0.0, 2.0)
    await h.start("brain")
    return f"kill -9, down {down:.1f}s"


async def brain_sigterm(h: Harness, rng: random.Random) -> str:
    await h.restart("brain")
    return "SIGTERM and restart"


async def sim_drop_replies(h: Harness, rng: random.Random) -> str:
    n = rng.randint(1, 4)
    await asyncio.to_thread(h.stack.sim_control, True, dropTradeReplies=n)
    await _pause(rng, 1.0, 3.0)
    await asyncio.to_thread(h.stack.sim_control, True, dropTradeReplies=0)
    return f"next {n} TRADE replies dropped after execution"


async def sim_reject(h: Harness, rng: random.Random) -> str:
    n = rng.randint(1, 5)
    retcode = rng.choice([10004, 10006, 10018, 10019, 10021])
    await asyncio.to_thread(h.stack.sim_control, True, rejectNext=n, rejectRetcode=retcode)
    await _pause(rng, 0.5, 2.0)
    await asyncio.to_thread(h.stack.sim_control, True, rejectNext=0)
    return f"next {n} TRADEs rejected with {retcode}"


async def _crash_on(h: Harness, rng: random.Random, field: str) -> str:
    await asyncio.to_thread(h.stack.sim_control, False, **{field: 1})
    program = h.stack.programs["sim"]
    deadline = time.monotonic() + 10
    while program.running and time.monotonic() < deadline:  # noqa: ASYNC110 - polls another process's state
        await asyncio.sleep(0.02)
    crashed = not program.running
    h.sim_restarted()
    await h.restart("sim")
    return f"{field}=1, {'crashed' if crashed else 'no trade came; restarted'}"


async def sim_crash_after_trade(h: Harness, rng: random.Random) -> str:
    return await _crash_on(h, rng, "crashAfterTrades")


async def sim_crash_before_trade(h: Harness, rng: random.Random) -> str:
    return await _crash_on(h, rng, "crashBeforeTrade")


async def sim_kill9(h: Harness, rng: random.Random) -> str:
    await asyncio.to_thread(h.stack.kill, "sim")
    h.sim_restarted()
    down = await _pause(rng, 0.0, 2.0)
    await h.start("sim")
    return f"terminal kill -9, down {down:.1f}s"


async def sim_restart(h: Harness, rng: random.Random) -> str:
    h.sim_restarted()
    await h.restart("sim")
    return "terminal SIGTERM and restart"


async def heartbeat_loss(h: Harness, rng: random.Random) -> str:
    await asyncio.to_thread(h.stack.sim_control, True, heartbeats=False)
    held = await _pause(rng, 3.5, 6.0)
    await asyncio.to_thread(h.stack.sim_control, True, heartbeats=True)
    return f"no terminal heartbeats for {held:.1f}s"


async def clock_jump(h: Harness, rng: random.Random) -> str:
    ms = rng.choice([60_000, 600_000, 3_600_000])
    await asyncio.to_thread(h.stack.sim_control, True, advanceClockMs=ms)
    h.clock_jumped(ms)
    return f"terminal clock +{ms // 1000}s"


DRILLS: dict[str, Drill] = {
    "proxy_drop": proxy_drop,
    "proxy_refuse": proxy_refuse,
    "proxy_delay": proxy_delay,
    "proxy_stall": proxy_stall,
    "proxy_half_open": proxy_half_open,
    "executor_kill9": executor_kill9,
    "executor_kill9_in_flight": executor_kill9_in_flight,
    "executor_sigterm": executor_sigterm,
    "brain_kill9": brain_kill9,
    "brain_sigterm": brain_sigterm,
    "sim_drop_replies": sim_drop_replies,
    "sim_reject": sim_reject,
    "sim_crash_after_trade": sim_crash_after_trade,
    "sim_crash_before_trade": sim_crash_before_trade,
    "sim_kill9": sim_kill9,
    "sim_restart": sim_restart,
    "heartbeat_loss": heartbeat_loss,
    "clock_jump": clock_jump,
}
