"""Conformance suite setup: which terminal to test, and the ``sim_only`` marker.

By default the suite starts the simulated terminal itself. To test a live EA
instead (a DEMO account: the suite opens and closes small positions), set
``FX_CONFORMANCE_COMMAND_ENDPOINT`` and ``FX_CONFORMANCE_EVENTS_ENDPOINT``
(and ``FX_CONFORMANCE_SYMBOL`` if the broker's EURUSD has a suffix). Tests
marked ``sim_only`` need the simulator's ``SIM_CONTROL`` request and are
skipped only when the terminal there does not answer it, i.e. a real EA
(``docs/simulator.md`` § Conformance suite).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import pytest
import zmq
from loguru import logger

from tests.conformance.client import TerminalClient
from tests.conftest import free_port


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sim_only: needs SIM_CONTROL; skipped when pointed at a real EA"
    )


@dataclass(frozen=True)
class Target:
    command_endpoint: str
    events_endpoint: str
    simulated: bool
    symbol: str


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    command = os.environ.get("FX_CONFORMANCE_COMMAND_ENDPOINT")
    events = os.environ.get("FX_CONFORMANCE_EVENTS_ENDPOINT")
    symbol = os.environ.get("FX_CONFORMANCE_SYMBOL", "EURUSD")
    if command and events:
        yield Target(command, events, simulated=_answers_sim_control(command), symbol=symbol)
        return
    from mt5_simulator.server import SimulatedTerminal
    from mt5_simulator.settings import SimulatorSettings

    settings = SimulatorSettings(
        command_endpoint=f"tcp://127.0.0.1:{free_port()}",
        events_endpoint=f"tcp://127.0.0.1:{free_port()}",
        state_dir=str(tmp_path_factory.mktemp("conformance-sim")),
        seed=11,
        tick_rate=200,
        heartbeat_ms=100,
        account_update_ms=100,
    )
    with SimulatedTerminal(settings):
        yield Target(settings.command_endpoint, settings.events_endpoint, True, symbol)


def _answers_sim_control(command_endpoint: str) -> bool:
    """Whether the terminal there is the simulator: a real EA answers SIM_CONTROL with ERROR."""
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(command_endpoint)
        dealer.send(b'{"type": "SIM_CONTROL", "requestId": "probe"}')
        if not dealer.poll(10_000):
            pytest.exit(f"no terminal answers on {command_endpoint}", returncode=1)
        reply = msgspec.json.decode(dealer.recv())
    finally:
        dealer.close(0)
        ctx.term()
    return isinstance(reply, dict) and reply.get("type") == "SIM_CONTROL_REPLY"


@pytest.fixture(autouse=True)
def _skip_sim_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("sim_only") is None:
        return
    if not request.getfixturevalue("target").simulated:
        pytest.skip("needs SIM_CONTROL: only the simulated terminal has it")


@pytest.fixture
def client(target: Target) -> Iterator[TerminalClient]:
    with TerminalClient(target.command_endpoint, target.events_endpoint) as c:
        yield c


@pytest.fixture(autouse=True)
def _no_logged_errors() -> Iterator[None]:
    """A simulator error in the log fails the test that caused it."""
    errors: list[str] = []
    sink = logger.add(lambda message: errors.append(str(message)), level="ERROR")
    yield
    logger.remove(sink)
    assert not errors, f"the terminal logged errors: {errors}"
