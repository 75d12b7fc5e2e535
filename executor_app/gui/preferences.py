"""The tray app's own preferences, in ``gui.toml`` beside the executor's config file.

They live apart from ``config.toml`` because that file describes the
executor (and is also read by ``--headless``, which must not care about
windows); its loader refuses unknown sections. Declared once here, typed,
with defaults and help text (``docs/gui.md`` § Preferences lists them).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import msgspec
import tomli_w

from executor_app.config import default_config_path


def _help(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class Preferences(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    start_minimised: Annotated[bool, _help("Start in the tray without opening the window.")] = False
    notify_halts: Annotated[bool, _help("Notify when trading becomes HALTED.")] = True
    notify_rejections: Annotated[bool, _help("Notify when a command is rejected.")] = True
    notify_disconnects: Annotated[
        bool, _help("Notify when the brain or the terminal connection is lost.")
    ] = True
    notify_fills: Annotated[bool, _help("Notify when a command is executed (filled).")] = False


def config_file(config_path: Path | None) -> Path:
    """The executor config file the GUI edits (the same rule as ``load_settings``)."""
    import os

    if config_path is not None:
        return Path(config_path)
    return Path(os.environ.get("FX_EXECUTOR_CONFIG") or default_config_path())


def preferences_file(config_path: Path | None) -> Path:
    return config_file(config_path).with_name("gui.toml")


def load_preferences(path: Path) -> Preferences:
    """Defaults when the file is missing or unreadable (preferences never stop the app)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return msgspec.convert(data, Preferences)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError):
        return Preferences()


def save_preferences(path: Path, prefs: Preferences) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, tomli_w.dumps(msgspec.structs.asdict(prefs)))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
