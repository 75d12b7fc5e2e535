"""``fx-mt5sim`` as a real process: ready line, exit codes, signals, kill -9, crash, deals dump."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fx_protocol.retcodes import Retcode
from tests.conformance.client import TerminalClient
from tests.conftest import free_port

FX_MT5SIM = str(Path(sys.executable).parent / "fx-mt5sim")
#: the keys of every row of `fx-mt5sim deals --json`
DUMP_FIELDS = {
    "ticket", "symbol", "type", "volume", "price", "magic", "comment", "time", "timeMsc",
    "entry", "order", "positionId", "profit", "reason",
}  # fmt: skip


class SimProcess:
    """One fx-mt5sim subprocess on fresh loopback ports."""

    def __init__(self, state_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.command = f"tcp://127.0.0.1:{free_port()}"
        self.events = f"tcp://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [FX_MT5SIM, "--command-endpoint", self.command, "--events-endpoint", self.events,
             "--state-dir", str(state_dir), "--tick-rate", "0", "--heartbeat-ms", "100",
             "--log-level", "WARNING", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.ready_line = self.proc.stdout.readline().strip()

    def client(self) -> TerminalClient:
        return TerminalClient(self.command, self.events)

    def wait(self, timeout: float = 15) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def started() -> Iterator[list[SimProcess]]:
    procs: list[SimProcess] = []
    yield procs
    for p in procs:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait(10)
        p.stop()


def run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FX_MT5SIM, *args], capture_output=True, text=True, timeout=30, **kwargs)


def port_is_free(endpoint: str) -> bool:
    port = int(endpoint.rsplit(":", 1)[1])
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def open_buy(client: TerminalClient, command_id: str) -> dict[str, Any]:
    return client.trade(command_id, "OPEN_POSITION", symbol="EURUSD", orderType="BUY", volume=0.1)


def test_ready_line_and_clean_sigterm(tmp_path: Path, started: list[SimProcess]) -> None:
    """It prints the one ready line, serves, and on SIGTERM exits 0 with both ports free."""
    sim = SimProcess(tmp_path)
    started.append(sim)
    assert sim.ready_line == f"fx-mt5sim ready command={sim.command} events={sim.events}"
    with sim.client() as c:
        assert c.request({"type": "PING"})["type"] == "PONG"
    sim.proc.send_signal(signal.SIGTERM)
    assert sim.wait() == 0
    assert port_is_free(sim.command)
    assert port_is_free(sim.events)


def test_sigint_is_clean_too(tmp_path: Path, started: list[SimProcess]) -> None:
    """SIGINT (Ctrl-C) stops it with exit 0 and no traceback."""
    sim = SimProcess(tmp_path)
    started.append(sim)
    sim.proc.send_signal(signal.SIGINT)
    assert sim.wait() == 0
    assert sim.proc.stderr is not None
    assert "Traceback" not in sim.proc.stderr.read()


def test_help_exits_zero() -> None:
    """--help explains the program and every flag, exit 0."""
    result = run("--help")
    assert result.returncode == 0
    for flag in ("--command-endpoint", "--state-dir", "--seed", "--tick-rate", "--mode",
                 "--replay", "--reply-delay-ms", "--drop-trade-replies", "--reject-next",
                 "--no-heartbeats", "--crash-after-trades", "--allow-remote"):  # fmt: skip
        assert flag in result.stdout
    assert run("deals", "--help").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-flag"],
        ["--tick-rate", "fast"],
        ["--mode", "both"],
        ["--leverage", "0"],
        ["--symbols", "EURUSD,NOPE"],
        ["--command-endpoint", "tcp://0.0.0.0:5999"],
        ["--command-endpoint", "nonsense"],
        ["--replay", "/nonexistent/ticks.csv"],
        ["--config", "/nonexistent/sim.toml"],
    ],
)
def test_bad_usage_exits_two_with_one_line(args: list[str], tmp_path: Path) -> None:
    """Bad flags or settings: exit 2 and a single line on stderr, no traceback."""
    result = run("--state-dir", str(tmp_path), *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_port_in_use_exits_one(tmp_path: Path, started: list[SimProcess]) -> None:
    """A command port already bound is a failure: exit 1 with one line on stderr."""
    first = SimProcess(tmp_path / "a")
    started.append(first)
    result = run("--state-dir", str(tmp_path / "b"), "--command-endpoint", first.command,
                 "--events-endpoint", f"tcp://127.0.0.1:{free_port()}")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "cannot bind" in result.stderr


def test_allow_remote_warns(tmp_path: Path, started: list[SimProcess]) -> None:
    """--allow-remote accepts a wildcard endpoint and warns on stderr."""
    port = free_port()
    sim = SimProcess(tmp_path, "--allow-remote", "--events-endpoint", f"tcp://0.0.0.0:{port}")
    started.append(sim)
    assert sim.ready_line.startswith("fx-mt5sim ready")
    sim.stop()
    assert sim.proc.returncode == 0


def test_settings_from_environment_and_toml(tmp_path: Path, started: list[SimProcess]) -> None:
    """FX_MT5SIM_* variables and a TOML [mt5sim] table are honoured (flags win over both)."""
    config = tmp_path / "sim.toml"
    config.write_text(
        '[mt5sim]\nbalance = 2500.0\nmode = "netting"\n[mt5sim.faults]\nreject_next = 1\n'
    )
    env = {"FX_MT5SIM_LEVERAGE": "30", "FX_MT5SIM_CONFIG": str(config)}
    sim = SimProcess(tmp_path / "s", env=env)
    started.append(sim)
    with sim.client() as c:
        account = c.request({"type": "GET_ACCOUNT"})["account"]
        assert (account["balance"], account["leverage"], account["marginMode"]) == (
            2500.0, 30, "netting",
        )  # fmt: skip
        assert open_buy(c, "env-1")["outcome"]["retcode"] == Retcode.REJECT


def test_deals_dump_is_exact(tmp_path: Path, started: list[SimProcess]) -> None:
    """`deals --json` lists each deal: ticket, symbol, type, volume, price, magic, comment, time."""
    sim = SimProcess(tmp_path)
    started.append(sim)
    with sim.client() as c:
        opened = c.trade("dd-1", "OPEN_POSITION", symbol="XAUUSD", orderType="SELL",
                         volume=0.05, magic=42)  # fmt: skip
        closed = c.trade("dd-2", "CLOSE_POSITION", ticket=opened["outcome"]["position"])
        wire = c.request({"type": "GET_DEALS"})["deals"]
    result = run("deals", "--state-dir", str(tmp_path), "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert [r["ticket"] for r in rows] == [opened["outcome"]["deal"], closed["outcome"]["deal"]]
    first = rows[0]
    assert all(set(row) == DUMP_FIELDS for row in rows)
    assert {k: first[k] for k in ("symbol", "type", "volume", "price", "magic", "comment")} == {
        "symbol": "XAUUSD", "type": "SELL", "volume": 0.05,
        "price": opened["outcome"]["price"], "magic": 42, "comment": "dd-1",
    }  # fmt: skip
    assert rows[1]["type"] == "BUY"
    assert rows[1]["entry"] == "OUT"
    assert [r["timeMsc"] for r in rows] == [d["timeMsc"] for d in wire]
    assert first["time"].endswith("Z")
    text = run("deals", "--state-dir", str(tmp_path))
    assert text.returncode == 0
    assert len(text.stdout.strip().splitlines()) == 2


def test_unusable_state_dir_exits_one(tmp_path: Path) -> None:
    """A state dir that cannot be created (a file is in the way) is a failure: exit 1, one line."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("--state-dir", str(blocker / "state"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_deals_without_state_exits_one(tmp_path: Path) -> None:
    """`deals` on a directory without simulator state: exit 1, one line."""
    result = run("deals", "--state-dir", str(tmp_path / "nothing"), "--json")
    assert result.returncode == 1
    assert "no simulator state" in result.stderr


