"""The in-process terminal over real loopback sockets: faults, restarts, control, events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zmq

from fx_protocol.retcodes import Retcode
from mt5_simulator.server import SimulatedTerminal
from mt5_simulator.settings import FaultSettings, SettingsError, SimulatorSettings
from mt5_simulator.store import StoreError
from tests.conformance.client import TerminalClient
from tests.conftest import free_port


def make_settings(state_dir: Path, **changes: Any) -> SimulatorSettings:
    base = SimulatorSettings(
        command_endpoint=f"tcp://127.0.0.1:{free_port()}",
        events_endpoint=f"tcp://127.0.0.1:{free_port()}",
        state_dir=str(state_dir),
        seed=5,
        tick_rate=0,
        heartbeat_ms=50,
        account_update_ms=50,
    )
    return msgspec.structs.replace(base, **changes)


@pytest.fixture
def settings(tmp_path: Path) -> SimulatorSettings:
    return make_settings(tmp_path / "state")


@pytest.fixture
def terminal(settings: SimulatorSettings) -> Iterator[SimulatedTerminal]:
    with SimulatedTerminal(settings) as running:
        yield running


@pytest.fixture
def client(terminal: SimulatedTerminal) -> Iterator[TerminalClient]:
    s = terminal.settings
    with TerminalClient(s.command_endpoint, s.events_endpoint) as c:
        yield c


def open_buy(client: TerminalClient, command_id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("volume", 0.1)
    return client.trade(command_id, "OPEN_POSITION", symbol="EURUSD", orderType="BUY", **fields)


def test_duplicate_command_never_trades_twice(client: TerminalClient) -> None:
    """The same command id three times: one deal, the first outcome each time, duplicate=true."""
    first = open_buy(client, "dup-1")
    second = open_buy(client, "dup-1", volume=0.5)
    third = client.trade("dup-1", "CLOSE_ALL")
    assert first["outcome"]["retcode"] == Retcode.DONE
    assert second == {**first, "requestId": second["requestId"], "duplicate": True}
    assert third["outcome"] == first["outcome"]
    deals = client.request({"type": "GET_DEALS"})["deals"]
    assert [d["comment"] for d in deals] == ["dup-1"]


def test_reply_delay(client: TerminalClient) -> None:
    """With a reply delay the reply is held back, and arrives afterwards."""
    client.control(replyDelayMs=400)
    client.send({"type": "PING", "requestId": "slow"})
    assert client.receive(timeout=0.1) is None
    reply = client.receive(timeout=5)
    assert reply is not None
    assert reply["requestId"] == "slow"
    client.control(replyDelayMs=0)


def test_dropped_reply_is_an_executed_trade(client: TerminalClient) -> None:
    """A dropped TRADE reply still executed: QUERY_COMMAND knows it and a resend is a duplicate."""
    assert client.control(dropTradeReplies=1)["state"]["dropTradeReplies"] == 1
    client.send({"type": "TRADE", "requestId": "lost", "commandId": "amb-1",
                 "action": "OPEN_POSITION", "symbol": "EURUSD", "orderType": "BUY",
                 "volume": 0.1})  # fmt: skip
    assert client.receive(timeout=0.3) is None
    status = client.request({"type": "QUERY_COMMAND", "commandId": "amb-1"})
    assert status["known"] is True
    assert status["outcome"]["retcode"] == Retcode.DONE
    again = open_buy(client, "amb-1")
    assert again["duplicate"] is True
    assert len(client.request({"type": "GET_POSITIONS"})["positions"]) == 1


def test_reject_next_with_a_chosen_retcode(client: TerminalClient) -> None:
    """reject_next answers that many TRADEs with the chosen retcode, then trading resumes."""
    client.control(rejectNext=2, rejectRetcode=int(Retcode.REQUOTE))
    codes = [open_buy(client, f"rej-{i}")["outcome"]["retcode"] for i in range(3)]
    assert codes == [Retcode.REQUOTE, Retcode.REQUOTE, Retcode.DONE]
    assert client.request({"type": "GET_DEALS"})["deals"][0]["comment"] == "rej-2"


def test_heartbeats_stop_and_resume(client: TerminalClient) -> None:
    """heartbeats=false stops heartbeat events while requests are still served."""
    client.wait_event(lambda t, _b: t == b"heartbeat")
    client.control(heartbeats=False)
    # Heartbeats already in flight were stamped before this PING was answered.
    since = client.request({"type": "PING"})["health"]["timeMsc"]
    with pytest.raises(AssertionError, match="no matching event"):
        client.wait_event(
            lambda t, b: t == b"heartbeat" and b["health"]["timeMsc"] > since, timeout=0.4
        )
    client.control(heartbeats=True)
    client.wait_event(lambda t, b: t == b"heartbeat" and b["health"]["timeMsc"] > since)


def test_health_follows_terminal_switches(client: TerminalClient) -> None:
    """The terminal switches show in the health and decide the retcode."""
    client.control(terminal={"connected": False})
    health = client.request({"type": "PING"})["health"]
    assert health["connected"] is False
    assert open_buy(client, "conn-1")["outcome"]["retcode"] == Retcode.CONNECTION
    client.control(terminal={"connected": True, "tradeAllowed": False})
    assert open_buy(client, "conn-2")["outcome"]["retcode"] == Retcode.CLIENT_DISABLES_AT


def test_set_symbol_closes_the_market(client: TerminalClient) -> None:
    """setSymbol marketOpen=false gives MARKET_CLOSED; tradeMode DISABLED gives TRADE_DISABLED."""
    client.control(setSymbol={"symbol": "EURUSD", "marketOpen": False})
    assert open_buy(client, "mc-1")["outcome"]["retcode"] == Retcode.MARKET_CLOSED
    client.control(setSymbol={"symbol": "EURUSD", "marketOpen": True, "tradeMode": "DISABLED"})
    assert open_buy(client, "mc-2")["outcome"]["retcode"] == Retcode.TRADE_DISABLED
    spec = client.request({"type": "GET_SYMBOLS", "symbols": ["EURUSD"]})["symbols"][0]
    assert spec["tradeMode"] == "DISABLED"


def test_bad_control_changes_nothing(client: TerminalClient) -> None:
    """SIM_CONTROL naming an unknown symbol or an inverted quote is refused whole, by field."""
    reply = client.control(rejectNext=3, setQuote={"symbol": "NOPE", "bid": 1.0, "ask": 1.1})
    assert (reply["type"], reply["code"], reply["field"]) == (
        "ERROR", "UNKNOWN_SYMBOL", "$.setQuote.symbol",
    )  # fmt: skip
    reply = client.control(setQuote={"symbol": "EURUSD", "bid": 1.2, "ask": 1.1})
    assert (reply["code"], reply["field"]) == ("BAD_REQUEST", "$.setQuote.ask")
    reply = client.control(pauseMarket=True, setSymbol={"symbol": "NOPE", "marketOpen": False})
    assert reply["field"] == "$.setSymbol.symbol"
    state = client.control()["state"]
    assert (state["rejectNext"], state["paused"]) == (0, False)


def test_pending_order_expires_with_the_clock(client: TerminalClient) -> None:
    """advanceClockMs past a pending order's expiration deletes it and publishes ORDER_DELETE."""
    now = client.request({"type": "PING"})["health"]["timeMsc"]
    client.wait_subscribed()
    placed = client.trade("exp-1", "PLACE_ORDER", symbol="EURUSD", orderType="BUY_LIMIT",
                          volume=0.1, price=1.08, expirationMsc=now + 3_600_000)  # fmt: skip
    assert placed["outcome"]["retcode"] == Retcode.PLACED
    ticket = placed["outcome"]["order"]
    client.control(advanceClockMs=3_600_001)
    client.wait_event(lambda t, b: t == b"trade.EURUSD" and b["kind"] == "ORDER_DELETE"
                      and b["order"] == ticket)  # fmt: skip
    assert client.request({"type": "GET_ORDERS"})["orders"] == []


