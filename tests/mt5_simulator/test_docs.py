"""docs/simulator.md stays true: its JSON examples decode with the simulator's own structs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec

from mt5_simulator.control import decode_sim_reply, decode_sim_request
from tests.mt5_simulator.test_cli import DUMP_FIELDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "simulator.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```json\n(.*?)```", DOC, flags=re.DOTALL)


def test_sim_control_examples_decode() -> None:
    """The SIM_CONTROL request and reply examples are valid messages with every field."""
    request = next(b for b in BLOCKS if '"type": "SIM_CONTROL"' in b)
    reply = next(b for b in BLOCKS if '"type": "SIM_CONTROL_REPLY"' in b)
    decoded = decode_sim_request(request.encode())
    assert set(json.loads(request)) == set(msgspec.to_builtins(decoded)) | {"crash"}
    state = decode_sim_reply.decode(reply.encode()).state
    assert set(json.loads(reply)["state"]) == set(msgspec.to_builtins(state))


def test_deals_example_has_the_dump_fields() -> None:
    """The deals dump example lists exactly the fields `fx-mt5sim deals --json` prints."""
    example = next(b for b in BLOCKS if '"ticket": 1000002' in b)
    assert set(json.loads(example.replace("…", ""))[0]) == DUMP_FIELDS
