"""Table models of the main window: recent commands, positions and orders, ticks."""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QGuiApplication, QPalette, QStandardItem, QStandardItemModel

from executor_app.core.events import CommandUpdated, PositionsChanged, TickReceived
from executor_app.gui import theme

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FG = Qt.ItemDataRole.ForegroundRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _dark_palette() -> bool:
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


class _Table(QAbstractTableModel):
    """Display text is formatted once per update, in ``apply``, never while painting.

    A paint asks ``data`` for every visible cell and several roles, each a call
    into Python that must take the GIL from the runtime's threads; keeping
    ``data`` a lookup keeps a repaint short. Views size their columns to the
    contents only when :attr:`widened` says some text got longer than before,
    not on every update (ResizeToContents would measure every cell each time).
    """

    headers: tuple[str, ...] = ()
    numeric: frozenset[int] = frozenset()
    #: some cell's text is longer than any seen before in its column
    widened = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._widest = [0] * len(self.headers)

    def _fits(self, cells: tuple[str, ...]) -> bool:
        """Record the text lengths of one row; False when a column got wider."""
        fits = True
        for col, cell in enumerate(cells):
            if len(cell) > self._widest[col]:
                self._widest[col] = len(cell)
                fits = False
        return fits

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if role == _DISPLAY and orientation is Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


STATUS_COLOURS = {
    "rejected": theme.RED,
    "unknown": theme.AMBER,
    "expired": theme.AMBER,
    "cancelled": theme.GREY,
    "executed": theme.GREEN,
}


class CommandsModel(QStandardItemModel):
    """The recent commands, newest first, one row per command id (updated in place).

    The cells live in Qt's own item store, not behind a Python ``data``: the
    table repaints its visible rows several times a second under load, and each
    cell asks for about eight roles; with a Python model every one of those is a
    call that must first take the GIL from the runtime's threads. Here a paint
    runs no Python; only ``apply`` does, once per batch.
    """

    headers = ("Time", "Action", "Symbol", "Volume", "Status", "Reason", "Latency ms")
    numeric = frozenset({3, 6})
    STATUS_COLUMN = 4

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__(0, len(self.headers))
        self.setHorizontalHeaderLabels(list(self.headers))
        self.capacity = capacity
        self._rows: list[CommandUpdated] = []  # newest first, parallel to the item rows
        self._first_seen: dict[str, datetime] = {}

    def command(self, row: int) -> CommandUpdated:
        return self._rows[row]

    def apply(self, updates: list[CommandUpdated]) -> None:
        """Insert new commands at the top, update known ones in place."""
        if not updates:
            return
        where = {c.command_id: i for i, c in enumerate(self._rows)}
        fresh: dict[str, CommandUpdated] = {}
        dark = _dark_palette()
        for update in updates:
            self._first_seen.setdefault(update.command_id, update.time)
            row = where.get(update.command_id)
            if row is None:
                fresh[update.command_id] = update  # the latest update of a new command
            else:
                self._rows[row] = update
                self._refresh(row, update, dark)
        for update in fresh.values():  # oldest first, each inserted on top
            items = [QStandardItem() for _ in self.headers]
            for col, item in enumerate(items):
                item.setEditable(False)
                if col in self.numeric:
                    item.setTextAlignment(_RIGHT)
            self._fill(items, update, dark)
            self._rows.insert(0, update)  # before the insert: the filter reads it
            self.insertRow(0, items)
        extra = len(self._rows) - self.capacity
        if extra > 0:
            start = len(self._rows) - extra
            self.removeRows(start, extra)
            for gone in self._rows[start:]:
                self._first_seen.pop(gone.command_id, None)
            del self._rows[start:]

    def _refresh(self, row: int, c: CommandUpdated, dark: bool) -> None:
        items = [self.item(row, col) for col in range(len(self.headers))]
        self._fill(items, c, dark)

    def _fill(self, items: list[QStandardItem], c: CommandUpdated, dark: bool) -> None:
        """Set only what changed: each set is a dataChanged the proxy and view handle."""
        cells = (
            _clock(self._first_seen.get(c.command_id, c.time)),
            c.action + (" (local)" if c.local else ""),
            c.symbol or "",
            "" if c.volume is None else f"{c.volume:g}",
            c.status,
            (c.reason.value if c.reason else "") + (f": {c.message}" if c.message else ""),
            _num(c.latency_ms, 2),
        )
        tip = f"{c.command_id}\n{c.message}".strip()
        for item, text in zip(items, cells, strict=True):
            if item.text() != text:
                item.setText(text)
            if item.toolTip() != tip:
                item.setToolTip(tip)
        colour = STATUS_COLOURS.get(c.status)
        brush = QBrush() if colour is None else QBrush(theme.text_colour(colour, dark))
        status = items[self.STATUS_COLUMN]
        if status.foreground() != brush:
            status.setForeground(brush)


