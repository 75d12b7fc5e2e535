"""The tray icon: state at a glance, a summary tooltip, the menu and notifications."""

from __future__ import annotations

from collections import Counter, deque

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from executor_app.core.events import (
    BrainConnectionChanged,
    CommandUpdated,
    ExecutorEvent,
    TerminalConnectionChanged,
    TradingStateChanged,
)
from executor_app.core.session import LinkState
from executor_app.gui.assets import icon
from executor_app.gui.preferences import Preferences
from executor_app.gui.status import Status
from fx_protocol.vocabulary import TradingState

Icon = QSystemTrayIcon.MessageIcon


class Tray(QSystemTrayIcon):
    """See the module docstring; actions are exposed for the controller and tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(icon("app"), parent)
        self.preferences = Preferences()
        self.state_name = "app"
        menu = QMenu(parent)
        self.open_action = QAction("Open window", menu)
        self.stop_action = QAction("EMERGENCY STOP", menu)
        self.stop_flatten_action = QAction("EMERGENCY STOP and flatten", menu)
        self.resume_action = QAction("Resume…", menu)
        self.settings_action = QAction("Settings…", menu)
        self.logs_action = QAction("Open log folder", menu)
        self.quit_action = QAction("Quit", menu)
        font = self.stop_action.font()
        font.setBold(True)
        self.stop_action.setFont(font)
        menu.addAction(self.open_action)
        menu.addSeparator()
        menu.addAction(self.stop_action)
        menu.addAction(self.stop_flatten_action)
        menu.addAction(self.resume_action)
        menu.addSeparator()
        menu.addAction(self.settings_action)
        menu.addAction(self.logs_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        menu.setDefaultAction(self.open_action)
        self.menu = menu
        self.setContextMenu(menu)
        #: the latest notifications (title, text), newest last
        self.messages: deque[tuple[str, str]] = deque(maxlen=50)
        self._brain_up = False
        self._terminal_up = False
        self.setToolTip("fx-executor: starting")

    def show_status(self, status: Status) -> None:
        name = status.tray_state().value
        if name != self.state_name:
            self.state_name = name
            self.setIcon(icon(name))
        self.setToolTip(status.tooltip())
        self.resume_action.setEnabled(status.trading_state is not TradingState.ACTIVE)

    # ---------------------------------------------------------------- notifications

    def on_notable(self, event: ExecutorEvent) -> None:
        prefs = self.preferences
        if isinstance(event, TradingStateChanged):
            if event.state is TradingState.HALTED and prefs.notify_halts:
                self.notify("Trading HALTED", event.reason or "no new risk", Icon.Critical)
            elif event.state is TradingState.REDUCING and prefs.notify_halts:
                self.notify("Trading REDUCING", event.reason or "closing trades only")
        elif isinstance(event, BrainConnectionChanged):
            # Once per loss: a brain that stays down reports every failed reconnect.
            was_up, self._brain_up = self._brain_up, event.state is LinkState.CONNECTED
            if was_up and not self._brain_up and prefs.notify_disconnects:
                self.notify("Brain disconnected", event.detail or "reconnecting…", Icon.Warning)
        elif isinstance(event, TerminalConnectionChanged):
            was_up, self._terminal_up = self._terminal_up, event.available
            if not (was_up and not event.available and prefs.notify_disconnects):
                return
            self.notify(
                "Terminal unavailable",
                event.detail or "the MetaTrader 5 EA does not answer",
                Icon.Warning,
            )

    def on_commands(self, batch: list[CommandUpdated]) -> None:
        """One message per kind per batch, however many commands the batch holds."""
        prefs = self.preferences
        rejected = [c for c in batch if c.status == "rejected"]
        filled = [c for c in batch if c.status == "executed"]
        if rejected and prefs.notify_rejections:
            if len(rejected) == 1:
                c = rejected[0]
                text = f"{c.action} {c.symbol or ''} {c.volume or ''}".strip()
                reason = c.reason.value if c.reason else "rejected"
                self.notify(f"Command rejected: {reason}", f"{text}\n{c.message}".strip())
            else:
                reasons = Counter(c.reason.value if c.reason else "?" for c in rejected)
                summary = ", ".join(f"{n} x {r}" for r, n in reasons.most_common(3))
                self.notify(f"{len(rejected)} commands rejected", summary)
        if filled and prefs.notify_fills:
            if len(filled) == 1:
                c = filled[0]
                price = f" @ {c.price:g}" if c.price is not None else ""
                self.notify("Filled", f"{c.action} {c.symbol or ''} {c.volume or ''}{price}")
            else:
                self.notify("Filled", f"{len(filled)} commands executed")

    def notify(self, title: str, text: str, kind: Icon = Icon.Information) -> None:
        self.messages.append((title, text))
        if self.isVisible() and self.supportsMessages():
            self.showMessage(title, text, kind, 8000)
