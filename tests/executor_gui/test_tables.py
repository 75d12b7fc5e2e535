"""The window's tables follow the core's events; the adapter coalesces high-rate ones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from executor_app.core.events import CommandUpdated, TickReceived
from executor_app.gui.app import ExecutorApp
from executor_app.gui.models import CommandsModel
from fx_demo.stack import Stack
from tests.executor_gui.conftest import in_thread, make_app, run_app, until


def rows(model: CommandsModel) -> dict[str, str]:
    return {model.command(r).command_id: model.command(r).status for r in range(model.rowCount())}


def test_commands_positions_and_ticks_follow_the_runtime(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """Executed and rejected commands, the new position and live prices appear; filters work."""

    async def scenario(app: ExecutorApp) -> None:
        window = app.window
        assert window is not None
        buy = {"action": "OPEN_POSITION", "symbol": "XAUUSD", "type": "BUY", "volume": 0.02}
        big = {**buy, "volume": 3.0}
        ok = (await in_thread(stack.submit, buy))["commandId"]
        bad = (await in_thread(stack.submit, big))["commandId"]
        for command_id in (ok, bad):
            await in_thread(stack.wait_command, command_id)
        await until(
            lambda: (
                rows(window.commands_model).get(ok) == "executed"
                and rows(window.commands_model).get(bad) == "rejected"
            ),
            what="both commands in the table",
        )
        model = window.commands_model
        row = next(r for r in range(model.rowCount()) if model.command(r).command_id == bad)
        cells = [model.data(model.index(row, c)) for c in range(model.columnCount())]
        assert cells[1:5] == ["OPEN_POSITION", "XAUUSD", "3", "rejected"]
        assert cells[5].startswith("VOLUME_TOO_LARGE")
        assert float(cells[6]) >= 0  # latency in ms

        ticket = (await in_thread(stack.command, ok))["result"]["ticket"]
        positions = window.positions_model
        await until(
            lambda: any(
                positions.data(positions.index(r, 0)) == str(ticket)
                for r in range(positions.rowCount())
            ),
            what="the new position in the positions table",
        )
        ticks = window.ticks_model
        await until(lambda: ticks.tick("XAUUSD") is not None, what="XAUUSD prices")
        assert window.balance_label.text().endswith("USD")
        assert "of 500.00 USD" in window.loss_gauge.format()

        view = window.commands_filter
        window.status_filter.setCurrentIndex(window.status_filter.findData("rejected"))
        shown = {view.data(view.index(r, 4)) for r in range(view.rowCount())}
        assert shown == {"rejected"}
        window.status_filter.setCurrentIndex(0)
        window.filter_edit.setText("volume_too")
        assert view.rowCount() >= 1
        assert all(
            "VOLUME_TOO_LARGE" in view.data(view.index(r, 5)) for r in range(view.rowCount())
        )
        window.filter_edit.setText(ok.lower())  # the command id, not a shown column
        assert view.rowCount() == 1

    run_app(qapp, make_app(stack, tmp_path), scenario)


def test_tick_bursts_are_coalesced_to_the_latest_value(
    qapp: QApplication, qtbot: QtBot, stack: Stack, tmp_path: Path
) -> None:
    """10,000 tick events between two flushes reach the widgets as one update per symbol."""

    async def scenario(app: ExecutorApp) -> None:
        observer, window = app.observer, app.window
        assert observer is not None
        assert window is not None
        observer.flush()
        batches: list[dict[str, TickReceived]] = []
        observer.ticks.connect(batches.append)
        now = datetime.now(UTC)
        for i in range(10_000):
            bid = 1.0 + i / 1e6
            observer.on_event(TickReceived(time=now, symbol="EURUSD", bid=bid, ask=bid + 1e-4))
        observer.flush()
        observer.ticks.disconnect(batches.append)
        assert len(batches) == 1
        assert batches[0]["EURUSD"].bid == 1.0 + 9_999 / 1e6
        assert window.ticks_model.tick("EURUSD") == batches[0]["EURUSD"]

    run_app(qapp, make_app(stack, tmp_path), scenario)


def test_command_updates_keep_one_row_per_command(qapp: QApplication) -> None:
    """Updates of a known command change its row in place; the table stays bounded."""
    model = CommandsModel(capacity=3)
    now = datetime.now(UTC)

    def update(command_id: str, status: str) -> CommandUpdated:
        return CommandUpdated(
            time=now, command_id=command_id, action="OPEN_POSITION", status=status
        )

    model.apply([update("a", "pending"), update("a", "acknowledged"), update("b", "pending")])
    assert rows(model) == {"a": "acknowledged", "b": "pending"}
    assert model.command(0).command_id == "b"  # newest first
    model.apply([update("a", "executed"), update("c", "pending"), update("d", "rejected")])
    assert rows(model) == {"d": "rejected", "c": "pending", "b": "pending"}
