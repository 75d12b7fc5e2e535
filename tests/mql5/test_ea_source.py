"""The MQL5 EA's source against the protocol schema, the retcode table and MT5's rules.

The EA cannot be compiled here; these tests read its source instead. Each
check is also run on a deliberately broken copy, to prove it can fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fx_protocol.retcodes import RETCODE_CLASS, Retcode
from tests.mql5.ea_source import (
    MQL5_DIR,
    SIMULATOR_DIR,
    SourceFile,
    balance_problems,
    bare_literal_problems,
    blank_comments_and_strings,
    by_reference_problems,
    function_body,
    include_problems,
    load_schema,
    load_sources,
    mql_retcode_table,
    protocol_constants,
    schema_coverage_problems,
    simulator_retcodes,
    stale_constant_problems,
    ticket_type_problems,
)

SOURCES = load_sources()
SCHEMA = load_schema()


def _source(name: str, sources: list[SourceFile] = SOURCES) -> SourceFile:
    return next(s for s in sources if s.path.name == name)


def _broken_copy(tmp_path: Path, file_name: str, old: str, new: str) -> list[SourceFile]:
    """The EA's sources with one edit applied in a copy."""
    root = tmp_path / "mql5"
    shutil.copytree(MQL5_DIR, root)
    target = next(root.rglob(file_name))
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file_name}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_sources(root)


# ---------------------------------------------------------------- protocol coverage


def test_every_schema_message_and_field_is_handled() -> None:
    """Every request, reply, event and field of the schema is read or written via its constant."""
    assert schema_coverage_problems(SOURCES, SCHEMA) == []


def test_every_request_type_has_a_dispatch_branch() -> None:
    """The EA's request handler branches on every request tag of the schema."""
    handle = function_body(_source("Requests.mqh"), r"void\s+FxRequests::Handle\s*\([^)]*\)\s*\{")
    assert handle is not None
    tags = [ref["$ref"].rsplit("/", 1)[-1] for ref in SCHEMA["TerminalRequest"]["anyOf"]]
    constants = {v: k for k, v in protocol_constants(SOURCES).items()}
    for name in tags:
        tag = SCHEMA[name]["properties"]["type"]["enum"][0]
        assert re.search(rf"type=={constants[tag]}\b", handle), tag


def test_protocol_constants_match_the_schema_and_are_used() -> None:
    """No constant names something the schema lacks, and none is dead."""
    assert stale_constant_problems(SOURCES, SCHEMA) == []


def test_wire_names_only_through_constants() -> None:
    """Outside Protocol.mqh no field name or type tag is a bare string literal."""
    assert bare_literal_problems(SOURCES, SCHEMA) == []


def test_coverage_check_fails_when_a_field_is_dropped(tmp_path: Path) -> None:
    """Removing one field from a writer is reported with the body and field names."""
    broken = _broken_copy(
        tmp_path,
        "TerminalState.mqh",
        "   w.KeyNum(FLD_COMMISSION,HistoryDealGetDouble(ticket,DEAL_COMMISSION),MONEY_DIGITS);\n",
        "",
    )
    problems = schema_coverage_problems(broken, SCHEMA)
    assert any("TerminalDeal.commission" in p for p in problems), problems


def test_coverage_check_fails_when_a_request_is_not_dispatched(tmp_path: Path) -> None:
    """A request tag the dispatcher never checks is reported."""
    broken = _broken_copy(tmp_path, "RequestFields.mqh", "&& type!=MSG_GET_DEALS", "")
    problems = schema_coverage_problems(broken, SCHEMA)
    assert any("GetDeals" in p and "dispatcher" in p for p in problems), problems


def test_coverage_check_fails_when_an_enum_value_is_not_mapped(tmp_path: Path) -> None:
    """A deal entry the EA cannot name is reported."""
    broken = _broken_copy(
        tmp_path,
        "TerminalState.mqh",
        "   if(entry==DEAL_ENTRY_OUT_BY)\n      return(VAL_OUT_BY);\n",
        "",
    )
    problems = schema_coverage_problems(broken, SCHEMA)
    assert any("'OUT_BY'" in p for p in problems), problems


def test_coverage_check_fails_on_a_new_schema_field() -> None:
    """A field added to the schema but not to the EA is reported."""
    schema = {name: dict(d) for name, d in SCHEMA.items()}
    schema["TerminalPosition"] = dict(schema["TerminalPosition"])
    schema["TerminalPosition"]["properties"] = dict(
        schema["TerminalPosition"]["properties"], reason={"type": "string"}
    )
    problems = schema_coverage_problems(SOURCES, schema)
    assert any("TerminalPosition.reason" in p for p in problems), problems


def test_bare_literal_check_fails(tmp_path: Path) -> None:
    """Spelling a field name instead of using its constant is reported."""
    broken = _broken_copy(
        tmp_path, "TerminalState.mqh", "w.KeyStr(FLD_SERVER,", 'w.KeyStr("server",'
    )
    assert any('"server"' in p for p in bare_literal_problems(broken, SCHEMA))


# ---------------------------------------------------------------- retcodes


