"""A real simulated terminal (``fx-mt5sim`` subprocess) for the executor's I/O tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fx_demo.stack import Program, free_port, script_argv


class Sim:
    def __init__(self, tmp: Path) -> None:
        self.command_endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.events_endpoint = f"tcp://127.0.0.1:{free_port()}"
        argv = [
            *script_argv("fx-mt5sim"),
            "--command-endpoint",
            self.command_endpoint,
            "--events-endpoint",
            self.events_endpoint,
            "--state-dir",
            str(tmp / "sim"),
            "--seed",
            "3",
            "--heartbeat-ms",
            "100",
        ]
        self.program = Program("sim", argv, {**_env()}, tmp / "sim.log")


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("FX_")}


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    running = Sim(tmp_path)
    running.program.start()
    running.program.wait_for("fx-mt5sim ready", 30)
    yield running
    running.program.stop()
