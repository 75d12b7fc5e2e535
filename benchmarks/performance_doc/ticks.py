# ruff: noqa: E501, RUF001 - markdown table templates: long lines and the multiplication sign are the output
"""The tick path section: executor CPU, forwarded rate and command latency while ticks flow."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any], pictures: dict[str, str]) -> None:
    t = r.get("ticks")
    if not t:
        return
    lines += ["## Tick path (benchmarks/bench_ticks.py)", ""]
    lines.append(
        "A fresh stack per rate; `offered` is what a bare SUB in its own process counted from "
        "the simulator just before the window (it can fall short of the rate asked on a busy "
        "machine). Forwarded = TICK events reaching the strategy (coalesced by the executor to "
        "the latest quote per symbol at `tick_forward_hz`). Delay = executor forward → strategy."
    )
    lines += [
        "",
        "| asked ticks/s | offered | executor CPU % | simulator CPU % | brain CPU % | forwarded/s | tick delay p50 / p99 ms | command p50 / p99 ms | p99 ÷ idle | executor RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in t.get("rates") or []:
        lines.append(
            f"| {fmt(x.get('asked_ticks_per_s'), digits=0)} | {fmt(x.get('offered_ticks_per_s'), digits=0)} | "
            f"{fmt(dig(x, 'cpu_pct', 'executor'))} | {fmt(dig(x, 'cpu_pct', 'sim'))} | "
            f"{fmt(dig(x, 'cpu_pct', 'brain'))} | {fmt(x.get('forwarded_per_s'))} | "
            f"{fmt(dig(x, 'tick_delay', 'p50_ms'))} / {fmt(dig(x, 'tick_delay', 'p99_ms'))} | "
            f"{fmt(dig(x, 'command', 'p50_ms'))} / {fmt(dig(x, 'command', 'p99_ms'))} | "
            f"{fmt(x.get('p99_vs_idle'))}× | {fmt(x.get('executor_rss_mb'))} |"
        )
    lines.append("")
    if "ticks" in pictures:
        lines += [f"![Tick path]({pictures['ticks']})", ""]
