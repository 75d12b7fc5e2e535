# ruff: noqa: E501, RUF001 - markdown table templates: long lines and the multiplication sign are the output
"""The before → after section: the command-path changes since the 07:12 run and their figures."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt

# The full run of 2026-11-21T07:12 UTC (commit 102161b, load 1.4), before the command-path
# changes listed in section(); kept here so every later run prints before → after.
BEFORE: dict[str, float] = {
    "relay floor p50 ms": 0.476,
    "e2e one at a time p50 ms": 7.98,
    "e2e one at a time p99 ms": 24.35,
    "one at a time POST → 202 p50 ms": 2.38,
    "one at a time 202 → executed event p50 ms": 5.45,
    "e2e 32 in flight p50 ms": 83.63,
    "commands/s, 32 in flight": 329.9,
    "commands/s sustained, 64 in flight": 259.1,
    "CPU ms per command: brain": 1.97,
    "CPU ms per command: executor": 1.65,
    "CPU ms per command: sim": 0.5,
    "CPU ms per command: bench client": 0.52,
    "executor loop p50 ms (bench_executor)": 2.05,
    "executor's own share p50 ms": 1.41,
    "executor CPU ms per command (bench_executor)": 1.77,
    "brain submit p50 ms (bench_brain)": 3.72,
    "do-nothing POST p50 ms (same run)": 2.03,
    "brain submit − do-nothing POST p50 ms": 1.70,
    "submit → TRADE_SIGNAL p50 ms (bench_brain)": 4.15,
    "brain alone commands/s (bench_fleet)": 447.3,
    "brain alone CPU ms per command (bench_fleet)": 2.19,
}


def _after(r: dict[str, Any], targets: list[dict[str, Any]]) -> dict[str, Any]:
    e2e = r.get("e2e") or {}
    ex = dig(r, "executor", "commands") or {}
    rate = dig(e2e, "sustained", "commands_per_s")
    cpu = dig(e2e, "sustained", "cpu_pct") or {}
    share = next((t["figure"] for t in targets if t["target"].startswith("Executor's own")), None)
    after: dict[str, Any] = {
        "relay floor p50 ms": dig(r, "floors", "relay", "p50_ms"),
        "e2e one at a time p50 ms": dig(e2e, "sequential", "p50_ms"),
        "e2e one at a time p99 ms": dig(e2e, "sequential", "p99_ms"),
        "one at a time POST → 202 p50 ms": dig(e2e, "sequential", "split", "post_to_202", "p50_ms"),
        "one at a time 202 → executed event p50 ms": dig(
            e2e, "sequential", "split", "202_to_event", "p50_ms"
        ),
        "e2e 32 in flight p50 ms": dig(e2e, "in_flight_32", "p50_ms"),
        "commands/s, 32 in flight": dig(e2e, "in_flight_32", "commands_per_s"),
        "commands/s sustained, 64 in flight": rate,
        "executor loop p50 ms (bench_executor)": dig(ex, "loop_through_executor", "p50_ms"),
        "executor's own share p50 ms": share,
        "executor CPU ms per command (bench_executor)": dig(ex, "executor_cpu_ms_per_command"),
        "brain submit p50 ms (bench_brain)": dig(r, "brain", "submit", "brain", "p50_ms"),
        "do-nothing POST p50 ms (same run)": dig(r, "brain", "submit", "floor_http_post", "p50_ms"),
        "brain submit − do-nothing POST p50 ms": dig(r, "brain", "submit", "brain_added_p50_ms"),
        "submit → TRADE_SIGNAL p50 ms (bench_brain)": dig(
            r, "brain", "delivery", "submit_to_trade_signal", "p50_ms"
        ),
        "brain alone commands/s (bench_fleet)": dig(
            r, "fleet", "brain_throughput", "commands_per_s"
        ),
        "brain alone CPU ms per command (bench_fleet)": dig(
            r, "fleet", "brain_throughput", "brain_cpu_ms_per_command"
        ),
    }
    for name in ("brain", "executor", "sim", "bench client"):
        if rate and name in cpu:
            after[f"CPU ms per command: {name}"] = round(cpu[name] / 100 / rate * 1000, 2)
    return after


def section(lines: list[str], r: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    """The command-path changes since the 07:12 run, and what they did, before → after."""
    after = _after(r, targets)
    lines += [
        "## Command-path changes since the 07:12 run (before → after)",
        "",
        "Each change is its own commit; the owning package's tests passed after each "
        "(`tests/brain_server`, `tests/executor_app`, `tests/security`), `tests/e2e` after "
        "all three (once a race in its fault tests was fixed: they read the simulator's "
        "deals before the commands had executed, and failed the same without these "
        "changes). Both runs are on the same shared 2-core machine; single figures move by "
        "10–20 % between runs with the load alone, so read the table as a direction, not a "
        "precise gain per change.",
        "",
        "1. **REST authentication off the writer thread** (`brain_server/database.py`, "
        "`api.py`). Every request made two trips to the brain's single database thread "
        "(token lookup, then its allow-list), queued behind other requests' commits (an "
        "fsync each). Both reads are now one call on a second thread with its own read "
        "connection. Not a cache: in WAL mode a reader sees every committed change, so a "
        "token revoked or an allow-list changed by `fx-brain` (another process) applies to "
        "the very next request, as before (`tests/brain_server/test_auth.py`, "
        "`tests/security`).",
        "2. **No permessage-deflate on the brain's WebSockets** (`brain_server/cli.py`, "
        "uvicorn `ws_per_message_deflate=False`). The events stream compressed every "
        "frame (a few hundred bytes) for clients that offer deflate; the executor already "
        "connected without it.",
        "3. **One INFO log line per command in the executor** (`executor_app/runtime_terminal.py`): "
        "the per-fill line is DEBUG (the fill is in the journal and reported to the brain); "
        "the outcome line of each command, rejections, warnings, errors and every halt / "
        "safety line stay as they were.",
        "",
        "| figure | before (07:12 run) | this run |",
        "|---|---:|---:|",
    ]
    for name, before in BEFORE.items():
        lines.append(f"| {name} | {fmt(before)} | {fmt(after.get(name))} |")
    lines += [
        "",
        "Reading it: the executor's CPU per command fell by about a fifth with only the "
        "logging change on its side; the brain's latency figures fell, but its do-nothing "
        "POST floor fell almost as much in the same run (a quieter machine), so compare "
        "the brain's *added* time (submit − do-nothing POST), not the raw p50s. The brain "
        "alone at 64 in flight (`bench_fleet`) did not move: there its CPU per command is "
        "HTTP handling and the store's commits, which these changes do not touch.",
        "",
        "**Looked at and left as they are, on purpose:**",
        "",
        "- *Executor commits per command.* Three, each already one transaction: the journal "
        "entry with its ACK before the TRADE is sent (mandatory), the terminal's reply "
        "with its EXECUTION_RESULT outbox entry (already merged), and the deal with its FILL "
        "(it arrives later, on the terminal's event stream, so it cannot join the result). "
        "The journal already runs WAL with `synchronous=NORMAL`: safe against a crash of "
        "the process; what a power loss of the executor's machine could lose is covered by "
        "the terminal's idempotency ledger (a TRADE with a known command id answers its "
        "first outcome, `duplicate: true`) and by `QUERY_COMMAND` reconciliation "
        "(docs/reliability.md).",
        "- *The brain's `sent` mark before TRADE_SIGNAL* keeps `synchronous=FULL` (one "
        "fsync per delivery round, ~0.3 ms more than NORMAL in `bench_brain`'s store rows). "
        "NORMAL there looks safe on paper: a mark rolled back by a power loss leaves the "
        "command `pending`, it is sent again (without `possibleDuplicate`, which the "
        "executor does not rely on), and the executor's journal or the terminal's ledger "
        "dedups it by command id. It was not changed in this round: it is a durability "
        "trade-off in the store, which was being split into a package at the time, and "
        "it needs a fault-drill run to back it, not only an argument. Folding the claim "
        "into the submit's transaction when the executor is online would save the fsync "
        "too, but moves delivery order and sequence numbering out of the session: a "
        "structural change, not done here.",
        "- *The submit commit* (the 202 promise) keeps `synchronous=FULL`.",
        "- *One command at a time to the terminal* stays (order of execution; the EA's "
        "`OrderSend` is synchronous).",
        "",
    ]