def test_kill_9_keeps_every_deal_with_its_record(tmp_path: Path, started: list[SimProcess]) -> None:
    """kill -9 in the middle of a stream of trades: after restart every deal's command is known,
    every resend of a traded id is a duplicate, and no command id ever has two opening deals."""
    sim = SimProcess(tmp_path)
    started.append(sim)
    ids = [f"k9-{i}" for i in range(400)]
    sent: list[str] = []
    with sim.client() as c:
        for i, command_id in enumerate(ids):
            c.send({"type": "TRADE", "requestId": f"r{i}", "commandId": command_id,
                    "action": "OPEN_POSITION", "symbol": "EURUSD", "orderType": "BUY",
                    "volume": 0.01})  # fmt: skip
            sent.append(command_id)
            if i == 150:
                sim.proc.kill()  # SIGKILL while requests are in flight
                break
    sim.wait()
    restarted = SimProcess(tmp_path)
    started.append(restarted)
    with restarted.client() as c:
        deals = c.request({"type": "GET_DEALS", "limit": 1000})["deals"]
        traded = [d["comment"] for d in deals]
        assert len(traded) == len(set(traded))
        for command_id in traded:
            assert c.request({"type": "QUERY_COMMAND", "commandId": command_id})["known"]
        for command_id in sent:
            reply = c.trade(command_id, "OPEN_POSITION", symbol="EURUSD", orderType="BUY",
                            volume=0.01)  # fmt: skip
            assert reply.get("duplicate", False) == (command_id in traded)
            assert reply["outcome"]["retcode"] == Retcode.DONE
        after = [d["comment"] for d in c.request({"type": "GET_DEALS", "limit": 1000})["deals"]]
        assert sorted(after) == sorted(sent)


