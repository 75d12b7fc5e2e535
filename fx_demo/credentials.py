"""The demo's credentials: created once per data directory, reused when it is reused.

``demo-credentials.json`` in the data directory holds the executor id and API
key, the strategy token and the web admin login. The directory is the
user's own (``--data-dir``) or a temporary one, so the secrets sit with the
database they open.
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


def new_admin_password() -> str:
    """Readable and strong enough for a loopback demo: three groups of five."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def load(root: Path) -> Credentials | None:
    """The credentials saved in ``root``, if any (and readable)."""
    path = root / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**{k: str(data[k]) for k in Credentials.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(root: Path, credentials: Credentials) -> None:
    path = root / FILE_NAME
    path.write_text(json.dumps(asdict(credentials), indent=2), encoding="utf-8")
    if os.name == "posix":
        path.chmod(0o600)
