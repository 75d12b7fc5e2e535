"""Whether the executor's tray GUI can show here: a display, and the GUI installed."""

from __future__ import annotations

import importlib.util
import os
import sys


def gui_problem(environ: dict[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why the tray GUI cannot run, in a few words; None when it can."""
    environ = dict(os.environ) if environ is None else environ
    if (
        platform.startswith("linux")
        and not environ.get("QT_QPA_PLATFORM")
        and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    ):
        return "no display found (DISPLAY / WAYLAND_DISPLAY not set)"
    for module in ("PySide6", "qasync", "executor_app.gui"):
        if importlib.util.find_spec(module) is None:
            return f"the tray GUI is not installed ({module} missing)"
    return None
