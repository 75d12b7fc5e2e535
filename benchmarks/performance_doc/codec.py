# ruff: noqa: E501, RUF001 - markdown table templates: long lines and the multiplication sign are the output
"""The codec section: protocol round trips beside a plain msgspec dict (benchmarks/bench_codec.py)."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt, ratio


def section(lines: list[str], r: dict[str, Any]) -> None:
    codec = r.get("codec")
    if codec:
        lines += [
            "## Codec (benchmarks/bench_codec.py)",
            "",
            "| message | bytes | protocol round trip µs (median) | msgspec dict floor | ratio |",
            "|---|---:|---:|---:|---:|",
        ]
        for m in codec.get("results") or []:
            a = dig(m, "protocol", "round_trip", "median_us")
            b = dig(m, "floor_msgspec_dict", "round_trip", "median_us")
            lines.append(
                f"| {m.get('message')} | {m.get('bytes')} | {fmt(a)} | {fmt(b)} | {fmt(ratio(a, b))}× |"
            )
        lines.append("")
