"""A real brain on loopback for client tests (the brain tests' fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brain_server.conftest import Brain


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[Brain]:
    b = Brain(tmp_path / "brain.db", executors=1)
    yield b
    b.stop()
