"""The settings dialog: brain, API key, terminal, safety limits, startup, notifications.

Opened with ``open()`` (window-modal without a nested event loop), so the
runtime's tasks keep running while it is up. Every field is validated
inline; nothing is saved until all are valid. On save:

- the TOML config is rewritten (``config_file.write``, checked by the
  executor's own loader) and a new API key goes to the OS keyring, never
  back to the screen;
- limits apply at once (``Runtime.reload_limits``), and so do the
  notification switches; brain and terminal changes apply after a restart.
"""

from __future__ import annotations

import asyncio
import re
import typing
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Annotated, Any

import msgspec
from loguru import logger
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from executor_app.config import ConfigError, Settings, setting_docs
from executor_app.core.limits import Limits
from executor_app.gui import autostart, config_file, theme
from executor_app.gui.connection_check import Outcome, check_brain, check_terminal
from executor_app.gui.main_window import LIMIT_LABELS
from executor_app.gui.preferences import Preferences, save_preferences

_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_ENDPOINT = re.compile(r"^(tcp|ipc|inproc)://\S+$")
NOTIFY_LABELS = {
    "notify_halts": "Trading halted or reducing",
    "notify_rejections": "Rejected commands",
    "notify_disconnects": "Brain or terminal disconnected",
    "notify_fills": "Fills (executed commands)",
}


class ConnectionState(msgspec.Struct, frozen=True, kw_only=True):
    """What the dialog needs to know about the running session for "Test connection"."""

    connected_as: str | None  # executor id of the live brain session, if connected
    latency_ms: float | None


