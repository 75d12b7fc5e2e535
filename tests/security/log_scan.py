"""Suite-wide check: no log of any ``Stack`` run holds that run's secrets.

``tests/conftest.py`` wraps ``fx_demo.stack.Stack.stop`` for the whole test
session: after the programs have stopped and before the run's directory is
removed, every file in it (brain, simulator and executor logs and console
captures) is searched for the stack's API key, signing secret and token.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fx_demo.stack import Stack

#: database and credential files hold secrets (or their hashes) by design
_NOT_LOGS = (".sqlite3", ".db", ".json", ".pem", ".key", ".toml")


def secrets_in_files(root: Path, secrets: list[str]) -> list[str]:
    """``file: secret-prefix...`` for every log-like file under ``root`` holding a secret."""
    found: list[str] = []
    wanted = [s.encode() for s in secrets if s]
    if not root.is_dir():
        return found
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix in _NOT_LOGS or "sqlite3" in path.name:
            continue
        data = path.read_bytes()
        for secret in wanted:
            if secret in data:
                found.append(f"{path}: {secret[:8].decode()}...")
    return found


def stack_leaks(stack: Stack) -> list[str]:
    return secrets_in_files(stack.root, [stack.api_key, stack.signing_secret, stack.token])


@contextmanager
def watch_stacks() -> Iterator[list[str]]:
    """Scan every stopped Stack's files; yields the list of leaks found so far."""
    leaks: list[str] = []
    original = Stack.stop

    def stop(self: Stack) -> None:
        remove = self._own_root and not self.keep
        self.keep = True
        try:
            original(self)
        finally:
            self.keep = not remove
        leaks.extend(stack_leaks(self))
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    Stack.stop = stop  # type: ignore[method-assign]
    try:
        yield leaks
    finally:
        Stack.stop = original  # type: ignore[method-assign]
