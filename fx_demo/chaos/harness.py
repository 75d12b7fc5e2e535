"""One fault drill run: the real brain, terminal and executor, a seeded workload through the
REST API, seeded faults between and inside them, then the invariants.

    report = asyncio.run(Harness(RunConfig(commands=2000, faults=30, seed=7)).run())
    assert report["violations"] == []

The executor reaches the brain through :class:`FaultProxy`. Faults are spread over the
run by command count (fault *i* fires once about ``(i+1)/(faults+1)`` of the commands are
submitted; the workload waits for a lagging drill so faults never bunch at the end).
"""

from __future__ import annotations

import asyncio
import json
import platform
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from fx_demo.chaos.evidence import BrainReader, sim_deal_count
from fx_demo.chaos.faults import DRILLS
from fx_demo.chaos.invariants import ClockSegment, Evidence, check
from fx_demo.chaos.proxy import FaultProxy
from fx_demo.chaos.workload import ALLOWED, MAX_VOLUME, Book, Planned, Workload
from fx_demo.stack import Stack

LIMITS = {
    "allowed_symbols": list(ALLOWED),
    "max_volume_per_order": MAX_VOLUME,
    "max_total_volume_per_symbol": 100_000.0,
    "max_open_positions": 0,
    "max_orders_per_minute": 0,
    "daily_loss_limit": 0.0,
    "max_price_deviation_pct": 1.0,
}
#: the brain notices a dead link within seconds, not the production 30 s
BRAIN_ENV = {"FX_BRAIN_HEARTBEAT_INTERVAL_MS": "1000", "FX_BRAIN_HEARTBEAT_TIMEOUT_MS": "4000"}


@dataclass
class RunConfig:
    commands: int = 2000
    faults: int = 30
    seed: int = 7
    concurrency: int = 8
    #: the workload waits while this many commands are not yet final
    max_outstanding: int = 200
    halt_windows: int = 1
    #: risk-adding commands submitted inside each HALTED window
    halt_commands: int = 20
    kinds: tuple[str, ...] = tuple(DRILLS)
    settle_timeout: float = 180.0
    #: stop submitting after this long (0 = never) and report the size reached
    max_seconds: float = 0.0
    root: Path | None = None
    keep: bool = False
    verbose: bool = False


class ChaosStack(Stack):
    """The launcher's Stack with brain heartbeats tightened for drills."""

    def _env(self) -> dict[str, str]:
        return {**super()._env(), **BRAIN_ENV}


@dataclass
class FaultRecord:
    index: int
    kind: str
    at_command: int
    started_s: float
    seconds: float
    detail: str
    recovered_s: float


@dataclass
class HaltWindow:
    start_ms: int = 0
    end_ms: int = 0
    commands: int = 0


