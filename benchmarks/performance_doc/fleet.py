# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The many-executors section: brain CPU and memory per session (benchmarks/bench_fleet.py)."""

from __future__ import annotations

from typing import Any

from .latency_rows import LAT_HEAD, lat_row
from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any]) -> None:
    f = r.get("fleet")
    if not f:
        return
    b = f.get("brain") or {}
    lines += ["## Many executors (benchmarks/bench_fleet.py)", ""]
    lines.append(
        f"{fmt(f.get('executors'))} executors (fakes speaking the real protocol, in "
        f"{f.get('client_processes')} client processes, one more executing in the bench), "
        f"brain heartbeat every {f.get('heartbeat_interval_ms')} ms."
    )
    lines += [
        "",
        "| figure | brain | floor: bare WS echo server |",
        "|---|---:|---:|",
        f"| CPU, % of one core | {fmt(b.get('cpu_pct_with_fleet'))} (idle {fmt(b.get('cpu_pct_idle'))}) | {fmt(dig(f, 'floor_ws_echo_server', 'cpu_pct'))} |",
        f"| memory per session / connection, KB | {fmt(b.get('rss_per_session_kb'))} | {fmt(dig(f, 'floor_ws_echo_server', 'rss_per_connection_kb'))} |",
        f"| CPU per heartbeat, µs | {fmt(b.get('cpu_us_per_heartbeat'))} | — |",
        f"| RSS before → with fleet, MB | {fmt(b.get('rss_before_mb'))} → {fmt(b.get('rss_with_fleet_mb'))} | — |",
        f"| connecting all, s | {fmt(b.get('connect_all_s'))} | — |",
        f"| brain alone: commands/s, 64 in flight, durability on | {fmt(dig(f, 'brain_throughput', 'commands_per_s'))} at {fmt(dig(f, 'brain_throughput', 'brain_cpu_pct'))}% CPU, {fmt(dig(f, 'brain_throughput', 'brain_cpu_ms_per_command'))} ms CPU per command | — |",
        "",
        LAT_HEAD,
        lat_row("command to one executor, alone", f.get("command_latency_alone")),
        lat_row(
            "brain alone, 64 in flight over 8 executing fakes",
            dig(f, "brain_throughput", "latency"),
        ),
        lat_row(
            "command to one executor, fleet connected (vs alone)",
            f.get("command_latency_with_fleet"),
            f.get("command_latency_alone"),
        ),
        "",
    ]
