"""What the brain costs: submit latency, commands/s, and the price of each connected executor.

    uv run python benchmarks/bench_brain.py [--commands 500] [--executors 300] [--out PATH]

Set-up, all real processes on loopback: ``fx-brain serve`` on a fresh database
(default settings, so ``synchronous=FULL``: every submit is an fsync), and a
*floor* server on the same stack (Litestar on uvicorn with the websockets
sansio backend) that does nothing: ``POST /ping`` answers at once,
``/echo`` echoes WebSocket frames. Each brain figure is reported beside its
floor measured in the same run:

- ``submit``: ``POST /api/v1/commands`` → 202, sequential, one keep-alive
  client (auth, validation, one committed transaction), alternating request
  by request with ``POST /ping`` of the same body (so both see the same load);
  and the store alone (in process) with ``synchronous`` FULL and NORMAL, which
  shows the fsync's share;
- ``throughput``: commands/s with 16 concurrent clients vs the floor route,
  three alternating rounds, medians;
- ``delivery``: submit → TRADE_SIGNAL at a connected executor, and the full
  loop submit → executor answers at once → ``COMMAND_STATUS executed`` on the
  events stream, vs a raw WebSocket echo;
- ``executors``: server RSS and CPU with N executors connected and
  heartbeating every second, per executor, vs N raw WebSocket connections to
  the echo server sending one frame a second each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from report_file import machine, write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEARTBEAT_MS = 1000
BODY_TEMPLATE = {
    "command": {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1},
    "priority": "NORMAL",
    "strategyId": "bench",
}


# ---------------------------------------------------------------- the floor server


def floor_server() -> None:
    """Run the do-nothing server on the brain's stack; prints ``floor ready PORT``."""
    import socket

    import uvicorn
    from litestar import Litestar, WebSocket, post, websocket

    @post("/ping", status_code=202)
    async def ping(data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    @websocket("/echo")
    async def echo(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        while True:
            event = await socket.receive()
            if event["type"] == "websocket.disconnect":
                return
            await socket.send_data(event.get("text") or "")

    app = Litestar([ping, echo], debug=False, logging_config=None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, ws="websockets-sansio", ws_ping_interval=None, log_level="warning", access_log=False
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            print(f"floor ready {sock.getsockname()[1]}", flush=True)

    asyncio.run(Server(config).serve(sockets=[sock]))


# ---------------------------------------------------------------- processes


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], ready_prefix: str) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(ready_prefix):
            self.stop()
            raise RuntimeError(f"{argv[2:]} did not start: {line!r}")
        self.ready_line = line
        import psutil

        self.ps = psutil.Process(self.proc.pid)

    def rss_mb(self) -> float:
        return float(self.ps.memory_info().rss) / 2**20

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def stats(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    n = len(ordered)

    def pct(p: float) -> float:
        return round(ordered[min(n - 1, int(p * n))] * 1000, 4)

    return {
        "n": n,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


# ---------------------------------------------------------------- measurements


async def interleaved_posts(
    brain_url: str, floor_url: str, headers: dict[str, str], brain_bodies: list[bytes]
) -> tuple[list[float], list[float]]:
    """Alternate one brain submit and one floor POST, so both see the same machine load."""
    import httpx

    brain_samples, floor_samples = [], []
    json_type = {"Content-Type": "application/json"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as brain,
        httpx.AsyncClient(headers=headers, timeout=30) as floor,
    ):
        for i, body in enumerate(brain_bodies):
            for client, url, samples in (
                (brain, brain_url, brain_samples),
                (floor, floor_url, floor_samples),
            ):
                start = time.perf_counter()
                response = await client.post(url, content=body, headers=json_type)
                elapsed = time.perf_counter() - start
                assert response.status_code == 202, response.text
                if i >= 20:  # warm-up: connections, caches
                    samples.append(elapsed)
    return brain_samples, floor_samples


async def concurrent_posts(
    url: str, headers: dict[str, str], bodies: list[bytes], concurrency: int
) -> float:
    """Requests per second with ``concurrency`` clients sharing the work."""
    import httpx

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                response = await client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                assert response.status_code == 202, response.text

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(bodies) / (time.perf_counter() - start)


def bodies(executor_id: str, n: int) -> list[bytes]:
    return [
        json.dumps(
            {
                **BODY_TEMPLATE,
                "executorId": executor_id,
                "idempotencyKey": f"b-{i}-{time.time_ns()}",
            }
        ).encode()
        for i in range(n)
    ]


class BenchExecutor:
    """A minimal executor: HELLO, answers heartbeats, optionally ACKs and executes commands."""

    def __init__(self, url: str, executor_id: str, api_key: str, execute: bool) -> None:
        self.url, self.executor_id, self.api_key, self.execute = url, executor_id, api_key, execute
        self.seq = 0
        self.signals: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.ws: Any = None

    async def connect(self) -> None:
        import websockets

        from fx_protocol.brain_wire import Hello, Welcome, decode_from_brain, encode

        self.ws = await websockets.connect(self.url, compression=None, max_size=2**20)
        now = datetime.now(UTC)
        await self.ws.send(
            encode(
                Hello(
                    executor_id=self.executor_id,
                    api_key=self.api_key,
                    protocol_version=1,
                    app_version="bench",
                    timestamp=now,
                )
            )
        )
        welcome = decode_from_brain(await self.ws.recv())
        assert isinstance(welcome, Welcome), welcome
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        import websockets

        from fx_protocol.brain_wire import (
            CommandAck,
            ExecutionResult,
            ExecutionResultBody,
            Heartbeat,
            HeartbeatAck,
            TradeSignal,
            decode_from_brain,
            encode,
        )

        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.ws:
                message = decode_from_brain(frame)
                if isinstance(message, Heartbeat):
                    await self.ws.send(encode(HeartbeatAck(id=message.id, sent_at=message.sent_at)))
                elif isinstance(message, TradeSignal):
                    self.signals.put_nowait((time.perf_counter(), message.command_id))
                    if self.execute:
                        now = datetime.now(UTC)
                        self.seq += 1
                        await self.ws.send(
                            encode(
                                CommandAck(
                                    seq=self.seq, command_id=message.command_id, timestamp=now
                                )
                            )
                        )
                        self.seq += 1
                        body = ExecutionResultBody(
                            success=True, status="executed", ticket=self.seq, price=1.1, volume=0.1
                        )
                        await self.ws.send(
                            encode(
                                ExecutionResult(
                                    timestamp=now,
                                    seq=self.seq,
                                    command_id=message.command_id,
                                    executor_id=self.executor_id,
                                    result=body,
                                )
                            )
                        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


async def delivery_and_loop(
    base: str, token: str, executor: tuple[str, str], n: int
) -> tuple[list[float], list[float]]:
    """Submit → TRADE_SIGNAL at the executor, and submit → executed event on the stream."""
    import httpx
    import websockets

    from fx_protocol.strategy_events import CommandStatusEvent, decode_event

    ex = BenchExecutor(base.replace("http", "ws") + "/ws/executor", *executor, execute=True)
    await ex.connect()
    delivery, loop = [], []
    events_url = base.replace("http", "ws") + f"/ws/events?executorId={executor[0]}"
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
        websockets.connect(
            events_url, additional_headers={"Authorization": f"Bearer {token}"}
        ) as events,
    ):
        await events.recv()  # READY
        for i, body in enumerate(bodies(executor[0], n + 10)):
            start = time.perf_counter()
            response = await client.post(
                base + "/api/v1/commands",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            command_id = response.json()["commandId"]
            at, signalled = await asyncio.wait_for(ex.signals.get(), 10)
            assert signalled == command_id
            while True:
                event = decode_event(await asyncio.wait_for(events.recv(), 10))
                if (
                    isinstance(event, CommandStatusEvent)
                    and event.command_id == command_id
                    and event.status == "executed"
                ):
                    break
            if i >= 10:
                delivery.append(at - start)
                loop.append(time.perf_counter() - start)
    await ex.close()
    return delivery, loop


async def ws_echo(url: str, n: int) -> list[float]:
    import websockets

    samples = []
    frame = json.dumps({"type": "HEARTBEAT", "id": 1, "sentAt": "2026-01-01T00:00:00Z"})
    async with websockets.connect(url, compression=None) as ws:
        for i in range(n + 20):
            start = time.perf_counter()
            await ws.send(frame)
            await ws.recv()
            if i >= 20:
                samples.append(time.perf_counter() - start)
    return samples


async def executor_cost(
    brain: Process, base: str, executors: list[tuple[str, str]], window_s: float
) -> dict[str, Any]:
    url = base.replace("http", "ws") + "/ws/executor"
    await asyncio.sleep(1)
    rss_before = brain.rss_mb()
    cpu0, t0 = brain.cpu_s(), time.perf_counter()
    await asyncio.sleep(window_s)
    idle_cpu_pct = (brain.cpu_s() - cpu0) / (time.perf_counter() - t0) * 100
    clients = [BenchExecutor(url, eid, key, execute=False) for eid, key in executors]
    connect_start = time.perf_counter()
    for chunk in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect() for c in clients[chunk : chunk + 50]))
    connect_s = time.perf_counter() - connect_start
    await asyncio.sleep(2)  # settle: first heartbeats, session rows written
    rss_after = brain.rss_mb()
    cpu0, t0 = brain.cpu_s(), time.perf_counter()
    await asyncio.sleep(window_s)
    elapsed = time.perf_counter() - t0
    cpu_pct = (brain.cpu_s() - cpu0) / elapsed * 100
    n = len(clients)
    heartbeats = n * elapsed * 1000 / HEARTBEAT_MS
    await asyncio.gather(*(c.close() for c in clients))
    return {
        "executors": n,
        "heartbeat_interval_ms": HEARTBEAT_MS,
        "connect_all_s": round(connect_s, 3),
        "rss_before_mb": round(rss_before, 2),
        "rss_after_mb": round(rss_after, 2),
        "rss_per_executor_kb": round((rss_after - rss_before) * 1024 / n, 2),
        "idle_cpu_pct_without_executors": round(idle_cpu_pct, 2),
        "cpu_pct_with_executors": round(cpu_pct, 2),
        "cpu_pct_per_executor": round((cpu_pct - idle_cpu_pct) / n, 4),
        "cpu_us_per_heartbeat": round(
            (cpu_pct - idle_cpu_pct) / 100 * elapsed / heartbeats * 1e6, 1
        ),
    }


async def echo_cost(floor: Process, url: str, n: int, window_s: float) -> dict[str, Any]:
    import websockets

    rss_before = floor.rss_mb()
    conns = []
    for chunk in range(0, n, 50):
        conns += await asyncio.gather(
            *(websockets.connect(url, compression=None) for _ in range(min(50, n - chunk)))
        )
    frame = json.dumps({"type": "HEARTBEAT", "id": 1, "sentAt": "2026-01-01T00:00:00Z"})

    async def beat(ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.send(frame)
                await ws.recv()
                await asyncio.sleep(HEARTBEAT_MS / 1000)

    await asyncio.sleep(1)
    tasks = [asyncio.create_task(beat(ws)) for ws in conns]
    await asyncio.sleep(2)
    rss_after = floor.rss_mb()
    cpu0, t0 = floor.cpu_s(), time.perf_counter()
    await asyncio.sleep(window_s)
    elapsed = time.perf_counter() - t0
    cpu_pct = (floor.cpu_s() - cpu0) / elapsed * 100
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in conns))
    frames = n * elapsed * 1000 / HEARTBEAT_MS
    return {
        "connections": n,
        "rss_per_connection_kb": round((rss_after - rss_before) * 1024 / n, 2),
        "cpu_pct": round(cpu_pct, 2),
        "cpu_pct_per_connection": round(cpu_pct / n, 4),
        "cpu_us_per_echo": round(cpu_pct / 100 * elapsed / frames * 1e6, 1),
    }


def store_submit(sync: str, n: int) -> dict[str, float]:
    """The database alone: one committed submit, in process, no HTTP (the disk's share)."""
    from brain_server.store import Store
    from fx_protocol.commands import TradeCommand
    from fx_protocol.vocabulary import Action, OrderType, Priority

    store = Store(Path(tempfile.mkdtemp(prefix="bench-store-")) / "b.db", sync)
    executor_id, _ = store.add_executor("x", 1)
    command = TradeCommand(
        action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.BUY, volume=0.1
    )
    samples = []
    for i in range(n):
        start = time.perf_counter()
        store.submit_command(
            executor_id=executor_id,
            command=command,
            priority=Priority.NORMAL,
            expiry_ms=None,
            strategy_id=None,
            idempotency_key=f"k{i}",
            origin="bench",
            now_ms=int(time.time() * 1000),
            random80=os.urandom(10),
        )
        samples.append(time.perf_counter() - start)
    store.close()
    return stats(samples)


# ---------------------------------------------------------------- main


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from brain_server.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-brain-"))
    db = tmp / "brain.db"
    store = Store(db)
    now_ms = int(time.time() * 1000)
    executors = [store.add_executor(f"bench-{i}", now_ms) for i in range(args.executors + 2)]
    token = store.add_token("bench", now_ms)
    store.close()
    env = {
        **os.environ,
        "FX_BRAIN_DB": str(db),
        "FX_BRAIN_LOG_LEVEL": "WARNING",
        "FX_BRAIN_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS),
        "FX_BRAIN_HEARTBEAT_TIMEOUT_MS": "30000",
    }
    brain = Process(
        [sys.executable, "-m", "brain_server.cli", "serve", "--port", "0"], env, "fx-brain ready"
    )
    floor = Process([sys.executable, __file__, "--floor-server"], env, "floor ready")
    base = brain.ready_line.split()[-1]
    floor_base = f"http://127.0.0.1:{floor.ready_line.split()[-1]}"
    auth = {"Authorization": f"Bearer {token}"}
    idle_id = executors[0][0]  # never connected: submits only queue
    results: dict[str, Any] = {
        "sqlite_synchronous": "FULL",
    }
    try:
        n = args.commands
        submit_lat, floor_lat = await interleaved_posts(
            base + "/api/v1/commands", floor_base + "/ping", auth, bodies(idle_id, n + 20)
        )
        results["submit"] = {
            "brain": stats(submit_lat),
            "floor_http_post": stats(floor_lat),
        }
        results["submit"]["store_only_synchronous_full"] = store_submit("FULL", n)
        results["submit"]["store_only_synchronous_normal"] = store_submit("NORMAL", n)
        results["submit"]["brain_added_p50_ms"] = round(
            results["submit"]["brain"]["p50_ms"] - results["submit"]["floor_http_post"]["p50_ms"], 4
        )
        m = args.commands
        floor_rps, brain_rps = [], []
        for _ in range(3):  # alternating rounds; medians, so both see similar load
            floor_rps.append(
                await concurrent_posts(floor_base + "/ping", auth, bodies(idle_id, m), 16)
            )
            brain_rps.append(
                await concurrent_posts(base + "/api/v1/commands", auth, bodies(idle_id, m), 16)
            )
        results["throughput"] = {
            "concurrency": 16,
            "commands_per_round": m,
            "rounds": 3,
            "brain_commands_per_s": round(statistics.median(brain_rps), 1),
            "floor_requests_per_s": round(statistics.median(floor_rps), 1),
        }
        echo = await ws_echo(floor_base.replace("http", "ws") + "/echo", args.commands)
        delivery, loop = await delivery_and_loop(base, token, executors[1], min(args.commands, 300))
        results["delivery"] = {
            "submit_to_trade_signal": stats(delivery),
            "submit_to_executed_event": stats(loop),
            "floor_ws_echo": stats(echo),
            "floor_http_post_p50_ms": results["submit"]["floor_http_post"]["p50_ms"],
        }
        results["executors"] = await executor_cost(brain, base, executors[2:], args.window)
        results["executors"]["floor_ws_echo_server"] = await echo_cost(
            floor, floor_base.replace("http", "ws") + "/echo", args.executors, args.window
        )
    finally:
        brain.stop()
        floor.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=500, help="sequential submits measured")
    parser.add_argument("--executors", type=int, default=300, help="fake executors connected")
    parser.add_argument("--window", type=float, default=10.0, help="CPU measurement window, s")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "brain.json")
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        floor_server()
        return 0
    from loguru import logger

    logger.remove()  # the store logs its migrations; the JSON is the output
    logger.add(sys.stderr, level="WARNING")
    results = asyncio.run(bench(args))
    results["machine"] = machine()
    write_report(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
