"""Executor ↔ MT5 Expert Advisor messages over ZeroMQ.

Two sockets, both bound by the EA on loopback (``docs/protocol.md`` § Terminal):

- requests: the executor's DEALER → the EA's ROUTER. Each request is one
  frame of JSON with a ``type`` tag and a ``requestId``; the EA answers with
  exactly one reply frame carrying the same ``requestId``. The ROUTER adds
  and strips the identity frame; the executor never sees it.
- events: the EA's PUB → the executor's SUB, two frames: topic, JSON.
  Topics are ``tick.<SYMBOL>``, ``trade.<SYMBOL>``, ``account`` and
  ``heartbeat``. Every event carries the publisher's ``instance`` (new on
  each EA start) and a ``seq`` increasing across all topics, so a gap or a
  restart is visible; fills lost in a gap are recovered with ``GET_DEALS``.

Idempotency: ``TRADE`` carries the brain's ``commandId``. The EA keeps a
persisted record of processed ids with their outcome; a repeated id gets
the first outcome back with ``duplicate: true`` and never trades again.
``QUERY_COMMAND`` asks for that record without trading, which is how an
outcome that timed out is resolved before anything is resent.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from fx_protocol.codec import INT64_MAX, BoundedDecoder, Int64, encode
from fx_protocol.commands import Symbol
from fx_protocol.vocabulary import Action

__all__ = [
    "AccountInfo",
    "AccountUpdateEvent",
    "CloseItem",
    "CommandStatusReply",
    "DealsList",
    "ErrorReply",
    "GetAccount",
    "GetDeals",
    "GetOrders",
    "GetPositions",
    "GetSymbols",
    "HeartbeatEvent",
    "OrdersList",
    "Ping",
    "Pong",
    "PositionsList",
    "QueryCommand",
    "Subscribe",
    "Subscribed",
    "SymbolSpec",
    "SymbolsInfo",
    "TerminalAccount",
    "TerminalDeal",
    "TerminalEvent",
    "TerminalHealth",
    "TerminalOrder",
    "TerminalPosition",
    "TerminalReply",
    "TerminalRequest",
    "TickEvent",
    "Trade",
    "TradeOutcome",
    "TradeReply",
    "TradeTransactionEvent",
    "decode_event",
    "decode_reply",
    "decode_request",
    "encode",
    "event_topic",
]

MAX_REQUEST_BYTES = 16 * 1024
MAX_REPLY_BYTES = 4 * 1024 * 1024
MAX_EVENT_BYTES = 64 * 1024
#: page size for list replies, so the EA never builds one huge MQL5 string
DEFAULT_PAGE = 200

RequestId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:\-]{1,40}$(?!\n)")]
CommandId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,31}$(?!\n)")]
Ticket = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Side = Literal["BUY", "SELL"]
PendingType = Literal["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"]
OrderTypeName = Literal["BUY", "SELL", "BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"]


class _Message(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="type", omit_defaults=True
):
    pass


class _Body(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    pass


# ---------------------------------------------------------------- shared bodies


class TerminalHealth(_Body, frozen=True, kw_only=True):
    """What the EA knows about its own ability to trade."""

    #: TERMINAL_CONNECTED: the terminal is connected to the broker's trade server
    connected: bool
    #: TERMINAL_TRADE_ALLOWED: the "Algo Trading" button is on
    trade_allowed: bool
    #: MQL_TRADE_ALLOWED: this EA may trade (its own "Allow Algo Trading" setting)
    ea_trade_allowed: bool
    last_tick_msc: Int64 = 0
    #: new random value on every EA start, so a restart is visible to the executor
    instance: str
    time_msc: Int64


class TerminalAccount(_Body, frozen=True, kw_only=True):
    login: Int64 = 0
    server: str = ""
    currency: str
    balance: float
    equity: float
    margin: float = 0.0
    free_margin: float = 0.0
    margin_level: float = 0.0
    leverage: Int64 = 0
    profit: float = 0.0
    margin_mode: Literal["hedging", "netting"] = "hedging"
    trade_allowed: bool = True


class TerminalPosition(_Body, frozen=True, kw_only=True):
    ticket: Ticket
    symbol: Symbol
    side: Side
    volume: float
    price_open: float
    price_current: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    profit: float = 0.0
    swap: float = 0.0
    magic: Int64 = 0
    comment: str = ""
    time_msc: Int64


class TerminalOrder(_Body, frozen=True, kw_only=True):
    ticket: Ticket
    symbol: Symbol
    order_type: PendingType
    volume: float
    price_open: float
    sl: float = 0.0
    tp: float = 0.0
    magic: Int64 = 0
    comment: str = ""
    time_setup_msc: Int64
    #: 0 = good till cancelled
    expiration_msc: Int64 = 0


class TerminalDeal(_Body, frozen=True, kw_only=True):
    ticket: Ticket
    order: Ticket = 0
    position_id: Ticket = 0
    symbol: str = ""
    side: Literal["BUY", "SELL", "BALANCE", "CREDIT", "OTHER"]
    entry: Literal["IN", "OUT", "INOUT", "OUT_BY"]
    volume: float = 0.0
    price: float = 0.0
    profit: float = 0.0
    commission: float = 0.0
    swap: float = 0.0
    magic: Int64 = 0
    comment: str = ""
    #: ENUM_DEAL_REASON without prefix: CLIENT, MOBILE, WEB, EXPERT, SL, TP, SO, ...
    reason: str = "EXPERT"
    time_msc: Int64


class SymbolSpec(_Body, frozen=True, kw_only=True):
    symbol: Symbol
    digits: Int64
    point: float
    contract_size: float
    volume_min: float
    volume_max: float
    volume_step: float
    stops_level: Int64 = 0
    freeze_level: Int64 = 0
    #: SYMBOL_FILLING_MODE bitmask: 1 = FOK, 2 = IOC (RETURN is always allowed)
    filling_modes: Int64 = 1
    trade_mode: Literal["FULL", "LONGONLY", "SHORTONLY", "CLOSEONLY", "DISABLED"] = "FULL"
    currency_profit: str = "USD"
    currency_margin: str = "USD"
    bid: float = 0.0
    ask: float = 0.0


class CloseItem(_Body, frozen=True, kw_only=True):
    """One position or order handled by a CLOSE_ALL."""

    ticket: Ticket
    retcode: Int64
    deal: Ticket = 0
    volume: float = 0.0
    price: float = 0.0


class TradeOutcome(_Body, frozen=True, kw_only=True):
    """What the terminal did with one command id; stored by the EA for idempotency."""

    command_id: CommandId
    retcode: Int64
    retcode_name: str
    success: bool
    order: Ticket = 0
    deal: Ticket = 0
    position: Ticket = 0
    volume: float = 0.0
    price: float = 0.0
    bid: float = 0.0
    ask: float = 0.0
    message: str = ""
    time_msc: Int64
    closed: list[CloseItem] = []


# ---------------------------------------------------------------- requests


class Trade(_Message, tag="TRADE", frozen=True, kw_only=True):
    """Execute one command. ``commandId`` becomes the order comment."""

    request_id: RequestId
    command_id: CommandId
    action: Action
    symbol: Symbol | None = None
    order_type: OrderTypeName | None = None
    volume: Annotated[float, msgspec.Meta(gt=0, le=100_000)] | None = None
    price: Annotated[float, msgspec.Meta(gt=0)] | None = None
    sl: Annotated[float, msgspec.Meta(ge=0)] | None = None
    tp: Annotated[float, msgspec.Meta(ge=0)] | None = None
    ticket: Ticket | None = None
    magic: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] | None = None
    #: maximum slippage in points for market orders
    deviation: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] = 10
    #: pending-order expiration, epoch ms; 0 = good till cancelled
    expiration_msc: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] = 0


class QueryCommand(_Message, tag="QUERY_COMMAND", frozen=True, kw_only=True):
    """Has this command id been processed, and with what outcome? Never trades."""

    request_id: RequestId
    command_id: CommandId


class GetAccount(_Message, tag="GET_ACCOUNT", frozen=True, kw_only=True):
    request_id: RequestId


class GetPositions(_Message, tag="GET_POSITIONS", frozen=True, kw_only=True):
    request_id: RequestId
    symbol: Symbol | None = None
    magic: Int64 | None = None
    offset: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = DEFAULT_PAGE


class GetOrders(_Message, tag="GET_ORDERS", frozen=True, kw_only=True):
    request_id: RequestId
    symbol: Symbol | None = None
    offset: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = DEFAULT_PAGE


class GetDeals(_Message, tag="GET_DEALS", frozen=True, kw_only=True):
    """Deals with ticket greater than ``afterTicket``, oldest first."""

    request_id: RequestId
    after_ticket: Ticket = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = DEFAULT_PAGE


class GetSymbols(_Message, tag="GET_SYMBOLS", frozen=True, kw_only=True):
    request_id: RequestId
    symbols: Annotated[list[Symbol], msgspec.Meta(max_length=200)]


class Subscribe(_Message, tag="SUBSCRIBE", frozen=True, kw_only=True):
    """Publish ticks for these symbols (replaces the previous set)."""

    request_id: RequestId
    symbols: Annotated[list[Symbol], msgspec.Meta(max_length=200)]


class Ping(_Message, tag="PING", frozen=True, kw_only=True):
    request_id: RequestId


TerminalRequest = (
    Trade
    | QueryCommand
    | GetAccount
    | GetPositions
    | GetOrders
    | GetDeals
    | GetSymbols
    | Subscribe
    | Ping
)

# ---------------------------------------------------------------- replies


class TradeReply(_Message, tag="TRADE_REPLY", frozen=True, kw_only=True):
    request_id: RequestId
    #: the command id had been processed before; ``outcome`` is the original one
    duplicate: bool = False
    outcome: TradeOutcome


class CommandStatusReply(_Message, tag="COMMAND_STATUS", frozen=True, kw_only=True):
    request_id: RequestId
    command_id: CommandId
    known: bool
    outcome: TradeOutcome | None = None


class AccountInfo(_Message, tag="ACCOUNT_INFO", frozen=True, kw_only=True):
    request_id: RequestId
    account: TerminalAccount


class PositionsList(_Message, tag="POSITIONS_LIST", frozen=True, kw_only=True):
    request_id: RequestId
    total: Int64
    positions: list[TerminalPosition]


class OrdersList(_Message, tag="ORDERS_LIST", frozen=True, kw_only=True):
    request_id: RequestId
    total: Int64
    orders: list[TerminalOrder]


class DealsList(_Message, tag="DEALS_LIST", frozen=True, kw_only=True):
    request_id: RequestId
    deals: list[TerminalDeal]
    more: bool = False


class SymbolsInfo(_Message, tag="SYMBOLS_INFO", frozen=True, kw_only=True):
    request_id: RequestId
    symbols: list[SymbolSpec]
    unknown: list[str] = []


class Subscribed(_Message, tag="SUBSCRIBED", frozen=True, kw_only=True):
    request_id: RequestId
    symbols: list[str]
    unknown: list[str] = []


class Pong(_Message, tag="PONG", frozen=True, kw_only=True):
    request_id: RequestId
    health: TerminalHealth


class ErrorReply(_Message, tag="ERROR", frozen=True, kw_only=True):
    """The request could not be understood or served. ``requestId`` is ``"?"`` if unreadable."""

    request_id: str
    #: BAD_REQUEST, UNKNOWN_SYMBOL, UNKNOWN_TICKET, INTERNAL
    code: str
    message: str
    field: str | None = None


TerminalReply = (
    TradeReply
    | CommandStatusReply
    | AccountInfo
    | PositionsList
    | OrdersList
    | DealsList
    | SymbolsInfo
    | Subscribed
    | Pong
    | ErrorReply
)

# ---------------------------------------------------------------- events


class TickEvent(_Message, tag="TICK", frozen=True, kw_only=True):
    instance: str
    seq: Int64
    symbol: Symbol
    bid: float
    ask: float
    last: float = 0.0
    volume: Int64 = 0
    time_msc: Int64


class TradeTransactionEvent(_Message, tag="TRADE_TRANSACTION", frozen=True, kw_only=True):
    """A change on the account: a deal (fill, SL/TP, stop-out, manual) or an order change."""

    instance: str
    seq: Int64
    #: ENUM_TRADE_TRANSACTION_TYPE without prefix: DEAL_ADD, ORDER_ADD, ORDER_DELETE, ...
    kind: str
    symbol: str = ""
    order: Ticket = 0
    position: Ticket = 0
    deal: TerminalDeal | None = None
    time_msc: Int64


class AccountUpdateEvent(_Message, tag="ACCOUNT_UPDATE", frozen=True, kw_only=True):
    instance: str
    seq: Int64
    account: TerminalAccount
    time_msc: Int64


class HeartbeatEvent(_Message, tag="HEARTBEAT", frozen=True, kw_only=True):
    instance: str
    seq: Int64
    health: TerminalHealth


TerminalEvent = TickEvent | TradeTransactionEvent | AccountUpdateEvent | HeartbeatEvent


def event_topic(event: TerminalEvent) -> bytes:
    """The PUB topic frame for an event."""
    if isinstance(event, TickEvent):
        return b"tick." + event.symbol.encode()
    if isinstance(event, TradeTransactionEvent):
        return b"trade." + event.symbol.encode()
    if isinstance(event, AccountUpdateEvent):
        return b"account"
    return b"heartbeat"


decode_request: BoundedDecoder[TerminalRequest] = BoundedDecoder(TerminalRequest, MAX_REQUEST_BYTES)
decode_reply: BoundedDecoder[TerminalReply] = BoundedDecoder(TerminalReply, MAX_REPLY_BYTES)
decode_event: BoundedDecoder[TerminalEvent] = BoundedDecoder(TerminalEvent, MAX_EVENT_BYTES)