def test_pending_trigger_publishes_the_fill(client: TerminalClient) -> None:
    """A quote through a BUY_STOP fills it: DEAL_ADD with the order's comment, a position opens."""
    client.wait_subscribed()
    placed = client.trade("stop-1", "PLACE_ORDER", symbol="EURUSD", orderType="BUY_STOP",
                          volume=0.1, price=1.0870)  # fmt: skip
    client.control(setQuote={"symbol": "EURUSD", "bid": 1.0870, "ask": 1.0871})
    _, event = client.wait_event(lambda t, b: t == b"trade.EURUSD" and b["kind"] == "DEAL_ADD")
    assert event["deal"]["comment"] == "stop-1"
    assert event["deal"]["price"] == 1.0871
    positions = client.request({"type": "GET_POSITIONS"})["positions"]
    assert [p["ticket"] for p in positions] == [placed["outcome"]["order"]]


def test_take_profit_updates_balance(client: TerminalClient) -> None:
    """A TP fill books its profit: the account event and GET_ACCOUNT show the new balance."""
    client.control(setQuote={"symbol": "EURUSD", "bid": 1.1000, "ask": 1.1001})
    client.wait_subscribed()
    open_buy(client, "tp-1", volume=1.0, tp=1.1050)
    client.control(setQuote={"symbol": "EURUSD", "bid": 1.1050, "ask": 1.1051})
    _, event = client.wait_event(
        lambda t, b: t == b"account" and b["account"]["balance"] != 10_000.0
    )
    assert event["account"]["balance"] == pytest.approx(10_490.0)
    assert client.request({"type": "GET_ACCOUNT"})["account"]["balance"] == pytest.approx(10_490.0)