def test_retcode_table_matches_fx_protocol() -> None:
    """Every Retcode has the same value, class and short name in Retcodes.mqh."""
    values, classes, names = mql_retcode_table(SOURCES)
    expected = {code.name: code for code in Retcode}
    assert set(values) == set(expected)
    for name, code in expected.items():
        assert values[name] == int(code), name
        assert classes.get(name) == RETCODE_CLASS[code].value, name
        assert names.get(name) == name, name


def test_success_codes_are_the_four_of_the_contract() -> None:
    """Exactly 10008, 10009, 10010 and 10025 are SUCCESS in the EA."""
    values, classes, _ = mql_retcode_table(SOURCES)
    success = {values[name] for name, cls in classes.items() if cls == "SUCCESS"}
    assert success == {10008, 10009, 10010, 10025}


def test_every_simulator_retcode_is_classified_alike() -> None:
    """Each Retcode.X the simulator emits is in the EA's table with fx_protocol's class."""
    emitted = simulator_retcodes()
    if not (SIMULATOR_DIR / "engine" / "trading.py").exists():
        pytest.fail("the simulator's trading engine is missing")
    assert emitted, "no Retcode uses found in the simulator"
    _, classes, _ = mql_retcode_table(SOURCES)
    for name in emitted:
        assert name in classes, f"simulator emits {name}, unclassified in Retcodes.mqh"
        assert classes[name] == RETCODE_CLASS[Retcode[name]].value, name


def test_retcode_check_fails_on_a_misclassified_code(tmp_path: Path) -> None:
    """Turning REQUOTE into FINAL is visible to the table comparison."""
    broken = _broken_copy(
        tmp_path,
        "Retcodes.mqh",
        "case RC_REQUOTE:                return(RETCODE_RETRYABLE);",
        "case RC_REQUOTE:                return(RETCODE_FINAL);",
    )
    _, classes, _ = mql_retcode_table(broken)
    assert classes["REQUOTE"] != RETCODE_CLASS[Retcode.REQUOTE].value


def test_trading_uses_only_table_retcodes() -> None:
    """Every RC_ name the EA uses is defined in Retcodes.mqh."""
    values, _, _ = mql_retcode_table(SOURCES)
    for source in SOURCES:
        for name in re.findall(r"\bRC_(\w+)\b", source.code):
            assert name in values, f"{source.name}: RC_{name} undefined"


# ---------------------------------------------------------------- lint


def test_brackets_balance_in_every_file() -> None:
    """(), [] and {} balance in every file, outside comments and strings."""
    assert balance_problems(SOURCES) == []


def test_balance_check_fails(tmp_path: Path) -> None:
    """A missing closing brace is reported with its file."""
    broken = _broken_copy(tmp_path, "Events.mqh", "   w.EndObject();\n  }\n", "   w.EndObject();\n")
    assert any("Events.mqh" in p for p in balance_problems(broken))


def test_blanking_keeps_positions_and_hides_braces_in_strings() -> None:
    """Braces inside strings and comments never count."""
    text = "a(\"{\", '}'); // }\n/* { */ b();"
    blanked = blank_comments_and_strings(text)
    assert len(blanked) == len(text)
    assert "{" not in blanked
    assert "}" not in blanked


def test_includes_resolve() -> None:
    """Every #include names a file of mql5/Include or a documented mql-zmq header."""
    assert include_problems(SOURCES) == []


def test_include_check_fails(tmp_path: Path) -> None:
    """An include of a file that does not exist is reported."""
    broken = _broken_copy(
        tmp_path, "FxBridgeEA.mq5", "<FxBridge/Events.mqh>", "<FxBridge/Event.mqh>"
    )
    assert any("Event.mqh" in p for p in include_problems(broken, tmp_path / "mql5"))


def test_tickets_are_64_bit() -> None:
    """No ticket is declared, cast or stored as int."""
    assert ticket_type_problems(SOURCES) == []


def test_ticket_check_fails(tmp_path: Path) -> None:
    """An int ticket is reported."""
    broken = _broken_copy(
        tmp_path,
        "Trading.mqh",
        "ulong ticket=PositionGetTicket(i);",
        "int ticket=PositionGetTicket(i);",
    )
    assert ticket_type_problems(broken)


def test_structs_objects_and_arrays_pass_by_reference() -> None:
    """MQL5 rejects structs, objects and arrays passed by value; none is."""
    assert by_reference_problems(SOURCES) == []


def test_by_reference_check_fails(tmp_path: Path) -> None:
    """A struct parameter without & is reported."""
    broken = _broken_copy(
        tmp_path,
        "Outcome.mqh",
        "void WriteCloseItem(JsonWriter &w,const CloseItem &item)",
        "void WriteCloseItem(JsonWriter &w,const CloseItem item)",
    )
    assert by_reference_problems(broken)


def test_no_arrow_operator() -> None:
    """MQL5 has no '->': members of pointers are reached with '.'."""
    for source in SOURCES:
        assert "->" not in source.code, source.name


def test_sources_are_ascii() -> None:
    """MetaEditor reads files as ANSI unless they carry a BOM: keep them ASCII."""
    for source in SOURCES:
        assert source.text.isascii(), source.name


