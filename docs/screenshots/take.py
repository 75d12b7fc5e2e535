"""Screenshots of the running tray app for docs/gui.md, taken from the real thing.

    uv run python docs/screenshots/take.py

Starts the real brain and simulator (``fx_demo.stack``), a private X display
with a tray host (Xvfb + trayer), and the executor's tray app in this process
on that display; places a few orders through the brain's REST API, lets ticks
flow, then saves:

- ``executor-main.png``: the main window, ACTIVE, with commands, a position, prices;
- ``executor-halted.png``: the same after the EMERGENCY STOP button;
- ``executor-settings.png``: the settings dialog after "Test connection";
- ``executor-settings-limits.png``: the safety limits tab with a validation error;
- ``executor-tray-menu.png``: the top-right of the screen with the tray and its menu open.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.memory_keyring.MemoryKeyring"

from tests.executor_gui.xserver import XServer  # noqa: E402


def main() -> int:
    from fx_demo.stack import Stack

    with XServer(1280, 860) as x:
        os.environ.update(DISPLAY=x.display, QT_QPA_PLATFORM="xcb")
        if shutil.which("xsetroot"):  # a desktop-like background behind the tray menu
            subprocess.run(["xsetroot", "-solid", "#3d5a73"], check=False)
        stack = Stack(limits={"max_volume_per_order": 1.0, "daily_loss_limit": 250.0})
        try:
            stack.start(executor=False)
            stack.write_executor_config()
            return shoot(stack)
        finally:
            stack.stop()


def shoot(stack: object) -> int:
    import keyring
    import qasync
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from executor_app.config import KEYRING_SERVICE, load_settings
    from executor_app.gui.app import ExecutorApp
    from executor_app.gui.preferences import Preferences
    from fx_demo.stack import Stack
    from tests.executor_gui.conftest import until, write_config

    assert isinstance(stack, Stack)
    work = stack.root / "gui"
    work.mkdir()
    config = write_config(stack, work)
    keyring.set_password(KEYRING_SERVICE, stack.executor_id, stack.api_key)
    qapp = QApplication(sys.argv[:1])
    app = ExecutorApp(load_settings(config, environ={}), config, configure_logging=False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def submit(command: dict[str, object]) -> None:
        command_id = (await asyncio.to_thread(stack.submit, command))["commandId"]
        await asyncio.to_thread(stack.wait_command, command_id)

    async def scenario() -> int:
        running = asyncio.ensure_future(app.run())
        await until(lambda: app.ready.is_set() or running.done(), 30, "start")
        window, tray, observer = app.window, app.tray, app.observer
        assert window is not None
        assert tray is not None
        assert observer is not None
        await until(lambda: observer.status.reconciled, 30, "reconciliation")
        # No notification balloons over the screenshots.
        app._apply_preferences(
            Preferences(
                notify_halts=False,
                notify_rejections=False,
                notify_disconnects=False,
                notify_fills=False,
            )
        )
        window.move(0, 40)
        buy = {"action": "OPEN_POSITION", "type": "BUY"}
        for command in (
            {**buy, "symbol": "EURUSD", "volume": 0.3, "stopLoss": 1.0800},
            {**buy, "symbol": "XAUUSD", "volume": 0.05},
            {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "SELL", "volume": 0.1},
            {**buy, "symbol": "EURUSD", "volume": 2.5},
            {**buy, "symbol": "GBPUSD", "volume": 0.1},
            {
                "action": "PLACE_ORDER",
                "symbol": "EURUSD",
                "type": "BUY_LIMIT",
                "volume": 0.2,
                "price": 1.0830,
            },
        ):
            await submit(command)
        await asyncio.sleep(1.0)  # prices move, positions refresh
        # The brain measures latency with its heartbeats (every 10 s by default).
        await until(lambda: observer.status.brain_latency_ms is not None, 20, "brain latency")
        await until(lambda: observer.status.terminal_latency_ms is not None, 10, "EA latency")
        await asyncio.sleep(1.2)
        window.grab().save(str(OUT / "executor-main.png"))

        app.open_settings()
        dialog = app.settings_dialog
        assert dialog is not None
        dialog.start_test()
        assert dialog.test_task is not None
        await dialog.test_task
        await asyncio.sleep(0.3)
        dialog.grab().save(str(OUT / "executor-settings.png"))
        dialog.tabs.setCurrentIndex(1)
        widget = dialog.limit_widgets["max_volume_per_order"]
        widget.setText("0")  # type: ignore[attr-defined]
        dialog.save()
        await asyncio.sleep(0.3)
        dialog.grab().save(str(OUT / "executor-settings-limits.png"))
        dialog.reject()

        window.hide()
        await asyncio.sleep(0.3)
        geometry = tray.geometry()
        menu = tray.contextMenu()
        menu.popup(QPoint(geometry.right() - menu.sizeHint().width(), geometry.bottom() + 2))
        await asyncio.sleep(0.6)
        screen = qapp.primaryScreen()
        width = max(menu.width(), 320) + 260
        height = geometry.bottom() + menu.height() + 40
        left = screen.geometry().width() - width
        screen.grabWindow(0, left, 0, width, height).save(str(OUT / "executor-tray-menu.png"))
        menu.hide()

        window.show()
        window.emergency_button.click()
        await asyncio.sleep(1.0)
        window.grab().save(str(OUT / "executor-halted.png"))
        app.quit(0)
        return int(await running)

    with loop:
        code = loop.run_until_complete(scenario())
    for name in sorted(OUT.glob("executor-*.png")):
        print(name.relative_to(ROOT))
    return code


if __name__ == "__main__":
    sys.exit(main())
