"""The app's lifecycle: close to tray, clean quit, single instance, first run, autostart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from executor_app.config import KEYRING_SERVICE
from executor_app.core.session import LinkState
from executor_app.gui import autostart
from executor_app.gui.app import ExecutorApp
from executor_app.gui.single_instance import InstanceServer, ask_running_instance, server_name
from executor_app.gui.status import Status, TrayState
from fx_demo.stack import Stack
from fx_protocol.vocabulary import TradingState
from tests.executor_gui.conftest import in_thread, make_app, run_app, until


def test_close_without_tray_and_quit_flushes_the_journal(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Without a tray, closing asks to quit; a dialog open does not hold commands; quit stops all.

    (Closing to the tray where there is one: tests/executor_gui/test_tray_xvfb.py.)
    """
    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        assert app.window is not None
        assert not app.has_tray()  # offscreen: nowhere to hide
        app.window.close()
        assert app.quit_box is not None
        assert app.quit_box.isVisible()
        app.quit_box.reject()
        assert app.window.isVisible()
        app.open_settings()  # window-modal, but without a nested event loop
        assert app.settings_dialog is not None
        buy = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}
        command_id = (await in_thread(stack.submit, buy))["commandId"]
        view = await in_thread(stack.wait_command, command_id)
        assert view["status"] == "executed", (view.get("reason"), view.get("message"))
        assert app.settings_dialog.isVisible()
        app.emergency_stop(False)  # a state the journal must keep across the quit
        app.show_window()
        assert app.window.isVisible()

    run_app(qapp, app, scenario)
    assert app.runtime is not None
    assert app.runtime.journal is None  # closed by Runtime.stop
    assert app.window is not None
    assert not app.window.isVisible()

    again = make_app(stack, tmp_path)

    async def halted_after_restart(app: ExecutorApp) -> None:
        assert app.runtime is not None
        assert app.runtime.trading.state is TradingState.HALTED

    run_app(qapp, again, halted_after_restart, reconciled=False)


def test_quit_asks_first(qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path) -> None:
    """The tray's Quit asks; Quit in the box ends run() with exit code 0."""
    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        assert app.tray is not None
        app.tray.quit_action.trigger()
        box = app.quit_box
        assert box is not None
        assert box.isVisible()
        (quit_button,) = [b for b in box.buttons() if b.text() == "Quit"]
        quit_button.click()
        assert app._quit is not None
        await until(app._quit.done, what="quit")

    run_app(qapp, app, scenario, reconciled=False)


def test_first_run_without_a_key_opens_settings(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """No key in the keyring: the settings dialog comes first; saving a key starts trading."""
    app = make_app(stack, tmp_path, key=None)

    async def enter_key() -> None:
        await until(lambda: app.settings_dialog is not None, what="the first-run dialog")
        dialog = app.settings_dialog
        assert dialog is not None
        assert "cannot start yet" in dialog.result_label.text()
        assert app.runtime is None  # nothing trades without a key
        dialog.key_edit.setText(stack.api_key)
        dialog.save()

    async def scenario(app: ExecutorApp) -> None:
        assert app.runtime is not None
        assert keyring.get_password(KEYRING_SERVICE, stack.executor_id) == stack.api_key

    run_app(qapp, app, scenario, while_starting=enter_key)


def test_second_launch_raises_the_first_and_exits_0(qapp: QApplication, tmp_path: Path) -> None:
    """`fx-executor` with the same config finds the running instance, asks it to show, exits 0."""
    config = tmp_path / "config.toml"
    config.write_text('[brain]\nexecutor_id = "ex-one"\n', encoding="utf-8")
    server = InstanceServer(server_name(config))
    assert server.listen()
    shown: list[bool] = []
    server.show_requested.connect(lambda: shown.append(True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    child = subprocess.Popen(
        [sys.executable, "-m", "executor_app.cli", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30  # the server answers only while Qt runs events
        while time.monotonic() < deadline and not (shown and child.poll() is not None):
            qapp.processEvents()
            time.sleep(0.02)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        server.close()
    assert child.returncode == 0, err
    assert "already running" in out
    assert shown == [True]
    assert not ask_running_instance(server_name(config))  # closed: nobody answers now


def test_autostart_entry_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux the switch writes and removes an XDG autostart entry with this config."""
    if sys.platform == "win32":
        pytest.skip("the Windows Run key is exercised by the installer tests")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "my config.toml"
    assert not autostart.is_enabled()
    autostart.set_enabled(True, config)
    text = autostart.desktop_file().read_text(encoding="utf-8")
    assert autostart.is_enabled()
    assert f'--config "{config}"' in text
    assert "Exec=" in text
    autostart.set_enabled(False, config)
    assert not autostart.is_enabled()


def test_tray_state_precedence() -> None:
    """HALTED wins, then a missing terminal, then a lost brain link; else trading."""
    status = Status(
        trading_state=TradingState.ACTIVE, brain=LinkState.CONNECTED, terminal_available=True
    )
    assert status.tray_state() is TrayState.TRADING
    status.brain = LinkState.CONNECTING
    assert status.tray_state() is TrayState.RECONNECTING
    status.terminal_available = False
    assert status.tray_state() is TrayState.TERMINAL_UNAVAILABLE
    status.trading_state = TradingState.HALTED
    assert status.tray_state() is TrayState.HALTED
    assert "Trading: HALTED" in status.tooltip()


def test_commands_execute_while_the_gui_thread_is_blocked(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """The runtime has its own loop: a command completes while the Qt thread sleeps."""
    import threading

    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        buy = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}
        views: list[dict[str, object]] = []

        def round_trip() -> None:
            views.append(stack.wait_command(stack.submit(buy)["commandId"]))

        worker = threading.Thread(target=round_trip)
        worker.start()
        worker.join(30)  # blocks the GUI thread (and its event loop) the whole time
        assert not worker.is_alive()
        assert views[0]["status"] == "executed"

    run_app(qapp, app, scenario)


def test_fx_executor_gui_process_quits_cleanly_on_sigterm(stack: Stack) -> None:
    """`fx-executor` (tray GUI, offscreen) comes online, and SIGTERM stops it with exit 0."""
    from fx_demo.demo_keyring import BACKEND

    stack.start_executor(
        gui_env={"PYTHON_KEYRING_BACKEND": BACKEND, "QT_QPA_PLATFORM": "offscreen"}
    )
    program = stack.programs.pop("executor")
    try:
        assert program.running
    finally:
        code = program.stop()
    assert code == 0, "\n".join(program.lines[-20:])
    assert program.count("executor stopped") == 1  # Runtime.stop ran: journal flushed
