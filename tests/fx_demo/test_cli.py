"""``fx-demo`` as a user runs it: a real subprocess with the real brain, terminal and executor."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from fx_demo.cli import main
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "fx_demo"]
#: the demo with its start-up interrupted from inside an exec() (tests/fx_demo/interrupted_demo.py)
INTERRUPTED_DEMO = [sys.executable, "-m", "tests.fx_demo.interrupted_demo"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


class Run:
    """One ``fx-demo`` process: its output as it comes, and every descendant it ever had."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, program: list[str] = DEMO
    ) -> None:
        self.proc = subprocess.Popen(
            [*program, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or _env(),
            start_new_session=True,
        )
        self.out: list[str] = []
        self.err = ""
        self.children: dict[int, psutil.Process] = {}
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._seen:
                self.out.append(line.rstrip("\n"))
                self._seen.notify_all()
        self.proc.stdout.close()
        with self._seen:
            self._seen.notify_all()

    def note_children(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.children.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def wait_line(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.out:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                assert left > 0, (pattern, self.out)
                assert self.proc.poll() is None, (pattern, self.out)
                self._seen.wait(min(left, 0.5))

    def finish(self, timeout: float = 60) -> int:
        """Wait for the exit; stdout belongs to the reader thread, stderr is read here."""
        assert self.proc.stderr is not None
        self.proc.wait(timeout)
        self.err = self.proc.stderr.read()
        self.proc.stderr.close()
        self._reader.join(5)
        return self.proc.returncode

    @property
    def text(self) -> str:
        return "\n".join(self.out)

    def running(self, name: str) -> bool:
        """A descendant whose command line mentions ``name`` is alive."""
        for child in self.children.values():
            try:
                if name in " ".join(child.cmdline()) and child.is_running():
                    return True
            except psutil.Error:
                continue
        return False

    def ports(self) -> set[int]:
        """Every TCP port of the run: the brain's and the terminal's two."""
        ports = {int(m) for m in re.findall(r"http://127\.0\.0\.1:(\d+)/admin", self.text)}
        for child in self.children.values():
            try:
                cmdline = " ".join(child.cmdline())
            except psutil.Error:
                continue
            ports |= {int(p) for p in re.findall(r"tcp://127\.0\.0\.1:(\d+)", cmdline)}
        return ports


def assert_all_gone(run: Run) -> None:
    """No descendant process left alive and every port the run used can be bound again."""
    alive = [c for c in run.children.values() if c.is_running() and c.status() != "zombie"]
    assert alive == [], [c.cmdline() for c in alive]
    for port in run.ports():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))


def admin_login(base: str, username: str, password: str) -> int:
    """Log in to the web admin like a browser; the status of the login POST."""
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/admin/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None, page.text[:500]
        answer = client.post(
            "/admin/login",
            data={"csrf_token": csrf[1], "username": username, "password": password, "next": ""},
        )
        return answer.status_code


def test_run_for_then_ctrl_c_on_the_same_port() -> None:
    """--run-for 15: trades, admin login, summary, clean exit 0; a GUI rerun on its port, SIGINT."""
    first = Run("--headless", "--run-for", "15", "--port", "0", "--pace", "0.3")
    url = first.wait_line(r"Web admin\s+(http://127\.0\.0\.1:(\d+))/admin")
    login = first.wait_line(r"Login\s+(\S+) / (\S+)")
    data_dir = Path(first.wait_line(r"Data\s+(\S+)")[1])
    assert data_dir.is_dir()
    first.note_children()
    assert admin_login(url[1], login[1], login[2]) == 303
    assert admin_login(url[1], login[1], "wrong-password") == 401
    first.wait_line(r"^✓ open BUY")
    first.note_children()
    assert first.finish() == 0, first.err
    text = first.text
    sent = int(re.search(r"commands sent\s+(\d+)", text)[1])  # type: ignore[index]
    executed = int(re.search(r"executed\s+(\d+)$", text, re.M)[1])  # type: ignore[index]
    assert executed >= 5
    assert sent >= executed
    assert re.search(r"rejected\s+\d+\s+\((SYMBOL_NOT_ALLOWED|VOLUME_TOO_LARGE) x\d", text)
    assert re.search(r"median latency\s+\d+\.\d ms", text)
    assert re.search(r"✓ (modify|cancel order|close 0\.01 of) #\d+", text)
    assert first.err == ""
    assert len(first.children) >= 3
    assert_all_gone(first)
    assert not data_dir.exists()

    # Again at once on the same port, this time with the tray GUI (Qt offscreen), then SIGINT.
    port = int(url[2])
    second = Run("--gui", "--port", str(port), env=_env(QT_QPA_PLATFORM="offscreen"))
    second.wait_line(rf"Web admin\s+http://127\.0\.0\.1:{port}/admin")
    second.wait_line(r"Executor\s+ex-\S+\s+\(tray GUI")
    second.wait_line(r"^(✓|✗) ")
    second.note_children()
    second.proc.send_signal(signal.SIGINT)
    assert second.finish(30) == 0, second.err
    assert second.err == ""
    assert "summary" in second.text
    assert "the brain, the terminal and the executor have exited" in second.text
    assert_all_gone(second)


def test_sigterm_while_starting_leaves_nothing() -> None:
    """SIGTERM before the stack is up still stops every program it had started."""
    run = Run("--headless", "--port", "0")
    run.wait_line(r"starting the brain")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the brain and the terminal run
        run.note_children()
        if run.running("fx-mt5sim"):
            break
        time.sleep(0.05)
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(30) == 0, run.err
    assert_all_gone(run)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_signal_handled_inside_an_exec_while_starting_exits_0(sig: str) -> None:
    """Ctrl+C or SIGTERM handled inside exec() of a string while starting: exit 0, not by SIGINT.

    As in CI once (test above, exit -2 with nothing on stderr): the signal
    landed while an import ran exec() on a string (dataclasses do), and a
    KeyboardInterrupt leaving such an exec() makes CPython end the process by
    SIGINT at exit, however cleanly the demo stopped.
    """
    run = Run(sig, "--headless", "--port", "0", program=INTERRUPTED_DEMO)
    assert run.finish(60) == 0, (run.err, run.out)
    assert run.err == ""
    assert "interrupted while starting" in run.text
    assert "the brain, the terminal and the executor have exited" in run.text


def test_busy_port_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A port already in use: one line naming it and the way out, exit 1, nothing started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["--headless", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert f"port {port}" in err
    assert "--port 0" in err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """--help explains every option and exits 0."""
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--headless", "--gui", "--run-for", "--port", "--data-dir", "--keep-data"):
        assert flag in out


def test_gui_without_display_is_bad_usage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--gui with no display (Linux): one line, exit 2."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["--gui", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no display" in err
    assert "drop --gui" in err


def test_contradicting_flags_are_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """--headless with --gui: one line, exit 2."""
    assert main(["--headless", "--gui"]) == 2
    assert capsys.readouterr().err == "fx-demo: --headless and --gui contradict each other\n"


def test_bad_setting_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """FX_DEMO_PORT=abc: one line naming the variable, exit 2."""
    monkeypatch.setenv("FX_DEMO_PORT", "abc")
    assert main(["--headless"]) == 2
    assert capsys.readouterr().err == "fx-demo: FX_DEMO_PORT: expected a number, got 'abc'\n"


def test_unusable_data_dir_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --data-dir that cannot be created: one line naming it, exit 1, nothing left running."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["--headless", "--port", "0", "--data-dir", str(blocker / "demo")]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("fx-demo: cannot start the demo:")
    assert str(blocker) in captured.err
    assert "kept" not in captured.out
