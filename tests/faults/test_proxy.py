"""The fault proxy: pass-through, drop, refuse, delay, stall and half-open on real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from fx_demo.chaos.proxy import FaultProxy


class Echo:
    """A loopback echo server (one thread per connection)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.eofs = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                return
            self.eofs += 1


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    echo = Echo()
    with FaultProxy(echo.port) as running:
        running.echo = echo  # type: ignore[attr-defined]
        yield running
    echo.server.close()


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.settimeout(5)
    return sock


def roundtrip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    return sock.recv(100)


def test_pass_through(proxy: FaultProxy) -> None:
    """Bytes go both ways unchanged."""
    with connect(proxy) as sock:
        assert roundtrip(sock, b"hello") == b"hello"


def closed(sock: socket.socket) -> bool:
    """True once the peer has closed or reset the connection (bounded wait)."""
    sock.settimeout(0.1)
    for _ in range(50):
        try:
            sock.send(b"x")
            if sock.recv(10) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_drop_resets_both_sides(proxy: FaultProxy) -> None:
    """drop() aborts the link: the client sees the connection end."""
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.drop()
        assert closed(sock)


def test_refuse_then_heal(proxy: FaultProxy) -> None:
    """While refusing, a new connection is closed at once; after heal() it relays again."""
    proxy.refuse(True)
    with connect(proxy) as sock:
        assert closed(sock)
    proxy.heal()
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"


def test_delay_adds_latency(proxy: FaultProxy) -> None:
    """delay(ms) holds every chunk that long in each direction."""
    proxy.delay(150)
    with connect(proxy) as sock:
        began = time.monotonic()
        assert roundtrip(sock) == b"ping"
        assert time.monotonic() - began >= 0.29


def test_stall_holds_without_closing(proxy: FaultProxy) -> None:
    """stall(): nothing arrives, the link stays open; unstalled, the bytes come through."""
    with connect(proxy) as sock:
        proxy.stall(True)
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(10)
        proxy.stall(False)
        sock.settimeout(5)
        assert sock.recv(10) == b"held"


def test_half_open_closes_one_direction(proxy: FaultProxy) -> None:
    """half_open('to_brain'): the upstream sees EOF, the client's later bytes are swallowed."""
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.half_open("to_brain")
        echo = proxy.echo  # type: ignore[attr-defined]
        for _ in range(100):  # bounded: the EOF reaches the echo server within ms
            if echo.eofs:
                break
            time.sleep(0.01)
        assert echo.eofs == 1
        proxy.heal()
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
