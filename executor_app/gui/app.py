"""The tray app: a Qt front end over the executor runtime.

``main(settings, config_path)`` is what ``fx-executor`` (without
``--headless``) calls. :class:`ExecutorApp` owns the runtime (on a loop and
thread of its own, :mod:`executor_app.gui.runtime_host`), the observer, the
window, the tray and the dialogs, and turns the operator's clicks into
runtime calls. The Qt loop is an asyncio loop too (qasync) for the GUI's
own little tasks (connection test, terminal latency probe). The order flow
never waits on the GUI: the runtime calls the observer after each step,
dialogs open with ``open()`` (no nested loop), and rendering happens on
timers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from functools import partial
from pathlib import Path

from loguru import logger
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon, QWidget

from executor_app.config import ConfigError, Settings, api_key, load_settings
from executor_app.core.events import CommandUpdated
from executor_app.core.limits import Limits
from executor_app.core.session import LinkState
from executor_app.gui.assets import icon
from executor_app.gui.connection_check import check_terminal
from executor_app.gui.log_view import LogBuffer
from executor_app.gui.main_window import MainWindow, emergency_keys
from executor_app.gui.observer import RuntimeObserver
from executor_app.gui.preferences import (
    Preferences,
    config_file,
    load_preferences,
    preferences_file,
)
from executor_app.gui.runtime_host import RuntimeHost
from executor_app.gui.settings_dialog import ConnectionState, SettingsDialog
from executor_app.gui.single_instance import InstanceServer, ask_running_instance, server_name
from executor_app.gui.tray import Tray
from executor_app.runtime import Runtime

#: how often the window's terminal latency is measured (one PING on the GUI's socket)
TERMINAL_PROBE_SECONDS = 5.0


def _version() -> str:
    from executor_app.cli import version

    return version()


def main(settings: Settings, config_path: Path | None) -> int:
    """Run the tray app until the operator quits; the process exit code."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        raise RuntimeError("no display (DISPLAY / WAYLAND_DISPLAY not set)")
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("fx-executor")
    app.setApplicationVersion(_version())
    app.setWindowIcon(icon("app"))
    app.setQuitOnLastWindowClosed(False)
    path = config_file(config_path)
    name = server_name(path)
    if ask_running_instance(name):
        print("fx-executor is already running: its window was brought to the front", flush=True)
        return 0
    server = InstanceServer(name)
    if not server.listen():
        logger.warning("single-instance server {} could not listen", name)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    controller = ExecutorApp(settings, path, server=server)

    def stop_on_signal(*_: object) -> None:
        # SIGTERM/SIGINT (service stop, Ctrl+C, a test harness): the same clean quit as the
        # menu's. Python runs the handler at the next Python callback (10 Hz at least).
        loop.call_soon_threadsafe(controller.quit, 0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop_on_signal)
    # Windows log-off / shut-down: the session manager asks the app to save; quit cleanly.
    app.commitDataRequest.connect(lambda _manager: controller.quit(0))
    try:
        with loop:
            return int(loop.run_until_complete(controller.run()))
    except Exception as exc:
        logger.exception("tray app failed")
        print(f"fx-executor: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        server.close()
        asyncio.set_event_loop(None)


class ExecutorApp:
    """See the module docstring."""

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        *,
        key: str | None = None,
        server: InstanceServer | None = None,
        configure_logging: bool = True,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.preferences_path = preferences_file(config_path)
        self.preferences = load_preferences(self.preferences_path)
        self.server = server
        self._key = key
        self._configure_logging = configure_logging
        self.runtime: Runtime | None = None
        self.host: RuntimeHost | None = None
        self.observer: RuntimeObserver | None = None
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.resume_box: QMessageBox | None = None
        self.quit_box: QMessageBox | None = None
        self.info_box: QMessageBox | None = None
        self.log_buffer = LogBuffer()
        self._quit: asyncio.Future[int] | None = None
        self._told_about_tray = False
        self._pinger: asyncio.Future[None] | None = None
        self.ready = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle

    async def run(self) -> int:
        """Start everything, wait for quit, stop everything (journal flushed)."""
        self._quit = asyncio.get_running_loop().create_future()
        # Closing the last window (or the first-run dialog) must not end the Qt loop:
        # the app lives in the tray and quits only through quit().
        QApplication.setQuitOnLastWindowClosed(False)
        key = self._key or await self._obtain_key()
        if key is None:
            return 2
        if self._configure_logging:
            from executor_app.log_setup import configure

            path = configure(
                self.settings.storage.log_directory(),
                self.settings.storage.log_level,
                secrets=(key,),
            )
            logger.info("fx-executor {} with tray GUI; log file {}", _version(), path)
        self.log_buffer = LogBuffer(secrets=(key,))
        self.log_buffer.install(self.settings.storage.log_level)
        await self.start(key)
        try:
            return await self._quit
        finally:
            await self.shutdown()

    async def start(self, key: str) -> None:
        runtime = Runtime(self.settings, key, app_version=_version())
        self.runtime = runtime
        host = RuntimeHost(runtime)
        self.host = host
        await host.start()
        observer = RuntimeObserver(host)
        window = MainWindow(observer, self.log_buffer)
        tray = Tray(window)
        tray.preferences = self.preferences
        self.observer, self.window, self.tray = observer, window, tray

        window.emergency_requested.connect(self.emergency_stop)
        window.resume_requested.connect(self.ask_resume)
        window.settings_requested.connect(self.open_settings)
        window.logs_requested.connect(self.open_logs)
        window.quit_requested.connect(self.ask_quit)
        window.on_hidden = self._hidden_to_tray
        tray.open_action.triggered.connect(self.show_window)
        tray.stop_action.triggered.connect(lambda: self.emergency_stop(False))
        tray.stop_flatten_action.triggered.connect(lambda: self.emergency_stop(True))
        tray.resume_action.triggered.connect(self.ask_resume)
        tray.settings_action.triggered.connect(self.open_settings)
        tray.logs_action.triggered.connect(self.open_logs)
        tray.quit_action.triggered.connect(self.ask_quit)
        tray.activated.connect(self._tray_activated)
        observer.status_changed.connect(tray.show_status)
        observer.notable.connect(tray.on_notable)
        observer.commands.connect(self._on_commands)
        if self.server is not None:
            self.server.show_requested.connect(self.show_window)

        observer.start()
        self._pinger = asyncio.ensure_future(self._measure_terminal())
        tray.show()
        if not self.preferences.start_minimised or not self.has_tray():
            window.show()
        self.ready.set()

    async def shutdown(self) -> None:
        """Stop observing, stop the runtime (it flushes and closes the journal), close windows."""
        if self._pinger is not None:
            self._pinger.cancel()
            await asyncio.gather(self._pinger, return_exceptions=True)
        if self.observer is not None:
            self.observer.stop()
        for box in (self.resume_box, self.quit_box, self.info_box, self.settings_dialog):
            if box is not None:
                box.close()
        if self.tray is not None:
            self.tray.hide()
        if self.host is not None:
            await self.host.stop()
        self.log_buffer.remove()
        if self.window is not None:
            self.window.allow_close = True
            self.window.close()
        if self.server is not None:
            self.server.close()

    def quit(self, code: int = 0) -> None:
        if self._quit is not None and not self._quit.done():
            self._quit.set_result(code)

    def has_tray(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    # ---------------------------------------------------------------- first run

    async def _obtain_key(self) -> str | None:
        """The API key from the keyring; without one, the settings dialog until there is one."""
        while True:
            try:
                return api_key(self.settings, headless=False)
            except ConfigError as exc:
                problem = str(exc)
            dialog = self._settings_dialog(self.settings, apply_limits=lambda _l: None)
            dialog.result_label.setText(f"The executor cannot start yet: {problem}")
            answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            dialog.finished.connect(partial(_settle, answer))
            self.settings_dialog = dialog
            dialog.open()
            saved = await answer
            self.settings_dialog = None
            if not saved:
                print(f"fx-executor: {problem}", file=sys.stderr)
                return None
            try:
                self.settings = load_settings(self.config_path)
            except ConfigError as exc:
                print(f"fx-executor: {exc}", file=sys.stderr)
                return None

    # ---------------------------------------------------------------- operator actions

    def emergency_stop(self, flatten: bool) -> None:
        """Local and immediate: HALTED before this returns, brain reachable or not."""
        assert self.host is not None
        self.host.emergency_stop(flatten)
        if self.observer is not None:
            self.observer.flush()

    def resume_text(self) -> str:
        assert self.runtime is not None
        latches = self.runtime.trading.latches
        lifted = []
        if latches.local_stop:
            lifted.append("the local emergency stop")
        if latches.brain_halt:
            lifted.append("the halt sent by the brain")
        if latches.disconnect_halt:
            lifted.append("the halt after losing the brain (on_brain_disconnect)")
        if latches.daily_loss:
            lifted.append("the daily loss limit's REDUCING state, for the rest of today")
        if not lifted:
            return "Trading is already ACTIVE: there is nothing to resume."
        items = "".join(f"\n  • {item}" for item in lifted)
        return (
            f"Resume lifts:{items}\n\n"
            "New trading commands from the brain will be accepted again, checked against "
            "the limits in force. Positions closed by an emergency flatten are not reopened."
        )

    def ask_resume(self) -> None:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Resume trading?")
        box.setText("Resume trading?")
        box.setInformativeText(self.resume_text())
        resume = box.addButton("Resume trading", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._resume_answered(box.clickedButton() is resume))
        self._guard(box)
        self.resume_box = box
        box.open()

    def _resume_answered(self, yes: bool) -> None:
        self.resume_box = None
        if yes and self.host is not None:
            self.host.resume()

    def open_settings(self) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        assert self.host is not None
        dialog = self._settings_dialog(self.settings, apply_limits=self.host.reload_limits)
        dialog.saved.connect(self._settings_saved)
        dialog.finished.connect(self._settings_closed)
        self._guard(dialog)
        self.settings_dialog = dialog
        dialog.open()

    def _settings_dialog(self, settings: Settings, apply_limits: object) -> SettingsDialog:
        host = self.host

        def connection_state() -> ConnectionState:
            if host is None:
                return ConnectionState(connected_as=None, latency_ms=None)
            snap = host.snapshot()
            live = snap.brain is LinkState.CONNECTED
            return ConnectionState(
                connected_as=snap.executor_id if live else None, latency_ms=snap.brain_latency_ms
            )

        return SettingsDialog(
            settings,
            self.config_path,
            self.preferences_path,
            self.preferences,
            apply_limits=apply_limits,  # type: ignore[arg-type]
            apply_preferences=self._apply_preferences,
            connection_state=connection_state,
            parent=self.window,
        )

    def _apply_preferences(self, prefs: Preferences) -> None:
        self.preferences = prefs
        if self.tray is not None:
            self.tray.preferences = prefs

    def _settings_saved(self, restart_needed: bool, changed: list[str]) -> None:
        dialog = self.settings_dialog
        if dialog is not None:
            self.settings = dialog.settings
        if restart_needed:
            box = QMessageBox(self.window)
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle("Settings saved")
            box.setText("Settings saved.")
            box.setInformativeText(
                f"Applies after restarting fx-executor: {', '.join(changed)}.\n"
                "Limits and notifications already apply."
            )
            self._guard(box)
            self.info_box = box
            box.open()

    def _settings_closed(self, _result: int) -> None:
        self.settings_dialog = None

    def open_logs(self) -> None:
        folder = self.settings.storage.log_directory()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def ask_quit(self) -> None:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Quit fx-executor?")
        box.setText("Quit fx-executor?")
        box.setInformativeText(
            "Trade commands from the brain are not executed while the executor is not "
            "running. Open positions stay open in MetaTrader 5."
        )
        stop = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self.quit(0) if box.clickedButton() is stop else None)
        self._guard(box)
        self.quit_box = box
        box.open()

    def _guard(self, dialog: QWidget) -> None:
        """The emergency-stop shortcuts also inside this (window-modal) dialog."""
        window = self.window
        if window is not None:
            emergency_keys(dialog, lambda: self.emergency_stop(window.flatten_box.isChecked()))

    def show_window(self) -> None:
        if self.window is None:
            return
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # ---------------------------------------------------------------- plumbing

    async def _measure_terminal(self) -> None:
        """Terminal latency for the window: a PING every few seconds on the GUI's own socket,
        so the measurement never queues behind (or in front of) a trade on the runtime's."""
        endpoint = self.settings.terminal.command_endpoint
        while True:
            observer = self.observer
            if observer is not None and observer.status.terminal_available:
                try:
                    outcome = await check_terminal(endpoint, 2.0)
                except Exception:  # the owner of this task: log, keep measuring
                    logger.exception("terminal latency probe failed")
                else:
                    observer.set_terminal_latency(outcome.latency_ms)
            await asyncio.sleep(TERMINAL_PROBE_SECONDS)

    def _on_commands(self, batch: list[CommandUpdated]) -> None:
        if self.tray is not None:
            self.tray.on_commands(batch)

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window()

    def _hidden_to_tray(self) -> None:
        if not self.has_tray():
            self.ask_quit()  # nowhere to hide: closing the window means quitting
            self.show_window()
            return
        if not self._told_about_tray and self.tray is not None:
            self._told_about_tray = True
            self.tray.notify(
                "fx-executor is still running",
                "It keeps executing commands in the tray. Quit from the tray menu.",
            )

    def reload_limits(self, limits: Limits) -> None:
        assert self.host is not None
        self.host.reload_limits(limits)


def _settle(future: asyncio.Future[int], result: int) -> None:
    if not future.done():
        future.set_result(result)
