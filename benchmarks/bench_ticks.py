"""The tick path under load: the simulated terminal at 5,000 and 20,000 ticks/s, real programs.

    uv run python benchmarks/bench_ticks.py [--rates 0 5000 20000] [--window 8] [--commands 150]

For each rate a fresh ``fx_demo.stack.Stack`` (brain, ``fx-mt5sim --tick-rate
R``, headless executor, shipped settings, limits opened wide as in
``bench_e2e.py``). Over ``--window`` seconds of ticks flowing:

- ``offered_ticks_per_s``: what a bare SUB in its own process counts from the
  simulator just before the window (the simulator's real rate on this busy
  machine, which can fall short of the rate asked for);
- ``cpu_pct``: each program's CPU (psutil, % of one core) over the window;
- ``forwarded_per_s``: TICK events reaching the strategy's events stream
  (the executor coalesces to the latest quote per symbol at
  ``tick_forward_hz``, so this is a few dozen per second by design);
- ``tick_delay``: executor forward → strategy reads it (both on this host's
  clock), p50/p90/p99;
- ``command``: end-to-end command latency (REST submit → ``executed`` event)
  while the ticks flow, one at a time; rate 0 is the idle baseline of the same
  run, and ``p99_vs_idle`` the ratio the target speaks of;
- ``executor_rss_mb`` after the window; at ``--gui-rate`` the executor is then
  restarted as the tray app (offscreen Qt) for its start-up time, RSS and CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import (
    SIM_ARGS,
    WIDE_LIMITS,
    CpuWatch,
    Strategy,
    finish_profiles,
    rss_mb,
    start_profiles,
)
from floors import RESULTS, stats
from report_file import machine, write_report

from fx_demo.stack import Stack

COUNT_SUB = """
import sys, time, zmq
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"tick.")
sub.setsockopt(zmq.RCVHWM, 1_000_000)
sub.connect(sys.argv[1])
time.sleep(0.3)
while sub.poll(0):  # what queued while connecting is not the rate
    sub.recv_multipart()
n, end = 0, time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    if sub.poll(50):
        sub.recv_multipart()
        n += 1
print(n / float(sys.argv[2]))
"""


def offered_rate(endpoint: str, seconds: float) -> float:
    """Ticks/s a bare SUB (own process) receives from the simulator."""
    done = subprocess.run(
        [sys.executable, "-c", COUNT_SUB, endpoint, str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return round(float(done.stdout.strip()), 1)


def tick_stack(rate: float) -> Stack:
    """The e2e stack whose simulator quotes only the symbols the executor subscribes to.

    The simulator's tick rate counts every symbol it quotes, and the executor
    subscribes to its allowed symbols only (ZeroMQ filters at the publisher): with
    all of the simulator's symbols, the executor would take a fraction of the rate asked.
    """
    stack = Stack(limits=WIDE_LIMITS, sim_args=[*SIM_ARGS, "--tick-rate", str(rate)])
    stack.sim_args += ["--symbols", ",".join(stack.limits["allowed_symbols"])]
    stack.start()
    return stack


async def one_rate(rate: float, args: argparse.Namespace) -> dict[str, Any]:
    stack = tick_stack(rate)
    try:
        offered = offered_rate(stack.events_endpoint, 2.0) if rate else 0.0
        async with Strategy(stack) as strategy:
            await strategy.sequential(10, warmup=0)  # warm-up, not timed
            strategy.tick_delays.clear()
            ticks0 = strategy.ticks
            watch = CpuWatch(stack)
            t0 = time.perf_counter()
            profile = args.profile if rate == max(args.rates) else None
            profilers = start_profiles(stack, profile, args.window, prefix=f"ticks{int(rate)}")
            await asyncio.sleep(args.window)
            elapsed = time.perf_counter() - t0
            cpu = watch.percent()
            forwarded = (strategy.ticks - ticks0) / elapsed
            delays = list(strategy.tick_delays)
            command = stats(await strategy.sequential(args.commands, warmup=0), cdf=True)
        result: dict[str, Any] = {
            "asked_ticks_per_s": rate,
            "offered_ticks_per_s": offered,
            "window_s": round(elapsed, 2),
            "cpu_pct": cpu,
            "forwarded_per_s": round(forwarded, 1),
            "tick_delay": stats(delays),
            "command": command,
            "executor_rss_mb": rss_mb(stack, "executor"),
        }
        if profilers:
            result["profiles"] = finish_profiles(profilers)
        if rate == args.gui_rate:
            result["gui"] = gui_memory(stack, args.window)
        return result
    finally:
        stack.stop()


def gui_memory(stack: Any, window: float) -> dict[str, Any]:
    """The same executor as the tray app (offscreen Qt, window not shown): start-up and RSS."""
    from fx_demo.demo_keyring import BACKEND

    stack.programs.pop("executor").stop()  # a new Program: the headless one keeps its argv
    start = time.perf_counter()
    stack.start_executor(
        gui_env={"PYTHON_KEYRING_BACKEND": BACKEND, "QT_QPA_PLATFORM": "offscreen"}
    )
    online_s = time.perf_counter() - start
    watch = CpuWatch(stack)
    time.sleep(window)
    return {
        "start_to_online_ms": round(online_s * 1000, 1),
        "rss_mb": rss_mb(stack, "executor"),
        "cpu_pct": watch.percent()["executor"],
        "note": "tray app, offscreen Qt, window not opened; ticks flowing",
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"benchmark": "ticks", "machine_at_start": machine(), "rates": []}
    for rate in args.rates:
        report["rates"].append(await one_rate(rate, args))
    idle = next((r for r in report["rates"] if r["asked_ticks_per_s"] == 0), None)
    if idle is not None:
        for r in report["rates"]:
            r["p99_vs_idle"] = round(r["command"]["p99_ms"] / idle["command"]["p99_ms"], 2)
            r["p50_vs_idle"] = round(r["command"]["p50_ms"] / idle["command"]["p50_ms"], 2)
    report["machine"] = machine()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[0, 5000, 20000], help="ticks/s asked for"
    )
    parser.add_argument("--window", type=float, default=8.0, help="seconds of ticks measured")
    parser.add_argument("--commands", type=int, default=150, help="commands timed per rate")
    parser.add_argument(
        "--gui-rate", type=float, default=5000, help="rate at which the tray GUI's RSS is taken"
    )
    parser.add_argument("--profile", type=Path, help="py-spy raw profiles at the highest rate")
    parser.add_argument("--out", type=Path, default=RESULTS / "ticks.json", help="JSON report")
    args = parser.parse_args(argv)
    if args.window <= 0 or args.commands < 1 or any(r < 0 for r in args.rates):
        parser.error("--window and --commands must be positive, --rates not negative")
    report = asyncio.run(measure(args))
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
