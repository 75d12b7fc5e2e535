"""Every simulator test fails if the simulator logged an error (house rule 9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger


@pytest.fixture(autouse=True)
def _no_logged_errors() -> Iterator[list[str]]:
    errors: list[str] = []
    sink = logger.add(lambda message: errors.append(str(message)), level="ERROR")
    yield errors
    logger.remove(sink)
    assert not errors, f"the simulator logged errors: {errors}"
