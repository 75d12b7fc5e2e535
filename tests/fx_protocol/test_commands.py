"""validate_command: which fields each action needs, and stop-loss/take-profit sides."""

from __future__ import annotations

from typing import Any

import pytest

from fx_protocol.commands import TradeCommand, validate_command
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import Action, OrderType, ReasonCode

BUY, SELL = OrderType.BUY, OrderType.SELL

VALID: list[dict[str, Any]] = [
    {"action": Action.OPEN_POSITION, "symbol": "EURUSD", "type": BUY, "volume": 0.1},
    {"action": Action.OPEN_POSITION, "symbol": "EURUSD", "type": SELL, "volume": 1.0},
    {
        "action": Action.PLACE_ORDER,
        "symbol": "XAUUSD",
        "type": OrderType.BUY_LIMIT,
        "volume": 0.1,
        "price": 1900.0,
    },
    {
        "action": Action.PLACE_ORDER,
        "symbol": "XAUUSD",
        "type": OrderType.SELL_STOP,
        "volume": 0.1,
        "price": 1900.0,
        "expiration": 1_700_000_000_000,
    },
    {"action": Action.CLOSE_POSITION, "ticket": 5},
    {"action": Action.CLOSE_POSITION, "ticket": 5, "volume": 0.05},
    {"action": Action.MODIFY_POSITION, "ticket": 5, "stop_loss": 1.05},
    {"action": Action.MODIFY_POSITION, "ticket": 5, "take_profit": 1.15},
    {"action": Action.CANCEL_ORDER, "ticket": 9},
    {"action": Action.CLOSE_ALL},
    {"action": Action.CLOSE_ALL, "symbol": "EURUSD", "magic_number": 42},
]


@pytest.mark.parametrize("fields", VALID, ids=lambda f: f["action"].value)
def test_valid_commands_pass(fields: dict[str, Any]) -> None:
    """Each action with exactly its required fields is accepted."""
    validate_command(TradeCommand(**fields))


MISSING = [
    (Action.OPEN_POSITION, {"type": BUY, "volume": 0.1}, "symbol"),
    (Action.OPEN_POSITION, {"symbol": "EURUSD", "volume": 0.1}, "type"),
    (Action.OPEN_POSITION, {"symbol": "EURUSD", "type": BUY}, "volume"),
    (Action.PLACE_ORDER, {"symbol": "X", "type": OrderType.BUY_STOP, "volume": 1.0}, "price"),
    (Action.PLACE_ORDER, {"symbol": "X", "volume": 1.0, "price": 1.0}, "type"),
    (Action.CLOSE_POSITION, {"symbol": "EURUSD"}, "ticket"),
    (Action.MODIFY_POSITION, {"stop_loss": 1.0}, "ticket"),
    (Action.CANCEL_ORDER, {}, "ticket"),
]


@pytest.mark.parametrize(("action", "fields", "missing"), MISSING)
def test_missing_required_field_is_named(
    action: Action, fields: dict[str, Any], missing: str
) -> None:
    """A missing field is INVALID_COMMAND at $.command.<camelCase name>."""
    with pytest.raises(ProtocolError) as caught:
        validate_command(TradeCommand(action=action, **fields))
    assert caught.value.reason is ReasonCode.INVALID_COMMAND
    assert caught.value.field == f"$.command.{missing}"


def test_modify_needs_stop_loss_or_take_profit() -> None:
    """MODIFY_POSITION with neither level has nothing to change."""
    with pytest.raises(ProtocolError) as caught:
        validate_command(TradeCommand(action=Action.MODIFY_POSITION, ticket=3))
    assert caught.value.field == "$.command.stopLoss"


@pytest.mark.parametrize("pending", [t for t in OrderType if not t.is_market])
def test_open_position_refuses_pending_types(pending: OrderType) -> None:
    """Pending types belong to PLACE_ORDER, never to OPEN_POSITION."""
    command = TradeCommand(action=Action.OPEN_POSITION, symbol="EURUSD", type=pending, volume=1.0)
    with pytest.raises(ProtocolError) as caught:
        validate_command(command)
    assert caught.value.field == "$.command.type"


@pytest.mark.parametrize("market", [BUY, SELL])
def test_place_order_refuses_market_types(market: OrderType) -> None:
    """PLACE_ORDER with BUY/SELL would be a market order in disguise."""
    command = TradeCommand(
        action=Action.PLACE_ORDER, symbol="EURUSD", type=market, volume=1.0, price=1.1
    )
    with pytest.raises(ProtocolError) as caught:
        validate_command(command)
    assert caught.value.field == "$.command.type"


def test_open_position_refuses_ticket() -> None:
    """A ticket on OPEN_POSITION suggests the sender meant CLOSE or MODIFY."""
    command = TradeCommand(
        action=Action.OPEN_POSITION, symbol="EURUSD", type=BUY, volume=1.0, ticket=7
    )
    with pytest.raises(ProtocolError) as caught:
        validate_command(command)
    assert caught.value.field == "$.command.ticket"


@pytest.mark.parametrize(
    ("order_type", "stop_loss", "take_profit", "ok"),
    [
        (BUY, 1.05, 1.15, True),
        (BUY, 1.15, 1.05, False),
        (BUY, 1.10, 1.10, False),
        (SELL, 1.15, 1.05, True),
        (SELL, 1.05, 1.15, False),
        (SELL, 1.10, 1.10, False),
        (OrderType.BUY_LIMIT, 1.0, 2.0, True),
        (OrderType.BUY_STOP, 2.0, 1.0, False),
        (OrderType.SELL_LIMIT, 2.0, 1.0, True),
        (OrderType.SELL_STOP, 1.0, 2.0, False),
    ],
)
def test_stop_loss_side(
    order_type: OrderType, stop_loss: float, take_profit: float, ok: bool
) -> None:
    """A buy's stop sits below its target, a sell's above; equal levels are refused."""
    action = Action.OPEN_POSITION if order_type.is_market else Action.PLACE_ORDER
    command = TradeCommand(
        action=action,
        symbol="EURUSD",
        type=order_type,
        volume=0.1,
        price=None if order_type.is_market else 1.1,
        stop_loss=stop_loss,
        take_profit=take_profit,
    )
    if ok:
        validate_command(command)
    else:
        with pytest.raises(ProtocolError) as caught:
            validate_command(command)
        assert caught.value.field == "$.command.stopLoss"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("name", ["volume", "price", "stop_loss", "take_profit"])
def test_non_finite_numbers_refused(name: str, value: float) -> None:
    """A struct built in code (not decoded) with NaN/inf is still caught by validation."""
    fields: dict[str, Any] = {"action": Action.CLOSE_ALL, name: value}
    with pytest.raises(ProtocolError) as caught:
        validate_command(TradeCommand(**fields))
    camel = {"stop_loss": "stopLoss", "take_profit": "takeProfit"}.get(name, name)
    assert caught.value.field == f"$.command.{camel}"


def test_adds_risk_only_for_opening_actions() -> None:
    """Only OPEN_POSITION and PLACE_ORDER can add exposure (REDUCING/HALTED let the rest pass)."""
    assert {a for a in Action if a.adds_risk} == {Action.OPEN_POSITION, Action.PLACE_ORDER}
