"""The EA's pure MQL5 code, compiled with g++ through a thin shim, run against fx_protocol.

Json.mqh, RequestFields.mqh, Outcome.mqh, Replies.mqh, CommandLedger.mqh and
Retcodes.mqh hold the EA's request decoding, reply writing, idempotency
record and retcode table; none of them calls MetaTrader. Converted to C++
(``tests/mql5/mql_cpp.py``) they run here, so their behaviour is checked
differentially against ``fx_protocol``'s own decoder and structs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fx_protocol.errors import ProtocolError
from fx_protocol.retcodes import RETCODE_CLASS, Retcode, retcode_name
from fx_protocol.terminal_wire import (
    ErrorReply,
    GetDeals,
    GetOrders,
    GetPositions,
    GetSymbols,
    QueryCommand,
    Subscribe,
    TerminalRequest,
    Trade,
    TradeOutcome,
    decode_reply,
    decode_request,
)

_CLASS_NUMBER = {"SUCCESS": 0, "RETRYABLE": 1, "FINAL": 2}
_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Driver:
    """The compiled EA code behind a pipe: one command line in, one hex line out."""

    def __init__(self, binary: Path, files_dir: Path) -> None:
        env = dict(os.environ, FX_MQL5_FILES=str(files_dir))
        self.process = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
        )

    def call(self, command: str, payload: bytes | str = b"") -> str:
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{command} {data.hex()}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the driver died on {command} {data[:200]!r}"
        return bytes.fromhex(line.strip()).decode("utf-8")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def kill(self) -> None:
        """Stop without any chance to clean up, like a terminal crash."""
        self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="session")
def driver(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    d = Driver(binary, tmp_path_factory.mktemp("mql5-files"))
    yield d
    d.close()


# ---------------------------------------------------------------- generated messages


def _value(t: mi.Type) -> st.SearchStrategy[Any]:
    """Values of one msgspec type, within the bounds the type declares."""
    if isinstance(t, mi.Metadata):
        return _value(t.type)
    if isinstance(t, mi.UnionType):
        return st.one_of([_value(member) for member in t.types])
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.IntType):
        low = t.gt + 1 if t.gt is not None else t.ge
        high = t.lt - 1 if t.lt is not None else t.le
        return st.integers(
            -(2**63) if low is None else low, 2**63 - 1 if high is None else min(high, 2**63 - 1)
        )
    if isinstance(t, mi.FloatType):
        bottom = t.gt if t.gt is not None else t.ge
        top = t.lt if t.lt is not None else t.le
        return st.floats(
            min_value=-1e12 if bottom is None else float(bottom),
            max_value=1e12 if top is None else min(float(top), 1e12),
            exclude_min=t.gt is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(t, mi.StrType):
        if t.pattern is not None:
            pattern = t.pattern
            return st.from_regex(pattern.removesuffix("$(?!\\n)").removeprefix("^"), fullmatch=True)
        return st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(list(t.values))
    if isinstance(t, mi.ListType):
        return st.lists(_value(t.item_type), max_size=3)
    if isinstance(t, mi.StructType):
        return _struct(t.cls)
    raise TypeError(f"no strategy for {t!r}")


def _struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    required = {f.name: _value(f.type) for f in info.fields if f.required}
    optional = {f.name: _value(f.type) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


#: every request of the protocol, generated from the structs themselves
requests = st.one_of([_struct(cls) for cls in TerminalRequest.__args__])


# ---------------------------------------------------------------- requests


def _expected_summary(request: Any) -> dict[str, Any]:
    """What the EA's readers should have decoded from a valid request."""
    summary: dict[str, Any] = {"type": type(request).__struct_config__.tag}
    summary["requestId"] = request.request_id
    if isinstance(request, Trade):
        summary.update(
            commandId=request.command_id,
            action=request.action.value,
            symbol=request.symbol or "",
            orderType=request.order_type or "",
            volume=request.volume or 0.0,
            price=request.price or 0.0,
            deviation=request.deviation,
            expirationMsc=request.expiration_msc,
        )
        for key, value in (
            ("sl", request.sl),
            ("tp", request.tp),
            ("ticket", request.ticket),
            ("magic", request.magic),
        ):
            if value is not None:
                summary[key] = value
    elif isinstance(request, QueryCommand):
        summary["commandId"] = request.command_id
    elif isinstance(request, GetPositions | GetOrders):
        summary.update(symbol=request.symbol or "", offset=request.offset, limit=request.limit)
        if isinstance(request, GetPositions) and request.magic is not None:
            summary["magic"] = request.magic
    elif isinstance(request, GetDeals):
        summary.update(afterTicket=request.after_ticket, limit=request.limit)
    elif isinstance(request, GetSymbols | Subscribe):
        summary["symbols"] = list(request.symbols)
    return summary