class Harness:
    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.stack = ChaosStack(
            limits=LIMITS,
            sim_args=["--balance", "100000000", "--tick-rate", "20"],
            root=config.root,
            keep=config.keep,
            executor_settings={"terminal": {"request_timeout_seconds": 2.0}},
        )
        self.proxy = FaultProxy(self.stack.brain_port)
        self.book = Book()
        self.planned: list[Planned] = []
        self.faults: list[FaultRecord] = []
        self.halts: list[HaltWindow] = []
        self.clock: list[ClockSegment] = []
        self._offset = 0
        self._submitted = 0
        self._faults_done = 0
        self._halted: HaltWindow | None = None
        self._producer_done = False
        self._stopped_early = False
        self.errors: list[str] = []
        self.reader = BrainReader(self.stack.brain_db)
        self._t0 = 0.0

    # ---------------------------------------------------------------- helpers used by drills

    def log(self, text: str) -> None:
        if self.config.verbose:
            print(f"[{time.monotonic() - self._t0:8.1f}s] {text}", flush=True)

    def sim_deals(self) -> int:
        return sim_deal_count(self.stack.sim_state)

    def sim_restarted(self) -> None:
        self._offset = 0
        self.clock.append(ClockSegment(_now_ms(), 0))

    def clock_jumped(self, ms: int) -> None:
        self._offset += ms
        self.clock.append(ClockSegment(_now_ms(), self._offset))

    async def start(self, name: str) -> None:
        start = {
            "brain": self.stack.start_brain,
            "sim": self.stack.start_sim,
            "executor": self.stack.start_executor,
        }[name]
        await asyncio.to_thread(start)

    async def restart(self, name: str) -> None:
        await asyncio.to_thread(self.stack.programs[name].stop)
        await self.start(name)

    # ---------------------------------------------------------------- run

    async def run(self) -> dict[str, Any]:
        self._t0 = time.monotonic()
        self.proxy.start()
        self.stack.brain_ws = f"ws://127.0.0.1:{self.proxy.port}/ws/executor"
        started = time.time()
        try:
            await asyncio.to_thread(self.stack.start)
            self.clock.append(ClockSegment(_now_ms(), 0))
            self.workload = Workload(
                self.config.seed, self.stack.executor_id, f"k{self.config.seed}"
            )
            headers = {"Authorization": f"Bearer {self.stack.token}"}
            async with httpx.AsyncClient(
                base_url=self.stack.brain_http, headers=headers, timeout=10
            ) as self.http:
                tracker = asyncio.create_task(self._track())
                drills = asyncio.create_task(self._drills())
                await self._produce()
                await drills
                settled = await self._settle()
                tracker.cancel()
            return await asyncio.to_thread(self._report, started, settled)
        finally:
            self.reader.close()
            await asyncio.to_thread(self.stack.stop)
            self.proxy.close()

    def _thresholds(self) -> list[int]:
        n, total = self.config.faults, self.config.commands
        rng = random.Random(self.config.seed + 1)
        return [
            int(total * (i + 1) / (n + 1) + rng.uniform(-0.3, 0.3) * total / (n + 1))
            for i in range(n)
        ]

    async def _produce(self) -> None:
        thresholds = self._thresholds()
        pending: set[asyncio.Task[None]] = set()
        index = 0
        while index < self.config.commands:
            if self.config.max_seconds and time.monotonic() - self._t0 > self.config.max_seconds:
                self.log(f"time budget spent: stopping at {index} commands")
                self._stopped_early = True
                break
            # A drill that lags must not be left to fire after the workload is over.
            while self._halted is None and self._faults_done < sum(  # noqa: ASYNC110 - polls another process's state
                t < index - 1 for t in thresholds
            ):
                await asyncio.sleep(0.02)
            while self.reader.outstanding() >= self.config.max_outstanding:  # noqa: ASYNC110 - polls another process's state
                await asyncio.sleep(0.05)
            halt = self._halted
            if halt is not None and halt.commands >= self.config.halt_commands:
                await asyncio.sleep(0.02)
                continue
            planned = self.workload.next(index, self.book, halted=halt is not None)
            planned.halted = halt is not None
            if halt is not None:
                halt.commands += 1
            index += 1
            if len(pending) >= self.config.concurrency:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending.add(asyncio.create_task(self._submit(planned)))
        if pending:
            await asyncio.wait(pending)
        self._producer_done = True

    async def _submit(self, planned: Planned) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                response = await self.http.post("/api/v1/commands", json=planned.body)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 202:
                planned.command_id = response.json()["commandId"]
                planned.submitted_ms = _now_ms()
                self.planned.append(planned)
                if planned.same_as is None:
                    self.book.done.append(planned)
                self._submitted += 1
                return
            if response is not None and response.status_code < 500:
                self.errors.append(f"#{planned.index} {response.status_code} {response.text[:200]}")
                return
            if time.monotonic() > deadline:
                self.errors.append(f"#{planned.index} no 202 within 120 s")
                return
            await asyncio.sleep(0.1)  # brain down: retry with the same idempotency key

    async def _track(self) -> None:
        """Feed the workload tickets and quotes from the brain's results (read-only)."""
        cursor = 0
        while True:
            try:
                cursor, rows = await asyncio.to_thread(self.reader.results_since, cursor)
                for row in rows:
                    payload = row["payload"]
                    action = _field(payload, "action")
                    if action == "OPEN_POSITION" and row["ticket"]:
                        side = _field(payload, "type")
                        symbol = _field(payload, "symbol")
                        self.book.positions[int(row["ticket"])] = (
                            symbol,
                            side,
                            float(row["price"] or 0),
                        )
                    elif action == "PLACE_ORDER" and row["ticket"]:
                        self.book.orders.append(int(row["ticket"]))
                if len(self.book.positions) > 400:
                    for ticket in list(self.book.positions)[:100]:
                        self.book.positions.pop(ticket)
                self.book.quotes = await asyncio.to_thread(self.reader.quotes)
            except Exception as exc:  # the brain is being restarted: try again shortly
                self.log(f"tracker: {exc}")
            await asyncio.sleep(0.3)

    async def _drills(self) -> None:
        thresholds = self._thresholds()
        halt_at = {
            int(self.config.commands * (i + 0.5) / max(1, self.config.halt_windows))
            for i in range(self.config.halt_windows)
        }
        halts_left = sorted(halt_at)
        # Every kind in turn (shuffled rounds), so a run of n x kinds faults covers each n times.
        order: list[str] = []
        while len(order) < len(thresholds):
            round_ = list(self.config.kinds)
            self.rng.shuffle(round_)
            order += round_
        for i, threshold in enumerate(thresholds):
            if self._stopped_early:
                break
            while self._submitted < threshold and not self._producer_done:
                if halts_left and self._submitted >= halts_left[0]:
                    halts_left.pop(0)
                    await self._halt_window()
                await asyncio.sleep(0.02)
            kind = order[i]
            began = time.monotonic()
            self.log(f"fault {i} {kind} at command {self._submitted}")
            detail = await DRILLS[kind](self, self.rng)
            held = time.monotonic() - began
            self.proxy.heal()
            await self._recovered()
            self.faults.append(
                FaultRecord(
                    i,
                    kind,
                    self._submitted,
                    round(began - self._t0, 2),
                    round(held, 2),
                    detail,
                    round(time.monotonic() - began - held, 2),
                )
            )
            self._faults_done += 1
        while halts_left and not self._producer_done:
            if self._submitted >= halts_left[0]:
                halts_left.pop(0)
                await self._halt_window()
            await asyncio.sleep(0.02)

    async def _recovered(self, within: float = 90.0) -> None:
        """Every program up and the executor online and reconciled again."""
        for name in ("brain", "sim", "executor"):
            if not self.stack.programs[name].running:
                self.log(f"{name} not running after a drill: starting it")
                await self.start(name)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                view = (await self.http.get(f"/api/v1/executors/{self.stack.executor_id}")).json()
                if view.get("online") and view.get("reconciled"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.1)
        self.errors.append("executor not back online within 90 s after a drill")

    async def _halt_window(self) -> None:
        """HALT, confirm the executor reports HALTED, let risk commands in, then resume."""
        executor = f"/api/v1/executors/{self.stack.executor_id}"
        await self.http.post(f"{executor}/halt", json={"flatten": False, "reason": "drill"})
        while (await self.http.get(executor)).json().get("tradingState") != "HALTED":  # noqa: ASYNC110 - polls another process's state
            await asyncio.sleep(0.05)
        window = HaltWindow(start_ms=_now_ms())
        self.log("HALTED window opens")
        self._halted = window
        while window.commands < self.config.halt_commands and not self._producer_done:  # noqa: ASYNC110 - polls another process's state
            await asyncio.sleep(0.05)
        self._halted = None
        for _ in range(600):  # up to a minute for the window's commands to be answered
            mine = [p for p in self.planned if p.halted and p.command_id]
            if len(mine) >= window.commands and self.reader.outstanding() == 0:
                break
            await asyncio.sleep(0.1)
        window.end_ms = _now_ms()
        self.halts.append(window)
        await self.http.post(f"{executor}/resume", json={"reason": "drill over"})
        while (await self.http.get(executor)).json().get("tradingState") == "HALTED":  # noqa: ASYNC110 - polls another process's state
            await asyncio.sleep(0.05)
        self.log("HALTED window closed")

    async def _settle(self) -> dict[str, float]:
        """Faults over: wait until every command is final and every deal reached the brain."""
        began = time.monotonic()
        self.proxy.heal()
        await asyncio.to_thread(
            self.stack.sim_control,
            True,
            replyDelayMs=0,
            dropTradeReplies=0,
            rejectNext=0,
            heartbeats=True,
            crashAfterTrades=0,
            crashBeforeTrade=0,
        )
        await self._recovered()
        deadline = began + self.config.settle_timeout
        while time.monotonic() < deadline and self.reader.outstanding() > 0:  # noqa: ASYNC110 - polls another process's state
            await asyncio.sleep(0.2)
        final_s = time.monotonic() - began
        stable = 0
        while time.monotonic() < deadline and stable < 5:
            same = self.reader.fill_count() == self.sim_deals()
            stable = stable + 1 if same else 0
            await asyncio.sleep(0.2)
        return {"final_s": round(final_s, 2), "fills_s": round(time.monotonic() - began, 2)}

    def _report(self, started: float, settled: dict[str, float]) -> dict[str, Any]:
        deals = self.stack.deals()
        commands = self.reader.commands()
        evidence = Evidence(
            commands=commands,
            fills=self.reader.fills(),
            deals=deals,
            planned=self.planned,
            halt_windows=[(h.start_ms, h.end_ms) for h in self.halts],
            clock=self.clock,
            allowed_symbols=frozenset(ALLOWED),
            max_volume=MAX_VOLUME,
        )
        violations = check(evidence)
        if self.config.keep:
            with (self.stack.root / "planned.jsonl").open("w", encoding="utf-8") as out:
                for p in self.planned:
                    out.write(json.dumps(asdict(p)) + "\n")
        wall = time.time() - started
        kinds: dict[str, int] = {}
        for f in self.faults:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        workload: dict[str, int] = {}
        for p in self.planned:
            workload[p.kind] = workload.get(p.kind, 0) + 1
        return {
            "config": {
                k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.config).items()
            },
            "host": {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": __import__("os").cpu_count(),
            },
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "wall_seconds": round(wall, 1),
            "submitted": len(self.planned),
            "stopped_early": self._stopped_early,
            "brain_commands": len(commands),
            "workload": workload,
            "statuses": self.reader.status_counts(),
            "reasons": self.reader.reason_counts(),
            "deals": len(deals),
            "fills": len(evidence.fills),
            "faults": [asdict(f) for f in self.faults],
            "fault_kinds": kinds,
            "halt_windows": [asdict(h) for h in self.halts],
            "settle": settled,
            "harness_errors": self.errors,
            "violations": [v.as_dict() for v in violations],
            "logs": str(self.stack.root) if self.config.keep or self.config.root else None,
        }


def _field(payload: str, name: str) -> str:
    import json

    return str(json.loads(payload).get(name) or "")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
