"""Hypothesis strategies built from the protocol structs' own type information.

Reading ``msgspec.inspect`` instead of hand-listing fields means a message or
field added to ``fx_protocol`` is generated (and so round-tripped and fuzzed)
without touching the tests. Only ``TradeCommand`` is hand-written, because
``validate_command`` adds cross-field rules the types cannot express.
"""

from __future__ import annotations

import re
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from fx_protocol import brain_wire, terminal_wire
from fx_protocol.codec import BoundedDecoder
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import Action, OrderType

INT64_MAX = 2**63 - 1

#: whole-minute offsets only: RFC 3339 (and so the wire) has no seconds in offsets
_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
    ]
)

aware_datetimes = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 12, 31), timezones=_ZONES
)

#: any text that can travel as UTF-8 (lone surrogates cannot be encoded by anyone)
_TEXT = st.characters(codec="utf-8")

symbols = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._#\-+]{0,11}", fullmatch=True)
prices = st.floats(min_value=1e-5, max_value=1e6, allow_nan=False, allow_infinity=False)
volumes = st.floats(min_value=0.01, max_value=100.0, allow_nan=False, allow_infinity=False)
tickets = st.integers(min_value=1, max_value=INT64_MAX)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def trade_commands(draw: st.DrawFn, action: Action | None = None) -> TradeCommand:
    """A command that ``validate_command`` accepts, for any (or the given) action."""
    action = action if action is not None else draw(st.sampled_from(list(Action)))
    fields: dict[str, Any] = {
        "magic_number": draw(_optional(st.integers(0, INT64_MAX))),
        "comment": draw(_optional(st.text(_TEXT, max_size=64))),
        "deviation": draw(_optional(st.integers(0, 100_000))),
    }
    order_type: OrderType | None = None
    if action is Action.OPEN_POSITION:
        order_type = draw(st.sampled_from([OrderType.BUY, OrderType.SELL]))
        fields.update(symbol=draw(symbols), volume=draw(volumes), price=draw(_optional(prices)))
    elif action is Action.PLACE_ORDER:
        order_type = draw(st.sampled_from([t for t in OrderType if not t.is_market]))
        fields.update(
            symbol=draw(symbols),
            volume=draw(volumes),
            price=draw(prices),
            expiration=draw(_optional(st.integers(0, 2**48))),
        )
    elif action is Action.CLOSE_POSITION:
        fields.update(ticket=draw(tickets), volume=draw(_optional(volumes)))
    elif action is Action.MODIFY_POSITION or action is Action.CANCEL_ORDER:
        fields.update(ticket=draw(tickets))
    else:  # CLOSE_ALL: optional filters
        fields.update(symbol=draw(_optional(symbols)))
    stop_loss, take_profit = draw(_optional(prices)), draw(_optional(prices))
    if action is Action.MODIFY_POSITION and stop_loss is None and take_profit is None:
        stop_loss = draw(prices)
    if stop_loss is not None and take_profit is not None:
        if stop_loss == take_profit:
            take_profit = stop_loss * 2
        low, high = sorted((stop_loss, take_profit))
        # A buy keeps its stop below its target, a sell above.
        buy = order_type is None or order_type.is_buy
        stop_loss, take_profit = (low, high) if buy else (high, low)
    return TradeCommand(
        action=action,
        type=order_type,
        stop_loss=stop_loss,
        take_profit=take_profit,
        **fields,
    )


def _strip_anchors(pattern: str) -> str:
    # Generated strings are matched in full; the anchors and the newline guard
    # (see fx_protocol.commands.SYMBOL_PATTERN) are not part of the alphabet.
    return re.sub(r"\$\(\?!\\n\)$", "", pattern.removeprefix("^"))


def _floats(t: mi.FloatType) -> st.SearchStrategy[float]:
    low = t.gt if t.gt is not None else t.ge
    high = t.lt if t.lt is not None else t.le
    return st.floats(
        min_value=low if low is not None else -1e12,
        max_value=high if high is not None else 1e12,
        exclude_min=t.gt is not None,
        exclude_max=t.lt is not None,
        allow_nan=False,
        allow_infinity=False,
    )


def _ints(t: mi.IntType) -> st.SearchStrategy[int]:
    low = t.gt + 1 if t.gt is not None else t.ge
    high = t.lt - 1 if t.lt is not None else t.le
    return st.integers(
        min_value=low if low is not None else -INT64_MAX,
        max_value=high if high is not None else INT64_MAX,
    )


def _strings(t: mi.StrType) -> st.SearchStrategy[str]:
    if t.pattern is not None:
        strategy = st.from_regex(_strip_anchors(t.pattern), fullmatch=True)
        return strategy.filter(lambda s: re.search(t.pattern or "", s) is not None)
    return st.text(_TEXT, min_size=t.min_length or 0, max_size=min(t.max_length or 40, 40))


def from_type(t: mi.Type) -> st.SearchStrategy[Any]:
    """A strategy for values of one ``msgspec.inspect`` type."""
    if isinstance(t, mi.Metadata):
        return from_type(t.type)
    if isinstance(t, mi.StructType):
        return structs(t.cls)
    if isinstance(t, mi.UnionType):
        return st.one_of([from_type(member) for member in t.types])
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.IntType):
        return _ints(t)
    if isinstance(t, mi.FloatType):
        return _floats(t)
    if isinstance(t, mi.StrType):
        return _strings(t)
    if isinstance(t, mi.DateTimeType):
        return aware_datetimes
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(list(t.values))
    if isinstance(t, mi.ListType):
        return st.lists(
            from_type(t.item_type),
            min_size=t.min_length or 0,
            max_size=min(t.max_length if t.max_length is not None else 3, 3),
        )
    raise TypeError(f"no strategy for {t!r}: extend tests/fx_protocol/strategies.py")


def structs(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    """Instances of a protocol struct, each optional field sometimes left at its default."""
    if cls is TradeCommand:
        return trade_commands()
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    required = {f.name: from_type(f.type) for f in info.fields if f.required}
    optional = {f.name: from_type(f.type) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


def union_members(union: Any) -> list[type[msgspec.Struct]]:
    """The struct classes of a tagged union such as ``brain_wire.BrainToExecutor``."""
    return list(typing.get_args(union))


UNIONS: dict[str, tuple[Any, BoundedDecoder[Any]]] = {
    "from_brain": (brain_wire.BrainToExecutor, brain_wire.decode_from_brain),
    "from_executor": (brain_wire.ExecutorToBrain, brain_wire.decode_from_executor),
    "terminal_request": (terminal_wire.TerminalRequest, terminal_wire.decode_request),
    "terminal_reply": (terminal_wire.TerminalReply, terminal_wire.decode_reply),
    "terminal_event": (terminal_wire.TerminalEvent, terminal_wire.decode_event),
}
"""Each wire direction: its union of messages and the decoder for it."""

#: (direction, message class) for every message of both protocols
ALL_MESSAGES = [
    (direction, cls) for direction, (union, _) in UNIONS.items() for cls in union_members(union)
]


def messages(direction: str) -> st.SearchStrategy[Any]:
    """Any message of one wire direction."""
    union, _ = UNIONS[direction]
    return st.one_of([structs(cls) for cls in union_members(union)])
