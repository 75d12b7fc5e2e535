"""Requests to a running stack: the brain's REST API, and the simulator's ROUTER and CLI.

Two small clients, each built with exactly what it talks to (no ``Stack`` behind them):
``BrainClient`` (base URL, token, executor id, CA file) and ``SimClient`` (the
simulator's command endpoint and state directory). ``Stack`` owns them and keeps
its helper methods (``submit``, ``wait_command``, ``sim_control``...) as one-line
delegations.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fx_demo.program import StackError, script_argv

FINAL = {"executed", "rejected", "expired", "cancelled"}


class BrainClient:
    """REST helpers: submit, read and wait for a command or the executor, halt."""

    def __init__(
        self, *, base_url: str, token: str, executor_id: str, ca_file: Path | None = None
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.executor_id = executor_id
        self.ca_file = ca_file

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10, context=self._tls()) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise StackError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None

    def _tls(self) -> ssl.SSLContext | None:
        return (
            None if self.ca_file is None else ssl.create_default_context(cafile=str(self.ca_file))
        )

    def submit(self, command: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"executorId": self.executor_id, "command": command, **fields}
        return dict(self.api("POST", "/api/v1/commands", body))

    def command(self, command_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/v1/commands/{command_id}"))

    def wait_command(
        self, command_id: str, statuses: Iterable[str] = FINAL, timeout: float = 20.0
    ) -> dict[str, Any]:
        wanted = set(statuses)
        deadline = time.monotonic() + timeout
        while True:
            view = self.command(command_id)
            if view.get("status") in wanted:
                return view
            if time.monotonic() > deadline:
                raise StackError(f"command {command_id} still {view.get('status')}: {view}")
            time.sleep(0.02)

    def executor(self) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/v1/executors/{self.executor_id}"))

    def wait_executor(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            view = self.executor()
            if predicate(view):
                return view
            if time.monotonic() > deadline:
                raise StackError(f"executor never matched: {view}")
            time.sleep(0.05)

    def halt(self, flatten: bool, reason: str = "stack") -> Any:
        return self.api(
            "POST",
            f"/api/v1/executors/{self.executor_id}/halt",
            {"flatten": flatten, "reason": reason},
        )


class SimClient:
    """The simulator's ROUTER (SIM_CONTROL, GET_POSITIONS...) and its ``deals`` CLI."""

    def __init__(
        self, *, command_endpoint: str, state_dir: Path, env: Callable[[], dict[str, str]]
    ) -> None:
        """``env``: the environment for the ``fx-mt5sim deals`` child, built when it runs."""
        self.command_endpoint = command_endpoint
        self.state_dir = state_dir
        self.env = env

    def deals(self) -> list[dict[str, Any]]:
        """The simulated account's deals, from the simulator's own database."""
        done = subprocess.run(
            [*script_argv("fx-mt5sim"), "deals", "--state-dir", str(self.state_dir), "--json"],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise StackError(f"fx-mt5sim deals failed: {done.stderr.strip()}")
        data = json.loads(done.stdout)
        return list(data["deals"] if isinstance(data, dict) else data)

    def sim_control(self, wait: bool = True, **fields: Any) -> dict[str, Any]:
        """Send one SIM_CONTROL request (faults, quotes) to the simulator and return its reply.

        ``wait=False`` does not wait for the reply (a reply delay applies to it too).
        """
        return self.terminal_request("SIM_CONTROL", wait=wait, **fields)

    def terminal_request(self, kind: str, wait: bool = True, **fields: Any) -> dict[str, Any]:
        """One request straight to the simulator's ROUTER (e.g. GET_POSITIONS), its reply."""
        import zmq

        context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        dealer = context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(self.command_endpoint)
        try:
            body = {"type": kind, "requestId": f"stack-{time.monotonic_ns()}", **fields}
            dealer.send(json.dumps(body).encode())
            if not wait:
                # Let the frame leave before the socket closes (LINGER 0 would drop it).
                dealer.poll(200)
                return {}
            if not dealer.poll(10_000):
                raise StackError(f"no reply to {kind}")
            return dict(json.loads(dealer.recv_multipart()[-1]))
        finally:
            dealer.close()
