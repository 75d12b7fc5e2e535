# ruff: noqa: E501, RUF001 - markdown table templates: long lines and the multiplication sign are the output
"""The latency table every section shares: p50/p90/p99 beside a floor, as ratios."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt, ratio


def lat_row(name: str, s: Any, floor: Any = None) -> str:
    cells = [fmt(dig(s, k)) for k in ("p50_ms", "p90_ms", "p99_ms")]
    ratios = [
        fmt(ratio(dig(s, k), dig(floor, k))) + "×" if floor else "" for k in ("p50_ms", "p99_ms")
    ]
    return (
        f"| {name} | {fmt(dig(s, 'n'))} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |"
    )


LAT_HEAD = "| measured | n | p50 ms | p90 ms | p99 ms | p50 ÷ floor | p99 ÷ floor |\n|---|---:|---:|---:|---:|---:|---:|"
