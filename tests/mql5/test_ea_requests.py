"""The EA's whole request path (FxRequests::Handle) on an in-memory terminal.

Every request goes through the EA's own dispatcher, readers, ledger,
trading and reply writers (``harness/trading_driver.cpp``), exactly as
``Server.mqh`` hands it a body; only the terminal behind the MT5 API is
replaced. Each reply must decode strictly with ``fx_protocol``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fx_protocol.terminal_wire import (
    AccountInfo,
    AccountUpdateEvent,
    CommandStatusReply,
    DealsList,
    HeartbeatEvent,
    OrdersList,
    Pong,
    PositionsList,
    Subscribed,
    SymbolsInfo,
    TickEvent,
    TradeReply,
    TradeTransactionEvent,
    decode_event,
    decode_reply,
)
from fx_protocol.vocabulary import Action
from tests.mql5.test_ea_trading import ORDER_TICKET, POSITION_TICKET, TradingDriver, _base_case

_LEDGER = Path("FxBridge") / "ledger.txt"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "Files"


@pytest.fixture
def ea(trading_binary: Path, files: Path) -> Iterator[TradingDriver]:
    d = TradingDriver(trading_binary, files)
    yield d
    d.close()


def _handle(
    driver: TradingDriver, body: dict[str, Any], state_from: dict[str, Any] | None = None
) -> tuple[Any, list[dict[str, Any]]]:
    """One request through the EA; its decoded reply and the requests OrderSend received."""
    case = state_from or _base_case(Action.CLOSE_ALL)
    body.setdefault("requestId", "r1")
    answer = driver.run(
        {"config": case["config"], "state": case["state"], "body": json.dumps(body)}
    )
    reply = decode_reply(json.dumps(answer["reply"]))
    assert reply.request_id == body["requestId"]
    return reply, answer["sent"]


def _open(command_id: str) -> dict[str, Any]:
    return {"type": "TRADE", "commandId": command_id, "action": "OPEN_POSITION", "symbol": "EURUSD",
            "orderType": "BUY", "volume": 0.1}  # fmt: skip


def test_a_resent_command_never_trades_twice(ea: TradingDriver) -> None:
    """The second TRADE with one commandId gets the first outcome, duplicate, and sends nothing."""
    first, sent = _handle(ea, _open("c-1"))
    assert isinstance(first, TradeReply)
    assert first.outcome.success
    assert not first.duplicate
    assert len(sent) == 1
    again, sent_again = _handle(ea, _open("c-1"))
    assert isinstance(again, TradeReply)
    assert again.duplicate
    assert again.outcome == first.outcome
    assert sent_again == []


def test_duplicates_are_recognised_after_a_restart(trading_binary: Path, files: Path) -> None:
    """A new EA process on the same MQL5/Files answers the resend from the ledger file."""
    first = TradingDriver(trading_binary, files)
    reply, _ = _handle(first, _open("c-restart"))
    first.close()
    second = TradingDriver(trading_binary, files)
    again, sent = _handle(second, _open("c-restart"))
    second.close()
    assert isinstance(reply, TradeReply)
    assert isinstance(again, TradeReply)
    assert again.duplicate
    assert again.outcome == reply.outcome
    assert sent == []


def test_an_interrupted_command_is_resolved_without_trading(
    trading_binary: Path, files: Path
) -> None:
    """Only the pending record on disk (crash mid-OrderSend): no order found: 10011, no resend."""
    (files / "FxBridge").mkdir(parents=True)
    (files / _LEDGER).write_bytes(b"c-torn\tP\t\r\n")
    driver = TradingDriver(trading_binary, files)
    reply, sent = _handle(driver, _open("c-torn"))
    status, _ = _handle(driver, {"type": "QUERY_COMMAND", "commandId": "c-torn"})
    driver.close()
    assert isinstance(reply, TradeReply)
    assert isinstance(status, CommandStatusReply)
    assert reply.duplicate
    assert reply.outcome.retcode == 10011
    assert sent == []
    assert status.known
    assert status.outcome == reply.outcome


def test_query_command(ea: TradingDriver) -> None:
    """QUERY_COMMAND: unknown ids get known=false and no outcome; known ones their outcome."""
    answer = ea.run({**_base_case(Action.CLOSE_ALL), "body": json.dumps(
        {"type": "QUERY_COMMAND", "requestId": "q", "commandId": "c-none"})})  # fmt: skip
    assert answer["reply"] == {
        "type": "COMMAND_STATUS",
        "requestId": "q",
        "commandId": "c-none",
        "known": False,
    }
    trade, _ = _handle(ea, _open("c-q"))
    status, sent = _handle(ea, {"type": "QUERY_COMMAND", "commandId": "c-q"})
    assert isinstance(status, CommandStatusReply)
    assert isinstance(trade, TradeReply)
    assert status.known
    assert status.outcome == trade.outcome
    assert sent == []


def test_queries_answer_valid_protocol_replies(ea: TradingDriver) -> None:
    """PING, GET_ACCOUNT, GET_POSITIONS, GET_ORDERS, GET_SYMBOLS, SUBSCRIBE: strict replies."""
    pong, _ = _handle(ea, {"type": "PING"})
    assert isinstance(pong, Pong)
    assert pong.health.instance == "instance-1"
    account, _ = _handle(ea, {"type": "GET_ACCOUNT"})
    assert isinstance(account, AccountInfo)
    assert account.account.margin_mode == "hedging"
    positions, _ = _handle(ea, {"type": "GET_POSITIONS", "symbol": "EURUSD"})
    assert isinstance(positions, PositionsList)
    assert positions.total == 1
    assert [p.ticket for p in positions.positions] == [POSITION_TICKET]
    orders, _ = _handle(ea, {"type": "GET_ORDERS"})
    assert isinstance(orders, OrdersList)
    assert [o.ticket for o in orders.orders] == [ORDER_TICKET]
    symbols, _ = _handle(ea, {"type": "GET_SYMBOLS", "symbols": ["EURUSD", "NOSUCH"]})
    assert isinstance(symbols, SymbolsInfo)
    assert [s.symbol for s in symbols.symbols] == ["EURUSD"]
    assert symbols.unknown == ["NOSUCH"]
    assert symbols.symbols[0].filling_modes == 3
    assert symbols.symbols[0].stops_level == 10
    subscribed, _ = _handle(ea, {"type": "SUBSCRIBE", "symbols": ["EURUSD", "NOSUCH"]})
    assert isinstance(subscribed, Subscribed)
    assert (subscribed.symbols, subscribed.unknown) == (["EURUSD"], ["NOSUCH"])


def test_positions_are_paged_in_ticket_order(ea: TradingDriver) -> None:
    """GET_POSITIONS: total counts all matches, offset/limit cut the ticket-ordered list."""
    case = _base_case(Action.CLOSE_ALL)
    template = case["state"]["positions"][0]
    case["state"]["positions"] = [
        {**template, "ticket": t, "magic": t % 2} for t in (30, 10, 20, 50, 40)
    ]
    page, _ = _handle(ea, {"type": "GET_POSITIONS", "offset": 1, "limit": 2}, case)
    assert isinstance(page, PositionsList)
    assert page.total == 5
    assert [p.ticket for p in page.positions] == [20, 30]
    odd, _ = _handle(ea, {"type": "GET_POSITIONS", "magic": 0}, case)
    assert isinstance(odd, PositionsList)
    assert [p.ticket for p in odd.positions] == [
        10,
        20,
        30,
        40,
        50,
    ]
    past, _ = _handle(ea, {"type": "GET_POSITIONS", "offset": 2**62}, case)
    assert isinstance(past, PositionsList)
    assert past.total == 5
    assert past.positions == []


def test_close_all_lists_every_item(ea: TradingDriver) -> None:
    """CLOSE_ALL closes the position and deletes the order: DONE with both in `closed`."""
    reply, sent = _handle(ea, {"type": "TRADE", "commandId": "c-all", "action": "CLOSE_ALL"})
    assert isinstance(reply, TradeReply)
    assert reply.outcome.retcode == 10009
    assert [item.ticket for item in reply.outcome.closed] == [POSITION_TICKET, ORDER_TICKET]
    assert [s["action"] for s in sent] == [1, 8]  # TRADE_ACTION_DEAL, TRADE_ACTION_REMOVE


def test_event_writers_produce_protocol_events(ea: TradingDriver) -> None:
    """TICK, TRADE_TRANSACTION (with the deal of a DEAL_ADD), ACCOUNT_UPDATE, HEARTBEAT decode."""
    case = _base_case(Action.CLOSE_ALL)
    texts = ea.run({"state": case["state"], "events": True})["events"]
    tick, deal_add, order_delete, account, heartbeat = (decode_event(json.dumps(t)) for t in texts)
    assert isinstance(tick, TickEvent)
    assert (tick.bid, tick.ask, tick.volume) == (1.085, 1.0851, 3)
    assert isinstance(deal_add, TradeTransactionEvent)
    assert deal_add.kind == "DEAL_ADD"
    assert deal_add.deal is not None
    assert (deal_add.deal.ticket, deal_add.deal.side, deal_add.deal.entry) == (777, "SELL", "OUT")
    assert (deal_add.deal.reason, deal_add.deal.position_id) == ("SL", 1000)
    assert isinstance(order_delete, TradeTransactionEvent)
    assert (order_delete.kind, order_delete.deal, order_delete.order) == (
        "ORDER_DELETE",
        None,
        2000,
    )
    assert isinstance(account, AccountUpdateEvent)
    assert account.account.currency == "USD"
    assert isinstance(heartbeat, HeartbeatEvent)
    assert heartbeat.health.last_tick_msc == 123
    assert [e.seq for e in (tick, deal_add, order_delete, account, heartbeat)] == [1, 2, 3, 4, 5]


def test_deals_are_listed_by_ticket_with_more(ea: TradingDriver) -> None:
    """GET_DEALS: tickets above afterTicket, lowest first, `more` when the page was full."""
    first, _ = _handle(ea, {"type": "GET_DEALS", "limit": 1})
    assert isinstance(first, DealsList)
    assert [d.ticket for d in first.deals] == [777]
    assert first.more
    rest, _ = _handle(ea, {"type": "GET_DEALS", "afterTicket": 777})
    assert isinstance(rest, DealsList)
    assert [(d.ticket, d.side) for d in rest.deals] == [(778, "BALANCE")]
    assert not rest.more
