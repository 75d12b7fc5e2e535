"""The whole path: REST submit until ``executed`` arrives on the events stream, real programs.

    uv run python benchmarks/bench_e2e.py [--commands 500] [--sustain 10] [--out PATH]

``fx_demo.stack.Stack`` starts ``fx-brain serve``, ``fx-mt5sim`` and
``fx-executor --headless`` on loopback exactly as shipped (brain SQLite in WAL
with ``synchronous=FULL``, the executor's journal with its shipped settings);
only the limits are opened wide so a long run is not refused (no position,
rate or loss limit; netting account, BUY and SELL alternate). The simulated
terminal publishes no ticks here (``bench_ticks.py`` measures that load).

This script plays the strategy: keep-alive HTTP/1.1 connections posting
``POST /api/v1/commands`` (a minimal client, ``RawHttp``: httpx, which
``fx_client`` uses, would take milliseconds of CPU per request from the same
two cores as the programs measured) and one
``/ws/events?executorId=`` stream; a command's latency runs from just before
the POST until its ``COMMAND_STATUS executed`` event is read. Figures:

- ``sequential``: one command at a time;
- ``in_flight_32``: 32 commands outstanding at all times;
- ``sustained``: commands/s executed with 64 outstanding over ``--sustain``
  seconds, with the CPU each program used meanwhile;
- ``executor``: RSS (MB) after the load, and start-up time (process start to
  ``fx-executor ready`` and to ``reconciled with the terminal``), three runs.

The floors (``floors.py``) are measured by ``run_all.py`` in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floors import RESULTS, stats
from report_file import machine, write_report

from fx_demo.stack import Stack
from fx_protocol.strategy_events import CommandStatusEvent, TickEvent, decode_event

WIDE_LIMITS: dict[str, Any] = {
    "max_volume_per_order": 10.0,
    "max_total_volume_per_symbol": 10_000.0,
    "max_open_positions": 0,
    "max_orders_per_minute": 0,
    "daily_loss_limit": 0.0,
    "max_price_deviation_pct": 0.0,
}
SIM_ARGS = ["--mode", "netting", "--balance", "100000000", "--seed", "7"]
FINAL = {"executed", "rejected", "expired", "cancelled"}


def open_stack(tick_rate: float = 0) -> Stack:
    stack = Stack(limits=WIDE_LIMITS, sim_args=[*SIM_ARGS, "--tick-rate", str(tick_rate)])
    stack.start()
    return stack


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client for the submits: the load generator's own CPU.

    httpx (what ``fx_client`` uses) costs the bench a few ms of CPU per request,
    taken from the same two cores as the programs measured; this writes the
    request bytes and reads status, Content-Length and body, nothing else.
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self._auth = f"Authorization: Bearer {token}\r\n".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """One request; a kept-alive connection the server closed meanwhile is replaced.

        Resending is safe: every submit carries an idempotency key.
        """
        reused = bool(self._idle)
        try:
            return await self._post(path, body, fresh=False)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            return await self._post(path, body, fresh=True)

    async def _post(self, path: str, body: bytes, fresh: bool) -> tuple[int, bytes]:
        if self._idle and not fresh:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s"
            % (path.encode(), self.host.encode(), self._auth, len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked response: not handled by RawHttp")
        payload = await reader.readexactly(length)
        self._idle.append((reader, writer))
        return status, payload

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle = []


class Strategy:
    """The REST client and the events stream of one executor, matching events to commands."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = httpx.AsyncClient(
            base_url=stack.brain_http,
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=30,
            limits=httpx.Limits(max_connections=128, max_keepalive_connections=128),
        )
        host, port = stack.brain_http.removeprefix("http://").rsplit(":", 1)
        self.raw = RawHttp(host, int(port), stack.token)
        self.waiting: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self.early: dict[str, tuple[float, str]] = {}
        self.statuses: dict[str, int] = {}
        self.ticks = 0
        self.tick_delays: list[float] = []
        self._events: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._n = 0
        self.recent: list[str] = []
        #: per command: POST → 202, and 202 → its final event (the last runs' split)
        self.post_spans: list[float] = []
        self.event_spans: list[float] = []

    async def __aenter__(self) -> Strategy:
        url = self.stack.brain_http.replace("http", "ws") + (
            f"/ws/events?executorId={self.stack.executor_id}"
        )
        self._events = await connect(
            url,
            additional_headers={"Authorization": f"Bearer {self.stack.token}"},
            max_size=2**22,
            max_queue=None,
        )
        await self._events.recv()  # READY
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._events.close()
        await self.http.aclose()
        await self.raw.close()

    async def _read(self) -> None:
        async for frame in self._events:
            now = time.perf_counter()
            event = decode_event(frame)
            if isinstance(event, CommandStatusEvent) and event.status in FINAL:
                status = str(event.status)
                future = self.waiting.pop(event.command_id, None)
                if future is None:
                    self.early[event.command_id] = (now, status)
                elif not future.done():
                    future.set_result((now, status))
            elif isinstance(event, TickEvent):
                self.ticks += 1
                # Same host clock: executor's forward time → the strategy reads it.
                delay = datetime.now(UTC).timestamp() - event.timestamp.timestamp()
                self.tick_delays.append(delay)

    def body(self) -> dict[str, Any]:
        self._n += 1
        return {
            "executorId": self.stack.executor_id,
            "command": {
                "action": "OPEN_POSITION",
                "symbol": "EURUSD",
                "type": "BUY" if self._n % 2 else "SELL",
                "volume": 0.01,
            },
            "strategyId": "bench-e2e",
            "idempotencyKey": f"e2e-{self._n}-{time.time_ns()}",
        }

    async def one(self) -> float:
        """Submit one command; seconds until its final event (raises unless executed)."""
        body = json.dumps(self.body()).encode()
        start = time.perf_counter()
        status_code, payload = await self.raw.post("/api/v1/commands", body)
        if status_code not in (200, 202):  # 200: the same idempotency key seen again
            raise RuntimeError(f"submit refused: {status_code} {payload[:200]!r}")
        accepted = time.perf_counter()
        command_id = json.loads(payload)["commandId"]
        self.recent.append(command_id)
        early = self.early.pop(command_id, None)
        if early is None:
            future: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
            self.waiting[command_id] = future
            early = await asyncio.wait_for(future, 30)
        at, status = early
        self.post_spans.append(accepted - start)
        self.event_spans.append(at - accepted)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != "executed":
            view = (await self.http.get(f"/api/v1/commands/{command_id}")).json()
            raise RuntimeError(f"command {status}: {view}")
        return at - start

    def split(self) -> dict[str, Any]:
        """POST → 202 and 202 → final event since the last call (where the client waited)."""
        out = {"post_to_202": stats(self.post_spans), "202_to_event": stats(self.event_spans)}
        self.post_spans, self.event_spans = [], []
        return out

    async def sequential(self, n: int, warmup: int = 20) -> list[float]:
        for _ in range(warmup):
            await self.one()
        return [await self.one() for _ in range(n)]

    async def in_flight(self, n: int, outstanding: int) -> tuple[list[float], float]:
        """``n`` commands with ``outstanding`` at once; latencies and commands/s."""
        samples: list[float] = []
        left = n

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                samples.append(await self.one())

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(outstanding)))
        return samples, n / (time.perf_counter() - start)

    async def sustained(self, seconds: float, outstanding: int) -> tuple[int, float, list[float]]:
        """Commands executed in ``seconds`` with ``outstanding`` at once."""
        done = 0
        samples: list[float] = []
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                samples.append(await self.one())
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(outstanding)))
        return done, time.perf_counter() - start, samples


