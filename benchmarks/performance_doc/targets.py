# ruff: noqa: E501, RUF001 - markdown table templates: long lines and the multiplication sign are the output
"""The target table of issue 12: each figure beside its floor, the ratio and PASS/MISS."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt, largest, ratio


class Targets:
    """The rows of the target table: figure, floor, ratio, limit, verdict."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        target: str,
        figure: Any,
        unit: str,
        floor: Any,
        floor_name: str,
        value: Any,
        limit: float,
        lower_is_better: bool = True,
        note: str = "",
    ) -> None:
        if value is None:
            verdict = "NOT MEASURED"
        elif lower_is_better:
            verdict = "PASS" if value <= limit else "MISS"
        else:
            verdict = "PASS" if value >= limit else "MISS"
        by = None
        if verdict == "MISS":
            by = round(value / limit, 2) if lower_is_better else round(limit / value, 2)
        self.rows.append(
            {
                "target": target,
                "figure": figure,
                "unit": unit,
                "floor": floor,
                "floor_name": floor_name,
                "value": value,
                "limit": limit,
                "verdict": verdict,
                "miss_factor": by,
                "note": note,
            }
        )


def compute_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    t = Targets()
    floors, e2e, ticks = r.get("floors"), r.get("e2e"), r.get("ticks")
    relay = dig(floors, "relay")
    for p in ("p50", "p99"):
        fig = dig(e2e, "sequential", f"{p}_ms")
        flo = dig(relay, f"{p}_ms")
        t.add(
            f"End-to-end {p} ≤ 5× relay floor {p}",
            fig,
            "ms",
            flo,
            f"relay {p}",
            ratio(fig, flo),
            5.0,
            note="ratio = e2e / relay floor",
        )
    # The executor's own share: its loop minus the terminal's own time (direct TRADE
    # minus a bare DEALER/ROUTER echo), against the relay that does nothing at all.
    ex = dig(r.get("executor"), "commands")
    loop, direct = (
        dig(ex, "loop_through_executor", "p50_ms"),
        dig(ex, "floor_direct_trade", "p50_ms"),
    )
    zecho = dig(floors, "zmq_echo", "p50_ms")
    share = None
    if None not in (loop, direct, zecho):
        share = round(loop - (direct - zecho), 4)
    flo = dig(relay, "p50_ms")
    t.add(
        "Executor's own share p50 ≤ 2× relay floor p50",
        share,
        "ms",
        flo,
        "relay p50",
        ratio(share, flo),
        2.0,
        note="share = executor loop − (direct TRADE − ZeroMQ echo)",
    )
    rate = dig(e2e, "sustained", "commands_per_s")
    t.add(
        "≥ 3,000 commands/s sustained end to end (durability on)",
        rate,
        "cmd/s",
        dig(floors, "relay_32_in_flight", "messages_per_s"),
        "relay msgs/s (32 in flight)",
        rate,
        3000.0,
        lower_is_better=False,
    )
    brate = dig(r, "fleet", "brain_throughput", "commands_per_s")
    t.add(
        "≥ 3,000 commands/s through the brain alone (8 fake executors executing at once)",
        brate,
        "cmd/s",
        dig(floors, "relay_32_in_flight", "messages_per_s"),
        "relay msgs/s (32 in flight)",
        brate,
        3000.0,
        lower_is_better=False,
        note=f"brain CPU {fmt(dig(r, 'fleet', 'brain_throughput', 'brain_cpu_ms_per_command'))} ms per command",
    )
    top = tick_rate(ticks, 20000)
    cpu = dig(top, "cpu_pct", "executor")
    t.add(
        "20,000 ticks/s absorbed with < half a core (executor CPU)",
        cpu,
        "% core",
        None,
        "",
        cpu,
        50.0,
        note=f"simulator actually delivered {fmt(dig(top, 'offered_ticks_per_s'))} ticks/s",
    )
    offered = dig(top, "offered_ticks_per_s")
    if offered is not None and offered < 18_000 and t.rows[-1]["verdict"] == "PASS":
        # The simulator could not publish 20,000/s beside the others on this machine:
        # a pass at a lower rate is not a pass at 20,000.
        t.rows[-1]["verdict"] = f"NOT PROVEN (only {fmt(offered, digits=0)} ticks/s reached)"
    t.add(
        "Command p99 under 20,000 ticks/s ≤ 1.5× idle",
        dig(top, "command", "p99_ms"),
        "ms",
        dig(tick_rate(ticks, 0), "command", "p99_ms"),
        "idle p99 (same run)",
        dig(top, "p99_vs_idle"),
        1.5,
    )
    fleet = r.get("fleet")
    fcpu = dig(fleet, "brain", "cpu_pct_with_fleet")
    t.add(
        f"{fmt(dig(fleet, 'executors'))} executors, 1 s heartbeats: brain < 30% of one core",
        fcpu,
        "% core",
        dig(fleet, "floor_ws_echo_server", "cpu_pct"),
        "bare WS echo server",
        fcpu,
        30.0,
    )
    rss = largest(
        dig(e2e, "executor", "rss_after_load_mb"),
        *[dig(x, "executor_rss_mb") for x in (dig(ticks, "rates") or [])],
    )
    t.add(
        "Executor RSS headless < 80 MB",
        rss,
        "MB",
        None,
        "",
        rss,
        80.0,
        note="largest RSS seen (after the command load and under ticks)",
    )
    gui = r.get("gui")
    gui_rss = largest(*[dig(x, "gui", "rss_mb") for x in (dig(ticks, "rates") or [])])
    t.add(
        "Executor RSS with the GUI < 150 MB",
        gui_rss,
        "MB",
        rss,
        "headless RSS",
        gui_rss,
        150.0,
        note="tray app (offscreen Qt, window not opened) under 5,000 ticks/s",
    )
    lags = dig(gui, "gui_loop_lag") or {}
    floor_lag = dig(lags, "floor_bare_qt_qasync_loop", "p99_ms")
    for key, label in (
        ("window_and_settings_dialog_open", "window and settings dialog open"),
        ("window_hidden_in_tray", "window hidden, in the tray"),
    ):
        lag = dig(lags, key, "p99_ms")
        t.add(
            f"GUI event-loop lag p99 < 20 ms at {fmt(dig(gui, 'offered_ticks_per_s'), digits=0)} ticks/s ({label})",
            lag,
            "ms",
            floor_lag,
            "bare Qt + qasync loop p99",
            lag,
            20.0,
        )
    return t.rows


def tick_rate(ticks: Any, asked: float) -> Any:
    for row in dig(ticks, "rates") or []:
        if row.get("asked_ticks_per_s") == asked:
            return row
    return None
