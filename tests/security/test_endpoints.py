"""The terminal's endpoints stay on loopback unless explicitly allowed (with a warning)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from executor_app.config import ConfigError, load_settings


def test_executor_refuses_remote_terminal_endpoints(tmp_path: Path) -> None:
    """A non-loopback EA endpoint is a config error; terminal.allow_remote permits it."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    remote = {"FX_EXECUTOR_TERMINAL_COMMAND_ENDPOINT": "tcp://192.0.2.5:5555"}
    with pytest.raises(ConfigError, match="allow_remote"):
        load_settings(config, environ=remote)
    allowed = load_settings(config, environ={**remote, "FX_EXECUTOR_TERMINAL_ALLOW_REMOTE": "1"})
    assert allowed.terminal.allow_remote
    load_settings(config, environ={"FX_EXECUTOR_TERMINAL_EVENTS_ENDPOINT": "tcp://localhost:1"})


def test_simulator_binds_loopback_only_unless_allowed() -> None:
    """fx-mt5sim refuses a wildcard bind (exit 2) without --allow-remote."""
    done = subprocess.run(
        [sys.executable, "-m", "mt5_simulator.cli", "--command-endpoint", "tcp://0.0.0.0:5999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert "allow-remote" in done.stderr
