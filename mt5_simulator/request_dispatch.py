"""Requests on the ROUTER socket: decode once, answer or trade, reply (possibly delayed)."""

from __future__ import annotations

import heapq
import time
from typing import Any

import msgspec
from loguru import logger

from fx_protocol.errors import ProtocolError
from fx_protocol.terminal_wire import (
    AccountInfo,
    CommandStatusReply,
    DealsList,
    ErrorReply,
    GetAccount,
    GetDeals,
    GetOrders,
    GetPositions,
    GetSymbols,
    Ping,
    Pong,
    QueryCommand,
    Subscribe,
    Subscribed,
    TerminalReply,
    Trade,
    TradeReply,
    encode,
)
from mt5_simulator.control import (
    SimControl,
    SimControlReply,
    decode_sim_request,
)
from mt5_simulator.control_handler import ControlHandler
from mt5_simulator.engine import views
from mt5_simulator.engine.book import Changeset
from mt5_simulator.terminal_state import Route, _crash


class RequestDispatch(ControlHandler):
    """One request in, one reply out: TRADE (idempotent by command id), queries, SIM_CONTROL."""

    def _handle(self, frames: list[bytes]) -> None:
        # DEALER clients send [payload] (the ROUTER adds the identity); a REQ socket
        # adds an empty delimiter, which is kept so REQ-based tools work too.
        route: Route = (frames[0],)
        if len(frames) == 3 and frames[1] == b"":
            route = (frames[0], b"")
            frames = [frames[0], frames[2]]
        if len(frames) != 2:
            self._reply(
                route,
                ErrorReply(
                    request_id="?",
                    code="BAD_REQUEST",
                    message="expected exactly one frame per request",
                ),
            )
            return
        payload = frames[1]
        try:
            request = decode_sim_request(payload)
        except ProtocolError as exc:
            self._reply(
                route,
                ErrorReply(
                    request_id=_salvage_request_id(payload),
                    code="BAD_REQUEST",
                    message=exc.message,
                    field=exc.field,
                ),
            )
            return
        if isinstance(request, Trade):
            self._trade(route, request)
            return
        try:
            reply = self._answer(request)
        except Exception as exc:
            logger.opt(exception=exc).error("request {} failed", type(request).__name__)
            reply = ErrorReply(
                request_id=request.request_id,
                code="INTERNAL",
                message="internal error; see the simulator log",
            )
        if reply is not None:
            self._reply(route, reply)

    def _reply(self, route: Route, reply: TerminalReply | SimControlReply) -> None:
        data = encode(reply)
        delay = self._faults.reply_delay_ms
        if delay > 0:
            due = time.monotonic() + delay / 1000.0
            heapq.heappush(self._delayed, (due, next(self._tiebreak), route, data))
            return
        assert self._router is not None
        self._router.send_multipart([*route, data])

    def _flush_delayed(self, mono: float) -> None:
        assert self._router is not None
        while self._delayed and self._delayed[0][0] <= mono:
            _, _, route, data = heapq.heappop(self._delayed)
            self._router.send_multipart([*route, data])

    def _trade(self, route: Route, request: Trade) -> None:
        assert self._store is not None
        store = self._store
        previous = store.outcome(request.command_id)
        if previous is not None:
            self._reply(
                route,
                TradeReply(request_id=request.request_id, duplicate=True, outcome=previous),
            )
            return
        now = self._now()
        faults = self._faults
        self._trades_seen += 1
        if faults.crash_before_trade and self._trades_seen >= faults.crash_before_trade:
            _crash("crash before trade (fault injection)")
        if faults.reject_next > 0:
            outcome = self.engine.rejection(
                request, faults.reject_retcode, "rejected by fault injection", now
            )
            changes = Changeset()
            self._faults = msgspec.structs.replace(faults, reject_next=faults.reject_next - 1)
        else:
            outcome, changes = self.engine.trade(request, now)
        # One transaction: the rows and the command record (docs/simulator.md § Persistence).
        store.commit(changes, self.engine.account, self.engine.next_ticket, outcome)
        logger.debug(
            "{} {} {} -> {} {}",
            request.command_id,
            request.action.value,
            request.symbol or request.ticket or "",
            outcome.retcode,
            outcome.message,
        )
        self._trades_done += 1
        if faults.crash_after_trades and self._trades_done >= faults.crash_after_trades:
            _crash("crash after trade (fault injection)")
        if self._faults.drop_trade_replies > 0:
            self._faults = msgspec.structs.replace(
                self._faults, drop_trade_replies=self._faults.drop_trade_replies - 1
            )
            logger.info("dropping the reply to {} (fault injection)", request.command_id)
        else:
            self._reply(route, TradeReply(request_id=request.request_id, outcome=outcome))
        self._publish_changes(changes, now)

    def _answer(self, request: Any) -> TerminalReply | SimControlReply | None:
        engine = self.engine
        rid = request.request_id
        if isinstance(request, Ping):
            return Pong(request_id=rid, health=self._health(self._now()))
        if isinstance(request, GetAccount):
            return AccountInfo(request_id=rid, account=engine.account_info())
        if isinstance(request, QueryCommand):
            assert self._store is not None
            outcome = self._store.outcome(request.command_id)
            return CommandStatusReply(
                request_id=rid,
                command_id=request.command_id,
                known=outcome is not None,
                outcome=outcome,
            )
        if isinstance(request, GetPositions):
            return views.positions_list(engine, request)
        if isinstance(request, GetOrders):
            return views.orders_list(engine, request)
        if isinstance(request, GetDeals):
            assert self._store is not None
            deals = self._store.deals(request.after_ticket, request.limit + 1)
            return DealsList(
                request_id=rid, deals=deals[: request.limit], more=len(deals) > request.limit
            )
        if isinstance(request, GetSymbols):
            return views.symbols_info(engine, request)
        if isinstance(request, Subscribe):
            known = [s for s in request.symbols if s in engine.instruments]
            self._published = set(known)
            return Subscribed(
                request_id=rid,
                symbols=known,
                unknown=[s for s in request.symbols if s not in engine.instruments],
            )
        if isinstance(request, SimControl):
            return self._control(request)
        raise TypeError(f"unhandled request {type(request).__name__}")


def _salvage_request_id(payload: bytes) -> str:
    """The requestId of an undecodable request if it can be read, else "?"."""
    try:
        data = msgspec.json.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return "?"
    if isinstance(data, dict):
        value = data.get("requestId")
        if isinstance(value, str) and 0 < len(value) <= 40:
            return value
    return "?"
