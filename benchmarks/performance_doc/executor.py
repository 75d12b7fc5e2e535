# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The executor-alone section: signal to result through the real executor (benchmarks/bench_executor.py)."""

from __future__ import annotations

from typing import Any

from .latency_rows import LAT_HEAD, lat_row
from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any]) -> None:
    ex = r.get("executor")
    if ex:
        c = ex.get("commands") or {}
        lines += ["## Executor alone (benchmarks/bench_executor.py)", ""]
        lines.append(
            "The script plays the brain (bare WebSocket server): TRADE_SIGNAL out → "
            "EXECUTION_RESULT back through the real executor and simulator."
        )
        lines += ["", LAT_HEAD]
        lines.append(
            lat_row(
                "signal → result through the executor (vs WS echo)",
                c.get("loop_through_executor"),
                c.get("floor_ws_echo"),
            )
        )
        lines.append(lat_row("floor: TRADE straight to the simulator", c.get("floor_direct_trade")))
        lines.append(lat_row("floor: WebSocket echo", c.get("floor_ws_echo")))
        lines += [
            "",
            f"Executor added (its own figure): p50 {fmt(c.get('executor_added_p50_ms'))} ms.",
            "",
        ]
        rows = ex.get("ticks") or []
        if rows:
            lines += [
                "| ticks/s offered | bare SUB floor | executor CPU % | forwarded/s | loop p50 / p99 ms |",
                "|---:|---:|---:|---:|---:|",
            ]
            for x in rows:
                lines.append(
                    f"| {fmt(x.get('offered_ticks_per_s'))} | {fmt(x.get('floor_bare_sub_ticks_per_s'))} | "
                    f"{fmt(x.get('executor_cpu_pct'))} | {fmt(x.get('market_updates_forwarded_per_s'))} | "
                    f"{fmt(dig(x, 'command_loop_under_load', 'p50_ms'))} / {fmt(dig(x, 'command_loop_under_load', 'p99_ms'))} |"
                )
            lines.append("")