def test_restart_keeps_the_account(tmp_path: Path) -> None:
    """After a stop and a new start on the same state dir: positions, orders, deals, balance and
    the command record are intact, tickets continue, and the instance id changes."""
    state = tmp_path / "restart"
    first_settings = make_settings(state)
    with SimulatedTerminal(first_settings) as first:
        with TerminalClient(first_settings.command_endpoint, first_settings.events_endpoint) as c:
            opened = open_buy(c, "rs-1", sl=1.0)
            closed = open_buy(c, "rs-2")
            c.trade("rs-3", "CLOSE_POSITION", ticket=closed["outcome"]["position"])
            c.trade("rs-4", "PLACE_ORDER", symbol="XAUUSD", orderType="SELL_LIMIT",
                    volume=0.05, price=2500.0)  # fmt: skip
            before = {
                name: c.request({"type": kind})
                for name, kind in (("positions", "GET_POSITIONS"), ("orders", "GET_ORDERS"),
                                   ("deals", "GET_DEALS"), ("account", "GET_ACCOUNT"))
            }  # fmt: skip
        first_instance = first.instance
    second_settings = make_settings(state)
    with SimulatedTerminal(second_settings) as second:
        assert second.instance != first_instance
        with TerminalClient(second_settings.command_endpoint, second_settings.events_endpoint) as c:
            positions = c.request({"type": "GET_POSITIONS"})["positions"]
            assert [p["ticket"] for p in positions] == [opened["outcome"]["position"]]
            assert positions[0]["sl"] == 1.0
            assert c.request({"type": "GET_ORDERS"})["orders"] == before["orders"]["orders"]
            assert c.request({"type": "GET_DEALS"})["deals"] == before["deals"]["deals"]
            balance = c.request({"type": "GET_ACCOUNT"})["account"]["balance"]
            assert balance == before["account"]["account"]["balance"]
            again = open_buy(c, "rs-1")
            assert again["duplicate"] is True
            assert again["outcome"] == opened["outcome"]
            fresh = open_buy(c, "rs-5")
            assert fresh["outcome"]["order"] > max(d["ticket"] for d in before["deals"]["deals"])


def test_netting_account(tmp_path: Path) -> None:
    """A netting terminal nets opposite orders into one position and reports its mode."""
    netting = make_settings(tmp_path / "net", mode="netting")
    with (
        SimulatedTerminal(netting),
        TerminalClient(netting.command_endpoint, netting.events_endpoint) as c,
    ):
        assert c.request({"type": "GET_ACCOUNT"})["account"]["marginMode"] == "netting"
        first = open_buy(c, "n-1", volume=0.3)
        c.trade("n-2", "OPEN_POSITION", symbol="EURUSD", orderType="SELL", volume=0.1)
        positions = c.request({"type": "GET_POSITIONS"})["positions"]
        assert [(p["ticket"], p["volume"]) for p in positions] == [
            (first["outcome"]["position"], pytest.approx(0.2))
        ]


def test_ticks_flow_at_the_rate_with_increasing_seq(tmp_path: Path) -> None:
    """With a tick rate the random walk publishes ticks of every symbol, seq strictly increasing."""
    ticking = make_settings(tmp_path / "ticks", tick_rate=400)
    with (
        SimulatedTerminal(ticking),
        TerminalClient(ticking.command_endpoint, ticking.events_endpoint, (b"tick.",)) as c,
    ):
        symbols: set[str] = set()
        seqs: list[int] = []
        while len(seqs) < 60:
            _, tick = c.wait_event(lambda _t, _b: True)
            symbols.add(tick["symbol"])
            seqs.append(tick["seq"])
        assert symbols == {"EURUSD", "GBPUSD", "USDJPY", "XAUUSD"}
        assert all(b > a for a, b in itertools.pairwise(seqs))


