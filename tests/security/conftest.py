"""Fixtures of the security tests: an executor against a brain impostor, log scans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fx_demo.stack import Stack
from tests.security.rogue_brain import RogueBrain


def secrets_in_files(root: Path, secrets: list[str]) -> list[str]:
    """``file: secret-prefix`` for every file under ``root`` that contains one of ``secrets``."""
    found = []
    wanted = [s.encode() for s in secrets if s]
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix in (".sqlite3", ".db", ".json") or "-wal" in path.name:
            continue
        data = path.read_bytes()
        for secret in wanted:
            if secret in data:
                found.append(f"{path}: {secret[:8].decode()}...")
    return found


def assert_no_secret_logged(stack: Stack) -> None:
    """No log of the stack (brain, simulator, executor files and consoles) holds a secret."""
    leaked = secrets_in_files(stack.root, [stack.api_key, stack.signing_secret, stack.token])
    assert leaked == [], leaked


class RogueSetup:
    def __init__(self, stack: Stack, rogue: RogueBrain) -> None:
        self.stack = stack
        self.rogue = rogue


@pytest.fixture
async def rogue_setup(tmp_path: Path) -> AsyncIterator[RogueSetup]:
    """A real simulator and executor; the executor's brain is the impostor."""
    rogue = RogueBrain()
    await rogue.start()
    stack = Stack(root=tmp_path / "stack", executor_settings={"brain": {"url": rogue.url}})
    try:
        await asyncio.to_thread(stack.register)
        await asyncio.to_thread(stack.start_sim)
        await asyncio.to_thread(stack.start_executor, False)
        await asyncio.to_thread(
            stack.programs["executor"].wait_for, "reconciled with the terminal", 30
        )
        await rogue.wait(lambda: rogue.hello is not None)
        yield RogueSetup(stack, rogue)
        assert_no_secret_logged(stack)
    finally:
        await asyncio.to_thread(stack.stop)
        await rogue.close()
