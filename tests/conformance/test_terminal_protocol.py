"""The EA protocol, requests in and replies and events out (``docs/protocol.md`` § Terminal).

Written against endpoints only, so the same tests run against the simulator
and a live EA on a demo account (see ``conftest.py``).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import zmq

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import MAX_REQUEST_BYTES
from tests.conformance.client import TerminalClient
from tests.conformance.conftest import Target


def new_command_id() -> str:
    """A command id no earlier run used (a real EA keeps its record forever)."""
    return "cf" + secrets.token_hex(12)


def open_position(client: TerminalClient, symbol: str, command_id: str) -> dict[str, Any]:
    reply = client.trade(
        command_id, "OPEN_POSITION", symbol=symbol, orderType="BUY", volume=0.01, deviation=50
    )
    assert reply["type"] == "TRADE_REPLY"
    return reply


def close_position(client: TerminalClient, ticket: int) -> dict[str, Any]:
    return client.trade(new_command_id(), "CLOSE_POSITION", ticket=ticket, deviation=50)


# ------------------------------------------------------------------ requests and replies


def test_ping_answers_pong_with_health(client: TerminalClient) -> None:
    """PING gets PONG with the same requestId and the terminal's health."""
    reply = client.request({"type": "PING"})
    assert reply["type"] == "PONG"
    health = reply["health"]
    assert health["instance"]
    assert health["timeMsc"] > 0
    assert isinstance(health["connected"], bool)


def test_get_account(client: TerminalClient) -> None:
    """GET_ACCOUNT answers ACCOUNT_INFO with currency, balance and equity."""
    account = client.request({"type": "GET_ACCOUNT"})["account"]
    assert account["currency"]
    assert account["balance"] > 0
    assert "equity" in account


def test_get_symbols_reports_specs_and_unknowns(client: TerminalClient, target: Target) -> None:
    """GET_SYMBOLS gives each known symbol's specification and lists unknown names."""
    reply = client.request({"type": "GET_SYMBOLS", "symbols": [target.symbol, "NOSUCHSYM"]})
    assert reply["type"] == "SYMBOLS_INFO"
    (spec,) = reply["symbols"]
    assert spec["symbol"] == target.symbol
    assert spec["volumeMin"] > 0
    assert spec["point"] == pytest.approx(10.0 ** -spec["digits"])
    assert reply["unknown"] == ["NOSUCHSYM"]


def test_subscribe(client: TerminalClient, target: Target) -> None:
    """SUBSCRIBE answers SUBSCRIBED with the known symbols, then ticks flow for them."""
    reply = client.request({"type": "SUBSCRIBE", "symbols": [target.symbol, "NOSUCHSYM"]})
    assert reply["type"] == "SUBSCRIBED"
    assert reply["symbols"] == [target.symbol]
    assert reply["unknown"] == ["NOSUCHSYM"]
    # Ticks published before the SUBSCRIBE may still be in flight: wait for a run of
    # ten ticks of the symbol alone, which a terminal ignoring SUBSCRIBE never produces.
    wanted = b"tick." + target.symbol.encode()
    run = 0
    while run < 10:
        topic, tick = client.wait_event(lambda t, _b: t.startswith(b"tick."))
        run = run + 1 if topic == wanted else 0
        assert 0 < tick["bid"] <= tick["ask"]


def test_query_unknown_command(client: TerminalClient) -> None:
    """QUERY_COMMAND for an id never seen answers known=false and trades nothing."""
    command_id = new_command_id()
    reply = client.request({"type": "QUERY_COMMAND", "commandId": command_id})
    assert reply == {
        "type": "COMMAND_STATUS",
        "requestId": reply["requestId"],
        "commandId": command_id,
        "known": False,
    }


def test_get_positions_orders_deals_pages(client: TerminalClient) -> None:
    """The list requests answer their list replies, honouring limit."""
    positions = client.request({"type": "GET_POSITIONS", "limit": 1})
    assert positions["type"] == "POSITIONS_LIST"
    assert len(positions["positions"]) <= 1
    assert positions["total"] >= len(positions["positions"])
    orders = client.request({"type": "GET_ORDERS"})
    assert orders["type"] == "ORDERS_LIST"
    deals = client.request({"type": "GET_DEALS", "limit": 1})
    assert deals["type"] == "DEALS_LIST"
    assert len(deals["deals"]) <= 1


# ------------------------------------------------------------------ bad requests


