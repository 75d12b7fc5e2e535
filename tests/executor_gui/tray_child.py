"""Child process of the tray test: the real app on an X display with a tray host.

``python -m tests.executor_gui.tray_child CONFIG`` with ``DISPLAY`` and
``QT_QPA_PLATFORM=xcb`` set and the executor's key in ``FX_TEST_KEY``.
Prints one JSON object with what it saw, then quits through the app.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from executor_app.config import load_settings
from executor_app.gui.app import ExecutorApp
from tests.executor_gui.conftest import until


async def observe(app: ExecutorApp) -> dict[str, Any]:
    task = asyncio.ensure_future(app.run())
    await until(lambda: app.ready.is_set() or task.done(), 30, "the app to start")
    tray, window, runtime = app.tray, app.window, app.runtime
    assert tray is not None
    assert window is not None
    assert runtime is not None
    await until(lambda: not tray.geometry().isEmpty(), 10, "the tray host to embed the icon")
    seen: dict[str, Any] = {
        "tray_available": QSystemTrayIcon.isSystemTrayAvailable(),
        "tray_visible": tray.isVisible(),
        "tray_geometry": list(tray.geometry().getRect()),
        "menu": [a.text() for a in tray.contextMenu().actions() if not a.isSeparator()],
        "tooltip": tray.toolTip(),
        "window_visible_at_start": window.isVisible(),
    }
    window.close()
    await asyncio.sleep(0.1)
    seen["window_visible_after_close"] = window.isVisible()
    seen["running_after_close"] = runtime.journal is not None
    tray.stop_action.trigger()
    seen["state_after_tray_stop"] = str(runtime.trading.state)
    await asyncio.sleep(0.3)  # the runtime's event, then the observer's flush
    seen["icon_after_tray_stop"] = tray.state_name
    tray.open_action.trigger()
    await asyncio.sleep(0.1)
    seen["window_visible_after_open"] = window.isVisible()
    app.quit(0)
    seen["exit"] = await task
    return seen


def main() -> int:
    import os

    config = Path(sys.argv[1])
    qapp = QApplication(sys.argv[:1])
    deadline = time.monotonic() + 10
    while not QSystemTrayIcon.isSystemTrayAvailable() and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.05)
    app = ExecutorApp(
        load_settings(config, environ={}),
        config,
        key=os.environ["FX_TEST_KEY"],
        configure_logging=False,
    )
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        seen = loop.run_until_complete(observe(app))
    print(json.dumps(seen), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