def test_replay_publishes_the_file(tmp_path: Path) -> None:
    """--replay publishes the CSV's quotes in order, then holds the last ones."""
    csv = tmp_path / "ticks.csv"
    csv.write_text("time_msc,symbol,bid,ask\n1,EURUSD,1.1,1.1001\n2,EURUSD,1.2,1.2001\n"
                   "3,XAUUSD,2000.5,2000.8\n")  # fmt: skip
    replay = make_settings(tmp_path / "replay", tick_rate=100, replay=str(csv))
    with (
        SimulatedTerminal(replay),
        TerminalClient(replay.command_endpoint, replay.events_endpoint, (b"tick.",)) as c,
    ):
        c.wait_event(lambda _t, b: b["bid"] == 2000.5)
        spec = c.request({"type": "GET_SYMBOLS", "symbols": ["EURUSD", "XAUUSD"]})["symbols"]
        assert [(s["bid"], s["ask"]) for s in spec] == [(1.2, 1.2001), (2000.5, 2000.8)]


def test_bad_replay_file_refuses_to_start(tmp_path: Path) -> None:
    """A malformed replay file is a SettingsError at start, naming the line."""
    csv = tmp_path / "bad.csv"
    csv.write_text("1,EURUSD,abc,1.1\n")
    with pytest.raises(SettingsError, match="line 1"):
        SimulatedTerminal(make_settings(tmp_path / "s", replay=str(csv))).start()


def test_busy_port_raises_and_frees_nothing_else(tmp_path: Path) -> None:
    """A taken port raises ZMQError from start(); the other port is released again."""
    taken = make_settings(tmp_path / "a")
    with SimulatedTerminal(taken):
        clash = make_settings(tmp_path / "b", command_endpoint=taken.command_endpoint)
        with pytest.raises(zmq.ZMQError):
            SimulatedTerminal(clash).start()
        reuse = make_settings(tmp_path / "c", events_endpoint=clash.events_endpoint)
        with SimulatedTerminal(reuse) as ok:
            assert ok.running


def test_non_loopback_endpoint_needs_allow_remote(tmp_path: Path) -> None:
    """An endpoint on 0.0.0.0 is refused unless allow_remote is set."""
    remote = make_settings(tmp_path / "r", command_endpoint=f"tcp://0.0.0.0:{free_port()}")
    with pytest.raises(SettingsError, match="allow-remote"):
        SimulatedTerminal(remote)
    SimulatedTerminal(msgspec.structs.replace(remote, allow_remote=True))


def test_fault_settings_apply_from_the_start(tmp_path: Path) -> None:
    """Faults given in the settings act from the first request."""
    faulty = make_settings(
        tmp_path / "f", faults=FaultSettings(reject_next=1, reject_retcode=10006)
    )
    with (
        SimulatedTerminal(faulty),
        TerminalClient(faulty.command_endpoint, faulty.events_endpoint) as c,
    ):
        assert open_buy(c, "f-1")["outcome"]["retcode"] == Retcode.REJECT
        assert open_buy(c, "f-2")["outcome"]["retcode"] == Retcode.DONE


def test_req_socket_clients_are_served(terminal: SimulatedTerminal) -> None:
    """A REQ socket (empty delimiter frame) gets its reply too, for quick manual tools."""
    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    try:
        req.connect(terminal.settings.command_endpoint)
        req.send(b'{"type":"PING","requestId":"req-1"}')
        assert req.poll(5000)
        assert msgspec.json.decode(req.recv())["requestId"] == "req-1"
    finally:
        req.close(0)
        ctx.term()


def test_paced_replay_publishes_in_file_order(tmp_path: Path) -> None:
    """With replay_speed the file's own timestamps pace it; once the subscriber hears a row it
    hears every later row, in file order."""
    csv = tmp_path / "paced.csv"
    bids = [round(1.1 + i / 10_000, 5) for i in range(40)]
    csv.write_text(
        "".join(f"{i * 50},EURUSD,{b:.5f},{b + 0.0001:.5f}\n" for i, b in enumerate(bids))
    )
    paced = make_settings(tmp_path / "paced", replay=str(csv), replay_speed=1.0, tick_rate=0)
    with (
        SimulatedTerminal(paced),
        TerminalClient(paced.command_endpoint, paced.events_endpoint, (b"tick.EURUSD",)) as c,
    ):
        seen: list[float] = []
        while not seen or seen[-1] != bids[-1]:
            _, tick = c.wait_event(lambda _t, _b: True)
            if tick["bid"] in bids:
                seen.append(tick["bid"])
        assert seen == bids[bids.index(seen[0]) :]


