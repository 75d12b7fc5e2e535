"""Running the brain: its listening socket, uvicorn set up for it, the ready line.

``fx-brain serve`` (:mod:`brain_server.cli`) calls :func:`serve`; the in-process
test server uses :func:`http_parser` and :func:`loop_factory` so it runs the same
stack. What is chosen and why: httptools for HTTP, the websockets-sansio backend
for WebSockets (no permessage-deflate, no uvicorn pings: the brain protocol has its
own heartbeats), uvloop off Windows, TLS when configured (``brain_server.tls``).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any

from brain_server.settings import Settings
from brain_server.store import Store
from brain_server.tls import plaintext_exposed, tls_options


class ServeError(Exception):
    """The server could not start: no socket, no database, or a failed start-up (exit 1)."""


def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; prints ``fx-brain ready http://HOST:PORT`` once listening."""
    sock = _listen(settings.host, settings.port)
    port = int(sock.getsockname()[1])
    import uvicorn
    from loguru import logger

    from brain_server.app import create_app

    class _Server(uvicorn.Server):
        """Signals once the lifespan has started and the socket accepts connections."""

        ready: asyncio.Event

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                self.ready.set()

    logger.remove()
    logger.add(sys.stderr, level=settings.log_level.upper())
    if plaintext_exposed(settings):
        logger.warning(
            "serving plain HTTP on {}: tokens, API keys and commands travel unencrypted; "
            "use --certfile/--keyfile (docs/security.md)",
            settings.host,
        )
    try:
        store = Store(settings.db, settings.sqlite_synchronous)
    except Exception as exc:
        raise ServeError(f"cannot open database {settings.db}: {exc}") from None
    app = create_app(settings, store=store, extra_routes=_admin_routes())
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=http_parser(),
        ws="websockets-sansio",
        ws_max_size=settings.max_ws_message_bytes,
        ws_ping_interval=None,  # the brain protocol has its own heartbeats
        # No permessage-deflate: frames are a few hundred bytes on a LAN/loopback, and
        # compressing every events-stream frame cost brain CPU per command (py-spy).
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        **tls_options(settings),
    )
    server = _Server(config)

    async def run() -> None:
        server.ready = asyncio.Event()
        task = asyncio.create_task(server.serve(sockets=[sock]))
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if server.ready.is_set():
            scheme = "https" if settings.certfile else "http"
            print(f"fx-brain ready {scheme}://{settings.host}:{port}", flush=True)
        ready.cancel()
        await task

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(run())
    except SystemExit as exc:  # uvicorn exits 3 when start-up fails (lifespan error)
        raise ServeError(f"server failed to start (code {exc.code}); see the log above") from None
    finally:
        sock.close()


def http_parser() -> str:
    """httptools (C, llhttp) when installed, else h11 (pure Python).

    Named, not left to uvicorn's "auto", so the choice is visible: h11 parsing and
    response writing were a large part of the brain's CPU per REST command (py-spy,
    docs/performance.md), and httptools is a declared dependency.
    """
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop when installed (Linux/macOS: the brain's server), else the stdlib asyncio loop.

    uvloop's transports and callbacks are C, which cuts the loop's share of the brain's
    CPU per request and per WebSocket frame. It is a dependency only off Windows, and
    only the brain asks for it, here: the executor keeps the stdlib loop it runs on
    under Windows. (uvicorn's own ``loop=`` setting applies only to ``uvicorn.run``;
    ``serve`` runs the server in its own ``asyncio.Runner``, so the loop is chosen here.)
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket first: a clear error, and port 0 works (the ready line tells)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # TCP, and without it every keep-alive response waits ~40 ms for Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _admin_routes() -> list[Any]:
    """The web admin, when its package is present (brain_server/admin/, mounted at /admin)."""
    try:
        from brain_server.admin import admin_routes  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    return list(admin_routes())
