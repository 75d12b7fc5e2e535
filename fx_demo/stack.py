"""A launcher of the REAL programs on loopback, for tests, the demo, fault drills and benchmarks.

``Stack`` creates a temporary data dir, registers an executor and an API token
with ``fx-brain executors add`` / ``tokens add --json --db``, then starts

- ``fx-brain serve`` on a free port,
- ``fx-mt5sim`` on two free ports with its own ``--state-dir``,
- ``fx-executor --headless`` with a generated TOML config (API key passed via
  ``brain.api_key_env``),

each as its own process group, waits for its ready line and offers a few
helpers (REST calls, simulator control, the simulator's deal list). Every
process can be stopped (SIGTERM, then SIGKILL), killed with SIGKILL and
restarted on the same ports and state. ``stop()`` leaves no orphans.

    with Stack(limits={"max_volume_per_order": 1.0}) as stack:
        command_id = stack.submit({"action": "OPEN_POSITION", ...})["commandId"]
        stack.wait_command(command_id, {"executed"})

The parts, one module each: :mod:`fx_demo.program` (``Program``: one child
process, its output and its lifecycle), :mod:`fx_demo.tcp_proxy` (``TcpProxy``),
:mod:`fx_demo.stack_layout` (``StackLayout``: ports, paths, settings and
credentials of one stack; ``Stack`` extends it, since callers read and set those
attributes directly), :mod:`fx_demo.stack_client` (``BrainClient`` for REST,
``SimClient`` for the simulator: built from the layout's current values, owned
by ``Stack`` through ``brain_client`` and ``sim_client``); this module starts,
stops and restarts the programs. Every name is re-exported here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

import tomli_w

from fx_demo.program import KILL, Program, StackError, script_argv
from fx_demo.stack_client import FINAL, BrainClient, SimClient
from fx_demo.stack_layout import StackLayout, free_port
from fx_demo.tcp_proxy import TcpProxy

__all__ = [
    "FINAL",
    "KEY_ENV",
    "KILL",
    "SIGNING_ENV",
    "BrainClient",
    "Program",
    "SimClient",
    "Stack",
    "StackError",
    "StackLayout",
    "TcpProxy",
    "free_port",
    "script_argv",
]

KEY_ENV = "FX_STACK_EXECUTOR_KEY"
#: the executor's command signing secret (docs/security.md), passed like the key
SIGNING_ENV = "FX_STACK_SIGNING_SECRET"


class Stack(StackLayout):
    """Brain + simulated terminal + executor on loopback, in a temporary directory."""

    @property
    def brain_client(self) -> BrainClient:
        """A REST client on the current URL and credentials.

        Built on each use: registration, a brain started with ``brain_port=0`` and
        callers (the demo's saved credentials) change them after the stack is made.
        """
        return BrainClient(
            base_url=self.brain_http,
            token=self.token,
            executor_id=self.executor_id,
            ca_file=None if self.brain_tls is None else self.brain_tls[2],
        )

    @property
    def sim_client(self) -> SimClient:
        """A client of the simulator's ROUTER and CLI (built on each use, like ``brain_client``)."""
        return SimClient(
            command_endpoint=self.command_endpoint, state_dir=self.sim_state, env=self._env
        )

    # The helpers callers use, kept as names of the stack.

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self.brain_client.api(method, path, body)

    def submit(self, command: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return self.brain_client.submit(command, **fields)

    def command(self, command_id: str) -> dict[str, Any]:
        return self.brain_client.command(command_id)

    def wait_command(
        self, command_id: str, statuses: Iterable[str] = FINAL, timeout: float = 20.0
    ) -> dict[str, Any]:
        return self.brain_client.wait_command(command_id, statuses, timeout)

    def executor(self) -> dict[str, Any]:
        return self.brain_client.executor()

    def wait_executor(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
        return self.brain_client.wait_executor(predicate, timeout)

    def halt(self, flatten: bool, reason: str = "stack") -> Any:
        return self.brain_client.halt(flatten, reason)

    def deals(self) -> list[dict[str, Any]]:
        return self.sim_client.deals()

    def sim_control(self, wait: bool = True, **fields: Any) -> dict[str, Any]:
        return self.sim_client.sim_control(wait, **fields)

    def terminal_request(self, kind: str, wait: bool = True, **fields: Any) -> dict[str, Any]:
        return self.sim_client.terminal_request(kind, wait, **fields)

    # Lifecycle.

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, executor: bool = True) -> None:
        self.register()
        self.start_brain()
        self.start_sim()
        if executor:
            self.start_executor()

    def register(self, executor_name: str = "stack-executor", token_name: str = "stack") -> None:
        """Register the executor and a REST token in a fresh brain database."""
        brain = script_argv("fx-brain")
        out = self._run(
            [*brain, "executors", "add", executor_name, "--json", "--db", str(self.brain_db)]
        )
        self.executor_id, self.api_key = out["executorId"], out["apiKey"]
        self.signing_secret = out.get("signingSecret", "")
        out = self._run([*brain, "tokens", "add", token_name, "--json", "--db", str(self.brain_db)])
        self.token = out["token"]

    def _run(self, argv: list[str]) -> dict[str, Any]:
        done = subprocess.run(
            argv, capture_output=True, text=True, env=self._env(), timeout=60, check=False
        )
        if done.returncode != 0:
            raise StackError(f"{' '.join(argv[:3])} failed: {done.stderr.strip()}")
        return dict(json.loads(done.stdout))

    def _program(self, name: str, argv: list[str], env: dict[str, str]) -> Program:
        program = Program(name, argv, env, self.root / f"{name}.log")
        self.programs[name] = program
        return program

    def start_brain(self) -> None:
        argv = [
            *script_argv("fx-brain"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.brain_port),
            "--db",
            str(self.brain_db),
        ]
        if self.brain_tls is not None:
            argv += ["--certfile", str(self.brain_tls[0]), "--keyfile", str(self.brain_tls[1])]
        program = self.programs.get("brain") or self._program("brain", argv, self._env())
        program.start()
        ready = program.wait_for("fx-brain ready", 30)
        if self.brain_port == 0:
            self._learn_brain_port(int(ready.rsplit(":", 1)[1]))

    def _learn_brain_port(self, port: int) -> None:
        """With ``brain_port=0``: the port the brain bound, kept for URLs and restarts."""
        self.brain_port = port
        self.brain_http = f"http://127.0.0.1:{port}"
        if self.proxy is None:
            self.brain_ws = f"ws://127.0.0.1:{port}/ws/executor"
        else:
            self.proxy.target_port = port
        program = self.programs["brain"]
        program.argv[program.argv.index("--port") + 1] = str(port)

    def set_admin_password(self, password: str, username: str = "admin") -> None:
        """``fx-brain admin-password`` for the web admin at ``/admin``."""
        env = self._env()
        env["FX_STACK_ADMIN_PASSWORD"] = password
        argv = [
            *script_argv("fx-brain"),
            "admin-password",
            "--username",
            username,
            "--password-env",
            "FX_STACK_ADMIN_PASSWORD",
            "--db",
            str(self.brain_db),
        ]
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        if done.returncode != 0:
            raise StackError(f"fx-brain admin-password failed: {done.stderr.strip()}")

    def start_sim(self) -> None:
        argv = [
            *script_argv("fx-mt5sim"),
            "--command-endpoint",
            self.command_endpoint,
            "--events-endpoint",
            self.events_endpoint,
            "--state-dir",
            str(self.sim_state),
            "--seed",
            "7",
            *self.sim_args,
        ]
        program = self.programs.get("sim") or self._program("sim", argv, self._env())
        program.start()
        program.wait_for("fx-mt5sim ready", 30)

    def write_executor_config(self) -> None:
        settings: dict[str, dict[str, Any]] = {
            "brain": {
                "url": self.brain_ws,
                "executor_id": self.executor_id,
                "api_key_env": KEY_ENV,
                "signing_secret_env": SIGNING_ENV,
                **({"ca_file": str(self.brain_tls[2])} if self.brain_tls else {}),
                "reconnect_max_seconds": 1.0,
                "status_interval_seconds": 1.0,
            },
            "terminal": {
                "command_endpoint": self.command_endpoint,
                "events_endpoint": self.events_endpoint,
                "request_timeout_seconds": 2.0,
                "heartbeat_timeout_seconds": 3.0,
            },
            "limits": dict(self.limits),
            "storage": {
                "journal_path": str(self.journal),
                "log_dir": str(self.executor_dir / "logs"),
            },
        }
        for section, values in self.executor_settings.items():
            settings.setdefault(section, {}).update(values)
        self.config_path.write_text(tomli_w.dumps(settings), encoding="utf-8")

    def start_executor(
        self, wait_reconciled: bool = True, gui_env: dict[str, str] | None = None
    ) -> None:
        """Headless by default; ``gui_env`` (extra variables) runs the tray GUI instead.

        The GUI reads its key from the OS keyring, never from ``api_key_env``:
        ``gui_env`` is how a caller points it at a keyring backend of its own.
        """
        self.write_executor_config()
        env = self._env()
        env[KEY_ENV] = self.api_key
        env[SIGNING_ENV] = self.signing_secret
        mode = [] if gui_env is not None else ["--headless"]
        env.update(gui_env or {})
        argv = [*script_argv("fx-executor"), *mode, "--config", str(self.config_path)]
        program = self.programs.get("executor") or self._program("executor", argv, env)
        program.env = env
        program.start()
        if gui_env is not None:  # the GUI prints no ready line: the brain sees it come online

            def online(view: dict[str, Any]) -> bool:
                if not program.running:
                    tail = "\n".join(program.lines[-15:])
                    raise StackError(f"executor (GUI) exited before coming online:\n{tail}")
                return bool(view.get("online") and view.get("reconciled"))

            self.wait_executor(online, 30)
            return
        program.wait_for("fx-executor ready", 30)
        if wait_reconciled:
            program.wait_for("reconciled with the terminal", 30)
            self.wait_executor(lambda e: bool(e.get("online") and e.get("reconciled")), 30)

    def stop(self) -> None:
        """Stop every program (executor first, so it can flush), then remove the temp dir."""
        for name in ("executor", "sim", "brain"):
            program = self.programs.get(name)
            if program is not None:
                program.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self._own_root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def kill(self, name: str) -> None:
        self.programs[name].kill()

    def restart(self, name: str) -> None:
        self.programs[name].stop()
        {"brain": self.start_brain, "sim": self.start_sim, "executor": self.start_executor}[name]()
