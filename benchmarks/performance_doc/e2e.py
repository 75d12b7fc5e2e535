# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The end-to-end section: REST submit until the executed event (benchmarks/bench_e2e.py)."""

from __future__ import annotations

from typing import Any

from .latency_rows import LAT_HEAD, lat_row
from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any], pictures: dict[str, str]) -> None:
    e = r.get("e2e")
    if not e:
        return
    f = r.get("floors") or {}
    lines += ["## End to end (benchmarks/bench_e2e.py)", ""]
    lines.append(
        "Real `fx-brain`, `fx-mt5sim` and `fx-executor --headless` on loopback "
        f"(`fx_demo.stack.Stack`), durability as shipped: {dig(e, 'durability', 'brain')}; "
        f"executor: {dig(e, 'durability', 'executor')}. Latency = `POST /api/v1/commands` "
        "until `COMMAND_STATUS executed` is read from `/ws/events`."
    )
    lines += ["", LAT_HEAD]
    lines.append(lat_row("one at a time (vs relay)", e.get("sequential"), f.get("relay")))
    lines.append(
        lat_row(
            "32 in flight (vs relay, 32 in flight)",
            e.get("in_flight_32"),
            f.get("relay_32_in_flight"),
        )
    )
    lines.append(lat_row("64 in flight, sustained", dig(e, "sustained", "latency")))
    lines += [
        "",
        f"Throughput: {fmt(dig(e, 'in_flight_32', 'commands_per_s'))} commands/s with 32 in "
        f"flight; {fmt(dig(e, 'sustained', 'commands_per_s'))} commands/s sustained over "
        f"{fmt(dig(e, 'sustained', 'seconds'))} s with 64 in flight "
        f"({fmt(dig(e, 'sustained', 'executed'))} executed). Relay floor: "
        f"{fmt(dig(f, 'relay_32_in_flight', 'messages_per_s'))} messages/s.",
        "",
        "CPU over the sustained window (% of one core): "
        + ", ".join(f"{k} {v}" for k, v in (dig(e, "sustained", "cpu_pct") or {}).items())
        + ".",
        "",
    ]
    ph = e.get("phases_ms")
    if ph:
        lines += [
            "Where the time goes (brain's own timestamps, last 200 commands of the loaded runs, "
            "millisecond resolution):",
            "",
            "| span | p50 ms | p90 ms | p99 ms |",
            "|---|---:|---:|---:|",
        ]
        for k, s in ph.items():
            lines.append(
                f"| {k.replace('_', ' ')} | "
                + " | ".join(fmt(dig(s, x)) for x in ("p50_ms", "p90_ms", "p99_ms"))
                + " |"
            )
        lines.append("")
    st = dig(e, "executor", "startup")
    lines.append(
        f"Executor: RSS {fmt(dig(e, 'executor', 'rss_after_load_mb'))} MB after the load; "
        f"start-up (process start → `fx-executor ready`) p50 {fmt(dig(st, 'to_ready_ms', 'p50_ms'))} ms, "
        f"→ reconciled with the terminal p50 {fmt(dig(st, 'to_reconciled_ms', 'p50_ms'))} ms "
        f"({fmt(dig(st, 'runs'))} runs). Brain RSS {fmt(dig(e, 'brain', 'rss_after_load_mb'))} MB."
    )
    lines.append("")
    for key, title in (
        ("latency_cdf", "Latency CDF, one at a time"),
        ("latency_cdf_32", "Latency CDF, 32 in flight"),
    ):
        if key in pictures:
            lines += [f"![{title}]({pictures[key]})", ""]
