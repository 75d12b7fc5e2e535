"""``fx-executor [--headless] [--config PATH] [--version]``.

Exit codes: 0 clean shutdown, 2 bad usage or configuration, 1 failure
(one line on stderr, details in the log).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from importlib import metadata
from pathlib import Path

from executor_app.config import ConfigError, Settings, api_key, load_settings


def version() -> str:
    try:
        return metadata.version("fx-bridge")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fx-executor",
        description=(
            "The MT5 executor: receives trade commands from the brain, checks them against "
            "local safety limits and forwards them to the MetaTrader 5 Expert Advisor. "
            "Settings: docs/configuration.md (TOML file and FX_EXECUTOR_* variables)."
        ),
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="run without the tray GUI, logging to the console (servers, tests)",
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="TOML config file (default: config.toml in the user config dir, "
        "or $FX_EXECUTOR_CONFIG)",
    )
    p.add_argument("--version", action="version", version=f"fx-executor {version()}")
    return p


def fail(message: str, code: int) -> int:
    print(f"fx-executor: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        if not args.headless:
            # The GUI reads the API key itself: without one it opens its settings dialog.
            return run_gui(settings, args.config)
        key = api_key(settings, headless=True)
    except ConfigError as exc:
        return fail(str(exc), 2)
    return run_headless(settings, key)


def run_gui(settings: Settings, config_path: Path | None) -> int:
    try:
        from executor_app import gui
    except ImportError:
        return fail("the tray GUI is not available in this build; use --headless", 1)
    try:
        return int(gui.main(settings, config_path))
    except RuntimeError as exc:  # e.g. no display
        return fail(f"cannot start the GUI ({exc}); use --headless", 1)


def run_headless(settings: Settings, key: str) -> int:
    from loguru import logger

    from executor_app.log_setup import configure

    log_file = configure(
        settings.storage.log_directory(), settings.storage.log_level, secrets=(key,)
    )
    logger.info("fx-executor {} headless; log file {}", version(), log_file)
    try:
        return asyncio.run(_serve(settings, key))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        logger.exception("executor failed")
        return fail(f"{type(exc).__name__}: {exc}", 1)


async def _serve(settings: Settings, key: str) -> int:
    from executor_app.runtime import Runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: SIGINT arrives as KeyboardInterrupt
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    runtime = Runtime(settings, key, app_version=version())
    await runtime.start()
    print("fx-executor ready", flush=True)
    try:
        await stop.wait()
    finally:
        await runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