@pytest.mark.parametrize(
    ("payload", "request_id"),
    [
        (b"not json at all", "?"),
        (b"\xff\xfe\x00", "?"),
        (b"[1, 2, 3]", "?"),
        (b'{"type": "NO_SUCH_TYPE", "requestId": "bad-1"}', "bad-1"),
        (b'{"type": "PING"}', "?"),
        (b'{"type": "GET_POSITIONS", "requestId": "bad-2", "limit": 0}', "bad-2"),
        (b'{"type": "TRADE", "requestId": "bad-3", "commandId": "x", "action": "FLY"}', "bad-3"),
    ],
)
def test_undecodable_requests_get_an_error_reply(
    client: TerminalClient, payload: bytes, request_id: str
) -> None:
    """Undecodable input gets ERROR/BAD_REQUEST echoing a readable requestId; serving goes on."""
    client.send(payload)
    reply = client.receive()
    assert reply is not None
    assert reply["type"] == "ERROR"
    assert reply["code"] == "BAD_REQUEST"
    assert reply["requestId"] == request_id
    assert client.request({"type": "PING"})["type"] == "PONG"


def test_error_names_the_field(client: TerminalClient) -> None:
    """A field that fails validation is named as a JSON path in the ERROR reply."""
    client.send(b'{"type": "TRADE", "requestId": "bad-4", "commandId": "has space", '
                b'"action": "CLOSE_ALL"}')  # fmt: skip
    reply = client.receive()
    assert reply is not None
    assert reply["field"] == "$.commandId"


def test_oversized_request_is_refused(client: TerminalClient) -> None:
    """A request over the 16 KiB limit gets ERROR/BAD_REQUEST."""
    client.send(b'{"type":"PING","requestId":"big","pad":"' + b"x" * MAX_REQUEST_BYTES + b'"}')
    reply = client.receive()
    assert reply is not None
    assert (reply["type"], reply["code"]) == ("ERROR", "BAD_REQUEST")


def test_multi_frame_request_is_refused(client: TerminalClient) -> None:
    """A request of more than one frame gets ERROR/BAD_REQUEST."""
    client.dealer.send_multipart([b'{"type":"PING","requestId":"mf"}', b"extra"])
    reply = client.receive()
    assert reply is not None
    assert (reply["type"], reply["code"]) == ("ERROR", "BAD_REQUEST")


# ------------------------------------------------------------------ events


def test_heartbeats_carry_health_and_instance(client: TerminalClient) -> None:
    """Heartbeat events arrive on topic "heartbeat" with the instance the PONG reports."""
    instance = client.request({"type": "PING"})["health"]["instance"]
    _topic, event = client.wait_event(lambda t, _b: t == b"heartbeat")
    assert event["type"] == "HEARTBEAT"
    assert event["instance"] == instance
    assert event["health"]["instance"] == instance


def test_seq_increases_across_topics(client: TerminalClient) -> None:
    """Every event carries the instance and a seq that increases across all topics."""
    client.wait_subscribed()
    seen: list[tuple[bytes, int]] = []
    instances: set[str] = set()
    for _ in range(30):
        topic, event = client.wait_event(lambda _t, _b: True)
        seen.append((topic, event["seq"]))
        instances.add(event["instance"])
    seqs = [seq for _, seq in seen]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert len(instances) == 1


# ------------------------------------------------------------------ trading and idempotency


def test_trade_round_trip_with_idempotency(client: TerminalClient, target: Target) -> None:
    """A market order is DONE, traced by comment, repeatable only as a duplicate, published."""
    client.request({"type": "SUBSCRIBE", "symbols": [target.symbol]})
    client.wait_subscribed()
    command_id = new_command_id()
    first = open_position(client, target.symbol, command_id)
    outcome = first["outcome"]
    assert outcome["retcode"] == Retcode.DONE
    assert outcome["success"] is True
    assert outcome["commandId"] == command_id
    assert first.get("duplicate", False) is False
    _, event = client.wait_event(
        lambda t, b: (
            t == b"trade." + target.symbol.encode()
            and b.get("kind") == "DEAL_ADD"
            and b["deal"]["comment"] == command_id
        )
    )
    assert event["deal"]["ticket"] == outcome["deal"]
    again = open_position(client, target.symbol, command_id)
    assert again["duplicate"] is True
    assert again["outcome"] == outcome
    status = client.request({"type": "QUERY_COMMAND", "commandId": command_id})
    assert status["known"] is True
    assert status["outcome"] == outcome
    deals = client.request({"type": "GET_DEALS", "afterTicket": outcome["deal"] - 1, "limit": 5})
    matching = [d for d in deals["deals"] if d["comment"] == command_id]
    assert [d["ticket"] for d in matching] == [outcome["deal"]]
    positions = client.request({"type": "GET_POSITIONS", "symbol": target.symbol})
    assert outcome["position"] in [p["ticket"] for p in positions["positions"]]
    closed = close_position(client, outcome["position"])
    assert closed["outcome"]["retcode"] == Retcode.DONE


