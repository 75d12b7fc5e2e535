"""Emergency stop from the window, the tray menu and the shortcut; resume with confirmation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from executor_app.gui.app import ExecutorApp
from fx_demo.stack import Stack
from fx_protocol.vocabulary import TradingState
from tests.executor_gui.conftest import in_thread, make_app, run_app, until

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}


def deals_for(stack: Stack, command_id: str) -> list[dict[str, object]]:
    return [d for d in stack.deals() if d.get("comment") == command_id]


def test_emergency_button_halts_and_nothing_reaches_the_terminal(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """The red button halts at once; the next command is rejected TRADING_HALTED, no deal."""

    async def scenario(app: ExecutorApp) -> None:
        assert app.window is not None
        assert app.runtime is not None
        qtbot.mouseClick(app.window.emergency_button, Qt.MouseButton.LeftButton)
        assert app.runtime.trading.state is TradingState.HALTED  # before anything else ran
        await until(lambda: app.window.state_label.text() == "HALTED", what="HALTED label")
        assert "emergency stop" in app.window.reason_label.text()
        assert app.tray is not None
        assert app.tray.state_name == "halted"
        command_id = (await in_thread(stack.submit, BUY))["commandId"]
        view = await in_thread(stack.wait_command, command_id)
        assert (view["status"], view["reason"], view["source"]) == (
            "rejected",
            "TRADING_HALTED",
            "safety",
        )
        assert await in_thread(deals_for, stack, command_id) == []
        await until(
            lambda: any(
                app.window.commands_model.command(r).command_id == command_id
                and app.window.commands_model.command(r).status == "rejected"
                for r in range(app.window.commands_model.rowCount())
            ),
            what="the rejected command in the table",
        )
        assert app.tray is not None
        await until(
            lambda: "Command rejected: TRADING_HALTED" in [t for t, _ in app.tray.messages],
            what="the rejection notification",
        )

    run_app(qapp, make_app(stack, tmp_path), scenario)


def test_shortcut_and_tray_menu_stop_without_the_brain(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """F12, Ctrl+Shift+X (from a dialog) and the tray's EMERGENCY STOP work, brain down."""

    async def scenario(app: ExecutorApp) -> None:
        assert app.window is not None
        assert app.runtime is not None
        assert app.tray is not None
        assert app.host is not None
        stack.programs["brain"].stop()
        try:
            await until(lambda: app.observer.status.brain.value != "connected", what="brain down")
            await until(lambda: app.tray.messages, what="a notification")
            assert [t for t, _ in app.tray.messages] == ["Brain disconnected"]
            qtbot.keyClick(app.window, Qt.Key.Key_F12)
            assert app.runtime.trading.state is TradingState.HALTED
            app.host.resume()
            app.open_settings()  # the shortcut also works from an open dialog
            assert app.settings_dialog is not None
            qtbot.keyClick(
                app.settings_dialog,
                Qt.Key.Key_X,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            )
            assert app.runtime.trading.state is TradingState.HALTED
            app.settings_dialog.reject()
            app.host.resume()
            assert app.runtime.trading.state is TradingState.ACTIVE
            app.tray.stop_action.trigger()
            assert app.runtime.trading.state is TradingState.HALTED
            assert app.runtime.trading.latches.local_stop
            await until(lambda: len(app.tray.messages) >= 4, what="halt notifications")
            titles = [t for t, _ in app.tray.messages]
            # One per halt (F12, Ctrl+Shift+X, tray); failed reconnects add no "disconnected".
            assert titles == ["Brain disconnected"] + ["Trading HALTED"] * 3
        finally:
            stack.start_brain()

    run_app(qapp, make_app(stack, tmp_path), scenario)


def test_resume_asks_first_and_says_what_it_lifts(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Cancel keeps the halt; confirming lifts it and a command executes again."""

    async def scenario(app: ExecutorApp) -> None:
        assert app.window is not None
        assert app.runtime is not None
        app.emergency_stop(False)
        await until(lambda: app.window.resume_button.isEnabled(), what="resume enabled")
        qtbot.mouseClick(app.window.resume_button, Qt.MouseButton.LeftButton)
        box = app.resume_box
        assert box is not None
        assert box.isVisible()
        assert "local emergency stop" in box.informativeText()
        box.button(QMessageBox.StandardButton.Cancel).click()
        await until(lambda: not box.isVisible(), what="box closed")
        assert app.runtime.trading.state is TradingState.HALTED

        qtbot.mouseClick(app.window.resume_button, Qt.MouseButton.LeftButton)
        box = app.resume_box
        assert box is not None
        (resume,) = [b for b in box.buttons() if b.text() == "Resume trading"]
        resume.click()
        await until(lambda: app.window.state_label.text() == "ACTIVE", what="ACTIVE label")
        assert app.runtime.trading.state is TradingState.ACTIVE
        command_id = (await in_thread(stack.submit, BUY))["commandId"]
        view = await in_thread(stack.wait_command, command_id)
        assert view["status"] == "executed"
        assert len(await in_thread(deals_for, stack, command_id)) == 1

    run_app(qapp, make_app(stack, tmp_path), scenario)
