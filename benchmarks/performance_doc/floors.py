"""The floors section: bare WebSocket, ZeroMQ and relay round trips (benchmarks/floors.py)."""

from __future__ import annotations

from typing import Any

from .latency_rows import LAT_HEAD
from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any]) -> None:
    f = r.get("floors")
    if not f:
        return
    lines += ["## Floors (benchmarks/floors.py)", ""]
    lines.append(
        "Each server in its own process, frames of the real messages' sizes "
        f"({', '.join(f'{k} {v} B' for k, v in (f.get('bytes') or {}).items())})."
    )
    lines += [
        "",
        LAT_HEAD.replace(" | p50 ÷ floor | p99 ÷ floor", "").replace(
            "|---:|---:|---:|---:|---:|---:|", "|---:|---:|---:|---:|"
        ),
    ]
    for name, key in (
        ("WebSocket echo", "ws_echo"),
        ("ZeroMQ DEALER/ROUTER echo", "zmq_echo"),
        ("relay: client → WS → relay → ZeroMQ → echo", "relay"),
        ("WebSocket echo, 32 in flight", "ws_echo_32_in_flight"),
        ("relay, 32 in flight", "relay_32_in_flight"),
    ):
        s = f.get(key)
        lines.append(
            f"| {name} | {fmt(dig(s, 'n'))} | "
            + " | ".join(fmt(dig(s, k)) for k in ("p50_ms", "p90_ms", "p99_ms"))
            + " |"
        )
    lines += [
        "",
        f"Messages/s with 32 in flight: WebSocket echo "
        f"{fmt(dig(f, 'ws_echo_32_in_flight', 'messages_per_s'))}, relay "
        f"{fmt(dig(f, 'relay_32_in_flight', 'messages_per_s'))}.",
        "",
    ]
