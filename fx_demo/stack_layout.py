"""Where one stack lives: its temporary directory, ports, endpoints, paths and settings.

``Stack`` (fx_demo.stack) extends ``StackLayout``: tests, benchmarks and the demo read
these attributes and set some (credentials, ``brain_ws``, ``executor_settings``) on the
stack itself.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fx_demo.program import Program
from fx_demo.tcp_proxy import TcpProxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StackLayout:
    """Ports, endpoints, paths, limits and credentials of one stack; nothing started yet."""

    def __init__(
        self,
        *,
        limits: dict[str, Any] | None = None,
        executor_settings: dict[str, dict[str, Any]] | None = None,
        sim_args: Iterable[str] = (),
        root: Path | None = None,
        keep: bool = False,
        proxy_brain: bool = False,
        brain_port: int | None = None,
        brain_tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        """``brain_tls``: (certificate, key, CA file) to serve https/wss on ``localhost``."""
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="fx-stack-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        # None: a free port now; 0: the brain picks one and its ready line tells (set on start).
        self.brain_port = free_port() if brain_port is None else brain_port
        self.brain_http = f"http://127.0.0.1:{self.brain_port}"
        #: with ``proxy_brain``, the executor reaches the brain through a cuttable relay
        self.proxy = TcpProxy(self.brain_port) if proxy_brain else None
        ws_port = self.proxy.port if self.proxy else self.brain_port
        self.brain_ws = f"ws://127.0.0.1:{ws_port}/ws/executor"
        self.brain_db = self.root / "brain" / "brain.sqlite3"
        self.command_endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.events_endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.sim_state = self.root / "mt5sim"
        self.executor_dir = self.root / "executor"
        self.journal = self.executor_dir / "journal.sqlite3"
        self.config_path = self.executor_dir / "config.toml"
        self.limits = {
            "allowed_symbols": ["EURUSD", "XAUUSD"],
            "max_price_deviation_pct": 0.5,
            **(limits or {}),
        }
        self.executor_settings = executor_settings or {}
        self.sim_args = list(sim_args)
        self.executor_id = ""
        self.api_key = ""
        self.signing_secret = ""
        self.token = ""
        self.brain_tls = brain_tls
        if brain_tls is not None:
            self.brain_http = f"https://localhost:{self.brain_port}"
            self.brain_ws = f"wss://localhost:{ws_port}/ws/executor"
        self.programs: dict[str, Program] = {}
        for path in (self.brain_db.parent, self.sim_state, self.executor_dir):
            path.mkdir(parents=True, exist_ok=True)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        env["PYTHONUNBUFFERED"] = "1"
        env["FX_BRAIN_DB"] = str(self.brain_db)
        return env
