"""``fx-mt5sim``: run the simulated MT5 terminal, or dump its deals.

    fx-mt5sim [--command-endpoint tcp://127.0.0.1:5555] [--events-endpoint ...]
              [--state-dir DIR] [--seed N] [--tick-rate R] [--symbols A,B] ...
    fx-mt5sim deals [--state-dir DIR] [--json]

Exit status: 0 after a clean stop (SIGTERM/SIGINT), 2 for bad usage or a bad
setting, 1 for any failure (a port in use, an unreadable state dir, an
injected crash). Once both sockets are bound it prints exactly one line,
``fx-mt5sim ready command=<endpoint> events=<endpoint>``, on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import msgspec
import zmq
from loguru import logger

from mt5_simulator.server import SimulatedTerminal, check_endpoint
from mt5_simulator.settings import (
    FaultSettings,
    SettingsError,
    SimulatorSettings,
    field_help,
    load_settings,
    parse_symbols,
)
from mt5_simulator.store import StoreError, read_deals

PROG = "fx-mt5sim"


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's one-line error and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _add_settings(parser: argparse.ArgumentParser, struct: type[msgspec.Struct]) -> None:
    hints = typing.get_type_hints(struct)
    defaults = struct()
    for name, text in field_help(struct).items():
        if name == "faults":
            continue
        flag = "--" + name.replace("_", "-")
        default = getattr(defaults, name)
        # argparse treats % in help as a format character.
        help_text = f"{text} (default: {_show(default)})".replace("%", "%%")
        kind = hints[name]
        choices = _literal_choices(kind)
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=help_text)  # fmt: skip
        elif name == "symbols":
            parser.add_argument(flag, type=parse_symbols, default=None, metavar="SYM,SYM",
                                help=help_text)  # fmt: skip
        elif choices:
            parser.add_argument(flag, choices=choices, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=_scalar(kind), default=None,
                                metavar=name.upper(), help=help_text)  # fmt: skip


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "none" if value is None else str(value)


def _literal_choices(kind: Any) -> list[str] | None:
    if typing.get_origin(kind) is typing.Literal:
        return [str(v) for v in typing.get_args(kind)]
    return None


def _scalar(kind: Any) -> Any:
    args = [a for a in typing.get_args(kind) if a is not type(None)] or [kind]
    base = args[0]
    return base if base in (int, float) else str


def _run_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description=(
            "A simulated MetaTrader 5 terminal speaking the FX bridge EA protocol: ZeroMQ "
            "ROUTER for requests, PUB for events, account state persisted in --state-dir. "
            "Settings also come from a TOML file ([mt5sim] table) and FX_MT5SIM_* variables. "
            f"Subcommand: '{PROG} deals --state-dir DIR --json' dumps the deals."
        ),
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("FX_MT5SIM_CONFIG") or None,
        help="TOML settings file ([mt5sim] table); default $FX_MT5SIM_CONFIG, else none",
    )
    _add_settings(parser, SimulatorSettings)
    faults = parser.add_argument_group("fault injection (docs/simulator.md § Faults)")
    _add_settings(faults, FaultSettings)  # type: ignore[arg-type]
    return parser


def _deals_parser() -> _Parser:
    parser = _Parser(prog=f"{PROG} deals", description="Print the simulated account's deals.")
    parser.add_argument("--state-dir", help="the simulator's state directory")
    parser.add_argument("--json", action="store_true", help="one JSON array on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "deals":
        return _deals(args_list[1:])
    args = _run_parser().parse_args(args_list)
    overrides = {k: v for k, v in vars(args).items() if k != "config" and v is not None}
    try:
        settings = load_settings(overrides, config=args.config)
        for endpoint in (settings.command_endpoint, settings.events_endpoint):
            warning = check_endpoint(endpoint, settings.allow_remote)
            if warning:
                sys.stderr.write(f"{PROG}: warning: {warning}\n")
        logger.remove()
        logger.add(sys.stderr, level=settings.log_level.upper())
        terminal = SimulatedTerminal(settings)
    except (SettingsError, ValueError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2

    def stop(signum: int, _frame: object) -> None:
        terminal.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def ready() -> None:
        print(
            f"{PROG} ready command={settings.command_endpoint} events={settings.events_endpoint}",
            flush=True,
        )

    try:
        terminal.serve_forever(on_ready=ready)
    except zmq.ZMQError as exc:
        sys.stderr.write(f"{PROG}: cannot bind: {exc}\n")
        return 1
    except SettingsError as exc:  # e.g. an unreadable --replay file
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except StoreError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1
    except Exception as exc:
        sys.stderr.write(f"{PROG}: failed: {exc}\n")
        return 1
    return 0


def _deals(argv: list[str]) -> int:
    args = _deals_parser().parse_args(argv)
    try:
        state_dir = load_settings({"state_dir": args.state_dir}).resolved_state_dir()
        deals = list(read_deals(state_dir))
    except SettingsError as exc:  # e.g. an unreadable --replay file
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except StoreError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1
    rows = [
        {
            "ticket": d.ticket,
            "symbol": d.symbol,
            "type": d.side,
            "volume": d.volume,
            "price": d.price,
            "magic": d.magic,
            "comment": d.comment,
            "time": _iso(d.time_msc),
            "timeMsc": d.time_msc,
            "entry": d.entry,
            "order": d.order,
            "positionId": d.position_id,
            "profit": d.profit,
            "reason": d.reason,
        }
        for d in deals
    ]
    if args.json:
        json.dump(rows, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for r in rows:
        print(
            f"{r['ticket']:>10} {r['time']} {r['symbol']:<8} {r['type']:<4} {r['entry']:<5} "
            f"{r['volume']:>8} @ {r['price']:<12} magic={r['magic']} {r['comment']}"
        )
    return 0


def _iso(time_msc: int) -> str:
    moment = dt.datetime.fromtimestamp(time_msc / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


if __name__ == "__main__":
    raise SystemExit(main())
