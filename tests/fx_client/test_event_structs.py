"""fx_protocol.strategy_events: events round-trip and decode failures are ProtocolError."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import msgspec
import pytest

from fx_protocol.brain_wire import Account, FillReport, encode
from fx_protocol.errors import ProtocolError
from fx_protocol.strategy_events import (
    AccountEvent,
    CommandStatusEvent,
    ExecutorStatusEvent,
    FillEvent,
    PositionsEvent,
    StrategyEvent,
    StreamReady,
    TickEvent,
    decode_event,
)
from fx_protocol.vocabulary import CommandStatus

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
EXAMPLES = [
    StreamReady(timestamp=NOW),
    CommandStatusEvent(
        command_id="c1", executor_id="ex-1", status=CommandStatus.SENT, timestamp=NOW
    ),
    FillEvent(
        executor_id="ex-1",
        fill=FillReport(
            deal=1,
            order=2,
            position_id=3,
            symbol="EURUSD",
            side="BUY",
            entry="IN",
            volume=0.1,
            price=1.1,
            reason="TP",
            time=NOW,
        ),
        timestamp=NOW,
    ),
    ExecutorStatusEvent(executor_id="ex-1", online=False, timestamp=NOW),
    TickEvent(executor_id="ex-1", symbol="EURUSD", bid=1.1, ask=1.1002, spread=2, timestamp=NOW),
    AccountEvent(
        executor_id="ex-1", account=Account(currency="USD", balance=1, equity=1), timestamp=NOW
    ),
    PositionsEvent(executor_id="ex-1", positions=[], timestamp=NOW),
]


def test_every_event_type_has_an_example() -> None:
    """The examples cover the whole StrategyEvent union."""
    assert {type(e) for e in EXAMPLES} == set(typing.get_args(StrategyEvent))


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip(event: msgspec.Struct) -> None:
    """Each event decodes back to itself, with a camelCase `type` tag."""
    data = encode(event)
    assert b'"type":"' in data
    assert decode_event(data) == event


def test_bad_frames_raise_protocol_error() -> None:
    """Garbage and unknown event types raise ProtocolError only."""
    for frame in (b"nope", b'{"type":"WHAT"}', b'{"type":"TICK","symbol":1}'):
        with pytest.raises(ProtocolError):
            decode_event(frame)