@_SETTINGS
@given(request=requests)
def test_valid_requests_decode_to_the_same_values(driver: Driver, request: Any) -> None:
    """Every request fx_protocol encodes is accepted by the EA with the same field values."""
    answer = json.loads(driver.call("request", msgspec.json.encode(request)))
    assert answer.get("type") != "ERROR", answer
    assert answer == _expected_summary(request)


def _salvaged_id(data: Any) -> str:
    if isinstance(data, dict):
        value = data.get("requestId")
        if isinstance(value, str) and 0 < len(value) <= 40:
            return value
    return "?"


_BAD_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, "", "x y", "EURUSD\n", -1, 0, 1.5, -0.5, 10**19, 2**63, True, [], {}, "ä" * 41, 1e6]
)


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[dict[str, Any], bytes]:
    """A valid request with one field dropped, replaced or added."""
    request = draw(requests)
    data: dict[str, Any] = msgspec.to_builtins(request)
    key = draw(st.sampled_from([*data, "type", "requestId", "unknownField"]))
    how = draw(st.sampled_from(["drop", "replace"]))
    if how == "drop":
        data.pop(key, None)
    else:
        data[key] = draw(_BAD_VALUES)
    return data, msgspec.json.encode(data)


@_SETTINGS
@given(case=mutated_requests())
def test_invalid_requests_are_refused_like_fx_protocol(
    driver: Driver, case: tuple[dict[str, Any], bytes]
) -> None:
    """The EA refuses exactly what fx_protocol refuses, answering under the same requestId."""
    data, raw = case
    try:
        request = decode_request(raw)
    except ProtocolError as exc:
        python_error: ProtocolError | None = exc
    else:
        python_error = None
    answer_text = driver.call("request", raw)
    answer = json.loads(answer_text)
    if python_error is None:
        assert answer == _expected_summary(request)
        return
    assert answer["type"] == "ERROR", (data, python_error)
    reply = decode_reply(answer_text)
    assert isinstance(reply, ErrorReply)
    assert reply.code == "BAD_REQUEST"
    assert reply.request_id == _salvaged_id(data)
    assert reply.field == python_error.field, (data, python_error.message, reply.message)


@pytest.mark.parametrize(
    ("payload", "request_id", "field"),
    [
        (b"not json at all", "?", None),
        (b"\xff\xfe\x00", "?", None),
        (b"[1, 2, 3]", "?", "$"),
        (b'{"type": "NO_SUCH_TYPE", "requestId": "bad-1"}', "bad-1", "$.type"),
        (b'{"type": "PING"}', "?", "$.requestId"),
        (b'{"type": "GET_POSITIONS", "requestId": "bad-2", "limit": 0}', "bad-2", "$.limit"),
        (
            b'{"type":"TRADE","requestId":"bad-3","commandId":"x","action":"FLY"}',
            "bad-3",
            "$.action",
        ),
        (
            b'{"type":"TRADE","requestId":"bad-4","commandId":"has space","action":"CLOSE_ALL"}',
            "bad-4",
            "$.commandId",
        ),
        (
            b'{"type":"GET_SYMBOLS","requestId":"b5","symbols":["EURUSD","bad sym"]}',
            "b5",
            "$.symbols[1]",
        ),
        (b'{"type":"PING","requestId":"' + b"x" * 41 + b'"}', "?", "$.requestId"),
        (b'{"type":"TRADE","requestId":"e1","commandId":"c","action":""}', "e1", "$.action"),
        (
            b'{"type":"TRADE","requestId":"e2","commandId":"c","action":"CLOSE_ALL","orderType":""}',
            "e2",
            "$.orderType",
        ),
        (b'{"type":"PING","requestId":"ok"} trailing', "?", None),
        (b"[" * 40 + b"]" * 40, "?", None),
    ],
)
def test_conformance_bad_requests(
    driver: Driver, payload: bytes, request_id: str, field: str | None
) -> None:
    """The conformance suite's malformed requests get BAD_REQUEST with the right id and field."""
    text = driver.call("request", payload)
    reply = decode_reply(text)
    assert isinstance(reply, ErrorReply)
    assert (reply.code, reply.request_id, reply.field) == ("BAD_REQUEST", request_id, field)


