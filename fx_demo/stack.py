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
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomli_w

KEY_ENV = "FX_STACK_EXECUTOR_KEY"
#: the executor's command signing secret (docs/security.md), passed like the key
SIGNING_ENV = "FX_STACK_SIGNING_SECRET"
FINAL = {"executed", "rejected", "expired", "cancelled"}


class StackError(Exception):
    """A program of the stack did not start or answer in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _script(name: str) -> list[str]:
    """The console script from this interpreter's environment, or ``python -m``."""
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return [str(candidate)]
    module = {
        "fx-brain": "brain_server.cli",
        "fx-mt5sim": "mt5_simulator.cli",
        "fx-executor": "executor_app.cli",
    }[name]
    return [sys.executable, "-m", module]


class Program:
    """One child process: its output lines (kept and mirrored to a log file) and its lifecycle."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        self.lines = []
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
            start_new_session=True,
        )
        self._reader = threading.Thread(
            target=self._read, args=(self.proc,), name=f"read-{self.name}", daemon=True
        )
        self._reader.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"---- start {' '.join(self.argv)}\n")
            for line in proc.stdout:
                log.write(line)
                log.flush()
                with self._cond:
                    if proc is self.proc:
                        self.lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        proc.stdout.close()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        """The first output line of the current run containing ``needle``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                if self.proc is None or self.proc.poll() is not None:
                    tail = "\n".join(self.lines[-15:])
                    raise StackError(f"{self.name} exited before {needle!r}:\n{tail}")
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.lines[-15:])
                    raise StackError(f"{self.name}: no {needle!r} within {timeout} s:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def count(self, needle: str) -> int:
        with self._cond:
            return sum(needle in line for line in self.lines)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, KILL)
                proc.wait(5)
        _signal_group(proc, KILL)  # anything the program left behind in its group
        self._join()
        return proc.returncode

    def kill(self) -> None:
        """kill -9: no chance to flush or say goodbye."""
        proc = self.proc
        if proc is None:
            return
        _signal_group(proc, KILL)
        proc.wait(5)
        self._join()

    def _join(self) -> None:
        if self._reader is not None:
            self._reader.join(5)


#: SIGKILL where there is one (Windows has none: there TerminateProcess is the only kill)
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    if not hasattr(os, "killpg"):  # Windows: no process groups to signal; end the process itself
        with contextlib.suppress(OSError):
            proc.kill() if sig == KILL else proc.terminate()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class TcpProxy:
    """A loopback TCP relay whose connections can be cut, to drop the network on purpose."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = int(self._server.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._refusing = False
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self._refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self, refuse: bool = True) -> None:
        """Drop every relayed connection; with ``refuse``, new ones too until :meth:`restore`."""
        self._refusing = refuse
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._refusing = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()


class Stack:
    """Brain + simulated terminal + executor on loopback, in a temporary directory."""

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

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        env["PYTHONUNBUFFERED"] = "1"
        env["FX_BRAIN_DB"] = str(self.brain_db)
        return env

    def start(self, executor: bool = True) -> None:
        self.register()
        self.start_brain()
        self.start_sim()
        if executor:
            self.start_executor()

    def register(self, executor_name: str = "stack-executor", token_name: str = "stack") -> None:
        """Register the executor and a REST token in a fresh brain database."""
        brain = _script("fx-brain")
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
            *_script("fx-brain"),
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
            *_script("fx-brain"),
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
            *_script("fx-mt5sim"),
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
        argv = [*_script("fx-executor"), *mode, "--config", str(self.config_path)]
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

    # ---------------------------------------------------------------- REST helpers

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.brain_http + path,
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
            None
            if self.brain_tls is None
            else ssl.create_default_context(cafile=str(self.brain_tls[2]))
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

    # ---------------------------------------------------------------- simulator helpers

    def deals(self) -> list[dict[str, Any]]:
        """The simulated account's deals, from the simulator's own database."""
        done = subprocess.run(
            [*_script("fx-mt5sim"), "deals", "--state-dir", str(self.sim_state), "--json"],
            capture_output=True,
            text=True,
            env=self._env(),
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
