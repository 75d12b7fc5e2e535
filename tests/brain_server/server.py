"""A real brain on loopback for tests: uvicorn in a thread, its own event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from brain_server.app import create_app
from brain_server.serving import http_parser, loop_factory
from brain_server.settings import Settings
from brain_server.store import Store
from tests.conftest import free_port


class ServerThread:
    """Start/stop a brain server on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings, extra_routes: list[Any] | None = None) -> None:
        self.settings = settings
        self.extra_routes = extra_routes or []
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.app: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}/ws/executor"

    @property
    def events_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}/ws/events"

    def start(self) -> None:
        self.app = create_app(self.settings, extra_routes=self.extra_routes)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.settings.port,
            http=http_parser(),  # what fx-brain serve runs: httptools and uvloop
            ws="websockets-sansio",
            ws_max_size=self.settings.max_ws_message_bytes,
            ws_ping_interval=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="brain-test-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("brain server did not start")
            time.sleep(0.01)

    def _run(self) -> None:
        assert self.server is not None
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(self.server.serve())

    def stop(self) -> None:
        if self.server is None or self.thread is None:
            return
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "brain server did not stop"
        self.server = None

    @property
    def brain(self) -> Any:
        return self.app.state.brain


@dataclass
class Credentials:
    executor_id: str
    api_key: str
    token: str


def provision(db: Path, executors: int = 1) -> tuple[list[tuple[str, str]], str]:
    """Register executors and a token straight in the store; ([(id, key)], token)."""
    store = Store(db)
    try:
        pairs = [store.add_executor(f"ex{i}", int(time.time() * 1000)) for i in range(executors)]
        token = store.add_token("tests", int(time.time() * 1000))
    finally:
        store.close()
    return pairs, token


def test_settings(db: Path, **overrides: Any) -> Settings:
    return Settings(db=db, port=free_port(), **overrides)
