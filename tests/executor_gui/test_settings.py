"""Settings dialog: round trip through the TOML file and the keyring, validation, live apply."""

from __future__ import annotations

import tomllib
from pathlib import Path

import keyring
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from executor_app.config import KEYRING_SERVICE, load_settings
from executor_app.gui.app import ExecutorApp
from executor_app.gui.preferences import load_preferences
from executor_app.gui.settings_dialog import SettingsDialog
from fx_demo.stack import Stack
from tests.executor_gui.conftest import in_thread, make_app, run_app, until


def dialog_of(app: ExecutorApp) -> SettingsDialog:
    app.open_settings()
    dialog = app.settings_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def edit(dialog: SettingsDialog, field: str) -> QLineEdit:
    widget = dialog.limit_widgets[field]
    assert isinstance(widget, QLineEdit)
    return widget


def test_round_trip_through_file_and_keyring(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Saved limits apply at once; the key goes to the keyring only; the file reloads the same."""
    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        assert app.runtime is not None
        assert app.window is not None
        dialog = dialog_of(app)
        assert dialog.key_edit.text() == ""
        assert dialog.key_status.text().startswith("stored in the OS keyring")
        edit(dialog, "max_volume_per_order").setText("0.05")
        edit(dialog, "allowed_symbols").setText("eurusd, XAUUSD, GBPUSD")
        dialog.notify_boxes["notify_fills"].setChecked(True)
        dialog.minimised_box.setChecked(True)
        dialog.key_edit.setText("new-secret-key")
        dialog.secret_edit.setText("new-signing-secret")
        dialog.save()
        assert not dialog.isVisible(), {k: v.text() for k, v in dialog.errors.items() if v.text()}

        assert keyring.get_password(KEYRING_SERVICE, stack.executor_id) == "new-secret-key"
        text = app.config_path.read_text(encoding="utf-8")
        assert "new-secret-key" not in text
        if dialog.signing:  # builds whose executor verifies signed commands
            user = f"{stack.executor_id}:signing"
            assert keyring.get_password(KEYRING_SERVICE, user) == "new-signing-secret"
            assert "new-signing-secret" not in text
        data = tomllib.loads(text)
        assert data["limits"]["max_volume_per_order"] == 0.05
        assert data["limits"]["allowed_symbols"] == ["EURUSD", "XAUUSD", "GBPUSD"]
        assert data["storage"]["journal_path"].endswith("journal.sqlite3")  # kept
        reloaded = load_settings(app.config_path, environ={})
        assert reloaded.limits == app.runtime.limits
        assert app.runtime.limits.max_volume_per_order == 0.05  # applied without restart
        prefs = load_preferences(app.preferences_path)
        assert prefs.notify_fills
        assert prefs.start_minimised
        assert app.tray is not None
        assert app.tray.preferences.notify_fills
        assert app.info_box is not None
        assert "API key" in app.info_box.informativeText()
        await until(
            lambda: app.window.limit_labels["max_volume_per_order"].text() == "0.05 lots",
            what="limits in force updated",
        )

        # Applied at once: 0.1 lots is now over the limit, rejected before the terminal.
        buy = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}
        command_id = (await in_thread(stack.submit, buy))["commandId"]
        view = await in_thread(stack.wait_command, command_id)
        assert (view["status"], view["reason"]) == ("rejected", "VOLUME_TOO_LARGE")

        again = dialog_of(app)
        assert again.key_status.text().startswith("stored in the OS keyring")
        assert again.key_edit.text() == ""  # the key is never displayed back
        assert edit(again, "max_volume_per_order").text() == "0.05"
        again.reject()

    run_app(qapp, app, scenario)


def test_validation_errors_are_inline_and_nothing_is_saved(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Bad values show an error under each field; the file and the limits stay as they were."""
    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        assert app.runtime is not None
        before = app.config_path.read_text(encoding="utf-8")
        limits = app.runtime.limits
        dialog = dialog_of(app)
        edit(dialog, "max_volume_per_order").setText("0")
        edit(dialog, "max_open_positions").setText("2.5")
        edit(dialog, "max_price_deviation_pct").setText("abc")
        edit(dialog, "daily_reset_zone").setText("Mars/Olympus")
        edit(dialog, "daily_reset_time").setText("25:00")
        dialog.url_edit.setText("http://127.0.0.1:1/ws")
        dialog.command_edit.setText("localhost:5555")
        dialog.save()
        assert dialog.isVisible()
        errors = {k: v.text() for k, v in dialog.errors.items() if not v.isHidden()}
        assert errors == {
            "brain.url": "must be ws://HOST:PORT/… or wss://HOST/…",
            "terminal.command_endpoint": "must look like tcp://HOST:PORT",
            "limits.max_volume_per_order": "must be greater than 0.0",
            "limits.max_open_positions": "a whole number",
            "limits.max_price_deviation_pct": "a number",
            "limits.daily_reset_time": "a time of day like 00:00 or 17:00",
            "limits.daily_reset_zone": 'unknown time zone, e.g. "Europe/London"',
        }
        assert dialog.tabs.currentIndex() == 0  # the first bad field's tab
        assert "7 field(s)" in dialog.result_label.text()
        assert app.config_path.read_text(encoding="utf-8") == before
        assert app.runtime.limits == limits

        edit(dialog, "max_volume_per_order").setText("0.5")
        dialog.save()
        assert dialog.errors["limits.max_volume_per_order"].text() == ""
        dialog.reject()

    run_app(qapp, app, scenario)


def test_connection_check_leaves_the_running_session_alone(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Test connection: PONG from the EA, the live session reported, a wrong key refused."""
    app = make_app(stack, tmp_path)

    async def scenario(app: ExecutorApp) -> None:
        assert app.runtime is not None
        assert app.runtime.link is not None
        session = app.runtime.link.session
        before = session.params.session_id if session.params else None
        dialog = dialog_of(app)
        dialog.start_test()
        assert dialog.test_task is not None
        await dialog.test_task
        assert dialog.terminal_result.text().startswith("✔ PONG in")
        assert "running session" in dialog.brain_result.text()

        keyring.set_password(KEYRING_SERVICE, "ex-nobody", "wrong")
        dialog.id_edit.setText("ex-nobody")  # not the live executor: a real HELLO is sent
        dialog.start_test()
        await dialog.test_task
        assert dialog.brain_result.text().startswith("✘ refused: AUTH_FAILED"), (
            dialog.brain_result.text()
        )
        dialog.command_edit.setText("tcp://127.0.0.1:9")
        dialog.start_test()
        await dialog.test_task
        assert dialog.terminal_result.text().startswith("✘ no PONG")
        after = session.params.session_id if session.params else None
        assert after == before
        assert app.observer is not None
        assert app.observer.status.brain.value == "connected"
        dialog.reject()

    run_app(qapp, app, scenario)
