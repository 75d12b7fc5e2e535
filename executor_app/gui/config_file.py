"""Writing the settings dialog's changes: the TOML config (tomli-w) and the OS keyring.

Only the keys the dialog edits are replaced; everything else in the file
(timeouts, storage, ``api_key_env``, comments aside) is kept. The file is
written atomically and read back with ``load_settings`` before it replaces
the old one, so a saved config is always one the executor accepts.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import msgspec
import tomli_w

from executor_app.config import KEYRING_SERVICE, ConfigError, Settings, load_settings
from executor_app.core.limits import Limits


def stored_key(executor_id: str) -> bool:
    """Is there an API key in the keyring for this executor? (The key itself never leaves.)"""
    if not executor_id:
        return False
    try:
        return bool(keyring.get_password(KEYRING_SERVICE, executor_id))
    except keyring.errors.KeyringError:
        return False


def store_key(executor_id: str, key: str) -> None:
    """Raises keyring.errors.KeyringError when the OS keyring refuses."""
    keyring.set_password(KEYRING_SERVICE, executor_id, key)


def signing_user(executor_id: str) -> str | None:
    """The keyring user of the command signing secret, or None if this build has no signing."""
    from executor_app import config

    user = getattr(config, "signing_key_user", None)
    return None if user is None else str(user(executor_id))


def stored_secret(executor_id: str) -> bool:
    user = signing_user(executor_id) if executor_id else None
    if user is None:
        return False
    try:
        return bool(keyring.get_password(KEYRING_SERVICE, user))
    except keyring.errors.KeyringError:
        return False


def store_secret(executor_id: str, secret: str) -> None:
    user = signing_user(executor_id)
    if user is None:
        raise ValueError("this executor does not verify signed commands")
    keyring.set_password(KEYRING_SERVICE, user, secret)


def read_key(executor_id: str) -> str:
    try:
        return keyring.get_password(KEYRING_SERVICE, executor_id) or ""
    except keyring.errors.KeyringError:
        return ""


def edited(
    path: Path, *, url: str, executor_id: str, command: str, events: str, limits: Limits
) -> dict[str, Any]:
    """The file's current tables with the dialog's values put in."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
    data.setdefault("brain", {}).update(url=url, executor_id=executor_id)
    data.setdefault("terminal", {}).update(command_endpoint=command, events_endpoint=events)
    data["limits"] = msgspec.structs.asdict(limits)
    return data


def write(path: Path, data: dict[str, Any]) -> Settings:
    """Validate through the executor's own loader, then replace the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    try:
        settings = load_settings(tmp, environ={})
    except ConfigError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return settings
