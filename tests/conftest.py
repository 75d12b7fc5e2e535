"""Settings every test shares: offscreen Qt, an in-memory keyring, loopback ports.

CI (``CI=true``) turns every skip into a failure: nothing may pass there for
want of a tool that ``.ci/run`` should have installed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No desktop secret service here: tests keep API keys in memory.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.memory_keyring.MemoryKeyring"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    from tests.memory_keyring import MemoryKeyring

    MemoryKeyring.store.clear()
    yield
    MemoryKeyring.store.clear()


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_stack_logs() -> Iterator[None]:
    """No log of any Stack run (e2e, faults, demo) holds its secrets (docs/security.md)."""
    from tests.security.log_scan import watch_stacks

    with watch_stacks() as leaks:
        yield
    assert leaks == [], leaks


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get("CI") == "true" and report.skipped and report.when in ("setup", "call"):
        # Turn the skip into a failure: CI installs every tool the suite needs.
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (make the tool available in .ci/run): {report.longrepr}"
