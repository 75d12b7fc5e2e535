"""The PNG plots of the report: latency CDFs beside the floors and the tick path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .values import dig


def plots(r: dict[str, Any], folder: Path) -> dict[str, str]:
    """PNG files written (name → path relative to docs/)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, str] = {}
    curves = [
        ("WebSocket echo (floor)", dig(r, "floors", "ws_echo")),
        ("ZeroMQ echo (floor)", dig(r, "floors", "zmq_echo")),
        ("relay, 3 processes (floor)", dig(r, "floors", "relay")),
        ("end to end, one at a time", dig(r, "e2e", "sequential")),
    ]
    if _cdf(
        plt,
        curves,
        folder / "latency-cdf.png",
        "round trip, ms (log scale)",
        "Command latency beside the transport floors (one at a time)",
    ):
        out["latency_cdf"] = "performance/latency-cdf.png"
    curves32 = [
        ("relay, 32 in flight (floor)", dig(r, "floors", "relay_32_in_flight")),
        ("end to end, 32 in flight", dig(r, "e2e", "in_flight_32")),
    ]
    if _cdf(
        plt,
        curves32,
        folder / "latency-cdf-32.png",
        "latency, ms (log scale)",
        "32 commands in flight: end to end vs relay floor",
    ):
        out["latency_cdf_32"] = "performance/latency-cdf-32.png"
    rates = dig(r, "ticks", "rates") or []
    if rates:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        labels = [f"{int(x['asked_ticks_per_s']):,}" for x in rates]
        cpu = [dig(x, "cpu_pct", "executor") or 0 for x in rates]
        sim = [dig(x, "cpu_pct", "sim") or 0 for x in rates]
        pos = range(len(rates))
        ax1.bar([p - 0.2 for p in pos], cpu, 0.4, label="executor")
        ax1.bar([p + 0.2 for p in pos], sim, 0.4, label="simulator")
        ax1.axhline(50, color="red", linestyle="--", linewidth=1, label="target: half a core")
        ax1.set_xticks(list(pos), labels)
        ax1.set_xlabel("ticks/s asked of the simulator")
        ax1.set_ylabel("CPU, % of one core")
        ax1.legend()
        p50 = [dig(x, "command", "p50_ms") or 0 for x in rates]
        p99 = [dig(x, "command", "p99_ms") or 0 for x in rates]
        ax2.bar([p - 0.2 for p in pos], p50, 0.4, label="p50")
        ax2.bar([p + 0.2 for p in pos], p99, 0.4, label="p99")
        ax2.set_xticks(list(pos), labels)
        ax2.set_xlabel("ticks/s asked of the simulator")
        ax2.set_ylabel("command latency end to end, ms")
        ax2.legend()
        fig.suptitle("Tick path: CPU and command latency while ticks flow")
        fig.tight_layout()
        fig.savefig(folder / "ticks.png", dpi=110)
        plt.close(fig)
        out["ticks"] = "performance/ticks.png"
    return out


def _cdf(plt: Any, curves: list[tuple[str, Any]], path: Path, xlabel: str, title: str) -> bool:
    """One latency CDF (50 quantiles per curve, log x); False when no curve has data."""
    if not any(c and c.get("quantiles_ms") for _, c in curves):
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, data in curves:
        q = dig(data, "quantiles_ms")
        if q:
            ax.step(q, [i / 50 for i in range(50)] + [1.0], where="post", label=label)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of commands")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
