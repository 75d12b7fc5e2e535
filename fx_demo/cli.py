"""``fx-demo``: brain, simulated terminal and executor on loopback, and a demo strategy.

Exit codes: 0 ok (stopped by Ctrl+C/SIGTERM, or ``--run-for`` with at least
one command executed end to end), 2 bad usage, 1 failure (one line on
stderr). See ``docs/demo.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from fx_demo import credentials as creds
from fx_demo.console import Banner, Console
from fx_demo.display import gui_problem
from fx_demo.settings import DemoSettings, SettingsError, fields, load_settings, value_type
from fx_demo.stack import Stack, StackError
from fx_demo.strategy import LIMITS, DemoStrategy, EventFeed
from fx_demo.tally import Tally
from fx_demo.watch import Watch

PROG = "fx-demo"
METAVARS = {"run_for": "SECONDS", "port": "PORT", "data_dir": "DIR", "seed": "N", "pace": "SECONDS"}
#: what stops the demo: Ctrl+C and SIGTERM (a service manager, a test harness)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class UsageError(Exception):
    """Bad usage: exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Start the brain, a simulated MetaTrader 5 terminal and the executor on this "
            "machine with fresh demo credentials, print the web admin's address and login, "
            "and run a small demo strategy. Ctrl+C stops everything. "
            "Settings: flags, FX_DEMO_* variables or [demo] in a TOML file (docs/demo.md)."
        ),
    )
    for name, (kind, default, text) in fields().items():
        flag = "--" + name.replace("_", "-")
        shown = "" if default in (None, False) else f" (default {default})"
        if kind is bool:
            parser.add_argument(flag, action="store_true", default=None, help=text)
        else:
            number = value_type(kind)
            parser.add_argument(
                flag, type=number, metavar=METAVARS.get(name, "VALUE"), help=text + shown
            )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="TOML file with a [demo] table (env FX_DEMO_CONFIG)",
    )
    return parser


