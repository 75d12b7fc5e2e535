"""The tray GUI's cost: its event-loop lag under a tick flood, and command latency with it.

    uv run python benchmarks/bench_gui.py [--commands 200] [--tick-rate 5000] [--out PATH]

All real processes on loopback: ``fx-mt5sim`` publishing ``--tick-rate`` ticks/s
and the executor, once ``--headless`` and once as the tray app (offscreen Qt,
window shown with its tables filling, the settings dialog open the whole time:
the worst case for "order flow never waits on the GUI"). The brain is played
by ``bench_executor.FakeBrain`` (timestamps TRADE_SIGNAL out, EXECUTION_RESULT
back). Figures, each beside floors measured in the same run:

- ``gui_loop_lag``: how late a 10 ms ``Qt.PreciseTimer`` fires in the GUI
  process (the Qt loop is the asyncio loop, so this is also how long any
  runtime callback may wait), p50/p99, while ticks arrive and commands run:
  window shown with the settings dialog open, and window hidden in the tray;
  floors: the same process without widgets (the runtime in its thread as the
  app hosts it, ``executor_app.gui.runtime_host``) and an empty QApplication +
  qasync loop;
- ``commands``: TRADE_SIGNAL → EXECUTION_RESULT through the executor, headless,
  hosted without widgets, GUI in the tray, GUI with window and dialog; floors:
  a bare WebSocket echo and the TRADE sent straight to the simulator (as in
  ``bench_executor.py``).

The GUI process's loop lag is not on the order path: the runtime runs on a
plain asyncio loop in its own thread (a qasync loop costs ~15x per
``call_soon`` and shares every paint), so the command figures are what
matters for "order flow never waits on the GUI".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import tomli_w
from websockets.asyncio.server import serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_executor import (  # noqa: E402
    KEY,
    FakeBrain,
    command_loop,
    direct_trade_floor,
    pct,
    simulator_program,
    summary,
    ws_echo_floor,
)
from report_file import machine, write_report  # noqa: E402

from executor_app.config import BrainSettings  # noqa: E402
from fx_demo.stack import Program, free_port, script_argv  # noqa: E402

TIMER_MS = 10


# ---------------------------------------------------------------- child: the GUI process


def child(config: Path | None, stop_file: Path, mode: str) -> int:
    """Run the tray app, the runtime alone, or nothing on a qasync loop until ``stop_file``.

    ``mode``: ``window`` (window shown, settings dialog open), ``tray`` (window hidden),
    ``runtime`` (the runtime in its thread as the app hosts it, no widgets), ``bare``
    (empty loop).
    Prints the lag samples of the 10 ms probe timer.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    qapp = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    lags: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(TIMER_MS)
    last = [0.0]

    def fired() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            lags.append(max(0.0, now - last[0] - TIMER_MS))
        last[0] = now

    probe.timeout.connect(fired)

    async def main() -> dict[str, Any]:
        app = None
        runtime = None
        extra: dict[str, Any] = {}
        if mode == "runtime":
            from executor_app.config import load_settings
            from executor_app.gui.runtime_host import RuntimeHost
            from executor_app.runtime import Runtime

            assert config is not None
            runtime = RuntimeHost(Runtime(load_settings(config, environ={}), KEY))
            await runtime.start()
        elif mode != "bare":
            from executor_app.config import load_settings
            from executor_app.gui.app import ExecutorApp

            assert config is not None
            app = ExecutorApp(
                load_settings(config, environ={}), config, key=KEY, configure_logging=False
            )
            running = asyncio.ensure_future(app.run())
            while not app.ready.is_set():
                if running.done():
                    running.result()
                await asyncio.sleep(0.05)
            if mode == "tray":
                assert app.window is not None
                app.window.hide()  # in the tray, as most of a trading day
            else:
                app.open_settings()  # open for the whole run: commands must not wait on it
        print("child ready", flush=True)
        clock.start()
        probe.start()
        stopped = asyncio.Event()
        watch = QTimer()
        watch.timeout.connect(lambda: stop_file.exists() and stopped.set())
        watch.start(100)
        await stopped.wait()
        watch.stop()
        probe.stop()
        if runtime is not None:
            await runtime.stop()
        if app is not None:
            assert app.observer is not None
            extra = {
                "observer_events": app.observer.events_seen,
                "settings_dialog_open": app.settings_dialog is not None,
            }
            app.quit(0)
            await running
        return {"lags_ms": lags, **extra}

    with loop:
        result = loop.run_until_complete(main())
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------- parent