def test_a_ticket_at_the_64_bit_limit_survives(driver: Driver) -> None:
    """2^63-1 decodes exactly (no trip through a double), 2^63 is refused."""
    base = '{"type":"TRADE","requestId":"t","commandId":"c","action":"CANCEL_ORDER","ticket":'
    assert json.loads(driver.call("request", base + "9223372036854775807}"))["ticket"] == 2**63 - 1
    assert json.loads(driver.call("request", base + "9223372036854775808}"))["field"] == "$.ticket"


# ---------------------------------------------------------------- JSON text


def _expected_text(units: list[int]) -> str:
    """What a UTF-16 unit sequence means, lone surrogates read as U+FFFD."""
    out, i = [], 0
    while i < len(units):
        u = units[i]
        if 0xD800 <= u <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF:
            out.append(chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if 0xD800 <= u <= 0xDFFF else chr(u))
        i += 1
    return "".join(out)


@_SETTINGS
@given(units=st.lists(st.integers(1, 0xFFFF), max_size=40))
def test_quoted_strings_are_ascii_json(driver: Driver, units: list[int]) -> None:
    """JsonQuote writes pure ASCII JSON that reads back as the text (lone surrogates as U+FFFD)."""
    raw = b"".join(u.to_bytes(2, "little") for u in units)
    quoted = driver.call("quote16", raw)
    assert quoted.isascii()
    assert json.loads(quoted) == _expected_text(units)


@_SETTINGS
@given(
    value=st.floats(min_value=-1e15, max_value=1e15)
    | st.sampled_from([float("nan"), float("inf"), -0.0]),
    digits=st.integers(0, 12),
)
def test_numbers_are_plain_json_decimals(driver: Driver, value: float, digits: int) -> None:
    """JsonNumberText: a JSON number, no exponent, rounded to digits; NaN/inf become 0."""
    text = driver.call("number", f"{value!r}\t{digits}")
    parsed = json.loads(text)
    assert "e" not in text.lower()
    assert text != "-0"
    if value != value or value in (float("inf"), float("-inf")):
        assert parsed == 0
    else:
        assert parsed == pytest.approx(round(value, digits), abs=10.0**-digits, rel=1e-12)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@_SETTINGS
@given(value=_JSON_VALUES)
def test_parser_accepts_any_json(driver: Driver, value: Any) -> None:
    """Whatever Python's json writes (within the EA's depth and size limits) parses."""
    expected = "OK" if _depth(value) <= 16 else "ERR"
    assert driver.call("parse", json.dumps(value)).startswith(expected)