def test_failed_trade_is_an_outcome_not_an_error(client: TerminalClient, target: Target) -> None:
    """An invalid volume is a recorded TRADE_REPLY with retcode 10014 and success=false."""
    command_id = new_command_id()
    reply = client.trade(
        command_id, "OPEN_POSITION", symbol=target.symbol, orderType="BUY", volume=0.0001
    )
    assert reply["type"] == "TRADE_REPLY"
    assert reply["outcome"]["retcode"] == Retcode.INVALID_VOLUME
    assert reply["outcome"]["success"] is False
    status = client.request({"type": "QUERY_COMMAND", "commandId": command_id})
    assert status["known"] is True


def test_close_unknown_position(client: TerminalClient) -> None:
    """Closing a ticket that is not open answers 10036 POSITION_CLOSED."""
    reply = client.trade(new_command_id(), "CLOSE_POSITION", ticket=1)
    assert reply["outcome"]["retcode"] == Retcode.POSITION_CLOSED


def test_account_event_after_a_fill(client: TerminalClient, target: Target) -> None:
    """A fill is followed by an ACCOUNT_UPDATE event."""
    client.wait_subscribed()
    reply = open_position(client, target.symbol, new_command_id())
    client.wait_event(lambda t, b: t == b"account" and b["type"] == "ACCOUNT_UPDATE")
    close_position(client, reply["outcome"]["position"])


# ------------------------------------------------------------------ simulator only


@pytest.fixture
def paused(client: TerminalClient) -> Any:
    """The random walk stopped for the test, resumed after it."""
    client.control(pauseMarket=True)
    yield client
    client.control(pauseMarket=False)


@pytest.mark.sim_only
def test_set_quote_publishes_that_tick(paused: TerminalClient, target: Target) -> None:
    """SIM_CONTROL setQuote publishes a tick with exactly that bid and ask."""
    paused.request({"type": "SUBSCRIBE", "symbols": [target.symbol]})
    paused.wait_subscribed()
    paused.control(setQuote={"symbol": target.symbol, "bid": 1.2, "ask": 1.20012})
    _, tick = paused.wait_event(lambda t, b: t.startswith(b"tick.") and b["bid"] == 1.2)
    assert tick["ask"] == 1.20012


@pytest.mark.sim_only
def test_stop_loss_fill_is_published(paused: TerminalClient, target: Target) -> None:
    """A quote through a position's SL publishes a DEAL_ADD with reason SL on trade.<SYMBOL>."""
    symbol = target.symbol
    paused.control(setQuote={"symbol": symbol, "bid": 1.1, "ask": 1.1001})
    paused.wait_subscribed()
    reply = paused.trade(new_command_id(), "OPEN_POSITION", symbol=symbol, orderType="BUY",
                         volume=0.02, sl=1.095)  # fmt: skip
    position = reply["outcome"]["position"]
    paused.control(setQuote={"symbol": symbol, "bid": 1.0949, "ask": 1.095})
    _, event = paused.wait_event(
        lambda t, b: (
            t == b"trade." + symbol.encode()
            and b.get("kind") == "DEAL_ADD"
            and b["deal"]["positionId"] == position
            and b["deal"]["entry"] == "OUT"
        )
    )
    assert event["deal"]["reason"] == "SL"
    assert event["deal"]["price"] == 1.0949


@pytest.mark.sim_only
def test_sim_control_is_unknown_to_the_protocol_decoder(client: TerminalClient) -> None:
    """SIM_CONTROL answers SIM_CONTROL_REPLY; it is not part of fx_protocol's request union."""
    from fx_protocol.errors import ProtocolError
    from fx_protocol.terminal_wire import decode_request

    reply = client.control()
    assert reply["type"] == "SIM_CONTROL_REPLY"
    with pytest.raises(ProtocolError):
        decode_request(b'{"type":"SIM_CONTROL","requestId":"x"}')


