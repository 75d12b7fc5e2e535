"""docs/protocol.md cannot rot: examples decode, every message and field is documented."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from fx_protocol import brain_wire, terminal_wire
from fx_protocol.commands import TradeCommand, validate_command
from fx_protocol.retcodes import RETCODE_CLASS, Retcode
from fx_protocol.vocabulary import CommandStatus, ReasonCode, can_transition
from tests.fx_protocol.strategies import ALL_MESSAGES

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")

_decode_command = msgspec.json.Decoder(TradeCommand)


def _command(data: bytes) -> TradeCommand:
    command = _decode_command.decode(data)
    validate_command(command)
    return command


#: the info-string tag after ```json → the decoder that side of the wire uses
DECODERS: dict[str, Callable[[bytes], Any]] = {
    "from-brain": brain_wire.decode_from_brain,
    "from-executor": brain_wire.decode_from_executor,
    "terminal-request": terminal_wire.decode_request,
    "terminal-reply": terminal_wire.decode_reply,
    "terminal-event": terminal_wire.decode_event,
    "command": _command,
}

SECTIONS = [
    "Vocabulary",
    "Trade command",
    "Ids",
    "Brain session",
    "Terminal",
    "Retcodes",
    "Command state machine",
    "Trading state",
]

BLOCKS = re.findall(r"^```json([^\n]*)\n(.*?)^```", TEXT, flags=re.M | re.S)


def _section(heading_fragment: str) -> str:
    """The text under the first heading containing the fragment, up to the next heading."""
    lines = TEXT.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#") and heading_fragment in line:
            rest = []
            for follow in lines[index + 1 :]:
                if follow.startswith("#"):
                    break
                rest.append(follow)
            return "\n".join(rest)
    raise AssertionError(f"no heading containing {heading_fragment!r} in docs/protocol.md")


def _structs() -> list[tuple[str, type[msgspec.Struct]]]:
    """(heading fragment, class) for every message and every body struct inside one."""
    found: dict[type[msgspec.Struct], str] = {}

    def walk(t: mi.Type) -> None:
        if isinstance(t, mi.Metadata):
            walk(t.type)
        elif isinstance(t, mi.StructType):
            if t.cls not in found:
                tag = t.tag
                found[t.cls] = f"`{tag}` · `{t.cls.__name__}`" if tag else f"`{t.cls.__name__}`"
                for field in t.fields:
                    walk(field.type)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                walk(member)
        elif isinstance(t, mi.ListType):
            walk(t.item_type)

    for _, cls in ALL_MESSAGES:
        walk(mi.type_info(cls))
    return [(fragment, cls) for cls, fragment in found.items()]


@pytest.mark.parametrize("heading", SECTIONS)
def test_cited_sections_exist(heading: str) -> None:
    """The section names the code cites (`docs/protocol.md` § X) are level-2 headings."""
    assert re.search(rf"^## {re.escape(heading)}$", TEXT, flags=re.M)


def test_examples_are_tagged() -> None:
    """Every ```json block names its decoder, so no example escapes the check below."""
    assert len(BLOCKS) >= 30
    tags = {info.strip() for info, _ in BLOCKS}
    assert tags <= set(DECODERS), tags - set(DECODERS)
    assert tags == set(DECODERS)


@pytest.mark.parametrize(("tag", "body"), [(i.strip(), b) for i, b in BLOCKS])
def test_example_decodes(tag: str, body: str) -> None:
    """Each example decodes with the decoder of its side of the wire."""
    assert DECODERS[tag](body.encode())


@pytest.mark.parametrize(
    ("direction", "cls"), ALL_MESSAGES, ids=[f"{d}-{c.__name__}" for d, c in ALL_MESSAGES]
)
def test_every_message_is_named(direction: str, cls: type[msgspec.Struct]) -> None:
    """Every union member has a heading with its tag and class name."""
    tag = cls.__struct_config__.tag
    assert f"#### `{tag}` · `{cls.__name__}`" in TEXT


STRUCTS = _structs()


@pytest.mark.parametrize(("fragment", "cls"), STRUCTS, ids=[c.__name__ for _, c in STRUCTS])
def test_every_field_is_in_its_table(fragment: str, cls: type[msgspec.Struct]) -> None:
    """The table under a struct's heading lists exactly its wire fields (plus the tag)."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    section = _section(fragment)
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    expected = [f.encode_name for f in info.fields]
    if info.tag is not None:
        expected.insert(0, "type")
    assert documented == expected


def test_reason_codes_table_is_complete() -> None:
    """Every ReasonCode has a row in § Vocabulary."""
    for code in ReasonCode:
        assert f"| `{code.value}` |" in TEXT, code


def test_retcodes_table_matches_classes() -> None:
    """Every retcode row states the class the code assigns it."""
    for code in Retcode:
        row = f"| {code.value} | `{code.name}` | `{code.mt5_name}` | {RETCODE_CLASS[code].value} |"
        assert row in TEXT, row


def test_transition_table_matches_can_transition() -> None:
    """§ Command state machine lists exactly what can_transition allows."""
    section = TEXT.split("## Command state machine", 1)[1]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", section, flags=re.M))
    for old in CommandStatus:
        listed = set(re.findall(r"`(\w+)`", rows[old.value]))
        allowed = {new.value for new in CommandStatus if can_transition(old, new)}
        assert listed == allowed, old