def fail(message: str, code: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return code


def port_problem(port: int) -> str | None:
    """A one-line reason when the brain's port is taken; None when it is free (or 0)."""
    if port == 0:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name == "posix":  # as the brain binds: TIME_WAIT leftovers do not count
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            other = port + 1 if port < 65535 else 8081
            return (
                f"port {port} on 127.0.0.1 is already in use (another fx-brain or fx-demo?); "
                f"use --port 0 for any free port, or another one such as --port {other}"
            )
    return None


def choose_gui(settings: DemoSettings) -> tuple[bool, str | None]:
    """(tray GUI?, a note for the user); :class:`UsageError` when --gui cannot be honoured."""
    if settings.headless and settings.gui:
        raise UsageError("--headless and --gui contradict each other")
    if settings.headless:
        return False, None
    problem = gui_problem()
    if problem is None:
        return True, None
    if settings.gui:
        raise UsageError(f"{problem}; drop --gui to run headless")
    return False, f"{problem}; running headless"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {name: getattr(args, name) for name in fields()}
    try:
        settings = load_settings(args.config, overrides)
        gui, note = choose_gui(settings)
    except (SettingsError, UsageError) as exc:
        return fail(str(exc), 2)
    problem = port_problem(settings.port)
    if problem:
        return fail(problem, 1)
    # From here on Ctrl+C and SIGTERM stop the demo: whatever has started gets stopped.
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    try:
        console = Console()
        if note:
            console.say(f"{PROG}: {note}")
        return Demo(settings, gui, console).run()
    except (KeyboardInterrupt, Interrupted):  # before anything was started
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Interrupted(BaseException):
    """Ctrl+C or SIGTERM while the demo starts, raised in the main thread by :func:`_interrupt`.

    Never a KeyboardInterrupt: CPython remembers a KeyboardInterrupt that
    leaves an ``exec()`` or ``eval()`` of a string, and dataclasses and
    namedtuple build their methods that way, so any import can be one (the
    brain's store is imported while the demo starts). At exit the interpreter
    then ends itself by SIGINT, however cleanly the demo caught it and
    stopped: exit status -2 and nothing on stderr, as a full CI run once saw
    (tests/fx_demo/test_cli.py pins the signal inside such an ``exec()``).
    """


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted


def _run_loop(coro: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run``, then the stop signals' handlers as they were before it.

    The loop's own handlers (``Demo.trade``) are removed when it closes, and
    asyncio leaves SIGTERM to its default action then (the process dies, its
    programs orphaned) and Ctrl+C to KeyboardInterrupt.
    """
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        return asyncio.run(coro)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """While the programs stop: a second Ctrl+C must not leave them orphaned."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Demo:
    """One run: start the stack, trade until told to stop, stop everything, summarise."""

    def __init__(self, settings: DemoSettings, gui: bool, console: Console) -> None:
        self.settings = settings
        self.gui = gui
        self.console = console
        self.temporary = settings.data_dir is None
        self.root = (
            Path(tempfile.mkdtemp(prefix="fx-demo-"))
            if self.temporary
            else Path(settings.data_dir or ".").expanduser().resolve()
        )
        self.keep = settings.keep_data or not self.temporary
        self.executor_mode = "headless"

    def run(self) -> int:
        stack: Stack | None = None
        sim: threading.Thread | None = None
        sim_failure: list[Exception] = []
        code = 0
        try:
            self.console.say(
                f"{PROG}: starting the brain, the simulated terminal and the executor…"
            )
            stack = Stack(
                root=self.root,
                brain_port=self.settings.port,
                limits=LIMITS,
                sim_args=["--seed", str(self.settings.seed)],
            )

            def start_sim(stack: Stack = stack) -> None:
                try:
                    stack.start_sim()
                except Exception as exc:  # handed to the main thread
                    sim_failure.append(exc)

            # The terminal starts while the brain does: nothing links them before the executor.
            sim = threading.Thread(target=start_sim, name="start-sim", daemon=True)
            sim.start()
            login = self.credentials(stack)
            stack.start_brain()
            sim.join()
            if sim_failure:
                raise sim_failure[0]
            self.start_executor(stack)
            self.banner(stack, login)
            code = _run_loop(self.trade(stack))
        except (KeyboardInterrupt, Interrupted):
            self.console.say(f"{PROG}: interrupted while starting")
        except StackError as exc:
            self.keep = True  # the logs say why
            code = fail(f"{_first_line(exc)} (logs in {self.root})", 1)
        except OSError as exc:
            code = fail(f"cannot start the demo: {exc}", 1)
        finally:
            with _signals_ignored():
                if sim is not None and sim.is_alive():  # it may still add a program to stop
                    sim.join(60)
                if stack is not None:
                    stack.stop()
            self.console.say(
                f"{PROG}: stopped; the brain, the terminal and the executor have exited"
            )
            if self.keep:
                if self.root.is_dir():
                    self.console.say(f"{PROG}: data and logs kept in {self.root}")
            else:
                shutil.rmtree(self.root, ignore_errors=True)
        return code

    def credentials(self, stack: Stack) -> creds.Credentials:
        """Reuse the data directory's credentials, or register new ones."""
        self.root.mkdir(parents=True, exist_ok=True)
        saved = creds.load(self.root) if stack.brain_db.exists() else None
        if saved is None:
            saved = creds.register(stack.brain_db)
            creds.save(self.root, saved)
        stack.executor_id, stack.api_key, stack.token = (
            saved.executor_id,
            saved.api_key,
            saved.token,
        )
        stack.signing_secret = saved.signing_secret
        return saved

    def start_executor(self, stack: Stack) -> None:
        if self.gui:
            from fx_demo.demo_keyring import BACKEND

            preferences = stack.executor_dir / "gui.toml"  # executor_app.gui.preferences
            if not preferences.exists():
                # The demo is refused on purpose every few seconds: no balloon each time.
                preferences.write_text("notify_rejections = false\n", encoding="utf-8")
            try:
                stack.start_executor(gui_env={"PYTHON_KEYRING_BACKEND": BACKEND})
                self.executor_mode = "tray GUI: its window and tray icon"
                return
            except StackError as exc:
                if self.settings.gui:
                    raise
                stack.programs.pop("executor").stop()
                self.console.say(
                    f"{PROG}: the tray GUI did not start ({_first_line(exc)}); running headless"
                )
        stack.start_executor()
        self.executor_mode = "headless"

    def banner(self, stack: Stack, login: creds.Credentials) -> None:
        if self.temporary and not self.keep:
            note = "removed at exit; --keep-data keeps it"
        else:
            note = "kept"
        banner = Banner(
            admin_url=f"{stack.brain_http}/admin",
            username=login.admin_user,
            password=login.admin_password,
            executor_id=stack.executor_id,
            token=stack.token,
            executor_mode=self.executor_mode,
            data_dir=str(self.root),
            data_note=note,
        )
        for line in banner.lines():
            self.console.say(line)

    async def trade(self, stack: Stack) -> int:
        """Run the strategy until Ctrl+C, SIGTERM, ``--run-for`` or a program's exit."""
        stop = asyncio.Event()
        reasons: list[tuple[str, int]] = []
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        tally, watch = Tally(), Watch()
        started = time.monotonic()
        self.console.begin()
        async with _client(stack) as brain:
            watch.apply_view(await brain.executor(stack.executor_id))
            feed = EventFeed(brain, stack.executor_id, watch)
            strategy = DemoStrategy(
                brain,
                stack.executor_id,
                feed,
                tally,
                pace=self.settings.pace,
                on_outcome=self.console.outcome,
            )

            def ended(task: asyncio.Task[Any]) -> None:
                if not task.cancelled() and task.exception() is not None:
                    exc = task.exception()
                    reasons.append((f"the demo strategy failed: {type(exc).__name__}: {exc}", 1))
                    stop.set()

            tasks = [
                asyncio.create_task(feed.run(), name="events"),
                asyncio.create_task(strategy.run(), name="strategy"),
                asyncio.create_task(self._watchdog(stack, stop, reasons), name="watchdog"),
                asyncio.create_task(self._redraw(tally, watch, started), name="console"),
            ]
            tasks[1].add_done_callback(ended)
            try:
                async with asyncio.timeout(self.settings.run_for):
                    await stop.wait()
            except TimeoutError:
                pass  # --run-for is up
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        self.console.finish(tally, watch, time.monotonic() - started)
        self.console.say("")
        self.console.say("  summary")
        for line in tally.summary_lines():
            self.console.say("    " + line)
        self.console.say("")
        if reasons:
            message, code = reasons[0]
            if code:
                return fail(message, code)
            self.console.say(f"{PROG}: {message}")
        if self.settings.run_for is not None and tally.round_trips == 0:
            return fail(
                f"no command made the full round trip in {self.settings.run_for:g} s "
                "(use --keep-data and read the logs)",
                1,
            )
        return 0

    async def _watchdog(
        self, stack: Stack, stop: asyncio.Event, reasons: list[tuple[str, int]]
    ) -> None:
        """A program that exits on its own ends the demo (the tray's Quit is a normal end)."""
        while True:
            for name, program in stack.programs.items():
                if not program.running:
                    code = program.proc.returncode if program.proc else None
                    if name == "executor" and self.gui and code == 0:
                        reasons.append(("the executor was closed from its tray; stopping", 0))
                    else:
                        self.keep = True
                        reasons.append(
                            (f"the {_NAMES[name]} exited unexpectedly (code {code}); "
                             f"its log: {program.log}", 1)
                        )  # fmt: skip
                    stop.set()
                    return
            await asyncio.sleep(0.5)

    async def _redraw(self, tally: Tally, watch: Watch, started: float) -> None:
        while True:
            self.console.refresh(tally, watch, time.monotonic() - started)
            await asyncio.sleep(0.5)


_NAMES = {"brain": "brain", "sim": "simulated terminal", "executor": "executor"}


def _client(stack: Stack) -> Any:
    from fx_client import BrainClient

    return BrainClient(stack.brain_http, stack.token)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    # A program's own one-line reason ("fx-brain: cannot listen ...") says more than ours.
    own = [line.strip() for line in lines[1:] if line.strip().startswith("fx-")]
    return own[-1] if own else (lines[0] if lines else type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
