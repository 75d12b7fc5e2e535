"""Fixtures: a provisioned database and a real brain on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from loguru import logger

from brain_server.store import Store
from tests.brain_server.fake_executor import FakeExecutor
from tests.brain_server.server import ServerThread, provision, test_settings


class Brain:
    """Handle on a running test brain: URLs, credentials, clients, restart."""

    def __init__(self, db: Path, executors: int = 1, **settings: Any) -> None:
        self.db = db
        self.executors, self.token = provision(db, executors)
        self.settings = test_settings(db, **settings)
        self.server = ServerThread(self.settings)
        self.server.start()

    @property
    def executor_id(self) -> str:
        return self.executors[0][0]

    @property
    def api_key(self) -> str:
        return self.executors[0][1]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers(), timeout=10)

    def executor(self, index: int = 0, seq: int = 0) -> FakeExecutor:
        executor_id, key = self.executors[index]
        return FakeExecutor(self.server.ws_url, executor_id, key, seq=seq)

    def read_store(self) -> Store:
        """A second connection for assertions (the server's own belongs to its thread)."""
        return Store(self.db)

    def restart(self) -> None:
        self.server.stop()
        self.server = ServerThread(self.settings)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(autouse=True)
def _no_errors_logged() -> Iterator[list[str]]:
    """Fail a test when the brain logs an error it did not expect (house rule 9)."""
    errors: list[str] = []
    sink = logger.add(lambda m: errors.append(str(m)), level="ERROR")
    yield errors
    logger.remove(sink)
    assert not errors, "errors logged:\n" + "".join(errors)


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[Brain]:
    b = Brain(tmp_path / "brain.db", executors=2)
    yield b
    b.stop()


@pytest.fixture
async def http(brain: Brain) -> AsyncIterator[httpx.AsyncClient]:
    async with brain.http() as client:
        yield client


def order(**overrides: Any) -> dict[str, Any]:
    command = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}
    command.update(overrides)
    return command