def test_disconnected_terminal_gets_no_ticks(tmp_path: Path) -> None:
    """While disconnected from the trade server no ticks are published; they resume on reconnect."""
    ticking = make_settings(tmp_path / "dc", tick_rate=200)
    with (
        SimulatedTerminal(ticking),
        TerminalClient(ticking.command_endpoint, ticking.events_endpoint) as c,
    ):
        c.wait_event(lambda t, _b: t.startswith(b"tick."))
        c.control(terminal={"connected": False})
        since = c.request({"type": "PING"})["health"]["timeMsc"]
        with pytest.raises(AssertionError, match="no matching event"):
            c.wait_event(lambda t, b: t.startswith(b"tick.") and b["timeMsc"] > since, 0.3)
        c.control(terminal={"connected": True})
        c.wait_event(lambda t, b: t.startswith(b"tick.") and b["timeMsc"] > since)


def test_price_off_without_a_quote(client: TerminalClient) -> None:
    """A symbol whose price was cleared answers 10021 PRICE_OFF until it is quoted again."""
    client.control(pauseMarket=True, setSymbol={"symbol": "EURUSD", "clearQuote": True})
    assert open_buy(client, "po-1")["outcome"]["retcode"] == Retcode.PRICE_OFF
    client.control(setQuote={"symbol": "EURUSD", "bid": 1.1, "ask": 1.1001})
    assert open_buy(client, "po-2")["outcome"]["retcode"] == Retcode.DONE


def test_replay_symbols_have_no_price_before_the_file_quotes_them(tmp_path: Path) -> None:
    """In replay mode a symbol the file has not quoted yet has no price: PRICE_OFF."""
    csv = tmp_path / "gold.csv"
    csv.write_text("1,XAUUSD,2000.5,2000.8\n")
    replay = make_settings(tmp_path / "rp", replay=str(csv), tick_rate=100)
    with (
        SimulatedTerminal(replay),
        TerminalClient(replay.command_endpoint, replay.events_endpoint) as c,
    ):
        c.wait_event(lambda t, _b: t == b"tick.XAUUSD")
        assert open_buy(c, "rp-1")["outcome"]["retcode"] == Retcode.PRICE_OFF
        gold = c.trade("rp-2", "OPEN_POSITION", symbol="XAUUSD", orderType="BUY", volume=0.01)
        assert (gold["outcome"]["retcode"], gold["outcome"]["price"]) == (Retcode.DONE, 2000.8)


def test_in_process_control_helper(terminal: SimulatedTerminal, client: TerminalClient) -> None:
    """SimulatedTerminal.control takes snake_case fields, nested ones too, and returns the reply."""
    reply = terminal.control(
        pause_market=True, set_symbol={"symbol": "EURUSD", "trade_mode": "CLOSEONLY"}
    )
    assert reply.state.paused is True
    assert open_buy(client, "ip-1")["outcome"]["retcode"] == Retcode.CLOSE_ONLY


def test_in_process_control_helper_raises_on_refusal(terminal: SimulatedTerminal) -> None:
    """A refused SIM_CONTROL surfaces as ValueError naming the field."""
    with pytest.raises(ValueError, match=r"\$\.setQuote\.symbol"):
        terminal.control(set_quote={"symbol": "NOPE", "bid": 1.0, "ask": 1.1})


def test_one_simulator_per_state_dir(tmp_path: Path) -> None:
    """A second simulator on a state dir in use is refused; once the first stops it may start."""
    state = tmp_path / "shared"
    with SimulatedTerminal(make_settings(state)), pytest.raises(StoreError, match="in use"):
        SimulatedTerminal(make_settings(state)).start()
    with SimulatedTerminal(make_settings(state)) as second:
        assert second.running


def test_failed_start_releases_the_state_dir(tmp_path: Path) -> None:
    """A start that fails to bind leaves the state dir unlocked for the next attempt."""
    state = tmp_path / "s"
    with SimulatedTerminal(make_settings(tmp_path / "other")) as busy:
        clash = make_settings(state, command_endpoint=busy.settings.command_endpoint)
        with pytest.raises(zmq.ZMQError):
            SimulatedTerminal(clash).start()
    with SimulatedTerminal(make_settings(state)) as ok:
        assert ok.running
