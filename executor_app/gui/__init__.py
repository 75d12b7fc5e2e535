"""The executor's tray GUI (PySide6 + qasync), a front end over :mod:`executor_app.runtime`.

Only this package imports PySide6. ``fx-executor`` (without ``--headless``)
calls :func:`main`. See ``docs/gui.md``.
"""

from executor_app.gui.app import ExecutorApp, main

__all__ = ["ExecutorApp", "main"]