class SettingsDialog(QDialog):
    """See the module docstring."""

    #: (restart_needed, changed field names) after a successful save
    saved = Signal(bool, object)

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        preferences_path: Path,
        preferences: Preferences,
        *,
        apply_limits: Callable[[Limits], None],
        apply_preferences: Callable[[Preferences], None],
        connection_state: Callable[[], ConnectionState],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("fx-executor settings")
        self.setMinimumWidth(620)
        self.settings = settings
        self.config_path = config_path
        self.preferences_path = preferences_path
        self.preferences = preferences
        self._apply_limits = apply_limits
        self._apply_preferences = apply_preferences
        self._connection_state = connection_state
        self.errors: dict[str, QLabel] = {}
        self.test_task: asyncio.Task[None] | None = None
        helps = {name: text for name, _env, text, _default in setting_docs()}
        self._helps = helps

        self.tabs = QTabWidget()
        self.tabs.addTab(self._connection_tab(), "Connection")
        self.tabs.addTab(self._limits_tab(), "Safety limits")
        self.tabs.addTab(self._startup_tab(), "Startup && notifications")
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)

    # ---------------------------------------------------------------- building

    def _row(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        widget: QWidget,
        unit: str = "",
        compact: bool = False,
    ) -> None:
        error = QLabel("")
        error.setObjectName(f"error:{key}")
        error.setWordWrap(True)
        dark = self.palette().window().color().lightness() < 128
        error.setStyleSheet(f"color: {theme.text_colour(theme.RED, dark).name()};")
        error.hide()
        self.errors[key] = error
        help_text = self._helps.get(key, "")
        if help_text:
            widget.setToolTip(help_text)
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        line = QHBoxLayout()
        if compact:
            widget.setFixedWidth(150)
            line.addWidget(widget)
            line.addWidget(QLabel(unit))
            line.addStretch(1)
        else:
            line.addWidget(widget, 1)
        column.addLayout(line)
        column.addWidget(error)
        form.addRow(f"{label}:", cell)

    def _connection_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        brain = QGroupBox("Brain")
        form = QFormLayout(brain)
        self.url_edit = QLineEdit(self.settings.brain.url)
        self.id_edit = QLineEdit(self.settings.brain.executor_id)
        self.key_status = QLabel("")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste a new key to replace the stored one")
        self._row(form, "brain.url", "WebSocket URL", self.url_edit)
        self._row(form, "brain.executor_id", "Executor id", self.id_edit)
        form.addRow("API key:", self.key_status)
        self._row(form, "brain.api_key", "Replace key", self.key_edit)
        self.secret_status = QLabel("")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText("paste a new signing secret to replace the stored one")
        self.signing = config_file.signing_user("x") is not None
        if self.signing:
            form.addRow("Signing secret:", self.secret_status)
            self._row(form, "brain.signing_secret", "Replace secret", self.secret_edit)
        self.id_edit.textChanged.connect(self._show_key_status)
        self._show_key_status()
        layout.addWidget(brain)

        terminal = QGroupBox("MetaTrader 5 terminal (EA)")
        form = QFormLayout(terminal)
        self.command_edit = QLineEdit(self.settings.terminal.command_endpoint)
        self.events_edit = QLineEdit(self.settings.terminal.events_endpoint)
        self._row(form, "terminal.command_endpoint", "Command endpoint", self.command_edit)
        self._row(form, "terminal.events_endpoint", "Events endpoint", self.events_edit)
        layout.addWidget(terminal)

        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip(
            "Brain HELLO and terminal PING on separate connections; the running session "
            "is not disturbed."
        )
        self.test_button.clicked.connect(self.start_test)
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        layout.addLayout(test_row)
        results = QFormLayout()
        self.brain_result = QLabel("-")
        self.terminal_result = QLabel("-")
        for label in (self.brain_result, self.terminal_result):
            label.setWordWrap(True)
        results.addRow("Brain:", self.brain_result)
        results.addRow("Terminal:", self.terminal_result)
        layout.addLayout(results)
        note = QLabel("Brain and terminal changes apply after a restart of the executor.")
        note.setEnabled(False)
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        return page

    def _limits_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel(
            "Checked on every command before it can reach MetaTrader 5. "
            "Changes apply at once when saved; the brain cannot raise them."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.limit_widgets: dict[str, QWidget] = {}
        limits = self.settings.limits
        for field, (label, unit) in LIMIT_LABELS.items():
            value = getattr(limits, field)
            widget: QWidget
            if isinstance(value, bool):
                widget = QCheckBox()
                widget.setChecked(value)
            elif field == "on_brain_disconnect":
                widget = QComboBox()
                for option in ("keep", "halt", "flatten"):
                    widget.addItem(option, option)
                widget.setCurrentIndex(widget.findData(value))
            elif isinstance(value, list):
                widget = QLineEdit(", ".join(value))
                widget.setPlaceholderText("comma-separated, e.g. EURUSD, XAUUSD")
            elif isinstance(value, time):
                widget = QLineEdit(value.strftime("%H:%M"))
                widget.setPlaceholderText("HH:MM")
            else:
                widget = QLineEdit(f"{value:g}" if isinstance(value, float) else str(value))
            self.limit_widgets[field] = widget
            compact = field not in ("allowed_symbols", "daily_reset_zone")
            self._row(form, f"limits.{field}", label, widget, unit, compact)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _startup_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        startup = QGroupBox("Startup")
        column = QVBoxLayout(startup)
        self.autostart_box = QCheckBox(autostart.label())
        if autostart.supported():
            self.autostart_box.setChecked(autostart.is_enabled())
        else:
            self.autostart_box.setEnabled(False)
            self.autostart_box.setToolTip("Not supported on this operating system")
        self.minimised_box = QCheckBox("Start minimised (in the tray)")
        self.minimised_box.setChecked(self.preferences.start_minimised)
        column.addWidget(self.autostart_box)
        column.addWidget(self.minimised_box)
        layout.addWidget(startup)
        notes = QGroupBox("Notifications (apply at once)")
        column = QVBoxLayout(notes)
        self.notify_boxes: dict[str, QCheckBox] = {}
        for key, label in NOTIFY_LABELS.items():
            box = QCheckBox(label)
            box.setChecked(getattr(self.preferences, key))
            self.notify_boxes[key] = box
            column.addWidget(box)
        layout.addWidget(notes)
        layout.addStretch(1)
        return page

    def _show_key_status(self) -> None:
        executor_id = self.id_edit.text().strip()
        if config_file.stored_secret(executor_id):
            self.secret_status.setText("stored in the OS keyring (not shown)")
        else:
            self.secret_status.setText("not stored: signed commands cannot be verified")
        if config_file.stored_key(executor_id):
            self.key_status.setText("stored in the OS keyring (not shown)")
        else:
            self.key_status.setText("not stored: enter the key given by `fx-brain executors add`")

    # ---------------------------------------------------------------- validation

    def _set_error(self, key: str, text: str) -> None:
        label = self.errors[key]
        label.setText(text)
        label.setVisible(bool(text))

    def validate(self) -> Limits | None:
        """Show every field's error inline; the new limits when all are valid."""
        for key in self.errors:
            self._set_error(key, "")
        bad: list[str] = []

        def error(key: str, text: str) -> None:
            self._set_error(key, text)
            bad.append(key)

        url = self.url_edit.text().strip()
        if not re.match(r"^wss?://[^/\s]+", url):
            error("brain.url", "must be ws://HOST:PORT/… or wss://HOST/…")
        executor_id = self.id_edit.text().strip()
        if not _ID.match(executor_id):
            error("brain.executor_id", "letters, digits, '_', '.', '-' (1 to 64)")
        key = self.key_edit.text().strip()
        if key and len(key) > 256:
            error("brain.api_key", "longer than 256 characters")
        elif not key and not config_file.stored_key(executor_id):
            error("brain.api_key", "no key stored for this executor id: enter one")
        for name, edit in (
            ("terminal.command_endpoint", self.command_edit),
            ("terminal.events_endpoint", self.events_edit),
        ):
            if not _ENDPOINT.match(edit.text().strip()):
                error(name, "must look like tcp://HOST:PORT")
        values: dict[str, Any] = {}
        for field, widget in self.limit_widgets.items():
            raw = _read(widget)
            try:
                values[field] = _parse_limit(field, raw)
                msgspec.convert({field: values[field]}, Limits, strict=False)
            except (ValueError, msgspec.ValidationError) as exc:
                error(f"limits.{field}", _limit_error(exc))
        if "limits.daily_reset_zone" not in bad:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(values["daily_reset_zone"])
            except (ZoneInfoNotFoundError, ValueError):
                error("limits.daily_reset_zone", 'unknown time zone, e.g. "Europe/London"')
        if bad:
            page = 0 if bad[0].startswith(("brain", "terminal")) else 1
            self.tabs.setCurrentIndex(page)
            self.result_label.setText(f"{len(bad)} field(s) need attention.")
            self.adjustSize()  # make room for the error lines instead of squeezing the fields
            return None
        return msgspec.convert(values, Limits, strict=False)

    # ---------------------------------------------------------------- saving

    def save(self) -> None:
        limits = self.validate()
        if limits is None:
            return
        url = self.url_edit.text().strip()
        executor_id = self.id_edit.text().strip()
        command = self.command_edit.text().strip()
        events = self.events_edit.text().strip()
        key = self.key_edit.text().strip()
        try:
            data = config_file.edited(
                self.config_path,
                url=url,
                executor_id=executor_id,
                command=command,
                events=events,
                limits=limits,
            )
            new = config_file.write(self.config_path, data)
        except (ConfigError, OSError) as exc:
            self.result_label.setText(f"Not saved: {exc}")
            return
        if key:
            try:
                config_file.store_key(executor_id, key)
            except Exception as exc:  # keyring backends raise their own error types
                self.result_label.setText(f"Config saved, but the keyring refused the key: {exc}")
                return
            self.key_edit.clear()
        secret = self.secret_edit.text().strip() if self.signing else ""
        if secret:
            try:
                config_file.store_secret(executor_id, secret)
            except Exception as exc:  # keyring backends raise their own error types
                self.result_label.setText(f"Saved, but the keyring refused the secret: {exc}")
                return
            self.secret_edit.clear()
        prefs = Preferences(
            start_minimised=self.minimised_box.isChecked(),
            **{k: box.isChecked() for k, box in self.notify_boxes.items()},
        )
        problems: list[str] = []
        try:
            save_preferences(self.preferences_path, prefs)
        except OSError as exc:
            problems.append(f"preferences not saved: {exc}")
        if autostart.supported() and self.autostart_box.isChecked() != autostart.is_enabled():
            try:
                autostart.set_enabled(self.autostart_box.isChecked(), self.config_path)
            except OSError as exc:
                problems.append(f"start at login not changed: {exc}")
        old = self.settings
        changed = [
            name
            for name, before, after in (
                ("brain URL", old.brain.url, new.brain.url),
                ("executor id", old.brain.executor_id, new.brain.executor_id),
                ("command endpoint", old.terminal.command_endpoint, new.terminal.command_endpoint),
                ("events endpoint", old.terminal.events_endpoint, new.terminal.events_endpoint),
            )
            if before != after
        ]
        if key:
            changed.append("API key")
        if secret:
            changed.append("signing secret")
        if new.limits != old.limits:
            self._apply_limits(new.limits)
        self._apply_preferences(prefs)
        self.settings, self.preferences = new, prefs
        logger.info(
            "settings saved to {}{}",
            self.config_path,
            f"; after restart: {', '.join(changed)}" if changed else "",
        )
        if problems:
            self.result_label.setText("Saved, but " + "; ".join(problems))
            return
        self.saved.emit(bool(changed), changed)
        self.accept()

    # ---------------------------------------------------------------- test connection

    def start_test(self) -> None:
        if self.test_task is not None and not self.test_task.done():
            return
        self.test_task = asyncio.ensure_future(self.run_test())

    async def run_test(self) -> None:
        self.test_button.setEnabled(False)
        self.brain_result.setText("testing…")
        self.terminal_result.setText("testing…")
        try:
            url = self.url_edit.text().strip()
            executor_id = self.id_edit.text().strip()
            typed = self.key_edit.text().strip()
            key = typed or config_file.read_key(executor_id)
            state = self._connection_state()
            unchanged = (
                url == self.settings.brain.url
                and executor_id == self.settings.brain.executor_id
                and not typed
            )
            brain, terminal = await asyncio.gather(
                check_brain(
                    url,
                    executor_id,
                    key,
                    running_connected_as=state.connected_as,
                    unchanged=unchanged,
                    running_latency_ms=state.latency_ms,
                ),
                check_terminal(self.command_edit.text().strip()),
            )
            self._show_outcome(self.brain_result, brain)
            self._show_outcome(self.terminal_result, terminal)
        finally:
            self.test_button.setEnabled(True)

    def _show_outcome(self, label: QLabel, outcome: Outcome) -> None:
        dark = self.palette().window().color().lightness() < 128
        colour = theme.GREEN if outcome.ok else theme.RED
        label.setText(("✔ " if outcome.ok else "✘ ") + outcome.text)
        label.setStyleSheet(f"color: {theme.text_colour(colour, dark).name()};")

    def done(self, result: int) -> None:
        if self.test_task is not None and not self.test_task.done():
            self.test_task.cancel()
        super().done(result)


def _read(widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    assert isinstance(widget, QLineEdit)
    return widget.text().strip()


def _parse_limit(field: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if field == "allowed_symbols":
        symbols = [s.strip().upper() for s in raw.replace(";", ",").split(",") if s.strip()]
        for symbol in symbols:
            if not re.fullmatch(r"[A-Z0-9._#-]{1,32}", symbol):
                raise ValueError(f"not a symbol: {symbol!r}")
        return symbols
    if field == "daily_reset_time":
        try:
            return time.fromisoformat(raw)
        except ValueError:
            raise ValueError("a time of day like 00:00 or 17:00") from None
    if field == "daily_reset_zone":
        if not raw:
            raise ValueError("required")
        return raw
    if _LIMIT_TYPES[field] not in (int, float):
        return raw  # a choice (on_brain_disconnect): msgspec checks it
    if _LIMIT_TYPES[field] is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError("a whole number") from None
    try:
        return float(raw)
    except ValueError:
        raise ValueError("a number") from None


_LIMIT_TYPES = {
    name: typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
    for name, hint in typing.get_type_hints(Limits, include_extras=True).items()
}


def _limit_error(exc: Exception) -> str:
    text = str(exc)
    match = re.match(r"Expected `\w+` >= ([\d.]+)", text)
    if match:
        return f"must be at least {match.group(1)}"
    match = re.match(r"Expected `\w+` > ([\d.]+)", text)
    if match:
        return f"must be greater than {match.group(1)}"
    return text.split(" - at ")[0]
