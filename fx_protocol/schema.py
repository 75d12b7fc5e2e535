"""JSON Schema export of both wire protocols.

``python -m fx_protocol.schema [DIR]`` writes ``brain-wire.schema.json`` and
``terminal-wire.schema.json`` (default ``docs/schema``). A test fails when the
committed files differ from what the code produces, so the documents can
never drift from the structs; the MQL5 coverage test reads the terminal one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from fx_protocol import BRAIN_PROTOCOL_VERSION, TERMINAL_PROTOCOL_VERSION, brain_wire, terminal_wire

SCHEMA_FILES = {
    "brain-wire.schema.json": (
        "Brain ↔ executor WebSocket messages",
        BRAIN_PROTOCOL_VERSION,
        {
            "ExecutorToBrain": brain_wire.ExecutorToBrain,
            "BrainToExecutor": brain_wire.BrainToExecutor,
        },
    ),
    "terminal-wire.schema.json": (
        "Executor ↔ MT5 Expert Advisor ZeroMQ messages",
        TERMINAL_PROTOCOL_VERSION,
        {
            "TerminalRequest": terminal_wire.TerminalRequest,
            "TerminalReply": terminal_wire.TerminalReply,
            "TerminalEvent": terminal_wire.TerminalEvent,
        },
    ),
}


def build_schema(title: str, version: int, roots: dict[str, Any]) -> dict[str, Any]:
    """One JSON Schema document whose ``$defs`` hold every message of a protocol."""
    types = list(roots.values())
    schemas, components = msgspec.json.schema_components(types, ref_template="#/$defs/{name}")
    defs = dict(sorted(components.items()))
    for name, schema in zip(roots, schemas, strict=True):
        defs[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "x-protocol-version": version,
        "anyOf": [{"$ref": f"#/$defs/{name}"} for name in roots],
        "$defs": defs,
    }


def render_all() -> dict[str, str]:
    """File name → JSON text, deterministic so a test can compare byte for byte."""
    return {
        file_name: json.dumps(build_schema(*spec), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
        for file_name, spec in SCHEMA_FILES.items()
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/schema")
    target.mkdir(parents=True, exist_ok=True)
    for file_name, text in render_all().items():
        (target / file_name).write_text(text, encoding="utf-8")
        print(target / file_name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
