"""Every setting of ``fx-demo``, declared once with its type, default and help.

Sources, lowest to highest precedence: these defaults, a TOML file
(``--config PATH``, table ``[demo]``), ``FX_DEMO_<NAME>`` environment
variables (e.g. ``FX_DEMO_PORT=0``), then command-line flags. The CLI builds
its flags from these declarations and ``docs/demo.md`` lists them all (a test
keeps the two in step).
"""

from __future__ import annotations

import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

ENV_PREFIX = "FX_DEMO_"


def _help(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class DemoSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one demo runs."""

    headless: Annotated[
        bool, _help("no tray GUI for the executor: a live console summary instead")
    ] = False
    gui: Annotated[
        bool, _help("insist on the executor's tray GUI (exit 2 when there is no display)")
    ] = False
    run_for: Annotated[
        Annotated[float, msgspec.Meta(gt=0)] | None,
        _help(
            "stop after SECONDS of demo trading and print a summary; exit 0 only if a "
            "command made the full round trip (default: run until Ctrl+C)"
        ),
    ] = None
    port: Annotated[
        int,
        msgspec.Meta(ge=0, le=65535),
        _help("the brain's port on 127.0.0.1 (0 = any free port)"),
    ] = 8080
    data_dir: Annotated[
        str | None,
        _help(
            "keep the brain, terminal and executor data in DIR and reuse it next time "
            "(default: a fresh temporary directory, removed at exit)"
        ),
    ] = None
    keep_data: Annotated[
        bool, _help("keep the temporary data directory at exit (its path is printed)")
    ] = False
    seed: Annotated[int, _help("random seed of the simulated prices")] = 7
    pace: Annotated[
        float, msgspec.Meta(ge=0, le=60), _help("seconds between two demo commands")
    ] = 0.8


class SettingsError(ValueError):
    """A setting has a wrong type or value; the message names it."""


def fields() -> dict[str, tuple[Any, Any, str]]:
    """name → (type, default, help) of every setting, in declaration order."""
    hints = typing.get_type_hints(DemoSettings, include_extras=True)
    out: dict[str, tuple[Any, Any, str]] = {}
    for field in msgspec.structs.fields(DemoSettings):
        hint = hints[field.name]
        base, *metas = typing.get_args(hint)
        text = next(m.description for m in metas if isinstance(m, msgspec.Meta) and m.description)
        out[field.name] = (base, field.default, text)
    return out


def load_settings(
    config: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DemoSettings:
    """Defaults < TOML ``[demo]`` < ``FX_DEMO_*`` < ``overrides`` (flags given, not None)."""
    import os

    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if config is None and environ.get(ENV_PREFIX + "CONFIG"):
        config = Path(environ[ENV_PREFIX + "CONFIG"])
    if config is not None:
        try:
            table = tomllib.loads(config.read_text(encoding="utf-8")).get("demo", {})
        except OSError as exc:
            raise SettingsError(f"cannot read {config}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config} is not valid TOML: {exc}") from None
        values.update(table)
    known = fields()
    for name, (kind, _default, _help_text) in known.items():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _from_env(name, kind, raw)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return msgspec.convert(values, DemoSettings)
    except msgspec.ValidationError as exc:
        raise SettingsError(str(exc)) from None


def value_type(kind: Any) -> type[int] | type[float] | type[str]:
    """The scalar a non-bool setting is parsed as, ``float | None`` → float."""
    options = [getattr(option, "__origin__", option) for option in typing.get_args(kind) or (kind,)]
    for scalar in (float, int):
        if scalar in options:
            return scalar
    return str


def _from_env(name: str, kind: Any, raw: str) -> Any:
    variable = ENV_PREFIX + name.upper()
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{variable}: expected true or false, got {raw!r}")
    number = value_type(kind)
    if number is str:
        return raw
    try:
        return number(raw)
    except ValueError:
        raise SettingsError(f"{variable}: expected a number, got {raw!r}") from None
