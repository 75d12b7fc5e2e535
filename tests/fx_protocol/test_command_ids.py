"""Command ids: 27 characters, fit MT5's comment, sort by creation time."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fx_protocol.command_ids import (
    COMMAND_ID_PATTERN,
    MT5_COMMENT_MAX,
    command_id_time_ms,
    is_command_id,
    new_command_id,
)

times = st.integers(min_value=0, max_value=2**48 - 1)
randoms = st.binary(min_size=10, max_size=10)


@settings(deadline=None)
@given(epoch_ms=times, random80=randoms)
def test_shape(epoch_ms: int, random80: bytes) -> None:
    """27 characters, within the 31 of an MT5 comment, matching the published pattern."""
    command_id = new_command_id(epoch_ms, random80)
    assert len(command_id) == 27 <= MT5_COMMENT_MAX
    assert re.fullmatch(COMMAND_ID_PATTERN, command_id)
    assert is_command_id(command_id)


@settings(deadline=None)
@given(epoch_ms=times, random80=randoms)
def test_time_round_trips(epoch_ms: int, random80: bytes) -> None:
    """The creation time is recoverable from the id alone."""
    assert command_id_time_ms(new_command_id(epoch_ms, random80)) == epoch_ms


@settings(deadline=None)
@given(a=times, b=times, ra=randoms, rb=randoms)
def test_sorts_by_time(a: int, b: int, ra: bytes, rb: bytes) -> None:
    """String order follows creation order whenever the milliseconds differ."""
    if a != b:
        assert (new_command_id(a, ra) < new_command_id(b, rb)) == (a < b)


@settings(deadline=None)
@given(epoch_ms=times, ra=randoms, rb=randoms)
def test_randomness_distinguishes_same_millisecond(epoch_ms: int, ra: bytes, rb: bytes) -> None:
    """Two ids of one millisecond differ exactly when their random parts do."""
    assert (new_command_id(epoch_ms, ra) == new_command_id(epoch_ms, rb)) == (ra == rb)


def test_known_value() -> None:
    """A fixed input gives a fixed id (the encoding is Crockford base32, big-endian)."""
    assert new_command_id(0, bytes(10)) == "c" + "0" * 26
    assert new_command_id(2**48 - 1, b"\xff" * 10) == "c7" + "Z" * 25


@pytest.mark.parametrize(
    "value",
    [
        "",
        "c",
        "C" + "0" * 26,
        "c" + "0" * 25,
        "c" + "0" * 27,
        "c" + "0" * 25 + "I",  # I, L, O, U are not Crockford digits
        "c" + "0" * 25 + "U",
        "c" + "0" * 25 + "a",
        "c" + "0" * 26 + "\n",
    ],
)
def test_is_command_id_refuses(value: str) -> None:
    """Wrong prefix, length, alphabet or a trailing newline is not a command id."""
    assert not is_command_id(value)


@pytest.mark.parametrize(("epoch_ms", "random80"), [(-1, bytes(10)), (2**48, bytes(10)), (0, b"x")])
def test_bad_inputs_raise(epoch_ms: int, random80: bytes) -> None:
    """Out-of-range time or a wrong-sized random part is a programming error."""
    with pytest.raises(ValueError, match=r"out of range|10 bytes"):
        new_command_id(epoch_ms, random80)