@_SETTINGS
@given(
    data=st.binary(max_size=60) | st.text(alphabet='{}[]":,0123456789.eE+-tfnrul \\x', max_size=40)
)
def test_parser_agrees_with_json_on_arbitrary_input(driver: Driver, data: bytes | str) -> None:
    """On arbitrary input the EA's parser accepts exactly what a strict JSON parser accepts."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_no_constants)
        # the EA refuses NUL in strings and values nested deeper than JSON_MAX_DEPTH (16)
        valid = "\\u0000" not in text and "\x00" not in text and _depth(value) <= 16
    except (UnicodeDecodeError, ValueError):
        valid = False
    answer = driver.call("parse", raw)
    if isinstance(data, bytes) and not valid:
        # invalid UTF-8 is read as U+FFFD by the terminal, which may still be valid JSON text
        assert answer.startswith(("OK", "ERR"))
        return
    assert answer.startswith("OK") == valid, (raw, answer)


def _no_constants(name: str) -> None:
    raise ValueError(name)


def _depth(value: Any, level: int = 0) -> int:
    """The deepest level of any value, the document itself being level 0."""
    if isinstance(value, list):
        return max([level, *(_depth(item, level + 1) for item in value)])
    if isinstance(value, dict):
        return max([level, *(_depth(item, level + 1) for item in value.values())])
    return level


def test_parser_limits_depth(driver: Driver) -> None:
    """Nesting beyond the limit is refused, not recursed into."""
    assert driver.call("parse", "[" * 17 + "]" * 17) == "OK"
    assert driver.call("parse", "[" * 17 + "1" + "]" * 17).startswith("ERR")
    assert driver.call("parse", "[" * 5000 + "]" * 5000).startswith("ERR")


# ---------------------------------------------------------------- outcomes and replies


@_SETTINGS
@given(
    outcome=_struct(TradeOutcome),
    retcode=st.sampled_from([int(c) for c in Retcode]) | st.integers(0, 2**32 - 1),
)
def test_outcome_json_is_a_valid_trade_outcome(
    driver: Driver, outcome: TradeOutcome, retcode: int
) -> None:
    """OutcomeJson writes a TradeOutcome fx_protocol decodes, with its retcode's name and class."""
    # MQL5 strings cannot hold NUL: no terminal value ever carries one
    outcome = msgspec.structs.replace(
        outcome,
        retcode=retcode,
        message=outcome.message.replace("\x00", ""),
        time_msc=abs(outcome.time_msc) % 2**62,
    )
    spec = msgspec.to_builtins(outcome)
    spec.setdefault("closed", [])
    for key in ("order", "deal", "position", "volume", "price", "bid", "ask", "message"):
        spec.setdefault(key, 0 if key != "message" else "")
    for item in spec["closed"]:
        item["retcode"] = item["retcode"] % 2**32
        for key in ("deal", "volume", "price"):
            item.setdefault(key, 0)
    text = driver.call("outcome", json.dumps(spec))
    assert not text.startswith("ERR"), (text, spec)
    assert text.isascii()
    decoded = msgspec.json.decode(text, type=TradeOutcome)
    assert decoded.command_id == outcome.command_id
    assert decoded.retcode == retcode
    assert decoded.retcode_name == retcode_name(retcode)
    assert decoded.success == (retcode in (10008, 10009, 10010, 10025))
    assert (decoded.order, decoded.deal, decoded.position) == (
        spec["order"],
        spec["deal"],
        spec["position"],
    )
    assert decoded.message == spec["message"]
    assert decoded.time_msc == outcome.time_msc
    assert decoded.volume == pytest.approx(spec["volume"], abs=1e-8)
    assert decoded.price == pytest.approx(spec["price"], abs=1e-8)
    assert [c.ticket for c in decoded.closed] == [c["ticket"] for c in spec["closed"]]


_NO_NUL_OR_TAB = st.characters(codec="utf-8", exclude_characters="\x00\t")


@_SETTINGS
@given(
    request_id=st.text(_NO_NUL_OR_TAB, max_size=40),
    message=st.text(_NO_NUL_OR_TAB, max_size=80),
    field=st.sampled_from(["", "$.volume", "$.symbols[3]"]),
)
def test_error_replies_decode(driver: Driver, request_id: str, message: str, field: str) -> None:
    """WriteErrorReply produces an ErrorReply with the same text, field omitted when empty."""
    payload = f"{request_id}\t{message}\t{field}"
    reply = decode_reply(driver.call("error_reply", payload))
    assert isinstance(reply, ErrorReply)
    assert (reply.request_id, reply.message) == (request_id, message)
    assert reply.field == (field or None)


