"""The tray icon and its menu on a real X display with a tray host (Xvfb + trayer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fx_demo.stack import Stack
from tests.executor_gui.conftest import write_config
from tests.executor_gui.xserver import XServer

pytestmark = pytest.mark.xvfb


def test_tray_icon_menu_and_close_to_tray(stack: Stack, tmp_path: Path) -> None:
    """The icon is embedded and visible, the menu has every action, closing hides to the tray."""
    if not XServer.available():
        pytest.skip("Xvfb and trayer are not installed")
    config = write_config(stack, tmp_path)
    with XServer() as x:
        env = x.env()
        env["FX_TEST_KEY"] = stack.api_key
        env["PYTHON_KEYRING_BACKEND"] = "tests.memory_keyring.MemoryKeyring"
        done = subprocess.run(
            [sys.executable, "-m", "tests.executor_gui.tray_child", str(config)],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["tray_available"] is True
    assert seen["tray_visible"] is True
    _x, _y, width, height = seen["tray_geometry"]
    assert width > 0, seen
    assert height > 0, seen
    assert seen["menu"] == [
        "Open window",
        "EMERGENCY STOP",
        "EMERGENCY STOP and flatten",
        "Resume…",
        "Settings…",
        "Open log folder",
        "Quit",
    ]
    assert "Trading:" in seen["tooltip"]
    assert seen["window_visible_at_start"] is True
    assert seen["window_visible_after_close"] is False
    assert seen["running_after_close"] is True
    assert seen["state_after_tray_stop"] == "HALTED"
    assert seen["icon_after_tray_stop"] == "halted"
    assert seen["window_visible_after_open"] is True
    assert seen["exit"] == 0
