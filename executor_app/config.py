"""Executor settings: declared once here, read from TOML, overridden by ``FX_*`` variables.

Sources, later wins (``docs/configuration.md``):

1. the defaults below;
2. the TOML file given by ``--config`` or ``FX_EXECUTOR_CONFIG``, else
   ``config.toml`` in the user config dir (``platformdirs``, app "fx-executor");
3. environment variables ``FX_EXECUTOR_<SECTION>_<KEY>``, e.g.
   ``FX_EXECUTOR_BRAIN_URL`` or ``FX_EXECUTOR_LIMITS_MAX_VOLUME_PER_ORDER``
   (lists comma-separated, booleans true/false).

The API key is never a setting: it comes from the OS keyring (service
``fx-executor``, user = executor id) or, for headless use, from the
environment variable named by ``brain.api_key_env``.
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any

import msgspec
import platformdirs

from executor_app.core.limits import Limits

APP_NAME = "fx-executor"
KEYRING_SERVICE = "fx-executor"
ENV_PREFIX = "FX_EXECUTOR_"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the user."""


def _help(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


def _data_dir() -> str:
    return platformdirs.user_data_dir(APP_NAME, appauthor=False)


def _log_dir() -> str:
    return platformdirs.user_log_dir(APP_NAME, appauthor=False)


class BrainSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[brain]``: where the brain is and who this executor is."""

    url: Annotated[str, _help("Brain WebSocket URL (wss:// in production).")] = (
        "ws://127.0.0.1:8080/ws/executor"
    )
    executor_id: Annotated[str, _help("This executor's id, from `fx-brain executors add`.")] = ""
    api_key_env: Annotated[
        str,
        _help(
            "Name of an environment variable holding the API key (headless use); "
            "empty = OS keyring only."
        ),
    ] = ""
    signing_secret_env: Annotated[
        str,
        _help(
            "Name of an environment variable holding the command signing secret "
            "(headless use); empty = OS keyring only (docs/security.md)."
        ),
    ] = ""
    require_signed_commands: Annotated[
        bool,
        _help(
            "Refuse every TRADE_SIGNAL without a valid signature (BAD_SIGNATURE), "
            "even when no signing secret is set up."
        ),
    ] = True
    command_max_age_seconds: Annotated[
        float,
        _help(
            "A signed TRADE_SIGNAL whose timestamp is further than this from the "
            "executor's clock is refused STALE_COMMAND."
        ),
    ] = 60.0
    ca_file: Annotated[
        str,
        _help("PEM file of the CA that signed the brain's certificate; empty = system CAs."),
    ] = ""
    pinned_cert_sha256: Annotated[
        str,
        _help(
            "SHA-256 fingerprint (hex) of the brain's certificate; when set, only that "
            "certificate is accepted (CA checks are skipped)."
        ),
    ] = ""
    allow_insecure: Annotated[
        bool,
        _help("Allow plain ws:// to a host other than loopback (logged as a warning)."),
    ] = False
    connect_timeout_seconds: Annotated[
        float, _help("Time allowed for connect + HELLO/WELCOME before retrying.")
    ] = 10.0
    reconnect_max_seconds: Annotated[
        float, _help("Longest pause between reconnect attempts (jittered exponential backoff).")
    ] = 10.0
    status_interval_seconds: Annotated[
        float,
        _help("How often EXECUTOR_STATUS, POSITIONS and ACCOUNT snapshots are sent."),
    ] = 5.0
    tick_forward_hz: Annotated[
        float,
        _help(
            "How many times per second the latest tick per symbol is forwarded as "
            "MARKET_UPDATE; 0 = never."
        ),
    ] = 4.0


class TerminalSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[terminal]``: the EA's ZeroMQ endpoints and how patient to be with them."""

    command_endpoint: Annotated[str, _help("The EA's ROUTER (requests and replies).")] = (
        "tcp://127.0.0.1:5555"
    )
    events_endpoint: Annotated[str, _help("The EA's PUB (ticks, trades, account, heartbeat).")] = (
        "tcp://127.0.0.1:5556"
    )
    request_timeout_seconds: Annotated[
        float,
        _help(
            "A TRADE without reply after this long becomes `unknown` and is resolved "
            "with QUERY_COMMAND."
        ),
    ] = 5.0
    heartbeat_timeout_seconds: Annotated[
        float,
        _help(
            "No event from the EA for this long marks the terminal unavailable; "
            "commands are then rejected TERMINAL_UNAVAILABLE."
        ),
    ] = 5.0
    allow_remote: Annotated[
        bool,
        _help(
            "Allow terminal endpoints on another machine (unauthenticated, unencrypted "
            "ZeroMQ; logged as a warning)."
        ),
    ] = False


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[storage]``: where the journal and the logs live."""

    journal_path: Annotated[
        str, _help("SQLite journal file; empty = journal.sqlite3 in the user data dir.")
    ] = ""
    log_dir: Annotated[str, _help("Directory of rotating log files; empty = user log dir.")] = ""
    log_level: Annotated[str, _help("Console and file log level (DEBUG, INFO, WARNING).")] = "INFO"

    def journal_file(self) -> Path:
        return (
            Path(self.journal_path)
            if self.journal_path
            else Path(_data_dir()) / ("journal.sqlite3")
        )

    def log_directory(self) -> Path:
        return Path(self.log_dir) if self.log_dir else Path(_log_dir())


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    brain: BrainSettings = msgspec.field(default_factory=BrainSettings)
    terminal: TerminalSettings = msgspec.field(default_factory=TerminalSettings)
    limits: Limits = msgspec.field(default_factory=Limits)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)


SECTIONS: dict[str, type[msgspec.Struct]] = {
    "brain": BrainSettings,
    "terminal": TerminalSettings,
    "limits": Limits,
    "storage": StorageSettings,
}


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def setting_docs() -> list[tuple[str, str, str, Any]]:
    """Every setting: (``section.key``, env var, help text, default) for docs and tests."""
    out = []
    for section, struct in SECTIONS.items():
        defaults = struct()
        hints = typing.get_type_hints(struct, include_extras=True)
        for field in msgspec.structs.fields(struct):
            text = ""
            for meta in getattr(hints[field.name], "__metadata__", ()):
                if isinstance(meta, msgspec.Meta) and meta.description:
                    text = meta.description
            out.append(
                (
                    f"{section}.{field.name}",
                    env_name(section, field.name),
                    text,
                    getattr(defaults, field.name),
                )
            )
    return out


def _env_value(raw: str, annotation: Any) -> Any:
    base = typing.get_origin(annotation)
    if base is Annotated:
        annotation = typing.get_args(annotation)[0]
        base = typing.get_origin(annotation)
    if base is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if annotation is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"expected true or false, got {raw!r}")
    if annotation is time:
        return time.fromisoformat(raw)
    if annotation is int:
        return int(raw)
    if annotation is float:
        return float(raw)
    return raw


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for section, struct in SECTIONS.items():
        hints = typing.get_type_hints(struct, include_extras=True)
        for field in msgspec.structs.fields(struct):
            name = env_name(section, field.name)
            if name not in environ:
                continue
            try:
                value = _env_value(environ[name], hints[field.name])
            except (ValueError, ConfigError) as exc:
                raise ConfigError(f"{name}: {exc}") from None
            data.setdefault(section, {})[field.name] = value


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults ← TOML file ← environment. Raises :class:`ConfigError` with one line."""
    environ = os.environ if environ is None else environ
    explicit = path is not None or bool(environ.get(f"{ENV_PREFIX}CONFIG"))
    file = path or Path(environ.get(f"{ENV_PREFIX}CONFIG") or default_config_path())
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {file}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    elif explicit:
        raise ConfigError(f"config file {file} does not exist")
    _apply_env(data, environ)
    try:
        settings = msgspec.convert(data, Settings)
    except msgspec.ValidationError as exc:
        where = file if file.exists() else "configuration"
        raise ConfigError(f"{where}: {exc}") from None
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(settings.limits.daily_reset_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"limits.daily_reset_zone: unknown time zone {settings.limits.daily_reset_zone!r}"
        ) from None
    url = settings.brain.url
    if not url.startswith(("ws://", "wss://")):
        raise ConfigError(f"brain.url must start with ws:// or wss://, got {url!r}")
    from executor_app.tls import TlsError, check_brain_url, is_loopback

    try:
        check_brain_url(settings.brain)
    except TlsError as exc:
        raise ConfigError(str(exc)) from None
    for key in ("command_endpoint", "events_endpoint"):
        endpoint = getattr(settings.terminal, key)
        if "://" not in endpoint:
            raise ConfigError(f"terminal.{key} must look like tcp://HOST:PORT, got {endpoint!r}")
        host = endpoint.split("://", 1)[1].rsplit(":", 1)[0]
        if (
            endpoint.startswith("tcp://")
            and not is_loopback(host)
            and not settings.terminal.allow_remote
        ):
            # docs/security.md § Terminal endpoints: the EA's sockets have no authentication.
            raise ConfigError(
                f"terminal.{key} {endpoint!r} is not loopback: set terminal.allow_remote = true "
                "if the terminal really runs on another machine"
            )


def api_key(settings: Settings, headless: bool, environ: Mapping[str, str] | None = None) -> str:
    """The executor's API key: env var (headless) first, else the OS keyring."""
    environ = os.environ if environ is None else environ
    brain = settings.brain
    if not brain.executor_id:
        raise ConfigError("brain.executor_id is not set (see `fx-brain executors add`)")
    if headless and brain.api_key_env:
        value = environ.get(brain.api_key_env, "")
        if value:
            return value
    import keyring
    import keyring.errors

    try:
        value = keyring.get_password(KEYRING_SERVICE, brain.executor_id) or ""
    except keyring.errors.KeyringError:
        value = ""
    if not value:
        where = f"${brain.api_key_env} or " if headless and brain.api_key_env else ""
        raise ConfigError(
            f"no API key for executor {brain.executor_id}: set {where}the OS keyring "
            f"entry (service {KEYRING_SERVICE!r}, user {brain.executor_id!r})"
        )
    return value


def signing_key_user(executor_id: str) -> str:
    """The keyring user name of the signing secret (service ``fx-executor``)."""
    return f"{executor_id}:signing"


def signing_secret(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """The command signing secret: the env var named by ``brain.signing_secret_env``
    first, else the OS keyring; "" when neither has one (docs/security.md)."""
    environ = os.environ if environ is None else environ
    brain = settings.brain
    if brain.signing_secret_env:
        value = environ.get(brain.signing_secret_env, "")
        if value:
            return value
    if not brain.executor_id:
        return ""
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, signing_key_user(brain.executor_id)) or ""
    except keyring.errors.KeyringError:
        return ""
