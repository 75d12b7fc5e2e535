"""A keyring backend for the demo's tray executor: the demo key, never the OS keyring.

The tray GUI reads its API key from the OS keyring only. The demo's executor
is short-lived and its key throwaway, so instead of writing it into the
user's keyring (and leaving it there if the demo is killed), ``fx-demo``
starts the GUI with ``PYTHON_KEYRING_BACKEND=fx_demo.demo_keyring.DemoKeyring``
and the key in :data:`fx_demo.stack.KEY_ENV`.
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from fx_demo.stack import KEY_ENV, SIGNING_ENV

BACKEND = f"{__name__}.DemoKeyring"


class DemoKeyring(KeyringBackend):
    """Answers every lookup with the key from the environment; writes stay in memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._written: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        # The signing secret's keyring user is "<executor id>:signing" (docs/security.md).
        env = SIGNING_ENV if username.endswith(":signing") else KEY_ENV
        return self._written.get((service, username)) or os.environ.get(env) or None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._written[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._written.pop((service, username), None) is None:
            raise PasswordDeleteError("not set")
