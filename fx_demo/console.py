"""The demo's console: a banner, then a live status block (TTY) or plain lines (pipe, log).

:func:`status_block` and :func:`outcome_line` are pure; :class:`Console`
writes them. On a terminal the block is redrawn in place; otherwise each
finished command is one line and a status line follows every few seconds,
so a log file or CI output stays readable.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from fx_demo.strategy import SYMBOLS
from fx_demo.tally import Outcome, Tally
from fx_demo.watch import Watch

PLAIN_STATUS_EVERY = 5.0
_SGR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Banner:
    """What the user needs to look around: URLs, login, where things are."""

    admin_url: str
    username: str
    password: str
    executor_id: str
    token: str
    executor_mode: str
    data_dir: str
    data_note: str

    def lines(self) -> list[str]:
        return [
            "",
            "  fx-demo  brain + simulated MT5 terminal + executor, all on this machine",
            "",
            f"  Web admin   {self.admin_url}",
            f"  Login       {self.username} / {self.password}",
            f"  Executor    {self.executor_id}  ({self.executor_mode})",
            f"  API token   {self.token}",
            f"  Data        {self.data_dir}  ({self.data_note})",
            "",
            "  A demo strategy trades EURUSD, GBPUSD and XAUUSD on the simulated account:",
            "  market orders with SL/TP, a pending order, a modify, partial and full closes,",
            "  and one command per round that the executor's safety limits refuse.",
            "",
        ]


def _marks(stream: TextIO, color: bool) -> dict[str, str]:
    encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
    marks = {"executed": "✓", "rejected": "✗"} if encoding.startswith("utf") else {
        "executed": "+", "rejected": "x"
    }  # fmt: skip
    if color:  # green and red, as a terminal shows them (NO_COLOR turns this off)
        marks = {"executed": f"\x1b[32m{marks['executed']}\x1b[0m",
                 "rejected": f"\x1b[31m{marks['rejected']}\x1b[0m"}  # fmt: skip
    return marks


def outcome_line(outcome: Outcome, marks: dict[str, str] | None = None, width: int = 46) -> str:
    """One finished command: mark, what was sent, how it ended."""
    marks = marks or {"executed": "+", "rejected": "x"}
    mark = marks.get(outcome.status, "?")
    latency = "" if outcome.latency_ms is None else f"  {outcome.latency_ms:.0f} ms"
    label = outcome.label if len(outcome.label) <= width else outcome.label[: width - 1] + "…"
    return f"{mark} {label:<{width}} {outcome.status} {outcome.detail}{latency}".rstrip()


def _ansi_ok() -> bool:
    """Whether the console understands cursor movement (Windows: turn it on if it can)."""
    if os.name != "nt":
        return True
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        handle = kernel32.GetStdHandle(-11)  # STD_OUTPUT_HANDLE
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        # ENABLE_VIRTUAL_TERMINAL_PROCESSING; old consoles refuse it: plain lines then
        return bool(kernel32.SetConsoleMode(handle, mode.value | 0x0004))
    except (AttributeError, OSError):
        return False


def _fit(line: str, width: int) -> str:
    """``line`` cut to ``width`` visible characters (colour codes do not count)."""
    hidden = len(line) - len(_SGR.sub("", line))
    return line if len(line) - hidden <= width else line[: width + hidden - 1] + "…\x1b[0m"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def status_line(tally: Tally, watch: Watch) -> str:
    """The plain periodic status: counts, last latency, positions, equity."""
    equity = "-" if watch.equity is None else f"{watch.equity:,.2f} {watch.currency}".strip()
    positions = "-" if watch.positions is None else str(watch.positions)
    return (
        f"status: sent {tally.sent}, executed {tally.executed}, rejected {tally.rejected}, "
        f"last latency {_ms(tally.last_latency_ms)}, positions {positions}, equity {equity}"
    )


def status_block(
    tally: Tally, watch: Watch, elapsed: float, marks: dict[str, str], footer: str
) -> list[str]:
    """The live block shown on a terminal."""
    minutes, seconds = divmod(int(elapsed), 60)
    state = watch.trading_state or "?"
    online = {True: "online", False: "OFFLINE", None: "connecting"}[watch.online]
    equity = "-" if watch.equity is None else f"{watch.equity:,.2f} {watch.currency}".strip()
    balance = "-" if watch.balance is None else f"{watch.balance:,.2f}"
    prices = "  ".join(
        f"{symbol} {quote.bid}/{quote.ask}"
        for symbol in SYMBOLS
        if (quote := watch.quotes.get(symbol)) is not None
    )
    lines = [
        f"  running {minutes:02d}:{seconds:02d}   executor {online}, trading {state}",
        f"  commands  sent {tally.sent}   executed {tally.executed}   "
        f"rejected {tally.rejected}   last {_ms(tally.last_latency_ms)}   "
        f"median {_ms(tally.median_latency_ms)}",
        f"  account   equity {equity}   balance {balance}   "
        f"positions {'-' if watch.positions is None else watch.positions}   "
        f"pending orders {'-' if watch.orders is None else watch.orders}",
        f"  prices    {prices or 'waiting for the first ticks'}",
        "",
        "  recent commands",
    ]
    recent = list(tally.recent)[-6:]
    lines += [f"    {outcome_line(o, marks)}" for o in recent]
    lines += ["    …"] * (6 - len(recent))
    lines += ["", f"  {footer}"]
    return lines


class Console:
    """Writes the demo's output; ``live`` redraws the block in place (a terminal)."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = (self.stream.isatty() and _ansi_ok()) if live is None else live
        self.marks = _marks(self.stream, self.live and "NO_COLOR" not in os.environ)
        self._drawn = 0
        self._last_plain = time.monotonic()
        self._last_status = ""
        self._closed = False
        self.footer = "Ctrl+C stops the demo"

    def begin(self) -> None:
        """Trading starts: the first plain status line comes a few seconds from now."""
        self._last_plain = time.monotonic()

    def say(self, line: str = "") -> None:
        self._write(line + "\n")

    def _write(self, text: str) -> None:
        """Output is for the user: a closed pipe (``fx-demo | head``) must not stop the demo."""
        if self._closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._closed = True

    def outcome(self, outcome: Outcome) -> None:
        if not self.live:
            self.say(outcome_line(outcome, self.marks))

    def refresh(self, tally: Tally, watch: Watch, elapsed: float) -> None:
        """Called about twice a second."""
        if self.live:
            # A wrapped line would break the cursor-up count: cut each to the width.
            width = max(20, shutil.get_terminal_size().columns - 1)
            lines = [
                _fit(line, width)
                for line in status_block(tally, watch, elapsed, self.marks, self.footer)
            ]
            # Up to the block's first line, clear to the end of the screen, redraw.
            up = f"\x1b[{self._drawn}F" if self._drawn else ""
            self._write(up + "\x1b[J" + "\n".join(lines) + "\n")
            self._drawn = len(lines)
        elif time.monotonic() - self._last_plain >= PLAIN_STATUS_EVERY:
            self._status(tally, watch)

    def _status(self, tally: Tally, watch: Watch) -> None:
        self._last_plain = time.monotonic()
        line = status_line(tally, watch)
        if line != self._last_status:  # nothing new: no line
            self._last_status = line
            self.say(line)

    def finish(self, tally: Tally, watch: Watch, elapsed: float) -> None:
        """The last state of the block (or status line), then stop redrawing."""
        if self.live:
            self.footer = "stopped"
            self.refresh(tally, watch, elapsed)
        else:
            self._status(tally, watch)
        self._drawn = 0
