"""The trade command: what a strategy asks an executor to do.

One struct serves the REST API, the brain wire (inside ``TRADE_SIGNAL``) and
the executor's journal, so a command is decoded and validated exactly once
at whichever edge it enters (``docs/protocol.md`` § Trade command).
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

from fx_protocol.codec import INT64_MAX
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import Action, OrderType, ReasonCode

#: MT5 symbol names: letters, digits and the suffix punctuation brokers use
#: ("EURUSD.m", "XAUUSD#", "US30.cash", "BTCUSD-T"). Every pattern of the package ends
#: in ``$(?!\n)``: msgspec matches with ``re.search``, where a bare ``$`` also matches
#: before a final newline ("EURUSD\n" would pass); the lookahead closes that and is
#: still valid ECMA-262, so the JSON Schema export stays portable.
SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._#\-+]{0,31}$(?!\n)"

Symbol = Annotated[str, msgspec.Meta(pattern=SYMBOL_PATTERN, description="MT5 symbol name")]
Volume = Annotated[float, msgspec.Meta(gt=0, le=100_000, description="lots; finite and positive")]
Price = Annotated[float, msgspec.Meta(gt=0, le=1e9, description="price in quote currency")]
Ticket = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1, description="MT5 position/order ticket")]
Magic = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1, description="expert magic number")]


class TradeCommand(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """One trade instruction; which fields are required depends on ``action``."""

    action: Action
    symbol: Symbol | None = None
    type: OrderType | None = None
    volume: Volume | None = None
    price: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    ticket: Ticket | None = None
    magic_number: Magic | None = None
    comment: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    #: pending-order expiration, epoch milliseconds (PLACE_ORDER only)
    expiration: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)] | None = None
    #: maximum slippage for market orders, in points
    deviation: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


# Bound once: validate_command runs on every command, and enum attribute
# lookups cost more than the checks themselves.
_OPEN = Action.OPEN_POSITION
_PLACE = Action.PLACE_ORDER
_MODIFY = Action.MODIFY_POSITION
_BY_TICKET = frozenset({Action.CLOSE_POSITION, Action.MODIFY_POSITION, Action.CANCEL_ORDER})
_FINITE_FIELDS = ("volume", "price", "stop_loss", "take_profit")


def validate_command(command: TradeCommand) -> None:
    """Check what the types alone cannot: which fields each action needs.

    Raises :class:`ProtocolError` with ``INVALID_COMMAND`` and the field path.
    """
    action = command.action
    if action is _OPEN:
        _require(command, "symbol", "type", "volume")
        assert command.type is not None
        if not command.type.is_market:
            _invalid("type", "OPEN_POSITION takes BUY or SELL; use PLACE_ORDER for pending orders")
        if command.ticket is not None:
            _invalid("ticket", "OPEN_POSITION takes no ticket")
    elif action is _PLACE:
        _require(command, "symbol", "type", "volume", "price")
        assert command.type is not None
        if command.type.is_market:
            _invalid("type", "PLACE_ORDER takes a pending type (BUY_LIMIT, SELL_LIMIT, ...)")
    elif action in _BY_TICKET:
        _require(command, "ticket")
        if action is _MODIFY and command.stop_loss is None and (command.take_profit is None):
            _invalid("stopLoss", "MODIFY_POSITION needs stopLoss or takeProfit")
    # CLOSE_ALL: symbol and magicNumber are optional filters.
    for name in _FINITE_FIELDS:
        value = getattr(command, name)
        if value is not None and not math.isfinite(value):
            _invalid(_camel(name), "must be a finite number")
    if (
        command.type is not None
        and command.stop_loss is not None
        and (command.take_profit is not None)
    ):
        sl, tp = command.stop_loss, command.take_profit
        if (command.type.is_buy and sl >= tp) or (not command.type.is_buy and sl <= tp):
            _invalid("stopLoss", "stopLoss is on the wrong side of takeProfit")


def _require(command: TradeCommand, *names: str) -> None:
    for name in names:
        if getattr(command, name) is None:
            _invalid(_camel(name), f"{command.action.value} requires {_camel(name)}")


def _invalid(field: str, message: str) -> None:
    raise ProtocolError(ReasonCode.INVALID_COMMAND, message, field=f"$.command.{field}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
