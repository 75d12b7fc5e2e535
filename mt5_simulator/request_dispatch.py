"""Requests on the ROUTER socket: decode once, answer or trade, reply (possibly delayed).

:class:`RequestDispatch` is built per run with the opened
:class:`~mt5_simulator.terminal_state.TerminalState` (engine, store, ROUTER
socket, faults and fault counters), the
:class:`~mt5_simulator.event_feed.EventFeed` (health for PONG, the subscribed
symbols, publishing what a trade changed) and the
:class:`~mt5_simulator.control_handler.ControlHandler` (SIM_CONTROL). It owns
the replies held back by ``reply_delay_ms``.
"""

from __future__ import annotations

import heapq
import itertools
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
from mt5_simulator.event_feed import EventFeed
from mt5_simulator.terminal_state import Route, TerminalState, crash


class RequestDispatch:
    """One request in, one reply out: TRADE (idempotent by command id), queries, SIM_CONTROL."""

    def __init__(self, state: TerminalState, feed: EventFeed, control: ControlHandler) -> None:
        self._state = state
        self._engine = state.engine
        self._store = state.store
        self._router = state.router
        self._feed = feed
        self._control = control
        #: replies held back by reply_delay_ms: (due, tiebreak, route, data), a heap
        self.delayed: list[tuple[float, int, Route, bytes]] = []
        self._tiebreak = itertools.count()  # keeps equal-time delayed replies in order

    def handle(self, frames: list[bytes]) -> None:
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
        delay = self._state.faults.reply_delay_ms
        if delay > 0:
            due = time.monotonic() + delay / 1000.0
            heapq.heappush(self.delayed, (due, next(self._tiebreak), route, data))
            return
        self._router.send_multipart([*route, data])

    def flush_delayed(self, mono: float) -> None:
        """Send the held-back replies that are due by ``mono``, in order."""
        while self.delayed and self.delayed[0][0] <= mono:
            _, _, route, data = heapq.heappop(self.delayed)
            self._router.send_multipart([*route, data])

    def _trade(self, route: Route, request: Trade) -> None:
        state, engine, store = self._state, self._engine, self._store
        previous = store.outcome(request.command_id)
        if previous is not None:
            self._reply(
                route,
                TradeReply(request_id=request.request_id, duplicate=True, outcome=previous),
            )
            return
        now = state.now()
        faults = state.faults
        state.trades_seen += 1
        if faults.crash_before_trade and state.trades_seen >= faults.crash_before_trade:
            crash("crash before trade (fault injection)")
        if faults.reject_next > 0:
            outcome = engine.rejection(
                request, faults.reject_retcode, "rejected by fault injection", now
            )
            changes = Changeset()
            state.faults = msgspec.structs.replace(faults, reject_next=faults.reject_next - 1)
        else:
            outcome, changes = engine.trade(request, now)
        # One transaction: the rows and the command record (docs/simulator.md § Persistence).
        store.commit(changes, engine.account, engine.next_ticket, outcome)
        logger.debug(
            "{} {} {} -> {} {}",
            request.command_id,
            request.action.value,
            request.symbol or request.ticket or "",
            outcome.retcode,
            outcome.message,
        )
        state.trades_done += 1
        if faults.crash_after_trades and state.trades_done >= faults.crash_after_trades:
            crash("crash after trade (fault injection)")
        if state.faults.drop_trade_replies > 0:
            state.faults = msgspec.structs.replace(
                state.faults, drop_trade_replies=state.faults.drop_trade_replies - 1
            )
            logger.info("dropping the reply to {} (fault injection)", request.command_id)
        else:
            self._reply(route, TradeReply(request_id=request.request_id, outcome=outcome))
        self._feed.publish_changes(changes, now)

    def _answer(self, request: Any) -> TerminalReply | SimControlReply | None:
        engine = self._engine
        rid = request.request_id
        if isinstance(request, Ping):
            return Pong(request_id=rid, health=self._feed.health(self._state.now()))
        if isinstance(request, GetAccount):
            return AccountInfo(request_id=rid, account=engine.account_info())
        if isinstance(request, QueryCommand):
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
            deals = self._store.deals(request.after_ticket, request.limit + 1)
            return DealsList(
                request_id=rid, deals=deals[: request.limit], more=len(deals) > request.limit
            )
        if isinstance(request, GetSymbols):
            return views.symbols_info(engine, request)
        if isinstance(request, Subscribe):
            known = [s for s in request.symbols if s in engine.instruments]
            self._feed.published = set(known)
            return Subscribed(
                request_id=rid,
                symbols=known,
                unknown=[s for s in request.symbols if s not in engine.instruments],
            )
        if isinstance(request, SimControl):
            return self._control.control(request)
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
