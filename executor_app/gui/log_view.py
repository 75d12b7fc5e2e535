"""The log in the window: a loguru sink into a bounded buffer, shown by a read-only view.

loguru may call the sink from any thread (the terminal bridge logs from its
own), so the sink only appends to a bounded deque under a lock; the view
drains it on a timer. The view keeps the last :data:`MAX_LINES` lines.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from loguru import logger
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 2000
FORMAT = "{time:HH:mm:ss.SSS} {level: <7} {message}"


class LogBuffer:
    """A loguru sink that keeps the newest lines; secrets are masked before they are kept."""

    def __init__(self, secrets: tuple[str, ...] = (), capacity: int = MAX_LINES) -> None:
        self._lines: deque[str] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._secrets = tuple(s for s in secrets if s)
        self._sink_id: int | None = None

    def install(self, level: str = "INFO") -> None:
        self._sink_id = logger.add(self.write, level=level, format=FORMAT, colorize=False)

    def remove(self) -> None:
        if self._sink_id is not None:
            logger.remove(self._sink_id)
            self._sink_id = None

    def write(self, message: Any) -> None:
        text = str(message).rstrip("\n")
        for secret in self._secrets:
            text = text.replace(secret, "***")
        with self._lock:
            self._lines.append(text)

    def drain(self) -> list[str]:
        with self._lock:
            lines = list(self._lines)
            self._lines.clear()
        return lines


class LogView(QPlainTextEdit):
    """Read-only, monospaced, bounded; follows the end unless the user scrolled up."""

    def __init__(self, buffer: LogBuffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffer = buffer
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.pull)
        self._timer.start()

    def pull(self) -> None:
        lines = self.buffer.drain()
        if not lines:
            return
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText("\n".join(lines))
        if at_end:
            bar.setValue(bar.maximum())
