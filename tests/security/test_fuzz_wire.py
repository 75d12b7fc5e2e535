"""Mutational fuzzing of both wires' decoders, bounded in CI, longer on demand.

``FX_FUZZ_ITERATIONS`` (default 3000 per decoder) sets the length;
``FX_FUZZ_SEED`` picks another deterministic run. Crashes found are kept
below as regression inputs.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from fx_protocol import signing
from fx_protocol.brain_wire import TradeSignal
from fx_protocol.codec import encode
from fx_protocol.errors import ProtocolError
from tests.fx_protocol.strategies import UNIONS, messages
from tests.security.wire_fuzzer import fuzz

ITERATIONS = int(os.environ.get("FX_FUZZ_ITERATIONS", "3000"))
SEED = int(os.environ.get("FX_FUZZ_SEED", "1"))

#: inputs that once crashed a decoder (none found so far); each must fail cleanly or decode
REGRESSIONS: list[tuple[str, bytes]] = [
    (
        "from_brain",
        b'{"type":"TRADE_SIGNAL","timestamp":"2026-01-01T00:00:00Z","commandId":"a",'
        b'"seq":1,"command":{"action":"OPEN_POSITION","symbol":"EURUSD","type":"BUY",'
        b'"volume":1e999},"signature":"\\u0000"}',
    ),
    (
        "from_executor",
        b'{"type":"HELLO","executorId":"x","apiKey":"k","protocolVersion":'
        b'99999999999999999999999,"appVersion":"","timestamp":"2026-01-01T00:00:00"}',
    ),
]


def seeds_for(direction: str, count: int = 40) -> list[bytes]:
    """Valid encoded messages of one direction (hypothesis-generated, deterministic)."""
    out: list[bytes] = []

    @given(message=messages(direction))
    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def collect(message: Any) -> None:
        out.append(encode(message))

    collect()
    return out


def _signal_checks(message: Any) -> None:
    """What the executor does with an accepted TRADE_SIGNAL before safety must not raise."""
    if isinstance(message, TradeSignal):
        # A mutant never carries a valid signature for a secret the fuzzer does not use.
        assert signing.verify(message, "ex-fuzz", "fxs_secret") is False
        signing.content_key(message)


@pytest.mark.parametrize("direction", sorted(UNIONS))
def test_decoder_survives_mutations(direction: str) -> None:
    """Every mutated frame decodes to a stable message or raises ProtocolError, nothing else."""
    _, decoder = UNIONS[direction]
    seeds = seeds_for(direction)
    found = fuzz(decoder, seeds, ITERATIONS, seed=SEED, on_accept=_signal_checks)
    assert found.crashes == [], found.crashes[:5]
    assert found.runs >= ITERATIONS * 0.9
    # Not vacuous: some mutants are still valid messages, most are refused.
    assert 0 < found.accepted < found.runs


@pytest.mark.parametrize(("direction", "data"), REGRESSIONS)
def test_regression_inputs(direction: str, data: bytes) -> None:
    """Hand-kept hostile inputs are refused with ProtocolError."""
    _, decoder = UNIONS[direction]
    with pytest.raises(ProtocolError):
        decoder(data)
