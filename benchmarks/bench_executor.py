"""What the executor adds to a command's round trip, and the tick rate it absorbs.

    uv run python benchmarks/bench_executor.py [--commands 300] [--out PATH]

Set-up, all real processes on loopback: ``fx-mt5sim`` and ``fx-executor --headless``;
this script plays the brain with a minimal WebSocket server (HELLO/WELCOME,
TRADE_SIGNAL out, ACK for every reliable message back), so it can timestamp a
TRADE_SIGNAL leaving and its EXECUTION_RESULT arriving with nothing else in the
way. Figures, each beside the raw floor measured in the same run:

- ``loop``: TRADE_SIGNAL sent → EXECUTION_RESULT received, through the executor
  (safety check, two journal commits, DEALER round trip, thread hand-offs);
- floors: a bare WebSocket echo (same library, same loopback) and the same
  TRADE sent straight to the simulator from a DEALER (the terminal's own time);
- ``executor_added`` = loop - ws echo - direct TRADE, at p50 and p99;
- ticks: the simulator publishing at increasing rates; the executor's CPU,
  the command loop latency under that load and the MARKET_UPDATE rate it
  forwards (coalesced), next to what a bare SUB receives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import tomli_w
import zmq
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report_file import machine, write_report  # noqa: E402

from fx_demo.stack import Program, free_port, script_argv  # noqa: E402
from fx_protocol.brain_wire import (  # noqa: E402
    Ack,
    CommandAck,
    CommandReject,
    ExecutionResult,
    Fill,
    MarketUpdate,
    TradeSignal,
    Welcome,
    decode_from_executor,
    encode,
)
from fx_protocol.commands import TradeCommand  # noqa: E402
from fx_protocol.vocabulary import Action, OrderType  # noqa: E402

KEY = "bench-key"


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 0.50), 4),
        "p99_ms": round(pct(values, 0.99), 4),
        "mean_ms": round(statistics.fmean(values), 4),
    }


class FakeBrain:
    """Just enough of the brain's session to time commands precisely."""

    def __init__(self) -> None:
        self.ws: ServerConnection | None = None
        self.connected = asyncio.Event()
        self.waiters: dict[str, asyncio.Future[ExecutionResult]] = {}
        self.market_updates = 0
        self.last_seq = 0
        self.signal_seq = 0

    async def handler(self, ws: ServerConnection) -> None:
        await ws.recv()  # HELLO
        welcome = Welcome(
            session_id="bench",
            protocol_version=1,
            server_time=datetime.now(UTC),
            heartbeat_interval_ms=5000,
            heartbeat_timeout_ms=30000,
            last_executor_seq=self.last_seq,
        )
        await ws.send(encode(welcome).decode())
        self.ws = ws
        self.connected.set()
        with contextlib.suppress(ConnectionClosed):
            await self._serve(ws)

    async def _serve(self, ws: ServerConnection) -> None:
        async for frame in ws:
            message = decode_from_executor(frame if isinstance(frame, bytes) else frame.encode())
            if isinstance(message, CommandAck | CommandReject | ExecutionResult | Fill):
                self.last_seq = max(self.last_seq, message.seq)
                await ws.send(encode(Ack(seq=message.seq)).decode())
            if isinstance(message, ExecutionResult):
                waiter = self.waiters.pop(message.command_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
            elif isinstance(message, CommandReject):
                waiter = self.waiters.pop(message.command_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_exception(RuntimeError(f"rejected: {message.reason}"))
            elif isinstance(message, MarketUpdate):
                self.market_updates += 1

    async def command(self, command: TradeCommand, command_id: str) -> tuple[float, Any]:
        assert self.ws is not None
        self.signal_seq += 1
        signal = TradeSignal(
            timestamp=datetime.now(UTC), command_id=command_id, seq=self.signal_seq, command=command
        )
        future: asyncio.Future[ExecutionResult] = asyncio.get_running_loop().create_future()
        self.waiters[command_id] = future
        data = encode(signal).decode()
        start = time.perf_counter()
        await self.ws.send(data)
        result = await future
        return (time.perf_counter() - start) * 1000.0, result.result


async def command_loop(brain: FakeBrain, n: int, tag: str) -> list[float]:
    """Open then close, n/2 times: every command fully executed in the terminal."""
    times: list[float] = []
    for i in range(n // 2):
        buy = TradeCommand(
            action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.BUY, volume=0.01
        )
        elapsed, result = await brain.command(buy, f"b{tag}{i}o")
        times.append(elapsed)
        close = TradeCommand(action=Action.CLOSE_POSITION, ticket=result.ticket)
        elapsed, _ = await brain.command(close, f"b{tag}{i}c")
        times.append(elapsed)
    return times


async def ws_echo_floor(n: int) -> list[float]:
    async def echo(ws: ServerConnection) -> None:
        async for frame in ws:
            await ws.send(frame)

    port = free_port()
    sample = encode(
        TradeSignal(
            timestamp=datetime.now(UTC),
            command_id="c" + "0" * 26,
            seq=1,
            command=TradeCommand(
                action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.BUY, volume=0.01
            ),
        )
    ).decode()
    times = []
    async with (
        serve(echo, "127.0.0.1", port, compression=None),
        connect(f"ws://127.0.0.1:{port}", compression=None) as ws,
    ):
        for _ in range(n):
            start = time.perf_counter()
            await ws.send(sample)
            await ws.recv()
            times.append((time.perf_counter() - start) * 1000.0)
    return times


def direct_trade_floor(endpoint: str, n: int) -> list[float]:
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    times = []
    tag = os.urandom(3).hex()
    try:
        for i in range(n // 2):
            body = {
                "type": "TRADE",
                "requestId": f"o{i}",
                "commandId": f"d{tag}{i}o",
                "action": "OPEN_POSITION",
                "symbol": "EURUSD",
                "orderType": "BUY",
                "volume": 0.01,
            }
            start = time.perf_counter()
            dealer.send(json.dumps(body).encode())
            reply = json.loads(dealer.recv())
            times.append((time.perf_counter() - start) * 1000.0)
            ticket = reply["outcome"]["position"]
            body = {
                "type": "TRADE",
                "requestId": f"c{i}",
                "commandId": f"d{tag}{i}c",
                "action": "CLOSE_POSITION",
                "ticket": ticket,
            }
            start = time.perf_counter()
            dealer.send(json.dumps(body).encode())
            dealer.recv()
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        dealer.close()
    return times


def sub_rate(endpoint: str, seconds: float) -> float:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"tick.")
    sub.setsockopt(zmq.RCVHWM, 1_000_000)
    sub.connect(endpoint)
    time.sleep(0.3)  # slow joiner: let the subscription reach the publisher
    count = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if sub.poll(100):
            sub.recv_multipart()
            count += 1
    sub.close(linger=0)
    return count / seconds


def simulator_program(tmp: Path, env: dict[str, str], tick_rate: float) -> tuple[Program, str, str]:
    """The simulated terminal on two free loopback ports (not started), and its endpoints."""
    command_ep = f"tcp://127.0.0.1:{free_port()}"
    events_ep = f"tcp://127.0.0.1:{free_port()}"
    sim = Program(
        "sim",
        [
            *script_argv("fx-mt5sim"),
            "--command-endpoint",
            command_ep,
            "--events-endpoint",
            events_ep,
            "--state-dir",
            str(tmp / "sim"),
            "--seed",
            "1",
            "--tick-rate",
            str(tick_rate),
            "--log-level",
            "WARNING",
        ],
        env,
        tmp / "sim.log",
    )
    return sim, command_ep, events_ep


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fx-bench-exec-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_BENCH_KEY"] = KEY
    sim, command_ep, events_ep = simulator_program(tmp, env, tick_rate=20)
    brain_port = free_port()
    config = {
        "brain": {
            "url": f"ws://127.0.0.1:{brain_port}/ws/executor",
            "executor_id": "bench",
            "api_key_env": "FX_BENCH_KEY",
            # This script's fake brain signs nothing (docs/security.md); loopback only.
            "require_signed_commands": False,
            "tick_forward_hz": 10.0,
        },
        "terminal": {"command_endpoint": command_ep, "events_endpoint": events_ep},
        "limits": {
            "allowed_symbols": ["EURUSD", "XAUUSD", "GBPUSD", "USDJPY"],
            "max_open_positions": 0,
            "max_orders_per_minute": 0,
            "max_total_volume_per_symbol": 1000.0,
            "daily_loss_limit": 0.0,
        },
        "storage": {
            "journal_path": str(tmp / "journal.sqlite3"),
            "log_dir": str(tmp / "logs"),
            "log_level": "WARNING",
        },
    }
    (tmp / "executor.toml").write_text(tomli_w.dumps(config))
    runner = script_argv("fx-executor")
    if args.profile:
        # Profile the executor itself (cProfile writes the stats when it exits).
        runner = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(args.profile),
            "-m",
            "executor_app.cli",
        ]
    executor = Program(
        "executor",
        [*runner, "--headless", "--config", str(tmp / "executor.toml")],
        env,
        tmp / "executor.log",
    )
    brain = FakeBrain()
    results: dict[str, Any] = {}
    async with serve(brain.handler, "127.0.0.1", brain_port, compression=None):
        sim.start()
        sim.wait_for("fx-mt5sim ready")
        executor.start()
        try:
            executor.wait_for("fx-executor ready")
            await asyncio.wait_for(brain.connected.wait(), 20)
            # Reconciliation has to finish before new risk is accepted: retry the first one.
            for attempt in range(200):
                try:
                    await command_loop(brain, 2, f"w{attempt}")
                    break
                except RuntimeError:
                    await asyncio.sleep(0.05)
            await command_loop(brain, 40, "warm")
            # Interleaved rounds: on a shared machine, load then hits loop and floors alike.
            # CPU time per command is the load-independent figure: the executor's own work
            # beside the terminal's (the simulator's CPU for the same commands sent direct).
            proc = psutil.Process(executor.proc.pid if executor.proc else 0)
            sim_proc = psutil.Process(sim.proc.pid if sim.proc else 0)
            loop_ms: list[float] = []
            ws_ms: list[float] = []
            trade_ms: list[float] = []
            executor_cpu = sim_cpu_direct = 0.0
            for r in range(max(1, args.commands // 20)):
                before = _cpu(proc)
                loop_ms += await command_loop(brain, 20, f"m{r}-")
                executor_cpu += _cpu(proc) - before
                ws_ms += await ws_echo_floor(20)
                before = _cpu(sim_proc)
                trade_ms += await asyncio.to_thread(direct_trade_floor, command_ep, 20)
                sim_cpu_direct += _cpu(sim_proc) - before
            results["commands"] = {
                "loop_through_executor": summary(loop_ms),
                "floor_ws_echo": summary(ws_ms),
                "floor_direct_trade": summary(trade_ms),
                "executor_added_p50_ms": round(
                    pct(loop_ms, 0.5) - pct(ws_ms, 0.5) - pct(trade_ms, 0.5), 4
                ),
                "executor_added_p99_ms": round(
                    pct(loop_ms, 0.99) - pct(ws_ms, 0.99) - pct(trade_ms, 0.99), 4
                ),
                "executor_cpu_ms_per_command": round(executor_cpu * 1000 / len(loop_ms), 4),
                "floor_terminal_cpu_ms_per_direct_trade": round(
                    sim_cpu_direct * 1000 / len(trade_ms), 4
                ),
            }
            ticks = []
            for rate in args.tick_rates:
                sim.stop()
                sim.argv[sim.argv.index("--tick-rate") + 1] = str(rate)
                sim.start()
                sim.wait_for("fx-mt5sim ready")
                received = await asyncio.to_thread(sub_rate, events_ep, 1.0)
                proc.cpu_percent(None)
                before = brain.market_updates
                start = time.monotonic()
                under_load = await command_loop(brain, 60, f"t{rate}")
                direct = await asyncio.to_thread(direct_trade_floor, command_ep, 60)
                await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - start)))
                seconds = time.monotonic() - start
                ticks.append(
                    {
                        "offered_ticks_per_s": rate,
                        "floor_bare_sub_ticks_per_s": round(received),
                        "executor_cpu_pct": round(proc.cpu_percent(None), 1),
                        "market_updates_forwarded_per_s": round(
                            (brain.market_updates - before) / seconds, 1
                        ),
                        "command_loop_under_load": summary(under_load),
                        "floor_direct_trade_under_load": summary(direct),
                        "executor_added_p50_ms_under_load": round(
                            pct(under_load, 0.5) - pct(ws_ms, 0.5) - pct(direct, 0.5), 4
                        ),
                    }
                )
            results["ticks"] = ticks
        finally:
            # Off the loop: the executor's goodbye to this (fake) brain needs the loop running.
            await asyncio.to_thread(executor.stop)
            sim.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--tick-rates", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/executor.json")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the executor here")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    results["machine"] = machine()
    results["note"] = (
        "executor_added = loop - ws echo floor - direct TRADE floor; all loopback, one machine, "
        "shared with other work (2 cores), so treat p99 as noisy"
    )
    write_report(args.out, results)


if __name__ == "__main__":
    main()
