"""Fixtures of the security tests: an executor against a brain impostor, log scans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fx_demo.stack import Stack
from tests.security.log_scan import stack_leaks
from tests.security.rogue_brain import RogueBrain


def assert_no_secret_logged(stack: Stack) -> None:
    """No log of the stack (brain, simulator, executor files and consoles) holds a secret."""
    leaked = stack_leaks(stack)
    assert leaked == [], leaked


class RogueSetup:
    def __init__(self, stack: Stack, rogue: RogueBrain) -> None:
        self.stack = stack
        self.rogue = rogue


@asynccontextmanager
async def rogue_stack(root: Path, give_secret: bool = True) -> AsyncIterator[RogueSetup]:
    """A real simulator and executor whose brain is the impostor; ``give_secret=False``
    starts the executor without its signing secret."""
    rogue = RogueBrain()
    await rogue.start()
    stack = Stack(root=root, executor_settings={"brain": {"url": rogue.url}})
    try:
        await asyncio.to_thread(stack.register)
        secret = stack.signing_secret
        if not give_secret:
            stack.signing_secret = ""
        await asyncio.to_thread(stack.start_sim)
        await asyncio.to_thread(stack.start_executor, False)
        stack.signing_secret = secret
        await asyncio.to_thread(
            stack.programs["executor"].wait_for, "reconciled with the terminal", 30
        )
        await rogue.wait(lambda: rogue.hello is not None)
        yield RogueSetup(stack, rogue)
        assert_no_secret_logged(stack)
    finally:
        await asyncio.to_thread(stack.stop)
        await rogue.close()


@pytest.fixture
async def rogue_setup(tmp_path: Path) -> AsyncIterator[RogueSetup]:
    """A real simulator and executor; the executor's brain is the impostor."""
    async with rogue_stack(tmp_path / "stack") as setup:
        yield setup