class CpuWatch:
    """CPU seconds of each program of the stack (and this client) over a window."""

    def __init__(self, stack: Stack) -> None:
        self.procs = {
            name: psutil.Process(program.proc.pid)
            for name, program in stack.programs.items()
            if program.proc is not None
        }
        self.procs["bench client"] = psutil.Process()
        self._start = self._now()
        self._t0 = time.perf_counter()

    def _now(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            times = proc.cpu_times()
            out[name] = times.user + times.system
        return out

    def percent(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._t0
        end = self._now()
        return {k: round((end[k] - self._start[k]) / elapsed * 100, 1) for k in end}


def rss_mb(stack: Stack, name: str) -> float:
    program = stack.programs[name]
    assert program.proc is not None
    return round(psutil.Process(program.proc.pid).memory_info().rss / 2**20, 1)


def startup(stack: Stack, runs: int) -> dict[str, Any]:
    """Executor start-up: process start → ready line, and → reconciled with the terminal."""
    ready, reconciled = [], []
    for _ in range(runs):
        stack.programs["executor"].stop()
        start = time.perf_counter()
        stack.start_executor(wait_reconciled=False)
        program = stack.programs["executor"]
        program.wait_for("fx-executor ready", 30)
        ready.append(time.perf_counter() - start)
        program.wait_for("reconciled with the terminal", 30)
        reconciled.append(time.perf_counter() - start)
    return {
        "runs": runs,
        "to_ready_ms": stats(ready),
        "to_reconciled_ms": stats(reconciled),
        "rss_after_start_mb": rss_mb(stack, "executor"),
    }


async def phases(strategy: Strategy, command_ids: list[str]) -> dict[str, Any]:
    """Where a command's time went, from the brain's own timestamps (last 200 commands)."""
    spans: dict[str, list[float]] = {
        "created_to_sent": [],
        "sent_to_acknowledged": [],
        "acknowledged_to_executed": [],
    }
    for command_id in command_ids[-200:]:
        view = (await strategy.http.get(f"/api/v1/commands/{command_id}")).json()
        t = {
            k: datetime.fromisoformat(view[k]).timestamp()
            for k in ("createdAt", "sentAt", "acknowledgedAt", "executedAt")
            if view.get(k)
        }
        if len(t) == 4:
            spans["created_to_sent"].append(t["sentAt"] - t["createdAt"])
            spans["sent_to_acknowledged"].append(t["acknowledgedAt"] - t["sentAt"])
            spans["acknowledged_to_executed"].append(t["executedAt"] - t["acknowledgedAt"])
    return {k: stats(v) for k, v in spans.items()}


def start_profiles(
    stack: Stack, folder: Path | None, seconds: float, prefix: str = "e2e"
) -> dict[str, Any]:
    """py-spy on the brain and the executor for the sustained window (with idle stacks)."""
    if folder is None:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    out = {}
    for name in ("brain", "executor"):
        proc = stack.programs[name].proc
        assert proc is not None
        path = folder / f"{prefix}-{name}.txt"
        argv = [
            str(spy),
            "record",
            "--pid",
            str(proc.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--idle",
            "--format",
            "raw",
            "--output",
            str(path),
        ]
        out[name] = (
            subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            path,
        )
    return out


def finish_profiles(profilers: dict[str, Any]) -> dict[str, Any]:
    summary = {}
    for name, (proc, path) in profilers.items():
        proc.wait(60)
        summary[name] = {"file": str(path), "top": top_frames(path)}
    return summary


#: innermost frames of a thread that is waiting, not working. The brain's database
#: threads wait in ``_Worker._run`` (a C queue get: its only leaf time). The brain runs
#: uvloop, whose loop is C: py-spy shows its epoll wait, and its own C work on sockets,
#: as ``Runner.run``, counted idle here (the Python the loop runs shows as deeper frames).
IDLE_LEAVES = (
    "select (selectors.py",
    "poll (zmq/sugar/poll.py",
    "_worker (concurrent/",
    "_Worker._run (brain_server/database.py",
    "Runner.run (asyncio/runners.py",
)
IDLE_CALLS = ("EpollSelector.select", "Poller.poll", "Condition.wait", "_worker (")
OURS = ("brain_server/", "executor_app/", "fx_protocol/", "mt5_simulator/")


def top_frames(path: Path, n: int = 12) -> dict[str, Any]:
    """Where the busy threads were when sampled (py-spy raw, idle stacks included).

    Samples whose innermost frame is a wait (select, ZeroMQ poll, an idle pool
    worker) count as idle. Of the rest: the innermost frames, and the share of
    each of our functions on the stack (inclusive).
    """
    if not path.exists():
        return {}
    leaves: dict[str, int] = {}
    ours: dict[str, int] = {}
    total = busy = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        if leaf.startswith(IDLE_CALLS) or any(x in leaf for x in IDLE_LEAVES):
            continue
        busy += int(count)
        name = leaf.split(" (")[0]
        where = leaf[leaf.find("(") + 1 : leaf.rfind(")")] if "(" in leaf else ""
        key = f"{name} ({Path(where).name})"
        leaves[key] = leaves.get(key, 0) + int(count)
        seen = set()
        for frame in frames:
            if any(o in frame for o in OURS) and "/cli.py" not in frame:  # not entry points
                fn = frame.split(" (")[0]
                file = frame[frame.find("(") + 1 : frame.rfind(":")]
                label = f"{fn} ({Path(file).name})"
                if label not in seen:
                    seen.add(label)
                    ours[label] = ours.get(label, 0) + int(count)
    if not total or not busy:
        return {"busy_pct": 0.0}

    def top(table: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(table.items(), key=lambda kv: -kv[1])[:n]
        return [(k, round(v / busy * 100, 1)) for k, v in ranked]

    return {"busy_pct": round(busy / total * 100, 1), "leaves": top(leaves), "ours": top(ours)}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    stack = open_stack()
    report: dict[str, Any] = {"benchmark": "e2e", "machine_at_start": machine()}
    try:
        async with Strategy(stack) as strategy:
            report["sequential"] = stats(await strategy.sequential(args.commands), cdf=True)
            report["sequential"]["split"] = strategy.split()
            samples, rate = await strategy.in_flight(args.commands * 2, 32)
            report["in_flight_32"] = {**stats(samples, cdf=True), "commands_per_s": round(rate, 1)}
            report["in_flight_32"]["split"] = strategy.split()
            watch = CpuWatch(stack)
            profilers = start_profiles(stack, args.profile, args.sustain)
            done, elapsed, samples = await strategy.sustained(args.sustain, 64)
            split = strategy.split()
            report["sustained"] = {
                "split": split,
                "outstanding": 64,
                "seconds": round(elapsed, 2),
                "executed": done,
                "commands_per_s": round(done / elapsed, 1),
                "latency": stats(samples),
                "cpu_pct": watch.percent(),
            }
            report["statuses"] = strategy.statuses
            report["phases_ms"] = await phases(strategy, strategy.recent)
        if profilers:
            report["profiles"] = finish_profiles(profilers)
        report["executor"] = {"rss_after_load_mb": rss_mb(stack, "executor")}
        report["brain"] = {"rss_after_load_mb": rss_mb(stack, "brain")}
        report["executor"]["startup"] = startup(stack, args.startup_runs)
    finally:
        stack.stop()
    report["durability"] = {
        "brain": "SQLite WAL, synchronous=FULL (shipped default): one fsync per submit",
        "executor": "journal as shipped (commits before and after each terminal request)",
    }
    report["machine"] = machine()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500, help="sequential commands timed")
    parser.add_argument("--sustain", type=float, default=10.0, help="sustained window, seconds")
    parser.add_argument("--startup-runs", type=int, default=3, help="executor restarts timed")
    parser.add_argument(
        "--profile", type=Path, help="py-spy raw profiles of the sustained run here"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "e2e.json", help="JSON report")
    args = parser.parse_args(argv)
    if args.commands < 1 or args.sustain <= 0 or args.startup_runs < 1:
        parser.error("--commands, --sustain and --startup-runs must be positive")
    report = asyncio.run(measure(args))
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
