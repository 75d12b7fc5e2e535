# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The brain-alone section: submit beside a do-nothing POST, delivery (benchmarks/bench_brain.py)."""

from __future__ import annotations

from typing import Any

from .latency_rows import LAT_HEAD, lat_row
from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any]) -> None:
    br = r.get("brain")
    if br:
        lines += ["## Brain alone (benchmarks/bench_brain.py)", "", LAT_HEAD]
        lines.append(
            lat_row(
                "submit (vs do-nothing POST)",
                dig(br, "submit", "brain"),
                dig(br, "submit", "floor_http_post"),
            )
        )
        lines.append(
            lat_row(
                "store alone, synchronous=FULL", dig(br, "submit", "store_only_synchronous_full")
            )
        )
        lines.append(
            lat_row(
                "store alone, synchronous=NORMAL",
                dig(br, "submit", "store_only_synchronous_normal"),
            )
        )
        lines.append(
            lat_row(
                "submit → TRADE_SIGNAL at a fake executor",
                dig(br, "delivery", "submit_to_trade_signal"),
            )
        )
        lines.append(
            lat_row(
                "submit → executed event (fake executor, vs WS echo)",
                dig(br, "delivery", "submit_to_executed_event"),
                dig(br, "delivery", "floor_ws_echo"),
            )
        )
        lines += [
            "",
            f"Submits/s with {fmt(dig(br, 'throughput', 'concurrency'))} clients: "
            f"{fmt(dig(br, 'throughput', 'brain_commands_per_s'))} (floor route "
            f"{fmt(dig(br, 'throughput', 'floor_requests_per_s'))}).",
            "",
        ]