def test_a_second_dealer_gets_its_own_replies(target: Target) -> None:
    """Replies are routed by identity: two clients never see each other's replies."""
    with (
        TerminalClient(target.command_endpoint, target.events_endpoint) as a,
        TerminalClient(target.command_endpoint, target.events_endpoint) as b,
    ):
        a.send({"type": "PING", "requestId": "from-a"})
        b.send({"type": "PING", "requestId": "from-b"})
        reply_a, reply_b = a.receive(), b.receive()
        assert reply_a is not None
        assert reply_b is not None
        assert (reply_a["requestId"], reply_b["requestId"]) == ("from-a", "from-b")
        assert a.dealer.poll(100, zmq.POLLIN) == 0


def test_deals_page_by_ticket(client: TerminalClient, target: Target) -> None:
    """GET_DEALS returns deals after afterTicket, oldest first, with more=true past the limit."""
    first = open_position(client, target.symbol, new_command_id())["outcome"]
    second = open_position(client, target.symbol, new_command_id())["outcome"]
    page = client.request({"type": "GET_DEALS", "afterTicket": first["deal"] - 1, "limit": 1})
    assert [d["ticket"] for d in page["deals"]] == [first["deal"]]
    assert page["more"] is True
    rest = client.request({"type": "GET_DEALS", "afterTicket": first["deal"], "limit": 1000})
    tickets = [d["ticket"] for d in rest["deals"]]
    assert tickets[0] == second["deal"]
    assert tickets == sorted(tickets)
    for outcome in (first, second):
        close_position(client, outcome["position"])


def test_pending_order_place_list_cancel(client: TerminalClient, target: Target) -> None:
    """A BUY_LIMIT far below the market is PLACED, published, listed, and cancelled with DONE."""
    spec = client.request({"type": "GET_SYMBOLS", "symbols": [target.symbol]})["symbols"][0]
    price = round(spec["ask"] * 0.98, spec["digits"])
    client.wait_subscribed()
    command_id = new_command_id()
    placed = client.trade(command_id, "PLACE_ORDER", symbol=target.symbol, orderType="BUY_LIMIT",
                          volume=0.01, price=price)  # fmt: skip
    outcome = placed["outcome"]
    assert outcome["retcode"] == Retcode.PLACED
    client.wait_event(
        lambda t, b: (
            t == b"trade." + target.symbol.encode()
            and b["kind"] == "ORDER_ADD"
            and b["order"] == outcome["order"]
        )
    )
    orders = client.request({"type": "GET_ORDERS", "symbol": target.symbol})["orders"]
    (order,) = [o for o in orders if o["ticket"] == outcome["order"]]
    assert (order["orderType"], order["priceOpen"], order["comment"]) == (
        "BUY_LIMIT", price, command_id,
    )  # fmt: skip
    cancelled = client.trade(new_command_id(), "CANCEL_ORDER", ticket=outcome["order"])
    assert cancelled["outcome"]["retcode"] == Retcode.DONE
    orders = client.request({"type": "GET_ORDERS", "symbol": target.symbol})["orders"]
    assert outcome["order"] not in [o["ticket"] for o in orders]


def test_modify_then_close_all_by_magic(client: TerminalClient, target: Target) -> None:
    """MODIFY_POSITION sets SL/TP; CLOSE_ALL by magic closes exactly the positions with it."""
    magic = 900_000 + secrets.randbelow(99_999)
    spec = client.request({"type": "GET_SYMBOLS", "symbols": [target.symbol]})["symbols"][0]
    opened = client.trade(
        new_command_id(), "OPEN_POSITION", symbol=target.symbol, orderType="BUY",
        volume=0.01, magic=magic, deviation=50,
    )["outcome"]  # fmt: skip
    sl = round(spec["bid"] * 0.98, spec["digits"])
    tp = round(spec["bid"] * 1.02, spec["digits"])
    modified = client.trade(new_command_id(), "MODIFY_POSITION", ticket=opened["position"],
                            sl=sl, tp=tp)  # fmt: skip
    assert modified["outcome"]["retcode"] == Retcode.DONE
    positions = client.request({"type": "GET_POSITIONS", "magic": magic})["positions"]
    assert [(p["ticket"], p["sl"], p["tp"]) for p in positions] == [(opened["position"], sl, tp)]
    closed = client.trade(new_command_id(), "CLOSE_ALL", magic=magic)["outcome"]
    assert closed["retcode"] == Retcode.DONE
    assert [item["ticket"] for item in closed["closed"]] == [opened["position"]]
    assert client.request({"type": "GET_POSITIONS", "magic": magic})["positions"] == []
