"""One child process of the stack: its output lines, a log file, and stop/kill by process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

#: SIGKILL where there is one (Windows has none: there TerminateProcess is the only kill)
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


class StackError(Exception):
    """A program of the stack did not start or answer in time."""


def script_argv(name: str) -> list[str]:
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


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    if not hasattr(os, "killpg"):  # Windows: no process groups to signal; end the process itself
        with contextlib.suppress(OSError):
            proc.kill() if sig == KILL else proc.terminate()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
