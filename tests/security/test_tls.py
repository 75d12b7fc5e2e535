"""TLS between executor and brain: a private CA, a pinned certificate, refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from executor_app.config import ConfigError, load_settings
from fx_demo.stack import Stack
from tests.security.certificates import make_ca, make_server
from tests.security.conftest import assert_no_secret_logged

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}


def restart_executor(stack: Stack, brain: dict[str, object]) -> None:
    """The executor again with other [brain] settings; waits only for its ready line."""
    stack.programs["executor"].stop()
    stack.executor_settings = {"brain": brain}
    stack.start_executor(wait_reconciled=False)


def test_wss_with_private_ca_pin_and_refusals(tmp_path: Path) -> None:
    """wss:// end to end with a private CA and with a pin; a wrong CA or pin is refused."""
    files = make_server(tmp_path / "pki")
    other_ca, _, _ = make_ca(tmp_path / "pki", "someone-else")
    with Stack(
        root=tmp_path / "stack", brain_tls=(files.certfile, files.keyfile, files.ca_file)
    ) as stack:
        assert stack.brain_ws.startswith("wss://")
        assert stack.brain_http.startswith("https://")
        done = stack.wait_command(stack.submit(BUY)["commandId"])
        assert done["status"] == "executed", done

        restart_executor(stack, {"ca_file": str(other_ca)})
        line = stack.programs["executor"].wait_for("CERTIFICATE_VERIFY_FAILED", 30)
        assert "brain connection failed" in line
        stack.wait_executor(lambda e: not e["online"], 15)
        held = stack.submit(BUY)["commandId"]

        restart_executor(stack, {"pinned_cert_sha256": "00" * 32})
        stack.programs["executor"].wait_for("does not match the pin", 30)
        assert stack.command(held)["status"] == "pending"
        assert [d for d in stack.deals() if d["comment"] == held] == []

        pin = ":".join(files.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
        restart_executor(stack, {"pinned_cert_sha256": pin})
        assert stack.wait_command(held)["status"] == "executed"
        assert_no_secret_logged(stack)


def test_plain_ws_only_to_loopback(tmp_path: Path) -> None:
    """ws:// to another host is a configuration error unless allow_insecure is set."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    for url in ("ws://127.0.0.1:8080/x", "ws://localhost:8080/x", "ws://[::1]:1/x"):
        load_settings(config, environ={"FX_EXECUTOR_BRAIN_URL": url})
    remote = {"FX_EXECUTOR_BRAIN_URL": "ws://10.1.2.3:8080/ws/executor"}
    with pytest.raises(ConfigError, match="allow_insecure"):
        load_settings(config, environ=remote)
    allowed = load_settings(config, environ={**remote, "FX_EXECUTOR_BRAIN_ALLOW_INSECURE": "true"})
    assert allowed.brain.allow_insecure
    with pytest.raises(ConfigError, match="wss://"):
        load_settings(config, environ={**remote, "FX_EXECUTOR_BRAIN_PINNED_CERT_SHA256": "ab" * 32})
    with pytest.raises(ConfigError, match="64 hex"):
        load_settings(
            config,
            environ={
                "FX_EXECUTOR_BRAIN_URL": "wss://brain.example:443/ws/executor",
                "FX_EXECUTOR_BRAIN_PINNED_CERT_SHA256": "abc",
            },
        )


def test_fx_executor_exits_2_for_plain_ws_to_a_remote_brain(tmp_path: Path) -> None:
    """The program refuses to start (exit 2, one line) instead of sending the key in clear."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[brain]\nurl = "ws://192.0.2.10:8080/ws/executor"\nexecutor_id = "ex-1"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "executor_app.cli", "--headless", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert "allow_insecure" in done.stderr
    assert "Traceback" not in done.stderr
