"""Every setting of the simulated terminal, declared once with its type, default and help.

Sources, lowest to highest precedence: defaults here, a TOML file
(``--config PATH``, table ``[mt5sim]``, faults in ``[mt5sim.faults]``),
``FX_MT5SIM_<NAME>`` environment variables (e.g. ``FX_MT5SIM_TICK_RATE=500``,
``FX_MT5SIM_REPLY_DELAY_MS=200`` for a fault), then command-line flags.
The CLI builds its flags from these declarations and ``docs/simulator.md``
lists them all (a test keeps the two in step).
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import platformdirs

DEFAULT_SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD")
ENV_PREFIX = "FX_MT5SIM_"


def _help(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class FaultSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Failures to inject, for tests of the executor's recovery (``docs/simulator.md`` § Faults)."""

    reply_delay_ms: Annotated[
        int, msgspec.Meta(ge=0), _help("delay every reply by this many milliseconds")
    ] = 0
    drop_trade_replies: Annotated[
        int,
        msgspec.Meta(ge=0),
        _help("execute the next N TRADE requests but send no reply (an ambiguous outcome)"),
    ] = 0
    reject_next: Annotated[
        int, msgspec.Meta(ge=0), _help("answer the next N TRADE requests with --reject-retcode")
    ] = 0
    reject_retcode: Annotated[
        int, _help("the retcode for --reject-next (default 10006 REJECT)")
    ] = 10006
    heartbeats: Annotated[bool, _help("publish heartbeat events (--no-heartbeats stops them)")] = (
        True
    )
    crash_after_trades: Annotated[
        int,
        msgspec.Meta(ge=0),
        _help("exit abruptly (os._exit 1) after committing the Nth trade, before replying"),
    ] = 0
    crash_before_trade: Annotated[
        int,
        msgspec.Meta(ge=0),
        _help("exit abruptly (os._exit 1) when the Nth TRADE arrives, before executing it"),
    ] = 0


class SimulatorSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one simulated terminal runs."""

    command_endpoint: Annotated[
        str, _help("ZeroMQ ROUTER endpoint for requests (the EA's command socket)")
    ] = "tcp://127.0.0.1:5555"
    events_endpoint: Annotated[str, _help("ZeroMQ PUB endpoint for events")] = (
        "tcp://127.0.0.1:5556"
    )
    allow_remote: Annotated[
        bool, _help("allow endpoints that are not loopback (prints a warning)")
    ] = False
    state_dir: Annotated[
        str | None,
        _help("directory of the account database (default: the user data dir of fx-mt5sim)"),
    ] = None
    seed: Annotated[int | None, _help("random seed for prices and slippage (default: random)")] = (
        None
    )
    tick_rate: Annotated[
        float, msgspec.Meta(ge=0), _help("ticks per second across all symbols (0 = no ticks)")
    ] = 20.0
    symbols: Annotated[
        tuple[str, ...], _help("symbols to quote, comma-separated on the command line")
    ] = DEFAULT_SYMBOLS
    replay: Annotated[
        str | None, _help("CSV of time_msc,symbol,bid,ask to replay instead of a random walk")
    ] = None
    replay_speed: Annotated[
        float,
        msgspec.Meta(ge=0),
        _help("replay at the file's own time_msc pace times this (1 = real time); 0 = tick_rate"),
    ] = 0.0
    mode: Annotated[
        Literal["hedging", "netting"], _help("account margin mode of a new account")
    ] = "hedging"
    balance: Annotated[float, msgspec.Meta(gt=0), _help("opening balance of a new account")] = (
        10_000.0
    )
    leverage: Annotated[int, msgspec.Meta(ge=1), _help("account leverage (1:N)")] = 100
    currency: Annotated[str, _help("deposit currency of a new account")] = "USD"
    login: Annotated[int, _help("account number reported by GET_ACCOUNT")] = 5_100_001
    server: Annotated[str, _help("trade server name reported by GET_ACCOUNT")] = "FxBridge-Sim"
    heartbeat_ms: Annotated[
        int, msgspec.Meta(ge=10), _help("milliseconds between heartbeat events")
    ] = 1000
    account_update_ms: Annotated[
        int,
        msgspec.Meta(ge=10),
        _help("at most one account event per this many ms while only prices move"),
    ] = 1000
    market_hours: Annotated[
        Literal["always", "sessions"],
        _help("'always' trades around the clock; 'sessions' applies each symbol's hours"),
    ] = "always"
    slippage_points: Annotated[
        int, msgspec.Meta(ge=0), _help("largest random slippage of market fills, in points")
    ] = 0
    commission_per_lot: Annotated[
        float,
        msgspec.Meta(ge=0),
        _help("commission per lot on every deal, in the deposit currency (ECN-style)"),
    ] = 0.0
    stop_out_level: Annotated[
        float,
        msgspec.Meta(ge=0),
        _help("margin level in % below which the worst position is stopped out (0 = never)"),
    ] = 50.0
    max_trades_per_second: Annotated[
        int, msgspec.Meta(ge=0), _help("more TRADE requests per second get 10024 (0 = off)")
    ] = 0
    log_level: Annotated[str, _help("loguru level for stderr logging")] = "INFO"
    faults: FaultSettings = FaultSettings()

    def resolved_state_dir(self) -> Path:
        if self.state_dir:
            return Path(self.state_dir).expanduser()
        return Path(platformdirs.user_data_dir("fx-mt5sim", appauthor=False))


class SettingsError(ValueError):
    """A setting has a wrong type or value; the message names it."""


def field_help(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Field name → help text, read from the ``msgspec.Meta`` declarations above."""
    hints = typing.get_type_hints(struct, include_extras=True)
    result: dict[str, str] = {}
    for name in struct.__struct_fields__:
        metas = getattr(hints[name], "__metadata__", ())
        texts = [m.description for m in metas if isinstance(m, msgspec.Meta) and m.description]
        result[name] = texts[0] if texts else ""
    return result


def load_settings(
    overrides: Mapping[str, Any],
    *,
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> SimulatorSettings:
    """Merge defaults, the TOML file, the environment and explicit overrides."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if config is not None:
        try:
            with config.open("rb") as handle:
                table = tomllib.load(handle)
        except OSError as exc:
            raise SettingsError(f"cannot read config {config}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config {config} is not valid TOML: {exc}") from None
        data = dict(table.get("mt5sim", {}))
    faults: dict[str, Any] = dict(data.pop("faults", {}))
    fault_names = set(FaultSettings.__struct_fields__)
    for name in SimulatorSettings.__struct_fields__:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is not None and name != "faults":
            data[name] = _from_env(name, value)
    for name in fault_names:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is not None:
            faults[name] = value
    for name, value in overrides.items():
        if value is None:
            continue
        if name in fault_names:
            faults[name] = value
        else:
            data[name] = value
    data["faults"] = faults
    try:
        return msgspec.convert(data, SimulatorSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from None


def _from_env(name: str, value: str) -> Any:
    if name == "symbols":
        return parse_symbols(value)
    return value


def parse_symbols(text: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())
