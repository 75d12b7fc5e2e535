"""The simulated terminal section: its report as compact JSON (benchmarks/bench_mt5sim.py)."""

from __future__ import annotations

from typing import Any

from .values import compact


def section(lines: list[str], r: dict[str, Any]) -> None:
    sim = r.get("mt5sim")
    if sim:
        lines += ["## Simulated terminal (benchmarks/bench_mt5sim.py)", "", "```json"]
        lines.append(compact(sim))
        lines += ["```", ""]
