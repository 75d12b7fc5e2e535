"""One executor window per user and config file: a second launch raises the first and exits.

The first instance listens on a QLocalServer (a named pipe on Windows, a
socket file on Unix) whose name carries the user and a hash of the config
file's path; a later launch connects, says ``show`` and exits 0.
"""

from __future__ import annotations

import getpass
import hashlib
import re
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_CONNECT_MS = 500


def server_name(config_file: Path) -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "user"
    user = re.sub(r"[^A-Za-z0-9_.-]", "_", user)[:32]
    digest = hashlib.sha256(str(config_file.resolve()).encode()).hexdigest()[:12]
    return f"fx-executor-{user}-{digest}"


def ask_running_instance(name: str) -> bool:
    """True when another instance took the message (so this one should exit)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(_CONNECT_MS):
        return False
    socket.write(b"show\n")
    socket.flush()
    socket.waitForBytesWritten(_CONNECT_MS)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later launches; emits :attr:`show_requested` when one asks."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # A socket file left by a crashed instance (Unix): nobody answered, so remove it.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            # No deleteLater and no lambda holding the socket: accepted sockets stay
            # children of the server and go with it (one per later launch). A deferred
            # delete raced the server's own deletion and crashed in ~QObject (seen 1 run
            # in 5 of tests/executor_gui/test_app.py, gdb: DeferredDelete of a QLocalSocket).
            socket.readyRead.connect(self._read_sender)
            if socket.bytesAvailable():
                self._read(socket)

    @Slot()
    def _read_sender(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if b"show" in data:
            self.show_requested.emit()
