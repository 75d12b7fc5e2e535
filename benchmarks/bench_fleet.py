"""The brain with 500 executors connected, heartbeating every second: CPU, memory, latency.

    uv run python benchmarks/bench_fleet.py [--executors 500] [--window 10] [--commands 100]

``fx-brain serve`` (shipped settings but ``heartbeat_interval_ms=1000``) on a
fresh database with the executors registered. The executors are lightweight
fakes speaking the real ``fx_protocol.brain_wire`` protocol (HELLO → WELCOME,
HEARTBEAT_ACK to every HEARTBEAT, ``bench_brain.BenchExecutor``), spread over
two client processes; one more, in this process, also executes what it is
sent (COMMAND_ACK + EXECUTION_RESULT at once) so command latency can be timed
(REST submit → ``executed`` on the events stream) with none of the real
executor's cost in it.

``brain_throughput``: after the fleet leaves, commands/s through the brain
alone (``SINKS`` fake executors that execute at once, 64 submits in flight,
REST → ``executed`` event), with its CPU per command.

Figures: brain CPU (% of one core) over ``--window`` seconds idle, then with
the fleet; RSS before and after, per session; the command latency to the one
executing executor alone and with the fleet connected. Floor, same run: a bare
websockets echo server (``floors.py``) with the same number of connections
each sending one heartbeat-sized frame a second: its CPU and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_brain import BenchExecutor
from floors import RESULTS, Child, stats
from report_file import machine, write_report

HEARTBEAT_MS = 1000
#: fake executors that execute at once, for the brain's own commands/s
SINKS = 8
CLIENT_PROCESSES = 2
FRAME = json.dumps({"type": "HEARTBEAT", "id": 1, "sentAt": "2026-01-01T00:00:00Z"})


# ---------------------------------------------------------------- client processes


async def _fleet_client(url: str, credentials: list[tuple[str, str]]) -> None:
    """Connect fake executors (50 at a time), say how many, then hold until stdin closes."""
    executors = [BenchExecutor(url, eid, key, execute=False) for eid, key in credentials]
    for i in range(0, len(executors), 50):
        await asyncio.gather(*(e.connect() for e in executors[i : i + 50]))
    print(f"fleet ready {len(executors)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await asyncio.gather(*(e.close() for e in executors), return_exceptions=True)


async def _echo_client(url: str, n: int) -> None:
    """``n`` raw WebSocket connections, each sending one heartbeat-sized frame a second."""
    from websockets.asyncio.client import connect

    conns = []
    for i in range(0, n, 50):
        conns += await asyncio.gather(
            *(connect(url, compression=None) for _ in range(min(50, n - i)))
        )

    async def beat(ws: Any) -> None:
        with contextlib.suppress(Exception):
            while True:
                await ws.send(FRAME)
                await ws.recv()
                await asyncio.sleep(HEARTBEAT_MS / 1000)

    tasks = [asyncio.create_task(beat(ws)) for ws in conns]
    print(f"fleet ready {n}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for task in tasks:
        task.cancel()


class Fleet:
    """The client processes holding the connections."""

    def __init__(self, argvs: list[list[str]]) -> None:
        self.procs = [
            subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ
            )
            for argv in argvs
        ]
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("fleet ready"):
                self.stop()
                raise RuntimeError(f"fleet client did not connect: {line!r}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.stdin:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def cpu_pct(proc: psutil.Process, window: float) -> float:
    c0, t0 = cpu_s(proc), time.perf_counter()
    await asyncio.sleep(window)
    return round((cpu_s(proc) - c0) / (time.perf_counter() - t0) * 100, 2)


# ---------------------------------------------------------------- the measurement


async def command_latency(base: str, token: str, executor_id: str, n: int) -> list[float]:
    """REST submit → ``executed`` on the events stream, to one executing fake executor."""
    import httpx
    from websockets.asyncio.client import connect

    from fx_protocol.strategy_events import CommandStatusEvent, decode_event

    samples = []
    url = base.replace("http", "ws") + f"/ws/events?executorId={executor_id}"
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as http,
        connect(url, additional_headers=auth) as events,
    ):
        await events.recv()  # READY
        for i in range(n + 10):
            body = {
                "executorId": executor_id,
                "command": {
                    "action": "OPEN_POSITION",
                    "symbol": "EURUSD",
                    "type": "BUY",
                    "volume": 0.1,
                },
                "idempotencyKey": f"fleet-{i}-{time.time_ns()}",
            }
            start = time.perf_counter()
            command_id = (await http.post("/api/v1/commands", json=body)).json()["commandId"]
            while True:
                event = decode_event(await asyncio.wait_for(events.recv(), 30))
                if (
                    isinstance(event, CommandStatusEvent)
                    and event.command_id == command_id
                    and event.status == "executed"
                ):
                    break
            if i >= 10:
                samples.append(time.perf_counter() - start)
    return samples


async def brain_throughput(
    base: str, token: str, sinks: list[tuple[str, str]], seconds: float, brain_cpu: psutil.Process
) -> dict[str, Any]:
    """Commands/s through the brain alone: fake executors that execute at once, 64 in flight.

    Submit (RawHttp) → delivery → COMMAND_ACK + EXECUTION_RESULT → ``executed`` on
    the events stream, spread over ``SINKS`` executors: the brain's own capacity
    with durability on, no terminal and no real executor in the way.
    """
    from bench_e2e import RawHttp
    from websockets.asyncio.client import connect

    from fx_protocol.strategy_events import CommandStatusEvent, decode_event

    url = base.replace("http", "ws")
    executing = [BenchExecutor(url + "/ws/executor", *sink, execute=True) for sink in sinks]
    for ex in executing:
        await ex.connect()
    host, port = base.removeprefix("http://").rsplit(":", 1)
    raw = RawHttp(host, int(port), token)
    waiting: dict[str, asyncio.Future[float]] = {}
    early: dict[str, float] = {}
    auth = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    done = 0
    async with connect(url + "/ws/events", additional_headers=auth, max_queue=None) as events:
        await events.recv()  # READY

        async def read() -> None:
            async for frame in events:
                event = decode_event(frame)
                if isinstance(event, CommandStatusEvent) and event.status == "executed":
                    future = waiting.pop(event.command_id, None)
                    if future is None:
                        early[event.command_id] = time.perf_counter()
                    else:
                        future.set_result(time.perf_counter())

        reader = asyncio.create_task(read())
        deadline = time.perf_counter() + seconds
        counter = 0

        async def worker() -> None:
            nonlocal done, counter
            while time.perf_counter() < deadline:
                counter += 1
                body = {
                    "executorId": sinks[counter % len(sinks)][0],
                    "command": {
                        "action": "OPEN_POSITION",
                        "symbol": "EURUSD",
                        "type": "BUY",
                        "volume": 0.1,
                    },
                    "idempotencyKey": f"sink-{counter}-{time.time_ns()}",
                }
                start = time.perf_counter()
                status, payload = await raw.post("/api/v1/commands", json.dumps(body).encode())
                if status != 202:
                    raise RuntimeError(f"submit refused: {status} {payload[:200]!r}")
                command_id = json.loads(payload)["commandId"]
                at = early.pop(command_id, None)
                if at is None:
                    future = asyncio.get_running_loop().create_future()
                    waiting[command_id] = future
                    at = await asyncio.wait_for(future, 30)
                samples.append(at - start)
                done += 1

        c0, t0 = cpu_s(brain_cpu), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(64)))
        elapsed = time.perf_counter() - t0
        cpu = (cpu_s(brain_cpu) - c0) / elapsed * 100
        reader.cancel()
    await raw.close()
    for ex in executing:
        await ex.close()
    return {
        "executors": len(sinks),
        "outstanding": 64,
        "seconds": round(elapsed, 2),
        "commands_per_s": round(done / elapsed, 1),
        "brain_cpu_pct": round(cpu, 1),
        "brain_cpu_ms_per_command": round(cpu / 100 / (done / elapsed) * 1000, 2) if done else None,
        "latency": stats(samples),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from brain_server.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    db = tmp / "brain.db"
    store = Store(db)
    now_ms = int(time.time() * 1000)
    executors = [store.add_executor(f"fleet-{i}", now_ms) for i in range(args.executors + SINKS)]
    token = store.add_token("fleet", now_ms)
    store.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FX_")},
        "FX_BRAIN_DB": str(db),
        "FX_BRAIN_LOG_LEVEL": "WARNING",
        "FX_BRAIN_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS),
    }
    report: dict[str, Any] = {
        "benchmark": "fleet",
        "executors": args.executors,
        "heartbeat_interval_ms": HEARTBEAT_MS,
        "client_processes": CLIENT_PROCESSES,
        "machine_at_start": machine(),
    }
    brain = Child([sys.executable, "-m", "brain_server.cli", "serve", "--port", "0"], env)
    base = brain.ready_line.split()[-1]
    ws_url = base.replace("http", "ws") + "/ws/executor"
    me = sys.executable, __file__
    measured, rest = executors[0], executors[1 : args.executors]
    sinks = executors[args.executors :]
    # The executing one stays connected throughout: its reliable seq continues.
    ex = BenchExecutor(ws_url, *measured, execute=True)
    loop = asyncio.get_running_loop()
    try:
        await ex.connect()
        ps = psutil.Process(brain.proc.pid)
        await asyncio.sleep(1)
        alone = await command_latency(base, token, measured[0], args.commands)
        rss_before = ps.memory_info().rss / 2**20
        idle_cpu = await cpu_pct(ps, args.window)
        parts = [rest[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
        start = time.perf_counter()
        argvs = [[*me, "--client", ws_url, "--credentials", json.dumps(part)] for part in parts]
        fleet = await loop.run_in_executor(None, Fleet, argvs)
        connect_s = time.perf_counter() - start
        try:
            await asyncio.sleep(3)  # settle: first heartbeats, session rows written
            rss_after = ps.memory_info().rss / 2**20
            fleet_cpu = await cpu_pct(ps, args.window)
            loaded = await command_latency(base, token, measured[0], args.commands)
            rss_end = ps.memory_info().rss / 2**20
        finally:
            await loop.run_in_executor(None, fleet.stop)
        n = len(rest)
        report["brain"] = {
            "connect_all_s": round(connect_s, 2),
            "cpu_pct_idle": idle_cpu,
            "cpu_pct_with_fleet": fleet_cpu,
            "cpu_us_per_heartbeat": round(
                (fleet_cpu - idle_cpu) / 100 / (n * 1000 / HEARTBEAT_MS) * 1e6, 1
            ),
            "rss_before_mb": round(rss_before, 1),
            "rss_with_fleet_mb": round(rss_after, 1),
            "rss_end_mb": round(rss_end, 1),
            "rss_per_session_kb": round((rss_after - rss_before) * 1024 / n, 1),
        }
        report["command_latency_alone"] = stats(alone)
        report["command_latency_with_fleet"] = stats(loaded)
        report["brain_throughput"] = await brain_throughput(
            base, token, sinks, args.window, brain_cpu=ps
        )
    finally:
        await ex.close()
        brain.stop()
    echo = Child([sys.executable, str(Path(__file__).with_name("floors.py")), "--serve", "ws-echo"])
    try:
        ps = psutil.Process(echo.proc.pid)
        rss_before = ps.memory_info().rss / 2**20
        url = f"ws://127.0.0.1:{echo.port}"
        per = args.executors // CLIENT_PROCESSES
        argvs = [[*me, "--echo-client", url, "--count", str(per)]] * CLIENT_PROCESSES
        fleet = await loop.run_in_executor(None, Fleet, argvs)
        try:
            await asyncio.sleep(3)
            rss_after = ps.memory_info().rss / 2**20
            floor_cpu = await cpu_pct(ps, args.window)
        finally:
            await loop.run_in_executor(None, fleet.stop)
        report["floor_ws_echo_server"] = {
            "connections": per * CLIENT_PROCESSES,
            "cpu_pct": floor_cpu,
            "rss_per_connection_kb": round((rss_after - rss_before) * 1024 / (per * 2), 1),
        }
    finally:
        echo.stop()
    report["machine"] = machine()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executors", type=int, default=500, help="executors connected")
    parser.add_argument("--window", type=float, default=10.0, help="CPU window, seconds")
    parser.add_argument("--commands", type=int, default=100, help="commands timed")
    parser.add_argument("--out", type=Path, default=RESULTS / "fleet.json", help="JSON report")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--credentials", help=argparse.SUPPRESS)
    parser.add_argument("--echo-client", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        asyncio.run(_fleet_client(args.client, [tuple(c) for c in json.loads(args.credentials)]))
        return 0
    if args.echo_client:
        asyncio.run(_echo_client(args.echo_client, args.count))
        return 0
    if args.executors < 2 or args.window <= 0 or args.commands < 1:
        parser.error("--executors must be >= 2, --window and --commands positive")
    from loguru import logger

    logger.remove()  # the store logs its migrations; the JSON is the output
    logger.add(sys.stderr, level="WARNING")
    report = asyncio.run(measure(args))
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
