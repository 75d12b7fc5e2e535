"""The GUI section: its report as compact JSON (benchmarks/bench_gui.py)."""

from __future__ import annotations

from typing import Any

from .values import compact


def section(lines: list[str], r: dict[str, Any]) -> None:
    gui = r.get("gui")
    if gui:
        lines += ["## GUI (benchmarks/bench_gui.py)", "", "```json", compact(gui), "```", ""]