def test_event_handlers_are_present() -> None:
    """OnInit, OnDeinit, OnTimer, OnTick and OnTradeTransaction with MT5's signatures."""
    code = re.sub(r"\s+", " ", _source("FxBridgeEA.mq5").code)
    for signature in (
        "int OnInit()",
        "void OnDeinit(const int reason)",
        "void OnTimer()",
        "void OnTick()",
        "void OnTradeTransaction(const MqlTradeTransaction &trans, "
        "const MqlTradeRequest &request, const MqlTradeResult &result)",
    ):
        assert signature in code, signature


def test_timer_started_in_oninit_and_killed_in_ondeinit() -> None:
    """The millisecond timer drives polling; OnDeinit stops it and closes the sockets."""
    ea = _source("FxBridgeEA.mq5")
    on_init = function_body(ea, r"int\s+OnInit\s*\(\s*\)\s*\{")
    on_deinit = function_body(ea, r"void\s+OnDeinit\s*\([^)]*\)\s*\{")
    assert on_init is not None
    assert on_deinit is not None
    assert "EventSetMillisecondTimer(TimerMs)" in on_init
    assert "EventKillTimer()" in on_deinit
    assert "g_server.Stop()" in on_deinit
    assert "g_ledger.Close()" in on_deinit


def test_sockets_bind_only_the_configured_loopback_endpoints() -> None:
    """bind() takes only the endpoint parameters, which OnInit fills from the loopback inputs."""
    binds = [
        (s.name, m.group(1)) for s in SOURCES for m in re.finditer(r"\.bind\(([^)]*)\)", s.code)
    ]
    assert binds == [("Include/FxBridge/Server.mqh", "endpoint")]
    server = _source("Server.mqh").code
    start = function_body(_source("Server.mqh"), r"bool\s+Start\s*\([^)]*\)\s*\{")
    assert start is not None
    assert "BindWithRetry(m_router,commandEndpoint)" in start
    assert "BindWithRetry(m_publisher,eventsEndpoint)" in start
    assert "IsLoopbackEndpoint(commandEndpoint)" in start
    assert "IsLoopbackEndpoint(eventsEndpoint)" in start
    assert server.count(".bind(") == 1
    ea = _source("FxBridgeEA.mq5")
    assert "g_server.Start(CommandEndpoint,EventsEndpoint)" in ea.code
    defaults = dict(re.findall(r'input\s+string\s+(\w+Endpoint)="([^"]*)"', ea.text))
    assert defaults == {
        "CommandEndpoint": "tcp://127.0.0.1:5555",
        "EventsEndpoint": "tcp://127.0.0.1:5556",
    }


def test_sockets_close_with_linger_zero() -> None:
    """Both sockets get linger 0 and are deleted by Stop()."""
    server = _source("Server.mqh")
    assert "m_router.setLinger(0)" in server.code
    assert "m_publisher.setLinger(0)" in server.code
    stop = function_body(server, r"void\s+Stop\s*\(\s*\)\s*\{")
    assert stop is not None
    assert "delete m_router" in stop
    assert "delete m_publisher" in stop


def test_ledger_is_written_before_trading_and_before_replying() -> None:
    """TRADE: lookup, pending record, OrderSend, outcome record, then the reply - in that order."""
    trade = function_body(_source("Requests.mqh"), r"void\s+FxRequests::Trade\s*\([^)]*\)\s*\{")
    assert trade is not None
    order = [
        "m_ledger.Lookup(",
        "m_ledger.Begin(",
        "m_trading.Execute(",
        "m_ledger.Complete(",
        "WriteTradeReply(reply,requestId,false,outcome)",
    ]
    positions = [trade.find(step) for step in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)


def test_ledger_flushes_every_record() -> None:
    """Each appended record is flushed to disk before Append returns."""
    ledger = _source("CommandLedger.mqh")
    append = function_body(ledger, r"bool\s+Append\s*\([^)]*\)\s*\{")
    assert append is not None
    assert append.index("FileWriteString(") < append.index("FileFlush(m_handle)")


def test_order_comment_is_the_command_id() -> None:
    """Every OrderSend request that opens or closes carries the command id as comment."""
    trading = _source("Trading.mqh").code
    assert trading.count("request.comment=cmd.commandId;") >= 4


def test_every_input_is_documented() -> None:
    """Each input of the EA is explained in mql5/README.md."""
    readme = (MQL5_DIR / "README.md").read_text(encoding="utf-8")
    inputs = re.findall(r"^input\s+\w+\s+(\w+)=", _source("FxBridgeEA.mq5").text, re.M)
    assert inputs
    for name in inputs:
        assert f"`{name}`" in readme, name


def test_external_headers_are_documented() -> None:
    """The README tells where the mql-zmq headers and DLLs go."""
    readme = (MQL5_DIR / "README.md").read_text(encoding="utf-8")
    for needle in (
        "MQL5/Include/Zmq",
        "MQL5/Libraries",
        "libzmq.dll",
        "libsodium.dll",
        "Allow DLL imports",
    ):
        assert needle in readme, needle
