"""``fx-executor`` as a user runs it: help, version, one-line errors, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from fx_demo.stack import Program, free_port, script_argv


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    return subprocess.run(
        [*script_argv("fx-executor"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        check=False,
    )


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_help_and_version() -> None:
    """--help explains the program; --version prints it; both exit 0."""
    helped = run("--help")
    assert helped.returncode == 0
    assert "--headless" in helped.stdout
    assert "--config" in helped.stdout
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("fx-executor ")


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    """An invalid setting: exit 2, one line on stderr naming it, no traceback."""
    config = write_config(tmp_path, "[limits]\nmax_volume_per_order = -3\n")
    done = run("--headless", "--config", str(config))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "max_volume_per_order" in lines[0]


def test_missing_api_key_is_exit_2(tmp_path: Path) -> None:
    """Headless without the key variable or a keyring entry: exit 2 with the fix in one line."""
    config = write_config(tmp_path, '[brain]\nexecutor_id = "ex1"\napi_key_env = "NOPE_KEY"\n')
    done = run("--headless", "--config", str(config))
    assert done.returncode == 2
    assert "NOPE_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_headless_runs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """Without brain or terminal it still starts, says ready, and exits 0 on SIGTERM."""
    config = write_config(
        tmp_path,
        f"""
[brain]
url = "ws://127.0.0.1:{free_port()}/ws/executor"
executor_id = "ex1"
api_key_env = "CLI_TEST_KEY"
[terminal]
command_endpoint = "tcp://127.0.0.1:{free_port()}"
events_endpoint = "tcp://127.0.0.1:{free_port()}"
[storage]
journal_path = "{tmp_path / "journal.sqlite3"}"
log_dir = "{tmp_path / "logs"}"
""",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["CLI_TEST_KEY"] = "very-secret-key"
    program = Program(
        "executor",
        [*script_argv("fx-executor"), "--headless", "--config", str(config)],
        env,
        tmp_path / "out.log",
    )
    program.start()
    try:
        program.wait_for("fx-executor ready", 30)
        program.wait_for("brain connection failed", 30)
        assert program.proc is not None
        program.proc.send_signal(signal.SIGTERM)
        assert program.proc.wait(15) == 0
    finally:
        program.stop()
    assert "executor stopped" in "\n".join(program.lines)
    logged = (tmp_path / "logs" / "executor.log").read_text(encoding="utf-8")
    assert "very-secret-key" not in logged
    assert "very-secret-key" not in (tmp_path / "out.log").read_text(encoding="utf-8")