def write_config(tmp: Path, name: str, brain_port: int, command: str, events: str) -> Path:
    config: dict[str, dict[str, Any]] = {
        "brain": {
            "url": f"ws://127.0.0.1:{brain_port}/ws/executor",
            "executor_id": "bench",
            "api_key_env": "FX_BENCH_KEY",
        },
        "terminal": {"command_endpoint": command, "events_endpoint": events},
        "limits": {
            "allowed_symbols": ["EURUSD", "XAUUSD", "GBPUSD", "USDJPY"],
            "max_open_positions": 0,
            "max_orders_per_minute": 0,
            "max_total_volume_per_symbol": 1000.0,
            "daily_loss_limit": 0.0,
        },
        "storage": {
            "journal_path": str(tmp / f"{name}-journal.sqlite3"),
            "log_dir": str(tmp / f"{name}-logs"),
            "log_level": "WARNING",
        },
    }
    if "require_signed_commands" in {f.name for f in msgspec.structs.fields(BrainSettings)}:
        config["brain"]["require_signed_commands"] = False  # the fake brain signs nothing
    path = tmp / f"{name}.toml"
    path.write_text(tomli_w.dumps(config))
    return path


def child_result(program: Program) -> dict[str, Any]:
    line = program.wait_for("RESULT ", 60)
    return dict(json.loads(line.split("RESULT ", 1)[1]))


