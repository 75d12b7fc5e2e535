# ruff: noqa: RUF001 - the multiplication sign and dashes in the strings are the output
"""What holds the missed targets back, in the run's own numbers."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt, machine_of


def section(lines: list[str], r: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    """What holds the missed targets back, in this run's own numbers."""
    e2e, floors, brain = r.get("e2e") or {}, r.get("floors") or {}, r.get("brain") or {}
    ex = dig(r, "executor", "commands") or {}
    missed = [t for t in targets if t["verdict"] == "MISS"]
    lines += ["## What holds the missed targets back", ""]
    if not missed:
        lines += ["Every measured target passed in this run.", ""]
        return
    seq = dig(e2e, "sequential", "p50_ms")
    http = dig(brain, "submit", "floor_http_post", "p50_ms")
    fsync = dig(brain, "submit", "store_only_synchronous_full", "p50_ms")
    nosync = dig(brain, "submit", "store_only_synchronous_normal", "p50_ms")
    direct = dig(ex, "floor_direct_trade", "p50_ms")
    loop = dig(ex, "loop_through_executor", "p50_ms")
    relay = dig(floors, "relay", "p50_ms")
    lines += [
        "**Latency, one command at a time.** The relay floor "
        f"({fmt(relay)} ms) is two socket hops with nothing done; a command end to end "
        f"({fmt(seq)} ms p50) also pays, measured in this same run: an HTTP POST on the "
        f"brain's own stack with a do-nothing handler, {fmt(http)} ms p50 (httpx client + "
        "Litestar on uvicorn with httptools: HTTP in Python on both ends, more than the whole "
        "relay floor by itself); the brain's durable submit, "
        f"{fmt(fsync)} ms for the SQLite commit "
        f"with `synchronous=FULL` (the same commit with NORMAL: {fmt(nosync)} ms: nearly all "
        "of it is the fsync); the delivery claim, the executor's journal commits and the "
        f"terminal's own trade (TRADE straight to the simulator: {fmt(direct)} ms p50); the "
        f"executor's loop alone is {fmt(loop)} ms p50 signal → result. The target compares "
        "a REST + fsync path with a bare WebSocket/ZeroMQ relay, so on this machine it is "
        "missed by the HTTP and disk floors before any of our code runs; the tables below "
        "give each part beside its own floor.",
        "",
    ]
    rate = dig(e2e, "sustained", "commands_per_s")
    cpu = dig(e2e, "sustained", "cpu_pct") or {}
    load = dig(r, "_suite", "load_at_start", 0) or 0
    cpus = machine_of(r.get("_suite")).get("cpus") or 2
    busy_note = (
        "The processes also used less CPU than the wall time allows: on this shared machine "
        f"(load average {fmt(load)} on {cpus} cores at the start) they wait in the run "
        "queue, which psutil does not count. "
        if load > cpus
        else ""
    )
    if rate:
        per = {k: round(v / 100 / rate * 1000, 2) for k, v in cpu.items()}
        total = round(sum(per.values()), 2)
        lines += [
            f"**Throughput.** {fmt(rate)} commands/s sustained. CPU per command in this run "
            "(CPU share ÷ commands/s): "
            + ", ".join(f"{k} {v} ms" for k, v in per.items())
            + f"; {total} ms in all, so two idle cores could not go past "
            f"~{fmt(2000 / total if total else None, digits=0)} commands/s with these programs, "
            f"one core per process ~{fmt(1000 / max(per.values()) if per else None, digits=0)}. "
            + busy_note
            + "The brain's share is mostly HTTP "
            "(Litestar routing, validation and the token guard's trip to the read thread, on "
            "uvicorn with httptools and uvloop: ~44 % of its samples), its database thread "
            "(~24 %) and WebSocket sends (~14 %: a TRADE_SIGNAL, an ACK and four events per "
            "command); durability costs one fsync per batch (group commit of submits, and of "
            "an executor's ACK/RESULT/FILL messages). 3,000 commands/s end to end would need "
            "well under 0.3 ms of CPU per command across brain, executor and terminal, "
            "which this Python stack does not reach; see the profiles at the end.",
            "",
        ]
    ph = dig(e2e, "phases_ms")
    if ph:
        lines += [
            "**Queueing under load.** The phase table (brain timestamps) shows where "
            "commands wait when 32–64 are outstanding: "
            + ", ".join(
                f"{k.replace('_', ' ')} p50 {fmt(dig(v, 'p50_ms'))} ms" for k, v in ph.items()
            )
            + ". Before an earlier fix (commit 'Brain: an executor's consecutive "
            "ACK/RESULT/FILL messages are stored in one transaction'), the brain stored "
            "each executor message with its own commit and read the next frame only after "
            "it: sent → acknowledged was 1.5 s p50 at 64 in flight, 48 ms after.",
            "",
        ]
    split = dig(e2e, "sustained", "split")
    if split:
        post = dig(split, "post_to_202", "p50_ms") or 0
        after = dig(split, "202_to_event", "p50_ms") or 0
        where = (
            "the queue is mostly at the HTTP submit (the brain's event loop and its group commit)"
            if post > after
            else "the queue is mostly after the submit (delivery, executor, terminal, results)"
        )
        lines += [
            f"Client side of the same window: POST → 202 p50 {fmt(post)} ms, 202 → executed "
            f"event p50 {fmt(after)} ms: {where}.",
            "",
        ]
    trades = dig(r, "mt5sim", "commands", "trade_sequential_per_s")
    lines += [
        "**One executor is one terminal.** The executor sends a command to the terminal "
        "only after the previous one is answered (the EA's `OrderSend` is synchronous, and "
        "order of execution is kept), so one executor's commands/s cannot exceed the "
        "terminal's sequential trade rate: the simulator alone does "
        f"{fmt(trades)} TRADE requests/s one after another (`bench_mt5sim.py`, this run), "
        "a real MT5 terminal talking to a broker far fewer. The sustained figure is one "
        "executor; 3,000 commands/s end to end is a fleet figure, not one terminal's.",
        "",
    ]
    lines += [
        "Two more limits to know: as shipped, one API token may make "
        "`rest_rate_per_second` = 1,000 REST requests/s (burst 2,000; HTTP 429 beyond), so "
        "3,000 commands/s from one strategy needs that setting raised or several tokens. "
        "And the load generator matters on two cores: with httpx (what `fx_client` uses) "
        "the bench client itself took ~10 ms of CPU per command and the suite measured "
        "24 commands/s sustained; `bench_e2e.py` now submits through a minimal HTTP/1.1 "
        "client (`RawHttp`, its CPU is in the table above).",
        "",
    ]
    lines += [
        "**Ticks and GUI.** Command p99 under ticks and the GUI lag with its window open are "
        "p99 figures on a shared 2-core machine where the simulator, the executor, the brain "
        "and the bench all compete for the same cores while ticks flow; the executor's "
        "CPU at the top rate and the simulator's delivered rate are in the tick table. "
        "Hop timestamps at 20,000 ticks/s against idle (p50) found no queue where a command "
        "waits behind ticks, only every wake-up on its path a little later: the terminal "
        "picking up the TRADE +0.15–0.25 ms, its handling 0.35 → 0.47 ms, the bridge waking "
        "on the reply +0.1–0.2 ms, each about +1 ms at p90; with the executor not subscribed "
        "to ticks at all, p50 still rose ~0.9 ms. Two cores shared by four busy processes: "
        "the cure is less CPU per tick, which is what the tick-path changes did. "
        "GUI figures come from `bench_gui.py` (the GUI engineer's), reported as measured.",
        "",
    ]
