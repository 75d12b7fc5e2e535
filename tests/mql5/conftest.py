"""The EA's MQL5 code compiled once per test session (g++, see tests/mql5/mql_cpp.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mql5.mql_cpp import build_driver, build_trading_driver


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pure include files behind harness/driver.cpp."""
    return build_driver(tmp_path_factory.mktemp("mql5-harness"))


@pytest.fixture(scope="session")
def trading_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trading.mqh and the request path behind harness/trading_driver.cpp."""
    return build_trading_driver(tmp_path_factory.mktemp("mql5-trading"))
