"""The demo's credentials: created once per data directory, reused when it is reused.

``demo-credentials.json`` in the data directory holds the executor id, API
key and command signing secret, the strategy token and the web admin login.
The directory is the user's own (``--data-dir``) or a temporary one, so the
secrets sit with the database they open.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "demo-credentials.json"
ADMIN_USER = "admin"


@dataclass(frozen=True)
class Credentials:
    executor_id: str
    api_key: str
    token: str
    admin_user: str
    admin_password: str
    #: the executor's command signing secret (docs/security.md); "" in files from before it
    signing_secret: str = ""


def new_admin_password() -> str:
    """Readable and strong enough for a loopback demo: three groups of five."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def load(root: Path) -> Credentials | None:
    """The credentials saved in ``root``, if any (and readable)."""
    path = root / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = Credentials.__dataclass_fields__
        return Credentials(**{k: str(data[k]) for k in fields if k in data})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(root: Path, credentials: Credentials) -> None:
    path = root / FILE_NAME
    path.write_text(json.dumps(asdict(credentials), indent=2), encoding="utf-8")
    if os.name == "posix":
        path.chmod(0o600)


def register(db: Path) -> Credentials:
    """New demo credentials in the brain database ``db`` (the brain not running yet).

    The same as ``fx-brain executors add``, ``tokens add`` and
    ``admin-password``, done in this process: three interpreter start-ups
    less before the demo shows anything.
    """
    from loguru import logger

    from brain_server.clock import now_ms
    from brain_server.credentials import hash_password
    from brain_server.store import Store

    logger.disable("brain_server")  # its debug lines are for the brain's own log, not this console

    password = new_admin_password()
    store = Store(db)
    try:
        executor_id, api_key = store.add_executor("demo-executor", now_ms())
        signing_secret = store.executor_signing_secret(executor_id) or ""
        token = store.add_token("demo-strategy", now_ms())
        store.set_admin_password(ADMIN_USER, hash_password(password), now_ms())
    finally:
        store.close()
    return Credentials(executor_id, api_key, token, ADMIN_USER, password, signing_secret)
