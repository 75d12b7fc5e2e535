"""The Qt-side adapter: runtime events in, coalesced Qt signals out.

``Runtime.subscribe`` calls :meth:`RuntimeObserver.on_event` on the
runtime's own thread (:mod:`executor_app.gui.runtime_host`), after the order
flow has moved on. The callback only stores the event under a lock (O(1), no
widget work), so a burst of thousands of ticks per second costs the order
path next to nothing and costs Qt nothing either: a QTimer on the GUI thread
(:data:`FLUSH_HZ`) hands the latest values to the widgets. Trading-state and
connection changes are rare and urgent: they wake the GUI thread at once
(a queued signal) instead of waiting for the timer.
"""

from __future__ import annotations

import threading
from typing import Any

import msgspec
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from executor_app.core.events import (
    AccountChanged,
    BrainConnectionChanged,
    CommandUpdated,
    ExecutorEvent,
    LimitsChanged,
    PositionsChanged,
    ReconciliationChanged,
    Snapshot,
    TerminalConnectionChanged,
    TickReceived,
    TradingStateChanged,
)
from executor_app.gui.status import Status

FLUSH_HZ = 10
#: brain latency is measured by heartbeats the runtime does not announce: poll it
STATUS_POLL_MS = 1000


class RuntimeObserver(QObject):
    """Subscribes to a runtime and re-emits what changed, at most :data:`FLUSH_HZ` per second."""

    #: Status (trading state, connections, latency)
    status_changed = Signal(object)
    #: list[CommandUpdated], oldest first, since the last flush
    commands = Signal(object)
    #: PositionsChanged
    positions = Signal(object)
    #: Account
    account = Signal(object)
    #: dict[str, TickReceived]: the latest tick of each symbol that moved
    ticks = Signal(object)
    #: Limits
    limits = Signal(object)
    #: one event per notable thing, for notifications: TradingStateChanged,
    #: BrainConnectionChanged, TerminalConnectionChanged
    notable = Signal(object)
    #: emitted on the runtime's thread, delivered (queued) on the GUI thread
    _wake = Signal()

    def __init__(self, runtime: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self.status = Status()
        self._commands: list[CommandUpdated] = []
        self._ticks: dict[str, TickReceived] = {}
        self._positions: PositionsChanged | None = None
        self._account: AccountChanged | None = None
        self._limits: LimitsChanged | None = None
        self._status_dirty = False
        self._urgent_pending = False
        self.events_seen = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // FLUSH_HZ)
        self._timer.timeout.connect(self.flush)
        self._poll = QTimer(self)
        self._poll.setInterval(STATUS_POLL_MS)
        self._poll.timeout.connect(self._poll_latency)
        self._unsubscribe: Any = None
        self._lock = threading.Lock()
        self._wake.connect(self.flush, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Snapshot:
        """Draw from a snapshot, then follow events. Returns the snapshot used."""
        snapshot: Snapshot = self._runtime.snapshot()
        self._from_snapshot(snapshot)
        self._unsubscribe = self._runtime.subscribe(self.on_event)
        self._timer.start()
        self._poll.start()
        return snapshot

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()
        self._poll.stop()

    def _from_snapshot(self, snap: Snapshot) -> None:
        s = self.status
        s.executor_id = snap.executor_id
        s.trading_state = snap.trading_state
        s.reason = snap.halt_reason
        s.brain = snap.brain
        s.brain_latency_ms = snap.brain_latency_ms
        s.terminal_available = snap.terminal_available
        s.terminal_trade_allowed = snap.terminal_trade_allowed
        s.reconciled = snap.reconciled
        self._commands = list(snap.recent_commands)
        self._ticks = dict(snap.ticks)
        self._positions = PositionsChanged(
            time=snap.time, positions=snap.positions, orders=snap.orders
        )
        if snap.account is not None:
            self._account = AccountChanged(time=snap.time, account=snap.account)
        self._limits = LimitsChanged(time=snap.time, limits=snap.limits)
        self._status_dirty = True
        self.flush()

    # ---------------------------------------------------------------- runtime side

    def on_event(self, event: ExecutorEvent) -> None:
        """The subscriber: store, never render (called by the runtime, see module doc)."""
        with self._lock:
            self._store(event)

    def _store(self, event: ExecutorEvent) -> None:
        self.events_seen += 1
        if isinstance(event, TickReceived):
            self._ticks[event.symbol] = event
        elif isinstance(event, CommandUpdated):
            self._commands.append(event)
        elif isinstance(event, PositionsChanged):
            self._positions = event
        elif isinstance(event, AccountChanged):
            self._account = event
        elif isinstance(event, LimitsChanged):
            self._limits = event
        else:
            self._status_event(event)

    def _status_event(self, event: ExecutorEvent) -> None:
        s = self.status
        if isinstance(event, TradingStateChanged):
            s.trading_state, s.reason = event.state, event.reason
        elif isinstance(event, BrainConnectionChanged):
            s.brain = event.state
            if event.latency_ms is not None:
                s.brain_latency_ms = event.latency_ms
        elif isinstance(event, TerminalConnectionChanged):
            s.terminal_available = event.available
            s.terminal_trade_allowed = event.trade_allowed
            if event.latency_ms is not None:
                s.terminal_latency_ms = event.latency_ms
        elif isinstance(event, ReconciliationChanged):
            s.reconciled = event.reconciled
        else:
            return
        self._status_dirty = True
        if not isinstance(event, ReconciliationChanged):
            self.notable.emit(event)
        if not self._urgent_pending:
            self._urgent_pending = True
            self._wake.emit()

    def set_terminal_latency(self, latency_ms: float | None) -> None:
        """The EA's PING round trip, measured by the GUI on a socket of its own."""
        with self._lock:
            if latency_ms != self.status.terminal_latency_ms:
                self.status.terminal_latency_ms = latency_ms
                self._status_dirty = True

    def _poll_latency(self) -> None:
        latency = self._runtime.snapshot().brain_latency_ms
        with self._lock:
            if latency != self.status.brain_latency_ms:
                self.status.brain_latency_ms = latency
                self._status_dirty = True

    # ---------------------------------------------------------------- Qt side

    def flush(self) -> None:
        """Hand everything that changed since the last flush to the widgets (GUI thread)."""
        with self._lock:
            self._urgent_pending = False
            status = msgspec.structs.replace(self.status) if self._status_dirty else None
            self._status_dirty = False
            batch, self._commands = self._commands, []
            positions, self._positions = self._positions, None
            account, self._account = self._account, None
            limits, self._limits = self._limits, None
            ticks, self._ticks = self._ticks, {}
        if status is not None:
            self.status_changed.emit(status)
        if batch:
            self.commands.emit(batch)
        if positions is not None:
            self.positions.emit(positions)
        if account is not None:
            self.account.emit(account.account)
        if limits is not None:
            self.limits.emit(limits.limits)
        if ticks:
            self.ticks.emit(ticks)
