"""The main window: state, connections, account, limits, commands, positions, ticks, log.

It only renders what :class:`~executor_app.gui.observer.RuntimeObserver`
hands it and forwards the operator's clicks to the controller
(:class:`~executor_app.gui.app.ExecutorApp`). Closing it hides it to the
tray; quitting is the tray menu's (or File menu's) job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from executor_app.core.limits import Limits
from executor_app.gui import theme
from executor_app.gui.assets import icon
from executor_app.gui.log_view import LogBuffer, LogView
from executor_app.gui.models import CommandFilter, CommandsModel, PositionsModel, TicksModel
from executor_app.gui.observer import RuntimeObserver
from executor_app.gui.status import Status
from fx_protocol.brain_wire import Account
from fx_protocol.vocabulary import CommandStatus, TradingState

#: the emergency stop works from anywhere in the app, window focused or not
EMERGENCY_SHORTCUTS = ("Ctrl+Shift+X", "F12")

LIMIT_LABELS: dict[str, tuple[str, str]] = {
    # field: (label, unit)
    "allowed_symbols": ("Allowed symbols", ""),
    "max_volume_per_order": ("Max volume per order", "lots"),
    "max_total_volume_per_symbol": ("Max volume per symbol", "lots"),
    "max_open_positions": ("Max open positions + orders", ""),
    "max_orders_per_minute": ("Max orders per minute", "/min"),
    "daily_loss_limit": ("Daily loss limit", "acct. currency"),
    "require_stop_loss": ("Stop loss required", ""),
    "max_price_deviation_pct": ("Max price deviation", "%"),
    "max_spread_points": ("Max spread", "points"),
    "on_brain_disconnect": ("On brain disconnect", ""),
    "disconnect_grace_seconds": ("Disconnect grace", "s"),
    "daily_reset_time": ("Daily reset at", ""),
    "daily_reset_zone": ("Daily reset time zone", ""),
}


def limit_text(limits: Limits, field: str) -> str:
    value: Any = getattr(limits, field)
    unit = LIMIT_LABELS[field][1]
    off_when_zero = {
        "max_open_positions",
        "max_orders_per_minute",
        "daily_loss_limit",
        "max_price_deviation_pct",
        "max_spread_points",
    }
    if field in off_when_zero and not value:
        return "off"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) if value else "none (no new risk)"
    if hasattr(value, "strftime"):
        return str(value.strftime("%H:%M"))
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value} {unit}".strip()


class MainWindow(QMainWindow):
    """See the module docstring."""

    emergency_requested = Signal(bool)  # flatten
    resume_requested = Signal()
    settings_requested = Signal()
    logs_requested = Signal()
    quit_requested = Signal()

    def __init__(self, observer: RuntimeObserver, log_buffer: LogBuffer) -> None:
        super().__init__()
        self.setWindowTitle("fx-executor")
        self.setWindowIcon(icon("app"))
        self.resize(1180, 760)
        self.allow_close = False
        self.on_hidden: Callable[[], None] | None = None
        self._currency = ""
        self._limits: Limits | None = None
        self._account: Account | None = None

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setSpacing(10)
        layout.addLayout(self._header())
        cards = QHBoxLayout()
        cards.addWidget(self._connections_box(), 3)
        cards.addWidget(self._account_box(), 4)
        cards.addWidget(self._ticks_box(), 4)
        layout.addLayout(cards)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._tabs(log_buffer))
        split.addWidget(self._limits_box())
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)
        self._menus()
        emergency_keys(self, self._emergency_clicked)

        observer.status_changed.connect(self.show_status)
        observer.commands.connect(self.commands_model.apply)
        observer.positions.connect(self.positions_model.apply)
        observer.account.connect(self.show_account)
        observer.ticks.connect(self.show_ticks)
        observer.limits.connect(self.show_limits)

    # ---------------------------------------------------------------- building

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.state_label = QLabel("…")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.state_label.setFont(font)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setMinimumWidth(200)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.state_label)
        row.addWidget(self.reason_label, 1)

        self.flatten_box = QCheckBox("also close all positions (flatten)")
        self.flatten_box.setToolTip(
            "Checked: the emergency stop also closes every open position at market."
        )
        self.emergency_button = QPushButton("EMERGENCY STOP")
        self.emergency_button.setObjectName("emergencyStop")
        self.emergency_button.setToolTip(
            "Halt all new trading now, cancel pending orders (works without the brain). "
            f"Shortcut: {' or '.join(EMERGENCY_SHORTCUTS)}"
        )
        self.emergency_button.setMinimumHeight(56)
        self.emergency_button.setMinimumWidth(240)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.35)
        big.setBold(True)
        self.emergency_button.setFont(big)
        self.emergency_button.setStyleSheet(
            f"QPushButton#emergencyStop {{ background-color: {theme.RED.name()}; color: white; "
            "border: 2px solid #7f0000; border-radius: 8px; padding: 6px 18px; }"
            "QPushButton#emergencyStop:hover { background-color: "
            f"{theme.RED.lighter(115).name()}; }}"
            "QPushButton#emergencyStop:pressed { background-color: #8e0000; }"
        )
        self.emergency_button.clicked.connect(self._emergency_clicked)
        self.resume_button = QPushButton("Resume…")
        self.resume_button.setMinimumHeight(40)
        self.resume_button.setToolTip("Lift the halt (asks for confirmation first)")
        self.resume_button.clicked.connect(self.resume_requested)
        stop_column = QVBoxLayout()
        stop_column.addWidget(self.emergency_button)
        options = QHBoxLayout()
        options.addWidget(self.flatten_box)
        options.addStretch(1)
        hint = QLabel(" or ".join(EMERGENCY_SHORTCUTS))
        hint.setToolTip("Keyboard shortcuts of the emergency stop, anywhere in the app")
        hint.setEnabled(False)  # the palette's muted text colour, light or dark theme
        options.addWidget(hint)
        stop_column.addLayout(options)
        row.addLayout(stop_column)
        row.addWidget(self.resume_button)
        return row

    def _connections_box(self) -> QGroupBox:
        box = QGroupBox("Connections")
        form = QFormLayout(box)
        self.executor_label = QLabel("")
        self.brain_label = QLabel("")
        self.terminal_label = QLabel("")
        self.reconciled_label = QLabel("")
        for label in (self.brain_label, self.terminal_label, self.reconciled_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            _steady(label, "connected, 999.9 ms")
        form.addRow("Executor:", self.executor_label)
        form.addRow("Brain:", self.brain_label)
        form.addRow("Terminal:", self.terminal_label)
        form.addRow("Reconciled:", self.reconciled_label)
        return box

    def _account_box(self) -> QGroupBox:
        box = QGroupBox("Account")
        form = QFormLayout(box)
        self.balance_label = QLabel("-")
        self.equity_label = QLabel("-")
        self.pnl_label = QLabel("-")
        for label in (self.balance_label, self.equity_label, self.pnl_label):
            _steady(label, "-9,999,999.99 USD")
        self.loss_gauge = QProgressBar()
        self.loss_gauge.setRange(0, 1000)
        self.loss_gauge.setTextVisible(True)
        self.loss_gauge.setFormat("-")
        form.addRow("Balance:", self.balance_label)
        form.addRow("Equity:", self.equity_label)
        form.addRow("Today's P&&L:", self.pnl_label)
        form.addRow("Daily loss used:", self.loss_gauge)
        return box

    def _ticks_box(self) -> QGroupBox:
        box = QGroupBox("Prices")
        layout = QVBoxLayout(box)
        self.ticks_model = TicksModel()
        self.ticks_view = _table(self.ticks_model)
        self.ticks_view.setMinimumHeight(60)
        self.ticks_view.setMaximumHeight(24 * 5 + 30)
        layout.addWidget(self.ticks_view)
        return box

    def _limits_box(self) -> QGroupBox:
        box = QGroupBox("Limits in force")
        box.setMinimumWidth(300)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.limit_labels: dict[str, QLabel] = {}
        for field, (label, _unit) in LIMIT_LABELS.items():
            value = QLabel("")
            value.setWordWrap(True)
            self.limit_labels[field] = value
            form.addRow(f"{label}:", value)
        return box

    def _tabs(self, log_buffer: LogBuffer) -> QTabWidget:
        tabs = QTabWidget()
        commands = QWidget()
        column = QVBoxLayout(commands)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: symbol, action, reason, command id…")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All statuses", "")
        for status in CommandStatus:
            self.status_filter.addItem(status.value, status.value)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.status_filter)
        column.addLayout(bar)
        self.commands_model = CommandsModel()
        self.commands_filter = CommandFilter()
        self.commands_filter.setSourceModel(self.commands_model)
        self.filter_edit.textChanged.connect(self.commands_filter.set_text)
        self.status_filter.currentIndexChanged.connect(
            lambda _i: self.commands_filter.set_status(self.status_filter.currentData())
        )
        self.commands_view = _table(self.commands_filter, fit_columns=False)
        header = self.commands_view.horizontalHeader()
        # Fixed widths: ResizeToContents would measure every row on every update.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for section, width in enumerate((80, 150, 80, 70, 100, 330, 90)):
            header.resizeSection(section, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        column.addWidget(self.commands_view)
        tabs.addTab(commands, "Recent commands")

        self.positions_model = PositionsModel()
        self.positions_view = _table(self.positions_model)
        tabs.addTab(self.positions_view, "Positions && orders")

        self.log_view = LogView(log_buffer)
        tabs.addTab(self.log_view, "Log")
        self.tabs = tabs
        return tabs

    def _menus(self) -> None:
        menu = self.menuBar().addMenu("&Executor")
        stop = QAction("EMERGENCY STOP", self)
        stop.setShortcuts([QKeySequence(k) for k in EMERGENCY_SHORTCUTS])
        stop.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the QShortcuts own the keys
        stop.triggered.connect(self._emergency_clicked)
        menu.addAction(stop)
        resume = QAction("Resume…", self)
        resume.triggered.connect(self.resume_requested)
        menu.addAction(resume)
        menu.addSeparator()
        settings = QAction("Settings…", self)
        settings.setShortcut(QKeySequence.StandardKey.Preferences)
        settings.triggered.connect(self.settings_requested)
        menu.addAction(settings)
        logs = QAction("Open log folder", self)
        logs.triggered.connect(self.logs_requested)
        menu.addAction(logs)
        menu.addSeparator()
        hide = QAction("Hide to tray", self)
        hide.setShortcut(QKeySequence("Ctrl+W"))
        hide.triggered.connect(self.close)
        menu.addAction(hide)
        quit_action = QAction("Quit (stops the executor)", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.quit_requested)
        menu.addAction(quit_action)

    # ---------------------------------------------------------------- rendering

    def _emergency_clicked(self) -> None:
        self.emergency_requested.emit(self.flatten_box.isChecked())

    def show_status(self, status: Status) -> None:
        state = status.trading_state
        self.state_label.setText(state.value)
        _set_style(self.state_label, theme.badge_style(theme.STATE_COLOURS[state]))
        if state is TradingState.ACTIVE:
            self.reason_label.setText("Trading: new risk accepted within the limits.")
        elif state is TradingState.REDUCING:
            self.reason_label.setText(f"Only closing trades are accepted. {status.reason}".strip())
        else:
            self.reason_label.setText(
                f"No new risk: {status.reason or 'halted'}. Closes and cancels still pass."
            )
        self.resume_button.setEnabled(state is not TradingState.ACTIVE)
        self.executor_label.setText(status.executor_id or "(not set)")
        self.brain_label.setText(status.brain_text())
        self.terminal_label.setText(status.terminal_text())
        self.reconciled_label.setText("yes" if status.reconciled else "not yet: no new risk")

    def show_ticks(self, ticks: dict[str, Any]) -> None:
        """Only traded symbols: the allowed ones and those with open positions."""
        traded = set(self._limits.allowed_symbols) if self._limits else set()
        traded.update(self.positions_model.symbols)
        wanted = {s: t for s, t in ticks.items() if s in traded}
        if wanted:
            self.ticks_model.apply(wanted)

    def show_account(self, account: Account) -> None:
        self._account = account
        self._currency = account.currency
        money = f" {account.currency}"
        self.balance_label.setText(f"{account.balance:,.2f}{money}")
        self.equity_label.setText(f"{account.equity:,.2f}{money}")
        self._draw_loss()

    def show_limits(self, limits: Limits) -> None:
        self._limits = limits
        for field, label in self.limit_labels.items():
            label.setText(limit_text(limits, field))
        self._draw_loss()

    def _draw_loss(self) -> None:
        account, limits = self._account, self._limits
        if account is None or account.day_start_equity is None:
            self.pnl_label.setText("-")
            return
        pnl = account.equity - account.day_start_equity
        colour = theme.GREEN if pnl >= 0 else theme.RED
        dark = self.palette().window().color().lightness() < 128
        self.pnl_label.setText(f"{pnl:+,.2f} {account.currency}")
        _set_style(self.pnl_label, f"color: {theme.text_colour(colour, dark).name()};")
        limit = limits.daily_loss_limit if limits else 0.0
        if not limit:
            self.loss_gauge.setValue(0)
            self.loss_gauge.setFormat("daily loss limit off")
            return
        loss = max(0.0, -pnl)
        share = min(1.0, loss / limit)
        self.loss_gauge.setValue(round(share * 1000))
        self.loss_gauge.setFormat(
            f"{loss:,.2f} of {limit:,.2f} {account.currency} ({share * 100:.0f} %)"
        )
        chunk = theme.GREEN if share < 0.5 else theme.AMBER if share < 0.9 else theme.RED
        _set_style(
            self.loss_gauge,
            f"QProgressBar::chunk {{ background-color: {chunk.name()}; }}"
            "QProgressBar { text-align: center; }",
        )

    # ---------------------------------------------------------------- close to tray

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.allow_close:
            event.accept()
            return
        event.ignore()
        self.hide()
        if self.on_hidden is not None:
            self.on_hidden()


def emergency_keys(widget: QWidget, callback: Callable[[], None]) -> None:
    """The emergency-stop shortcuts on ``widget`` and its children.

    Application-wide shortcuts do not reach a window-modal dialog, so every
    dialog of the app gets its own (see ``ExecutorApp``). An app-wide event
    filter would also catch them, but would run Python on every Qt event,
    qasync's timers included, i.e. on the order path.
    """
    for keys in EMERGENCY_SHORTCUTS:
        shortcut = QShortcut(QKeySequence(keys), widget)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(callback)


def _steady(label: QLabel, sample: str) -> None:
    """A label whose text changes often but whose width does not move the window's layout.

    Its size hint follows its text; with the window open every new balance or
    latency would re-run the window's layout and repaint all of it. Ignored
    keeps the space the layout gives it, at least as wide as ``sample``.
    """
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance(sample))
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)


def _set_style(widget: QWidget, sheet: str) -> None:
    """Only when it changed: a new sheet re-polishes the widget, and accounts update often."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def _table(model: Any, fit_columns: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    # Sized to the contents when rows come or go or some text got longer (the
    # model's ``widened``), not in ResizeToContents mode: that measures every
    # cell again on each price update, several times a second.
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    if fit_columns:
        model.modelReset.connect(view.resizeColumnsToContents)
        model.rowsInserted.connect(view.resizeColumnsToContents)
        if hasattr(model, "widened"):
            model.widened.connect(view.resizeColumnsToContents)
    return view