def test_crash_after_trade_leaves_the_trade_recorded(
    tmp_path: Path, started: list[SimProcess]
) -> None:
    """--crash-after-trades 1: the trade commits, no reply comes, the process exits 1; after a
    restart QUERY_COMMAND knows the outcome and the deal exists once."""
    sim = SimProcess(tmp_path, "--crash-after-trades", "1")
    started.append(sim)
    with sim.client() as c:
        c.send({"type": "TRADE", "requestId": "x", "commandId": "crash-1",
                "action": "OPEN_POSITION", "symbol": "EURUSD", "orderType": "BUY",
                "volume": 0.1})  # fmt: skip
        assert sim.wait() == 1
        assert c.receive(timeout=0.2) is None
    restarted = SimProcess(tmp_path)
    started.append(restarted)
    with restarted.client() as c:
        status = c.request({"type": "QUERY_COMMAND", "commandId": "crash-1"})
        assert status["known"] is True
        assert status["outcome"]["retcode"] == Retcode.DONE
        deals = c.request({"type": "GET_DEALS"})["deals"]
        assert [d["comment"] for d in deals] == ["crash-1"]


def test_crash_by_control(tmp_path: Path, started: list[SimProcess]) -> None:
    """SIM_CONTROL crash=true ends the process at once with exit 1 and no reply."""
    sim = SimProcess(tmp_path)
    started.append(sim)
    with sim.client() as c:
        c.send({"type": "SIM_CONTROL", "requestId": "boom", "crash": True})
        assert sim.wait() == 1
        assert c.receive(timeout=0.2) is None


def test_crash_before_trade_leaves_nothing(tmp_path: Path, started: list[SimProcess]) -> None:
    """--crash-before-trade 2: the second TRADE kills the process unexecuted; after a restart
    QUERY_COMMAND says unknown and a resend executes once."""
    sim = SimProcess(tmp_path, "--crash-before-trade", "2")
    started.append(sim)
    with sim.client() as c:
        assert open_buy(c, "cb-1")["outcome"]["retcode"] == Retcode.DONE
        c.send({"type": "TRADE", "requestId": "x", "commandId": "cb-2",
                "action": "OPEN_POSITION", "symbol": "EURUSD", "orderType": "BUY",
                "volume": 0.1})  # fmt: skip
        assert sim.wait() == 1
    restarted = SimProcess(tmp_path)
    started.append(restarted)
    with restarted.client() as c:
        assert c.request({"type": "QUERY_COMMAND", "commandId": "cb-2"})["known"] is False
        assert open_buy(c, "cb-2")["outcome"]["retcode"] == Retcode.DONE
        deals = c.request({"type": "GET_DEALS"})["deals"]
        assert [d["comment"] for d in deals] == ["cb-1", "cb-2"]
