"""Who may talk to the brain: wrong key, wrong address, rate limits, hashes only."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from brain_server.clock import now_ms
from brain_server.store import Store
from fx_demo.stack import Stack
from tests.brain_server.server import ServerThread
from tests.brain_server.server import test_settings as brain_settings
from tests.security.conftest import assert_no_secret_logged

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}


def fx_brain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brain_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_wrong_key_and_wrong_address_never_reach_the_terminal(tmp_path: Path) -> None:
    """HELLO from outside the allow-list or with a wrong key is refused; commands wait."""
    stack = Stack(root=tmp_path / "stack")
    try:
        stack.register()
        real_key = stack.api_key
        allow = fx_brain(
            "executors",
            "allow",
            stack.executor_id,
            "--allow",
            "192.0.2.0/24",
            "--db",
            str(stack.brain_db),
        )
        assert allow.returncode == 0, allow.stderr
        stack.start_brain()
        stack.start_sim()
        held = stack.submit(BUY)["commandId"]
        brain_log = stack.programs["brain"]

        stack.start_executor(wait_reconciled=False)
        brain_log.wait_for("outside its allow-list", 30)
        brain_log.wait_for("executor auth failed", 30)
        assert stack.command(held)["status"] == "pending"
        assert stack.executor()["online"] is False

        stack.programs["executor"].stop()
        assert (
            fx_brain(
                "executors", "allow", stack.executor_id, "--db", str(stack.brain_db)
            ).returncode
            == 0
        )
        stack.api_key = "fxk_" + "x" * 43
        failures = brain_log.count("executor auth failed")
        stack.start_executor(wait_reconciled=False)
        stack.programs["executor"].wait_for("AUTH_FAILED", 30)
        assert brain_log.count("executor auth failed") > failures
        assert stack.command(held)["status"] == "pending"
        assert [d for d in stack.deals() if d["comment"] == held] == []

        # The control: the right key from an allowed address, and the held command trades.
        stack.programs["executor"].stop()
        stack.api_key = real_key
        stack.start_executor()
        assert stack.wait_command(held)["status"] == "executed"
        assert_no_secret_logged(stack)
    finally:
        stack.stop()


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[tuple[ServerThread, Path]]:
    db = tmp_path / "brain.sqlite3"
    settings = brain_settings(db, rest_rate_per_second=1, rest_rate_burst=3, auth_fail_per_minute=3)
    server = ServerThread(settings)
    server.start()
    try:
        yield server, db
    finally:
        server.stop()


def add_token(db: Path, *cidrs: str) -> str:
    store = Store(db)
    try:
        token = store.add_token("t", now_ms())
        if cidrs:
            store.set_allowed_addresses("token", token.split("_")[1], cidrs, "test", now_ms())
        return token
    finally:
        store.close()


def test_rest_rate_limit_per_token(brain: tuple[ServerThread, Path]) -> None:
    """A token over its burst gets 429 with Retry-After; another token is not affected."""
    server, db = brain
    busy, calm = add_token(db), add_token(db)
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        codes = [
            http.get("/api/v1/executors", headers={"Authorization": f"Bearer {busy}"})
            for _ in range(5)
        ]
        assert [r.status_code for r in codes[:3]] == [200, 200, 200]
        assert codes[-1].status_code == 429
        assert int(codes[-1].headers["retry-after"]) >= 1
        ok = http.get("/api/v1/executors", headers={"Authorization": f"Bearer {calm}"})
        assert ok.status_code == 200


def test_failed_authentication_is_rate_limited_per_address(
    brain: tuple[ServerThread, Path],
) -> None:
    """After a few bad tokens the address gets 429 even with a good token, for a while."""
    server, db = brain
    good = add_token(db)
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        bad = [
            http.get("/api/v1/executors", headers={"Authorization": "Bearer fxt_00000000_nope"})
            for _ in range(3)
        ]
        assert {r.status_code for r in bad} == {401}
        blocked = http.get("/api/v1/executors", headers={"Authorization": f"Bearer {good}"})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1


def test_token_allow_list(brain: tuple[ServerThread, Path]) -> None:
    """A token limited to other networks is refused (401) from loopback; allowed one passes."""
    server, db = brain
    elsewhere = add_token(db, "198.51.100.0/24")
    here = add_token(db, "127.0.0.0/8")
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        refused = http.get("/api/v1/executors", headers={"Authorization": f"Bearer {elsewhere}"})
        assert refused.status_code == 401
        assert (
            http.get("/api/v1/executors", headers={"Authorization": f"Bearer {here}"}).status_code
            == 200
        )


def test_brain_keeps_only_hashes_of_keys_and_tokens(tmp_path: Path) -> None:
    """`executors add` / `tokens add` secrets appear nowhere in the database file."""
    db = tmp_path / "brain.sqlite3"
    ex = fx_brain("executors", "add", "e1", "--json", "--allow", "127.0.0.1", "--db", str(db))
    tok = fx_brain("tokens", "add", "t1", "--json", "--allow", "10.0.0.0/8", "--db", str(db))
    assert ex.returncode == 0, ex.stderr
    assert tok.returncode == 0, tok.stderr
    executor, token = json.loads(ex.stdout), json.loads(tok.stdout)
    assert executor["allow"] == ["127.0.0.1/32"]
    assert executor["signingSecret"].startswith("fxs_")
    bad = fx_brain("tokens", "add", "t2", "--allow", "not-a-network", "--db", str(db))
    assert bad.returncode == 2
    assert "not-a-network" in bad.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert executor["apiKey"].encode() not in raw
    assert token["token"].encode() not in raw
    # The signing secret is stored as is: the brain must sign with it (docs/security.md).
    assert executor["signingSecret"].encode() in raw
