"""Bad input at any wire edge ends in ProtocolError with a reason code and a field path."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fx_protocol import brain_wire, terminal_wire
from fx_protocol.codec import encode
from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import ReasonCode
from tests.fx_protocol.strategies import UNIONS, messages

DIRECTIONS = list(UNIONS)

SIGNAL: dict[str, Any] = {
    "type": "TRADE_SIGNAL",
    "timestamp": "2024-01-01T00:00:00Z",
    "commandId": "c01HGW3Q8XJ9ZK2M4N6P8R0T2V4",
    "seq": 7,
    "command": {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1},
}
TRADE: dict[str, Any] = {
    "type": "TRADE",
    "requestId": "r-1",
    "commandId": "c01HGW3Q8XJ9ZK2M4N6P8R0T2V4",
    "action": "OPEN_POSITION",
    "symbol": "EURUSD",
    "orderType": "BUY",
    "volume": 0.1,
}

#: values that are wrong for most fields: other JSON types, huge, negative, empty
ODD_VALUES: list[Any] = [
    None,
    True,
    "",
    "x" * 300,
    "EUR USD",
    -1,
    -0.5,
    0,
    10**30,
    -(10**30),
    1.7e308,
    [],
    [1, 2],
    {},
    {"a": 1},
]
#: tokens JSON does not allow but sloppy encoders emit
BAD_TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "0x10", "01", "1.", "+1"]


def _assert_closed(decode: Callable[[bytes | str], Any], data: bytes | str) -> None:
    """Decoding either succeeds or raises a well-formed ProtocolError: nothing else escapes."""
    error: ProtocolError | None = None
    try:
        decode(data)
    except ProtocolError as exc:
        error = exc
    if error is not None:
        assert isinstance(error.reason, ReasonCode)
        assert error.message
        if error.field is None:
            # Only input without structure to point into has no field.
            assert error.reason is ReasonCode.MESSAGE_TOO_LARGE or error.message.startswith(
                ("malformed JSON", "text is not valid UTF-8")
            ), error
        else:
            assert error.field.startswith("$")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside a decoded JSON value."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(item, (*prefix, index)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@st.composite
def mutated_frames(draw: st.DrawFn, direction: str) -> bytes:
    """A valid frame of one direction, damaged in one of many ways."""
    raw = encode(draw(messages(direction)))
    kind = draw(
        st.sampled_from(["flip", "truncate", "delete", "replace", "token", "insert", "splice"])
    )
    if kind == "flip":
        index = draw(st.integers(0, len(raw) - 1))
        return raw[:index] + bytes([raw[index] ^ draw(st.integers(1, 255))]) + raw[index + 1 :]
    if kind == "truncate":
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if kind == "splice":
        index = draw(st.integers(0, len(raw)))
        return raw[:index] + draw(st.binary(min_size=1, max_size=8)) + raw[index:]
    document = msgspec.json.decode(raw)
    path = draw(st.sampled_from(_paths(document)))
    parent = _parent(document, path)
    if kind == "delete":
        del parent[path[-1]]
        return msgspec.json.encode(document)
    if kind == "replace":
        parent[path[-1]] = draw(st.sampled_from(ODD_VALUES))
        return msgspec.json.encode(document)
    if kind == "insert" and isinstance(parent, dict):
        parent[draw(st.text(max_size=8))] = draw(st.sampled_from(ODD_VALUES))
        return msgspec.json.encode(document)
    # Raw tokens cannot be built through an encoder: splice them into the text.
    marker = "__BAD_TOKEN__"
    parent[path[-1]] = marker
    text = msgspec.json.encode(document).replace(
        f'"{marker}"'.encode(), draw(st.sampled_from(BAD_TOKENS)).encode()
    )
    return text


@pytest.mark.parametrize("direction", DIRECTIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_random_bytes_raise_only_protocol_error(direction: str, data: bytes) -> None:
    """Arbitrary bytes never escape the decoder as anything but ProtocolError."""
    _, decode = UNIONS[direction]
    _assert_closed(decode, data)


@pytest.mark.parametrize("direction", DIRECTIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.text(max_size=300))
def test_random_text_raises_only_protocol_error(direction: str, data: str) -> None:
    """Arbitrary str input, lone surrogates included, never escapes as anything else."""
    _, decode = UNIONS[direction]
    _assert_closed(decode, data)


@pytest.mark.parametrize("direction", DIRECTIONS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_messages_raise_only_protocol_error(direction: str, data: Any) -> None:
    """Flipped bytes, truncation, deleted or retyped fields and bad tokens stay closed."""
    _, decode = UNIONS[direction]
    _assert_closed(decode, data.draw(mutated_frames(direction)))


@pytest.mark.parametrize("direction", DIRECTIONS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_deleted_required_field_is_named(direction: str, data: Any) -> None:
    """Removing a required top-level field yields INVALID_COMMAND naming exactly that field."""
    message = data.draw(messages(direction))
    info = msgspec.inspect.type_info(type(message))
    assert isinstance(info, msgspec.inspect.StructType)
    required = [f.encode_name for f in info.fields if f.required]
    if not required:
        return
    name = data.draw(st.sampled_from(required))
    document = msgspec.json.decode(encode(message))
    del document[name]
    _, decode = UNIONS[direction]
    with pytest.raises(ProtocolError) as caught:
        decode(msgspec.json.encode(document))
    assert caught.value.reason is ReasonCode.INVALID_COMMAND
    assert caught.value.field == f"$.{name}"


def _signal(**command: Any) -> bytes:
    return msgspec.json.encode({**SIGNAL, "command": {**SIGNAL["command"], **command}})


def _signal_with(key: str, value: Any) -> bytes:
    return msgspec.json.encode({**SIGNAL, key: value})


def test_valid_signal_decodes() -> None:
    """The baseline frame of the table below is itself valid."""
    message = brain_wire.decode_from_brain(_signal())
    assert isinstance(message, brain_wire.TradeSignal)
    assert message.command.volume == 0.1


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        (_signal(volume=-0.1), "$.command.volume"),
        (_signal(volume=0), "$.command.volume"),
        (_signal(volume=10**30), "$.command.volume"),
        (_signal(volume="0.1"), "$.command.volume"),
        (_signal(volume=None), "$.command.volume"),
        (_signal(symbol="EUR USD"), "$.command.symbol"),
        (_signal(symbol="EURUSD\n"), "$.command.symbol"),
        (_signal(symbol=""), "$.command.symbol"),
        (_signal(symbol="X" * 40), "$.command.symbol"),
        (_signal(symbol="../etc"), "$.command.symbol"),
        (_signal(action="OPEN_POSITIONS"), "$.command.action"),
        (_signal(action="open_position"), "$.command.action"),
        (_signal(type="BUY_MARKET"), "$.command.type"),
        (_signal(stopLoss=-1), "$.command.stopLoss"),
        (_signal(ticket=0), "$.command.ticket"),
        (_signal(magicNumber=-1), "$.command.magicNumber"),
        (_signal(comment="x" * 65), "$.command.comment"),
        (_signal_with("seq", -1), "$.seq"),
        (_signal_with("seq", "7"), "$.seq"),
        (_signal_with("seq", 2**64), "$.seq"),
        (_signal_with("commandId", "c" * 32), "$.commandId"),
        (_signal_with("commandId", "c 1"), "$.commandId"),
        (_signal_with("timestamp", "yesterday"), "$.timestamp"),
        (_signal_with("timestamp", "2024-01-01T00:00:00"), "$.timestamp"),
        (_signal_with("expiresAt", "2024-01-01T00:00:05"), "$.expiresAt"),
        (_signal_with("priority", "URGENT"), "$.priority"),
        (_signal_with("expiry", -5), "$.expiry"),
        (_signal_with("command", []), "$.command"),
        (_signal_with("type", "TRADE_SIGNALS"), "$.type"),
        (b"[]", "$"),
        (b"{}", "$.type"),
        (b'{"type":"ACK"}', "$.seq"),
    ],
)
def test_validation_errors_name_the_field(frame: bytes, field: str) -> None:
    """Each wrong value is refused with INVALID_COMMAND and the JSON path of the culprit."""
    with pytest.raises(ProtocolError) as caught:
        brain_wire.decode_from_brain(frame)
    assert caught.value.reason is ReasonCode.INVALID_COMMAND
    assert caught.value.field == field


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "nan"])
def test_nan_and_infinity_tokens_are_refused(token: str) -> None:
    """Non-JSON number tokens for volume never decode into a float."""
    frame = _signal(volume="__V__").replace(b'"__V__"', token.encode())
    with pytest.raises(ProtocolError) as caught:
        brain_wire.decode_from_brain(frame)
    assert caught.value.reason is ReasonCode.INVALID_COMMAND


def test_overflowing_number_is_refused_with_field() -> None:
    """1e999 parses to infinity in some parsers; here it is refused and located."""
    frame = _signal(volume="__V__").replace(b'"__V__"', b"1e999")
    with pytest.raises(ProtocolError) as caught:
        brain_wire.decode_from_brain(frame)
    assert caught.value.field == "$.command.volume"


@pytest.mark.parametrize(
    ("decode", "limit"),
    [
        (brain_wire.decode_from_brain, brain_wire.MAX_MESSAGE_BYTES),
        (brain_wire.decode_from_executor, brain_wire.MAX_MESSAGE_BYTES),
        (terminal_wire.decode_request, terminal_wire.MAX_REQUEST_BYTES),
        (terminal_wire.decode_reply, terminal_wire.MAX_REPLY_BYTES),
        (terminal_wire.decode_event, terminal_wire.MAX_EVENT_BYTES),
    ],
)
def test_oversize_frame_is_refused_before_parsing(
    decode: Callable[[bytes | str], Any], limit: int
) -> None:
    """One byte over the limit is MESSAGE_TOO_LARGE, even when it is otherwise valid JSON."""
    frame = b'{"type":"PING","requestId":"r","pad":"' + b"x" * limit + b'"}'
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.reason is ReasonCode.MESSAGE_TOO_LARGE
    assert caught.value.field is None


def test_lone_surrogate_text_is_refused() -> None:
    """A str that cannot be UTF-8 encoded is a ProtocolError, not UnicodeEncodeError."""
    with pytest.raises(ProtocolError):
        brain_wire.decode_from_brain('{"type":"ACK","seq":\ud800}')


def test_not_json_is_malformed_without_field() -> None:
    """Garbage is INVALID_COMMAND with no field: there is no structure to point into."""
    with pytest.raises(ProtocolError) as caught:
        terminal_wire.decode_request(b"\x00\xffnot json")
    assert caught.value.reason is ReasonCode.INVALID_COMMAND
    assert caught.value.field is None
    assert re.search("malformed", caught.value.message)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": -1}, "$.volume"),
        ({"action": "BUY"}, "$.action"),
        ({"symbol": "EURUSD;DROP"}, "$.symbol"),
        ({"orderType": "MARKET"}, "$.orderType"),
        ({"requestId": ""}, "$.requestId"),
        ({"commandId": "x" * 32}, "$.commandId"),
        ({"deviation": -3}, "$.deviation"),
    ],
)
def test_terminal_trade_errors_name_the_field(change: dict[str, Any], field: str) -> None:
    """The EA-side request decoder locates bad fields the same way."""
    with pytest.raises(ProtocolError) as caught:
        terminal_wire.decode_request(msgspec.json.encode({**TRADE, **change}))
    assert caught.value.field == field


def test_protocol_error_repr_names_reason_and_field() -> None:
    """The repr carries what a log line needs: reason, message, field."""
    error = ProtocolError(ReasonCode.INVALID_COMMAND, "bad", field="$.seq")
    assert repr(error) == "ProtocolError(INVALID_COMMAND, 'bad', field='$.seq')"
    assert str(error) == "bad"


@pytest.mark.parametrize(
    ("decode", "frame", "field"),
    [
        (
            brain_wire.decode_from_executor,
            b'{"type":"MARKET_UPDATE","timestamp":"2024-01-01T00:00:00Z",'
            b'"data":{"symbol":"EURUSD","bid":1.1,"ask":1.2,"spread":1000000000000000000000}}',
            "$.data.spread",
        ),
        (
            brain_wire.decode_from_executor,
            b'{"type":"FILL","timestamp":"2024-01-01T00:00:00Z","seq":1,"fill":{"deal":'
            b'9223372036854775808,"order":1,"positionId":1,"symbol":"EURUSD","side":"BUY",'
            b'"entry":"IN","volume":1,"price":1,"reason":"EXPERT","time":"2024-01-01T00:00:00Z"}}',
            "$.fill.deal",
        ),
        (
            terminal_wire.decode_event,
            b'{"type":"TICK","instance":"a","seq":-9223372036854775809,"symbol":"EURUSD",'
            b'"bid":1,"ask":1,"timeMsc":0}',
            "$.seq",
        ),
    ],
)
def test_integers_beyond_64_bits_are_refused(
    decode: Callable[[bytes | str], Any], frame: bytes, field: str
) -> None:
    """An integer that no SQLite column or MQL5 long can hold is refused at the edge."""
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.field == field