def test_retcode_names_and_classes_match_fx_protocol(driver: Driver) -> None:
    """RetcodeName and RetcodeClass agree with fx_protocol for every code and unknown ones."""
    for code in [*(int(c) for c in Retcode), 0, 10000, 10037, 10047, 99999]:
        name, number = driver.call("retcode", str(code)).split(" ")
        assert name == retcode_name(code)
        try:
            expected = _CLASS_NUMBER[RETCODE_CLASS[Retcode(code)].value]
        except ValueError:
            expected = _CLASS_NUMBER["FINAL"]
        assert int(number) == expected, code


# ---------------------------------------------------------------- the command ledger


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "Files"


def _ledger(binary: Path, files: Path, capacity: int = 100) -> Driver:
    d = Driver(binary, files)
    assert d.call("ledger_open", f"FxBridge\\ledger.txt\t{capacity}") == "OK"
    return d


def test_ledger_survives_a_restart(binary: Path, ledger_dir: Path) -> None:
    """A completed command is known with its exact outcome after the EA restarts."""
    first = _ledger(binary, ledger_dir)
    outcome = '{"commandId":"c1","retcode":10009}'
    assert first.call("ledger_begin", "c1") == "OK"
    assert first.call("ledger_complete", f"c1\t{outcome}") == "OK"
    first.close()
    second = _ledger(binary, ledger_dir)
    assert second.call("ledger_lookup", "c1") == f"D\t{outcome}"
    assert second.call("ledger_lookup", "c2") == "-"
    second.close()


def test_ledger_records_are_on_disk_before_the_call_returns(binary: Path, ledger_dir: Path) -> None:
    """Killed right after Begin (no close, no flush at exit), the pending record is still found."""
    first = _ledger(binary, ledger_dir)
    assert first.call("ledger_begin", "c-crash") == "OK"
    first.kill()
    second = _ledger(binary, ledger_dir)
    assert second.call("ledger_lookup", "c-crash") == "P\t"
    second.close()


def test_ledger_ignores_a_torn_last_line(binary: Path, ledger_dir: Path) -> None:
    """A line cut short by a crash mid-write is skipped; earlier records stay."""
    first = _ledger(binary, ledger_dir)
    first.call("ledger_begin", "c-ok")
    first.call("ledger_complete", 'c-ok\t{"retcode":10009}')
    first.close()
    with (ledger_dir / "FxBridge" / "ledger.txt").open("ab") as handle:
        handle.write(b"c-torn")
    second = _ledger(binary, ledger_dir)
    assert second.call("ledger_lookup", "c-ok").startswith("D\t")
    assert second.call("ledger_lookup", "c-torn") == "-"
    second.close()


def test_ledger_keeps_the_newest_ids_and_compacts_its_file(binary: Path, ledger_dir: Path) -> None:
    """With capacity 100, the newest 100 ids stay known and the file stays under 2x capacity."""
    d = _ledger(binary, ledger_dir, capacity=100)
    for i in range(250):
        assert d.call("ledger_begin", f"c{i}") == "OK"
        assert d.call("ledger_complete", f'c{i}\t{{"n":{i}}}') == "OK"
    assert d.call("ledger_size") == "100"
    assert d.call("ledger_lookup", "c249") == 'D\t{"n":249}'
    assert d.call("ledger_lookup", "c150") == 'D\t{"n":150}'
    assert d.call("ledger_lookup", "c149") == "-"
    d.close()
    lines = (ledger_dir / "FxBridge" / "ledger.txt").read_bytes().split(b"\r\n")
    assert len(lines) <= 2 * 100 + 1
    again = _ledger(binary, ledger_dir, capacity=100)
    assert again.call("ledger_lookup", "c200") == 'D\t{"n":200}'
    again.close()


def test_ledger_that_cannot_be_written_refuses_to_open(binary: Path, ledger_dir: Path) -> None:
    """If the ledger file cannot be opened the EA does not start (OnInit fails)."""
    (ledger_dir / "FxBridge" / "ledger.txt").mkdir(parents=True)
    d = Driver(binary, ledger_dir)
    assert d.call("ledger_open", "FxBridge\\ledger.txt\t100").startswith("ERR")
    d.close()
