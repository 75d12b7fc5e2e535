"""Every message of both protocols survives encode → decode unchanged."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fx_protocol.codec import encode
from fx_protocol.commands import TradeCommand, validate_command
from fx_protocol.vocabulary import Action
from tests.fx_protocol.strategies import ALL_MESSAGES, UNIONS, structs, trade_commands


@pytest.mark.parametrize(
    ("direction", "cls"), ALL_MESSAGES, ids=[f"{d}-{c.__name__}" for d, c in ALL_MESSAGES]
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_message_round_trips(direction: str, cls: type[msgspec.Struct], data: Any) -> None:
    """A generated message decodes back to an equal struct of the same class."""
    message = data.draw(structs(cls))
    _, decode = UNIONS[direction]
    decoded = decode(encode(message))
    assert type(decoded) is cls
    assert decoded == message


@pytest.mark.parametrize("direction", list(UNIONS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_input_decodes_like_bytes(direction: str, data: Any) -> None:
    """A str frame (WebSocket text) decodes to the same message as its UTF-8 bytes."""
    _, decode = UNIONS[direction]
    union_cls = data.draw(st.sampled_from([c for d, c in ALL_MESSAGES if d == direction]))
    message = data.draw(structs(union_cls))
    raw = encode(message)
    assert decode(raw.decode("utf-8")) == decode(raw) == message


@pytest.mark.parametrize("action", list(Action))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_commands_are_valid(action: Action, data: Any) -> None:
    """The command strategy covers every action and only yields commands the edge accepts."""
    command = data.draw(trade_commands(action))
    validate_command(command)
    assert msgspec.json.decode(encode(command), type=TradeCommand) == command


def test_every_union_member_is_generated() -> None:
    """Both protocols' unions are covered: 5 directions, every tag present."""
    tags = {(d, c.__struct_config__.tag) for d, c in ALL_MESSAGES}
    assert len(UNIONS) == 5
    assert ("from_brain", "TRADE_SIGNAL") in tags
    assert ("from_executor", "EXECUTION_RESULT") in tags
    assert ("from_executor", "MARKET_UPDATE") in tags
    assert ("terminal_request", "QUERY_COMMAND") in tags
    assert ("terminal_event", "TRADE_TRANSACTION") in tags
    assert len(ALL_MESSAGES) == 8 + 12 + 9 + 10 + 4
