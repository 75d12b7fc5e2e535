"""Transport floors: what the wires cost with none of our code, measured on this machine now.

    uv run python benchmarks/floors.py [--n 2000] [--out benchmarks/results/floors.json]

Each server runs in its own process (as the real programs do) and every
round trip carries frames of the same size as the real messages
(``bench_codec.typical_messages``: TRADE_SIGNAL out, EXECUTION_RESULT back on
the WebSocket; TRADE request and TRADE_REPLY on ZeroMQ):

- ``ws_echo``: a websockets client ↔ a websockets echo server on loopback;
- ``zmq_echo``: a DEALER ↔ a ROUTER echo process;
- ``relay``: client → WebSocket → relay process → ZeroMQ DEALER → ROUTER echo
  process → back the same way: the shape of brain → executor → terminal with
  every line of our code taken out. One at a time, and with 32 in flight
  (latency per message and messages/s).

The figures of the other benchmarks are judged against these (ratios in
docs/performance.md). This module also holds the small helpers the suite
shares: ``stats`` (p50/p90/p99) and ``Child`` (a process that prints a ready
line).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from report_file import machine, write_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- shared helpers


def stats(samples_s: list[float], cdf: bool = False) -> dict[str, Any]:
    """p50/p90/p99/mean/max in milliseconds of samples in seconds; ``cdf``: 50 quantiles too."""
    ordered = sorted(samples_s)
    n = len(ordered)
    if n == 0:
        return {"n": 0}

    def pct(p: float) -> float:
        return round(ordered[min(n - 1, int(p * n))] * 1000, 4)

    out: dict[str, Any] = {
        "n": n,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
        "max_ms": round(ordered[-1] * 1000, 4),
    }
    if cdf:  # for the latency CDF plots of docs/performance.md
        out["quantiles_ms"] = [pct(q / 50) for q in range(50)] + [out["max_ms"]]
    return out


class Child:
    """A helper process of this suite: started, waited for its ``ready`` line, stopped."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.proc.stdout is not None
        self.ready_line = self.proc.stdout.readline().strip()
        if "ready" not in self.ready_line:
            self.stop()
            raise RuntimeError(f"{argv} did not start: {self.ready_line!r}")

    @property
    def port(self) -> int:
        return int(self.ready_line.split()[-1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def payloads() -> dict[str, bytes]:
    """The real messages of one command, encoded: their sizes are what the floors carry."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_codec import typical_messages

    from fx_protocol.codec import encode

    names = {
        "TRADE_SIGNAL (brain → executor)": "signal",
        "EXECUTION_RESULT (executor → brain)": "result",
        "TRADE request (executor → EA)": "trade",
        "TRADE_REPLY (EA → executor)": "reply",
    }
    return {names[k]: encode(msg) for k, (msg, _) in typical_messages().items()}


# ---------------------------------------------------------------- servers (own processes)


def _listening_port() -> tuple[Any, int]:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


async def _ws_echo_server() -> None:
    from websockets.asyncio.server import serve

    async def echo(ws: Any) -> None:
        async for frame in ws:
            await ws.send(frame)

    sock, port = _listening_port()
    async with serve(echo, sock=sock, compression=None, max_size=2**20, ping_interval=None):
        print(f"ws-echo ready {port}", flush=True)
        await asyncio.Future()


def _zmq_echo_server() -> None:
    """ROUTER that answers every request with a TRADE_REPLY-sized frame."""
    import zmq

    reply = payloads()["reply"]
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    print(f"zmq-echo ready {port}", flush=True)
    while True:
        frames = router.recv_multipart()
        # Keep the client's 8-byte tag (the relay's request id) in front of the reply.
        router.send_multipart([frames[0], frames[-1][:8] + reply])


async def _relay_server(zmq_port: int) -> None:
    """WebSocket in, DEALER out, and back: the executor's transport shape, nothing else."""
    import zmq
    import zmq.asyncio
    from websockets.asyncio.server import serve

    result = payloads()["result"]
    trade = payloads()["trade"]
    ctx = zmq.asyncio.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(f"tcp://127.0.0.1:{zmq_port}")
    clients: dict[bytes, Any] = {}

    async def replies() -> None:
        while True:
            frame = await dealer.recv()
            tag = frame[:8]
            ws = clients.pop(tag, None)
            if ws is not None:
                await ws.send((tag + result).decode())

    async def handler(ws: Any) -> None:
        async for frame in ws:
            tag = bytes(frame[:8]) if isinstance(frame, bytes) else frame[:8].encode()
            clients[tag] = ws
            await dealer.send(tag + trade)

    task = asyncio.create_task(replies())
    sock, port = _listening_port()
    async with serve(handler, sock=sock, compression=None, max_size=2**20, ping_interval=None):
        print(f"relay ready {port}", flush=True)
        await asyncio.Future()
    task.cancel()


# ---------------------------------------------------------------- clients


async def ws_round_trips(url: str, frame: bytes, n: int, warmup: int = 50) -> list[float]:
    from websockets.asyncio.client import connect

    samples = []
    async with connect(url, compression=None, max_size=2**20) as ws:
        text = frame.decode()  # the real wire sends JSON text frames
        for i in range(n + warmup):
            start = time.perf_counter()
            await ws.send(text)
            await ws.recv()
            if i >= warmup:
                samples.append(time.perf_counter() - start)
    return samples


async def ws_in_flight(url: str, frame: bytes, n: int, in_flight: int) -> tuple[list[float], float]:
    """``in_flight`` tagged frames outstanding; latency of each and messages/s overall."""
    from websockets.asyncio.client import connect

    samples: list[float] = []
    sent: dict[bytes, float] = {}
    counter = 0
    async with connect(url, compression=None, max_size=2**20) as ws:

        async def send_one() -> None:
            nonlocal counter
            counter += 1
            tag = b"%08d" % counter
            sent[tag] = time.perf_counter()
            await ws.send((tag + frame[8:]).decode())

        for _ in range(in_flight):
            await send_one()
        start = time.perf_counter()
        received = 0
        while received < n:
            reply = await ws.recv()
            now = time.perf_counter()
            tag = reply[:8] if isinstance(reply, bytes) else reply[:8].encode()
            samples.append(now - sent.pop(tag))
            received += 1
            if counter < n:
                await send_one()
        elapsed = time.perf_counter() - start
    return samples, n / elapsed


def zmq_round_trips(port: int, frame: bytes, n: int, warmup: int = 50) -> list[float]:
    import zmq

    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    samples = []
    for i in range(n + warmup):
        start = time.perf_counter()
        dealer.send(frame)
        dealer.recv()
        if i >= warmup:
            samples.append(time.perf_counter() - start)
    dealer.close()
    ctx.term()
    return samples


def measure(n: int) -> dict[str, Any]:
    frames = payloads()
    script = [sys.executable, __file__]
    ws = Child([*script, "--serve", "ws-echo"])
    zecho = Child([*script, "--serve", "zmq-echo"])
    relay = Child([*script, "--serve", "relay", "--zmq-port", str(zecho.port)])
    try:
        ws_url = f"ws://127.0.0.1:{ws.port}"
        relay_url = f"ws://127.0.0.1:{relay.port}"
        ws_echo = asyncio.run(ws_round_trips(ws_url, frames["signal"], n))
        zmq_echo = zmq_round_trips(zecho.port, frames["trade"], n)
        relay_one = asyncio.run(ws_round_trips(relay_url, b"%08d" % 0 + frames["signal"], n))
        relay_32, relay_rate = asyncio.run(
            ws_in_flight(relay_url, b"%08d" % 0 + frames["signal"], n * 2, 32)
        )
        ws_32, ws_rate = asyncio.run(
            ws_in_flight(ws_url, b"%08d" % 0 + frames["signal"], n * 2, 32)
        )
    finally:
        for child in (relay, zecho, ws):
            child.stop()
    return {
        "benchmark": "floors",
        "bytes": {k: len(v) for k, v in frames.items()},
        "ws_echo": stats(ws_echo, cdf=True),
        "ws_echo_32_in_flight": {**stats(ws_32), "messages_per_s": round(ws_rate, 1)},
        "zmq_echo": stats(zmq_echo, cdf=True),
        "relay": stats(relay_one, cdf=True),
        "relay_32_in_flight": {**stats(relay_32, cdf=True), "messages_per_s": round(relay_rate, 1)},
        "machine": machine(),
        "note": "loopback, one machine shared with other work; each server in its own process",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="timed round trips per figure")
    parser.add_argument("--out", type=Path, default=RESULTS / "floors.json", help="JSON report")
    parser.add_argument("--serve", choices=["ws-echo", "zmq-echo", "relay"], help=argparse.SUPPRESS)
    parser.add_argument("--zmq-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be >= 1")
    if args.serve == "ws-echo":
        asyncio.run(_ws_echo_server())
        return 0
    if args.serve == "zmq-echo":
        _zmq_echo_server()
        return 0
    if args.serve == "relay":
        asyncio.run(_relay_server(args.zmq_port))
        return 0
    report = measure(args.n)
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(1)