class CommandFilter(QSortFilterProxyModel):
    """Free text over every column, plus an optional exact status."""

    def __init__(self) -> None:
        super().__init__()
        self._text = ""
        self._status = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_status(self, status: str) -> None:
        self.beginFilterChange()
        self._status = status
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, CommandsModel)
        command = model.command(source_row)
        if self._status and command.status != self._status:
            return False
        if not self._text:
            return True
        cells = (
            str(model.data(model.index(source_row, col), _DISPLAY)).lower()
            for col in range(model.columnCount())
        )
        return any(self._text in cell for cell in cells) or self._text in command.command_id.lower()


class PositionsModel(_Table):
    """Open positions, then pending orders."""

    headers = ("Ticket", "Symbol", "Type", "Volume", "Open price", "Current", "SL", "TP", "Profit")
    numeric = frozenset({0, 3, 4, 5, 6, 7, 8})

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[Any, ...]] = []
        self.profits: list[float | None] = []
        self.symbols: set[str] = set()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def apply(self, event: PositionsChanged) -> None:
        rows: list[tuple[Any, ...]] = []
        profits: list[float | None] = []
        for p in event.positions:
            rows.append(
                (
                    str(p.ticket),
                    p.symbol,
                    p.type,
                    f"{p.volume:g}",
                    f"{p.open_price:g}",
                    f"{p.current_price:g}",
                    "" if p.stop_loss is None else f"{p.stop_loss:g}",
                    "" if p.take_profit is None else f"{p.take_profit:g}",
                    _num(p.profit),
                )
            )
            profits.append(p.profit)
        for o in event.orders:
            rows.append(
                (
                    str(o.ticket),
                    o.symbol,
                    f"{o.type} (pending)",
                    f"{o.volume:g}",
                    f"{o.price:g}",
                    "",
                    "" if o.stop_loss is None else f"{o.stop_loss:g}",
                    "" if o.take_profit is None else f"{o.take_profit:g}",
                    "",
                )
            )
            profits.append(None)
        self.symbols = {p.symbol for p in event.positions} | {o.symbol for o in event.orders}
        if rows == self._rows:
            return
        fits = all([self._fits(row) for row in rows])
        if [r[0] for r in rows] == [r[0] for r in self._rows]:
            # Same tickets, new prices: repaint the cells, keep selection and scroll.
            self._rows, self.profits = rows, profits
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(rows) - 1, len(self.headers) - 1)
            )
        else:
            self.beginResetModel()
            self._rows, self.profits = rows, profits
            self.endResetModel()
        if not fits:
            self.widened.emit()

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        if role == _DISPLAY:
            return self._rows[index.row()][index.column()]
        if role == _ALIGN and index.column() in self.numeric:
            return _RIGHT
        if role == _FG and index.column() == 8:
            profit = self.profits[index.row()]
            if profit:
                colour = theme.GREEN if profit > 0 else theme.RED
                return theme.text_colour(colour, _dark_palette())
        return None


class TicksModel(QStandardItemModel):
    """Latest bid/ask of each traded symbol.

    Cells in Qt's item store like :class:`CommandsModel`: this table repaints on
    every flush while prices move, and a paint should run no Python.
    """

    headers = ("Symbol", "Bid", "Ask", "Spread (pts)", "Time")
    numeric = frozenset({1, 2, 3})
    #: some cell's text is longer than any seen before in its column
    widened = Signal()

    def __init__(self) -> None:
        super().__init__(0, len(self.headers))
        self.setHorizontalHeaderLabels(list(self.headers))
        self._symbols: list[str] = []  # sorted, one per row
        self._ticks: dict[str, TickReceived] = {}
        self._widest = [0] * len(self.headers)

    def tick(self, symbol: str) -> TickReceived | None:
        return self._ticks.get(symbol)

    def apply(self, ticks: dict[str, TickReceived]) -> None:
        fits = True
        for symbol in sorted(ticks):
            t = ticks[symbol]
            self._ticks[symbol] = t
            digits = max(_digits(t.bid), _digits(t.ask))
            cells = (
                t.symbol,
                f"{t.bid:.{digits}f}",
                f"{t.ask:.{digits}f}",
                str(t.spread),
                _clock(t.time),
            )
            for col, cell in enumerate(cells):
                if len(cell) > self._widest[col]:
                    self._widest[col] = len(cell)
                    fits = False
            if symbol in self._symbols:
                row = self._symbols.index(symbol)
                for col, cell in enumerate(cells):
                    item = self.item(row, col)
                    if item.text() != cell:
                        item.setText(cell)
                continue
            row = bisect.bisect(self._symbols, symbol)
            items = [QStandardItem(cell) for cell in cells]
            for col, item in enumerate(items):
                item.setEditable(False)
                if col in self.numeric:
                    item.setTextAlignment(_RIGHT)
            self._symbols.insert(row, symbol)
            self.insertRow(row, items)
        if not fits:
            self.widened.emit()


def _digits(price: float) -> int:
    text = f"{price:.6f}".rstrip("0")
    return max(2, len(text.split(".")[1]) if "." in text else 0)
