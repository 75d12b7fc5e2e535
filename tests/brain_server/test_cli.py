"""The fx-brain command line: credentials, exit codes, serve's ready line and clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from brain_server.cli import main
from brain_server.credentials import verify_password
from brain_server.store import Store
from tests.conftest import free_port


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_executors_add_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """add --json prints the id and key once; only the hash is stored; revoke disables it."""
    db = str(tmp_path / "b.db")
    code, out, _ = run(capsys, "executors", "add", "desk-1", "--json", "--db", db)
    assert code == 0
    added = json.loads(out)
    assert added["name"] == "desk-1"
    store = Store(Path(db))
    key_hash = store.executor_key_hash(added["executorId"])
    store.close()
    assert key_hash is not None
    assert added["apiKey"] not in key_hash
    code, out, _ = run(capsys, "executors", "list", "--json", "--db", db)
    assert [e["executorId"] for e in json.loads(out)] == [added["executorId"]]
    assert run(capsys, "executors", "revoke", added["executorId"], "--db", db)[0] == 0
    code, _, err = run(capsys, "executors", "revoke", added["executorId"], "--db", db)
    assert code == 1
    assert err.startswith("fx-brain: ")


def test_db_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """FX_BRAIN_DB selects the database when --db is absent."""
    monkeypatch.setenv("FX_BRAIN_DB", str(tmp_path / "env.db"))
    code, out, _ = run(capsys, "tokens", "add", "strategy", "--json")
    assert code == 0
    assert json.loads(out)["token"].startswith("fxt_")
    assert (tmp_path / "env.db").exists()


def test_admin_password_from_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """admin-password --password-env stores an scrypt hash; a missing variable is bad usage."""
    db = str(tmp_path / "b.db")
    monkeypatch.setenv("ADMIN_PW", "correct horse battery")
    assert run(capsys, "admin-password", "--password-env", "ADMIN_PW", "--db", db)[0] == 0
    store = Store(Path(db))
    stored = store.admin_password_hash("admin")
    store.close()
    assert stored is not None
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("wrong", stored)
    code, _, err = run(capsys, "admin-password", "--password-env", "NOPE_UNSET", "--db", db)
    assert code == 2
    assert "NOPE_UNSET" in err


def test_webhooks_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """webhooks add prints the URL path with its secret; an unknown executor fails with 1."""
    db = str(tmp_path / "b.db")
    _, out, _ = run(capsys, "executors", "add", "x", "--json", "--db", db)
    executor_id = json.loads(out)["executorId"]
    code, out, _ = run(
        capsys, "webhooks", "add", "tv", "--executor", executor_id, "--json", "--db", db
    )
    assert code == 0
    assert json.loads(out)["path"].startswith("/api/v1/webhooks/tradingview/")
    code, _, err = run(capsys, "webhooks", "add", "tv2", "--executor", "ex-none", "--db", db)
    assert code == 1
    assert "ex-none" in err


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown subcommands, missing arguments and bad settings exit 2 with one line."""
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "executors", "add")[0] == 2
    assert run(capsys)[0] == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("port = 'eighty'\n")
    code, _, err = run(
        capsys, "tokens", "add", "x", "--config", str(bad), "--db", str(tmp_path / "d.db")
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "port" in err
    assert run(capsys, "--help")[0] == 0


def test_serve_ready_line_and_sigterm(tmp_path: Path) -> None:
    """serve prints 'fx-brain ready http://HOST:PORT' once listening and exits 0 on SIGTERM."""
    port = free_port()
    env = {**os.environ, "FX_BRAIN_DB": str(tmp_path / "b.db")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "brain_server.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == f"fx-brain ready http://127.0.0.1:{port}"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_inside_an_exec_while_starting_exits_0(tmp_path: Path, sig: str) -> None:
    """SIGTERM or Ctrl+C handled inside exec() of a string while starting: exit 0, not by SIGINT.

    A KeyboardInterrupt leaving such an exec() (dataclasses run one per method,
    so any import can) makes CPython end the process by SIGINT at exit, exit -2.
    """
    env = {**os.environ, "FX_BRAIN_DB": str(tmp_path / "b.db")}
    args = ["serve", "--port", str(free_port())]
    done = subprocess.run(
        [sys.executable, "-m", "tests.brain_server.interrupted_brain", sig, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "ready" not in done.stdout


def test_serve_port_in_use_fails(tmp_path: Path) -> None:
    """serve on a taken port exits 1 with a one-line reason."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "brain_server.cli",
                "serve",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "b.db"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{port}" in result.stderr.splitlines()[-1]
