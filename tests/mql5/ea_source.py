"""A reading of the MQL5 EA's source, and the checks the tests run on it.

The EA cannot be compiled or run here, so these checks stand in for the
compiler and for a protocol test: each returns a list of problems (empty
when the source is right), so a test can also prove that a check fails on
a deliberately broken copy of the source.

Conventions in the EA that make the checks meaningful:

- ``Include/FxBridge/Protocol.mqh`` defines every wire name once:
  ``FLD_*`` field names, ``MSG_*`` type tags, ``VAL_*`` enumerated values.
- Every reader or writer of a schema body is preceded by a comment line
  ``// schema: <Name>`` (``$defs`` name); the function that follows must use
  the constant of every field of that body. ``// schema: TerminalRequest``
  marks the dispatcher, which must use every request tag.
- Every enumerated output field has a ``// schema-enum: <Name>.<field>``
  function that must use the constant of every value.
- Outside Protocol.mqh no wire name appears as a bare string literal, so a
  field can only be handled through its constant.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MQL5_DIR = REPO / "mql5"
SCHEMA_PATH = REPO / "docs" / "schema" / "terminal-wire.schema.json"
SIMULATOR_DIR = REPO / "mt5_simulator"

#: headers the user installs from mql-zmq (documented in mql5/README.md)
EXTERNAL_INCLUDES = {"Zmq/Zmq.mqh"}

#: struct and class types that MQL5 only passes by reference or pointer
BY_REFERENCE_TYPES = {
    "MqlTick",
    "MqlTradeRequest",
    "MqlTradeResult",
    "MqlTradeCheckResult",
    "MqlTradeTransaction",
    "TradeCommand",
    "TradeResult",
    "CloseItem",
    "JsonWriter",
    "JsonParser",
    "RequestFields",
    "PageQuery",
    "RequestSink",
    "FxRequests",
    "ZmqMsg",
    "PollItem",
    "FxClock",
    "FxServer",
    "FxTrading",
    "FxEvents",
    "CommandLedger",
    "Socket",
    "Context",
}

_MARKER_RE = re.compile(r"^[ \t]*//[ \t]*schema:[ \t]*(\w+)[ \t]*$", re.MULTILINE)
_ENUM_MARKER_RE = re.compile(r"^[ \t]*//[ \t]*schema-enum:[ \t]*(\w+)\.(\w+)[ \t]*$", re.MULTILINE)
_DEFINE_RE = re.compile(r'^#define[ \t]+((?:FLD|MSG|VAL)_\w+)[ \t]+"([^"]*)"', re.MULTILINE)


@dataclass
class SourceFile:
    path: Path
    text: str
    #: the text with comments, strings and char literals blanked (same length)
    code: str = field(init=False)

    def __post_init__(self) -> None:
        self.code = blank_comments_and_strings(self.text)

    @property
    def name(self) -> str:
        return self.path.relative_to(self.path.parents[2]).as_posix()


def blank_comments_and_strings(text: str) -> str:
    """Replace comments and the contents of string/char literals by spaces.

    Positions stay the same, so a match in the blanked code maps back to
    the original text; the quotes of string literals are kept.
    """
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def load_sources(root: Path = MQL5_DIR) -> list[SourceFile]:
    files = sorted(root.glob("Experts/*.mq5")) + sorted(root.glob("Include/FxBridge/*.mqh"))
    return [SourceFile(p, p.read_text(encoding="utf-8")) for p in files]


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, dict[str, Any]]:
    defs: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["$defs"]
    return defs


def protocol_constants(sources: list[SourceFile]) -> dict[str, str]:
    """``FLD_*``/``MSG_*``/``VAL_*`` name → wire string, from Protocol.mqh."""
    protocol = next(s for s in sources if s.path.name == "Protocol.mqh")
    return dict(_DEFINE_RE.findall(protocol.text))


def body_after(source: SourceFile, position: int) -> str:
    """The code of the brace-balanced block that starts at the first ``{`` after ``position``."""
    code = source.code
    start = code.find("{", position)
    if start < 0:
        return ""
    depth = 0
    for i in range(start, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return source.text[start : i + 1]
    return source.text[start:]


def marked_bodies(sources: list[SourceFile], regex: re.Pattern[str]) -> dict[str, list[str]]:
    """Marker key → the bodies of the functions that follow each marker."""
    found: dict[str, list[str]] = {}
    for source in sources:
        for match in regex.finditer(source.text):
            key = ".".join(match.groups())
            found.setdefault(key, []).append(body_after(source, match.end()))
    return found


def _tag(definition: dict[str, Any]) -> str | None:
    enum = definition.get("properties", {}).get("type", {}).get("enum")
    return enum[0] if enum else None


def _enum_values(prop: dict[str, Any]) -> list[str]:
    values: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                values.extend(node["enum"])
            if "$ref" in node:
                walk(_SCHEMA_REFS.get(node["$ref"].rsplit("/", 1)[-1], {}))
            for key, value in node.items():
                if key != "$ref":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(prop)
    return values


_SCHEMA_REFS: dict[str, dict[str, Any]] = {}


def _uses(body: str, constant: str) -> bool:
    return re.search(rf"\b{re.escape(constant)}\b", blank_comments_and_strings(body)) is not None


def schema_coverage_problems(
    sources: list[SourceFile], schema: dict[str, dict[str, Any]]
) -> list[str]:
    """Every request, reply, event and field of the schema handled through its constant."""
    problems: list[str] = []
    _SCHEMA_REFS.clear()
    _SCHEMA_REFS.update({k: v for k, v in schema.items() if "enum" in v})
    constants = protocol_constants(sources)
    by_value: dict[str, dict[str, str]] = {"FLD": {}, "MSG": {}, "VAL": {}}
    for name, value in constants.items():
        by_value[name.split("_", 1)[0]][value] = name
    bodies = marked_bodies(sources, _MARKER_RE)
    enum_bodies = marked_bodies(sources, _ENUM_MARKER_RE)
    request_tags = {
        _tag(schema[ref["$ref"].rsplit("/", 1)[-1]]) for ref in schema["TerminalRequest"]["anyOf"]
    }
    dispatcher = "".join(bodies.get("TerminalRequest", []))
    if not dispatcher:
        problems.append("no '// schema: TerminalRequest' dispatcher")

    for def_name, definition in sorted(schema.items()):
        props = definition.get("properties")
        if not props:
            continue
        found = bodies.get(def_name, [])
        if len(found) != 1:
            problems.append(
                f"{def_name}: expected one '// schema: {def_name}' function, found {len(found)}"
            )
            continue
        body = found[0]
        tag = _tag(definition)
        is_request = tag in request_tags
        if tag is not None:
            constant = by_value["MSG"].get(tag)
            if constant is None:
                problems.append(f"{def_name}: no MSG_ constant for type tag {tag!r}")
            elif is_request and not _uses(dispatcher, constant):
                problems.append(f"{def_name}: the dispatcher never checks {constant} ({tag!r})")
            elif not is_request and not _uses(body, constant):
                problems.append(f"{def_name}: its writer never writes {constant} ({tag!r})")
        for prop_name, prop in sorted(props.items()):
            if prop_name in ("type", "requestId") and is_request:
                # read once by the dispatcher for every request
                if not _uses(dispatcher, by_value["FLD"].get(prop_name, "?")):
                    problems.append(f"{def_name}.{prop_name}: the dispatcher never reads it")
                continue
            constant = by_value["FLD"].get(prop_name)
            if constant is None:
                problems.append(f"{def_name}.{prop_name}: no FLD_ constant in Protocol.mqh")
                continue
            if not _uses(body, constant):
                problems.append(f"{def_name}.{prop_name}: {constant} not used by its function")
            if prop_name == "type":
                continue
            values = _enum_values(prop)
            if not values:
                continue
            if is_request:
                value_bodies = [body]
            else:
                value_bodies = enum_bodies.get(f"{def_name}.{prop_name}", [])
                if len(value_bodies) != 1:
                    problems.append(
                        f"{def_name}.{prop_name}: expected one "
                        f"'// schema-enum: {def_name}.{prop_name}' function"
                    )
                    continue
            for value in values:
                value_constant = by_value["VAL"].get(value)
                if value_constant is None:
                    problems.append(f"{def_name}.{prop_name}: no VAL_ constant for {value!r}")
                elif not _uses(value_bodies[0], value_constant):
                    problems.append(
                        f"{def_name}.{prop_name}: value {value!r} ({value_constant}) not handled"
                    )
    return problems


def stale_constant_problems(
    sources: list[SourceFile], schema: dict[str, dict[str, Any]]
) -> list[str]:
    """Constants that name nothing in the schema, or that no code uses."""
    problems: list[str] = []
    props = {p for d in schema.values() for p in d.get("properties", {})}
    tags = {t for d in schema.values() if (t := _tag(d))}
    _SCHEMA_REFS.clear()
    _SCHEMA_REFS.update({k: v for k, v in schema.items() if "enum" in v})
    values = {
        v
        for d in schema.values()
        for p in d.get("properties", {}).values()
        for v in _enum_values(p)
    } | set(schema["Action"]["enum"])
    expected = {"FLD": props, "MSG": tags, "VAL": values}
    other_code = "".join(s.code for s in sources if s.path.name != "Protocol.mqh")
    for name, value in protocol_constants(sources).items():
        kind = name.split("_", 1)[0]
        if value not in expected[kind]:
            problems.append(f"{name} = {value!r} is not in the schema")
        if not re.search(rf"\b{name}\b", other_code):
            problems.append(f"{name} is defined but never used")
    return problems


def bare_literal_problems(
    sources: list[SourceFile], schema: dict[str, dict[str, Any]]
) -> list[str]:
    """Wire names spelled as string literals outside Protocol.mqh (bypassing the constants)."""
    names = {p for d in schema.values() for p in d.get("properties", {})}
    names |= {t for d in schema.values() if (t := _tag(d))}
    problems = []
    for source in sources:
        if source.path.name in ("Protocol.mqh", "Retcodes.mqh"):
            continue  # Retcodes.mqh spells MT5's retcode names, not wire names
        for literal in re.finditer(r'"([^"\n]*)"', _strings_only(source)):
            if literal.group(1) in names:
                problems.append(
                    f'{source.name}: bare literal "{literal.group(1)}"; use its constant'
                )
    return problems


def _strings_only(source: SourceFile) -> str:
    """The original text of string literals in code (comments removed)."""
    text, code = source.text, source.code
    out = []
    i = 0
    while i < len(code):
        if code[i] == '"':
            j = code.find('"', i + 1)
            if j < 0:
                break
            out.append(text[i : j + 1])
            i = j + 1
        else:
            i += 1
    return "\n".join(out)


# ---------------------------------------------------------------- retcodes


def mql_retcode_table(
    sources: list[SourceFile],
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """(name → value, name → class, name → short name) from Retcodes.mqh."""
    source = next(s for s in sources if s.path.name == "Retcodes.mqh")
    values = {
        m[0]: int(m[1]) for m in re.findall(r"^#define[ \t]+RC_(\w+)[ \t]+(\d+)", source.text, re.M)
    }
    class_body = body_after(source, source.text.index("RetcodeClass(const uint code)"))
    classes = dict(
        re.findall(r"case\s+RC_(\w+)\s*:\s*return\s*\(\s*RETCODE_(\w+)\s*\)", class_body)
    )
    name_body = body_after(source, source.text.index("RetcodeName(const uint code)"))
    names = dict(re.findall(r'case\s+RC_(\w+)\s*:\s*return\s*\(\s*"(\w+)"\s*\)', name_body))
    return values, classes, names


def simulator_retcodes(root: Path = SIMULATOR_DIR) -> set[str]:
    """Every ``Retcode.X`` the simulator's source names."""
    found: set[str] = set()
    for path in root.rglob("*.py"):
        found |= set(re.findall(r"\bRetcode\.([A-Z][A-Z_]+)\b", path.read_text(encoding="utf-8")))
    return found


# ---------------------------------------------------------------- lint


def balance_problems(sources: list[SourceFile]) -> list[str]:
    problems = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for source in sources:
        stack: list[tuple[str, int]] = []
        for i, c in enumerate(source.code):
            if c in "([{":
                stack.append((c, i))
            elif c in pairs:
                if not stack or stack[-1][0] != pairs[c]:
                    line = source.code.count("\n", 0, i) + 1
                    problems.append(f"{source.name}:{line}: unbalanced {c!r}")
                    break
                stack.pop()
        else:
            if stack:
                line = source.code.count("\n", 0, stack[-1][1]) + 1
                problems.append(f"{source.name}:{line}: {stack[-1][0]!r} never closed")
    return problems


def include_problems(sources: list[SourceFile], root: Path = MQL5_DIR) -> list[str]:
    problems = []
    readme = (
        (root / "README.md").read_text(encoding="utf-8") if (root / "README.md").exists() else ""
    )
    for source in sources:
        for kind, target in re.findall(r'^#include[ \t]+([<"])([^>"]+)[>"]', source.text, re.M):
            if kind == '"':
                ok = (source.path.parent / target).is_file()
            elif target in EXTERNAL_INCLUDES:
                ok = target in readme or target.replace("/", "\\") in readme
            else:
                ok = (root / "Include" / target).is_file()
            if not ok:
                problems.append(f"{source.name}: #include {target} does not resolve")
    return problems


_TICKETISH = r"\w*(?:[Tt]icket|[Dd]eal|[Oo]rder|[Pp]osition)s?\w*"
_TICKET_GETTERS = r"(?:PositionGetTicket|OrderGetTicket|HistoryDealGetTicket|HistoryOrderGetTicket)"


def ticket_type_problems(sources: list[SourceFile]) -> list[str]:
    """Tickets are 64-bit: never ``int``/``uint``, never cast to ``(int)``."""
    problems = []
    patterns = [
        (rf"\b(?:int|uint)\s+({_TICKETISH})\s*[=;,)\[]", "declared as int"),
        (rf"\(\s*(?:int|uint)\s*\)\s*({_TICKETISH})\b(?!\s*\[)", "cast to int"),
        (
            rf"\b(?:int|uint)\s+(\w+)\s*=\s*(?:\(\w+\)\s*)?{_TICKET_GETTERS}",
            "holds a ticket getter",
        ),
    ]
    allowed = {"orderType", "positionType"}
    for source in sources:
        for pattern, what in patterns:
            for match in re.finditer(pattern, source.code):
                name = match.group(1)
                if name in allowed:
                    continue
                line = source.code.count("\n", 0, match.start()) + 1
                problems.append(f"{source.name}:{line}: {name} {what}")
    return problems


def by_reference_problems(sources: list[SourceFile]) -> list[str]:
    """MQL5 passes structs, objects and arrays only by reference (or objects by pointer)."""
    problems = []
    signature = re.compile(
        r"\b(?:void|bool|int|uint|long|ulong|double|string|datetime|ENUM_\w+|JsonNode\s*\*)\s+"
        r"(?:\w+::)?(\w+)\s*\(([^()]*)\)\s*(?:const\s*)?[{;]"
    )
    for source in sources:
        for match in signature.finditer(source.code):
            for param in match.group(2).split(","):
                param = param.strip()
                if not param:
                    continue
                tokens = re.findall(r"\w+", param)
                needs_ref = "[" in param or any(t in BY_REFERENCE_TYPES for t in tokens)
                if needs_ref and "&" not in param and "*" not in param:
                    line = source.code.count("\n", 0, match.start()) + 1
                    problems.append(
                        f"{source.name}:{line}: {match.group(1)}({param}) must be by reference"
                    )
    return problems


def function_body(source: SourceFile, signature_regex: str) -> str | None:
    match = re.search(signature_regex, source.code)
    if match is None:
        return None
    return body_after(source, match.end() - 1)
