"""Every setting of the brain, declared once: name, type, default, help.

Sources, later wins: defaults, a TOML file (``--config`` or ``FX_BRAIN_CONFIG``;
top-level keys or a ``[brain]`` table), ``FX_BRAIN_<NAME>`` environment
variables, then command-line flags. ``docs/brain.md`` documents each one, and a
test fails when a setting is missing there.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

ENV_PREFIX = "FX_BRAIN_"


class SettingsError(ValueError):
    """A setting has a bad value; the message names it."""


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("fx-brain", appauthor=False)) / "brain.db"


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    db: Path = field(
        default_factory=default_db_path,
        metadata={"help": "SQLite database file (created with its directory if missing)."},
    )
    host: str = _s("127.0.0.1", "Address `serve` listens on.")
    port: int = _s(8080, "TCP port `serve` listens on.")
    max_body_bytes: int = _s(16 * 1024, "Largest accepted HTTP request body; larger gets 413.")
    max_ws_message_bytes: int = _s(
        256 * 1024, "Largest accepted WebSocket frame (executor snapshots of many positions)."
    )
    hello_timeout_ms: int = _s(5000, "An executor must send HELLO within this after connecting.")
    heartbeat_interval_ms: int = _s(10_000, "How often the brain sends HEARTBEAT to executors.")
    heartbeat_timeout_ms: int = _s(
        30_000, "Silence after which an executor session is closed and marked offline."
    )
    auth_fail_delay_ms: int = _s(
        250, "Delay before answering a failed HELLO; doubles per repeated failure."
    )
    auth_fail_max_delay_ms: int = _s(5000, "Cap of the failed-HELLO delay.")
    auth_fail_window_ms: int = _s(
        60_000, "Failures from one address further apart than this start over."
    )
    default_expiry_ms: int = _s(
        0, "Time to live given to commands submitted without `expiry` (0 = never expire)."
    )
    expiry_sweep_ms: int = _s(
        1000, "How often pending commands of offline executors are checked for expiry."
    )
    delivery_batch: int = _s(100, "Commands claimed per delivery round for one executor.")
    events_queue_size: int = _s(
        10_000, "Events buffered per /ws/events subscriber before it is dropped as too slow."
    )
    list_limit_max: int = _s(1000, "Largest `limit` accepted by GET /api/v1/commands.")
    sqlite_synchronous: str = _s(
        "FULL", "SQLite `synchronous` pragma: FULL survives power loss, NORMAL only crashes."
    )
    log_level: str = _s("INFO", "Log level: DEBUG, INFO, WARNING, ERROR.")
    certfile: str = _s(
        "", "PEM certificate (chain) for TLS: serve https:// and wss:// (docs/security.md)."
    )
    keyfile: str = _s("", "PEM private key of `certfile`.")
    rest_rate_per_second: int = _s(
        1000, "REST requests per second allowed per API token on average (0 = no limit); 429."
    )
    rest_rate_burst: int = _s(2000, "REST requests one API token may make in a burst.")
    auth_fail_per_minute: int = _s(
        20, "Failed REST authentications per client address per minute before 429 (0 = off)."
    )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


SETTING_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    f = SETTING_FIELDS[name]
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "Path":
            return Path(str(value)).expanduser()
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "str":
            if not isinstance(value, str | int | float):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name!r}: {value!r} is not a valid {kind}") from None
    raise SettingsError(f"setting {name!r} has unsupported type {kind}")


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings from defaults, TOML, environment and explicit overrides (None = unset)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config_path = config or (
        Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None
    )
    if config_path is not None:
        try:
            data = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read config {config_path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config {config_path} is not valid TOML: {exc}") from None
        table = data.get("brain", data)
        if not isinstance(table, dict):
            raise SettingsError(f"config {config_path}: [brain] must be a table")
        for key, value in table.items():
            name = key.replace("-", "_")
            if name not in SETTING_FIELDS:
                raise SettingsError(f"config {config_path}: unknown setting {key!r}")
            values[name] = _coerce(name, value)
    for name in SETTING_FIELDS:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(name, raw)
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)
    settings = Settings(**values)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if not 0 <= settings.port <= 65535:
        raise SettingsError(f"setting 'port': {settings.port} is out of range")
    if bool(settings.certfile) != bool(settings.keyfile):
        raise SettingsError("settings 'certfile' and 'keyfile' go together")
    for name in ("certfile", "keyfile"):
        path = getattr(settings, name)
        if path and not Path(path).expanduser().is_file():
            raise SettingsError(f"setting {name!r}: {path} is not a readable file")
    if settings.sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise SettingsError("setting 'sqlite_synchronous' must be FULL, NORMAL or EXTRA")
    for name in (
        "max_body_bytes",
        "max_ws_message_bytes",
        "hello_timeout_ms",
        "heartbeat_interval_ms",
        "heartbeat_timeout_ms",
        "delivery_batch",
        "events_queue_size",
        "list_limit_max",
        "expiry_sweep_ms",
    ):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"setting {name!r} must be positive")