async def phase(
    kind: str, tmp: Path, env: dict[str, str], sim_ep: tuple[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """One executor (headless or GUI) against a fresh fake brain; commands and floors."""
    brain = FakeBrain()
    port = free_port()
    config = write_config(tmp, kind, port, *sim_ep)
    stop_file = tmp / f"{kind}.stop"
    if kind == "headless":
        argv = [*script_argv("fx-executor"), "--headless", "--config", str(config)]
        ready = "fx-executor ready"
    else:
        mode = {
            "gui_in_tray": "tray",
            "gui_window": "window",
            "hosted_no_widgets": "runtime",
        }
        argv = [sys.executable, __file__, "--child", str(config), "--stop-file", str(stop_file)]
        argv += ["--mode", mode[kind]]
        ready = "child ready"
    program = Program(kind, argv, env, tmp / f"{kind}.log")
    result: dict[str, Any] = {}
    async with serve(brain.handler, "127.0.0.1", port, compression=None):
        program.start()
        try:
            await asyncio.to_thread(program.wait_for, ready, 60)
            await asyncio.wait_for(brain.connected.wait(), 20)
            for attempt in range(200):  # reconciliation first: retry the first command
                try:
                    await command_loop(brain, 2, f"{kind}w{attempt}")
                    break
                except RuntimeError:
                    await asyncio.sleep(0.05)
            await command_loop(brain, 20, f"{kind}warm")
            loop_ms: list[float] = []
            ws_ms: list[float] = []
            trade_ms: list[float] = []
            for r in range(max(1, args.commands // 20)):
                loop_ms += await command_loop(brain, 20, f"{kind}{r}-")
                ws_ms += await ws_echo_floor(20)
                trade_ms += await asyncio.to_thread(direct_trade_floor, sim_ep[0], 20)
            result = {
                "loop_through_executor": summary(loop_ms),
                "floor_ws_echo": summary(ws_ms),
                "floor_direct_trade": summary(trade_ms),
                "executor_added_p50_ms": round(
                    pct(loop_ms, 0.5) - pct(ws_ms, 0.5) - pct(trade_ms, 0.5), 4
                ),
                "executor_added_p99_ms": round(
                    pct(loop_ms, 0.99) - pct(ws_ms, 0.99) - pct(trade_ms, 0.99), 4
                ),
            }
            if kind != "headless":
                stop_file.touch()
                seen = await asyncio.to_thread(child_result, program)
                result["gui_loop_lag"] = summary(seen.pop("lags_ms"))
                result.update(seen)
        finally:
            stop_file.touch()
            await asyncio.to_thread(program.stop)
    return result


async def bare_loop_floor(tmp: Path, env: dict[str, str], seconds: float) -> dict[str, Any]:
    stop_file = tmp / "bare.stop"
    argv = [sys.executable, __file__, "--child", "-", "--mode", "bare"]
    argv += ["--stop-file", str(stop_file)]
    program = Program("bare", argv, env, tmp / "bare.log")
    program.start()
    try:
        await asyncio.to_thread(program.wait_for, "child ready", 60)
        await asyncio.sleep(seconds)
        stop_file.touch()
        seen = await asyncio.to_thread(child_result, program)
    finally:
        stop_file.touch()
        await asyncio.to_thread(program.stop)
    return summary(seen["lags_ms"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fx-bench-gui-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_BENCH_KEY"] = KEY
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(ROOT)
    sim, command_ep, events_ep = simulator_program(tmp, env, tick_rate=args.tick_rate)
    sim.start()
    try:
        sim.wait_for("fx-mt5sim ready")
        started = time.monotonic()
        headless = await phase("headless", tmp, env, (command_ep, events_ep), args)
        no_widgets = await phase("hosted_no_widgets", tmp, env, (command_ep, events_ep), args)
        in_tray = await phase("gui_in_tray", tmp, env, (command_ep, events_ep), args)
        gui = await phase("gui_window", tmp, env, (command_ep, events_ep), args)
        bare = await bare_loop_floor(tmp, env, min(20.0, time.monotonic() - started) / 2)
    finally:
        sim.stop()
    lag = gui.pop("gui_loop_lag")
    tray_lag = in_tray.pop("gui_loop_lag")
    runtime_lag = no_widgets.pop("gui_loop_lag")

    def versus_headless(run: dict[str, Any], q: str) -> float:
        mine = run["loop_through_executor"][q]
        return round(mine - headless["loop_through_executor"][q], 4)

    return {
        "offered_ticks_per_s": args.tick_rate,
        "gui_loop_lag": {
            "timer_interval_ms": TIMER_MS,
            "window_and_settings_dialog_open": lag,
            "window_hidden_in_tray": tray_lag,
            "floor_runtime_thread_no_widgets": runtime_lag,
            "floor_bare_qt_qasync_loop": bare,
        },
        "commands": {
            "headless": headless,
            "hosted_no_widgets": no_widgets,
            "gui_window_and_settings_dialog_open": gui,
            "gui_window_hidden_in_tray": in_tray,
            "window_minus_headless_p50_ms": versus_headless(gui, "p50_ms"),
            "window_minus_headless_p99_ms": versus_headless(gui, "p99_ms"),
            "in_tray_minus_headless_p50_ms": versus_headless(in_tray, "p50_ms"),
            "in_tray_minus_headless_p99_ms": versus_headless(in_tray, "p99_ms"),
            "no_widgets_minus_headless_p50_ms": versus_headless(no_widgets, "p50_ms"),
            "no_widgets_minus_headless_p99_ms": versus_headless(no_widgets, "p99_ms"),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--tick-rate", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/gui.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="window", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        config = None if args.child == "-" else Path(args.child)
        sys.exit(child(config, args.stop_file, args.mode))
    results = asyncio.run(run(args))
    results["machine"] = machine()
    results["note"] = (
        "lag = how late a 10 ms PreciseTimer fires on the GUI thread; the runtime runs on its "
        "own asyncio loop and thread (RuntimeHost). All loopback, one machine shared with "
        "other work (2 cores): p99 is noisy; compare p50s."
    )
    write_report(args.out, results)


if __name__ == "__main__":
    main()
