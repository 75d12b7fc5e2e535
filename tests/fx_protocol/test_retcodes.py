"""MT5 retcodes: each in exactly one class, names as MQL5 spells them."""

from __future__ import annotations

import pytest

from fx_protocol.retcodes import (
    RETCODE_CLASS,
    Retcode,
    RetcodeClass,
    is_success,
    retcode_name,
)


def test_every_code_classified_exactly_once() -> None:
    """The class table covers every member and nothing else."""
    assert set(RETCODE_CLASS) == set(Retcode)
    assert all(isinstance(RETCODE_CLASS[code], RetcodeClass) for code in Retcode)
    assert all(code.outcome is RETCODE_CLASS[code] for code in Retcode)


def test_success_set() -> None:
    """Placed, done, done-partial and no-changes count as success; nothing else."""
    success = {code.value for code in Retcode if code.outcome is RetcodeClass.SUCCESS}
    assert success == {10008, 10009, 10010, 10025}
    assert {c for c in range(9000, 11000) if is_success(c)} == success


@pytest.mark.parametrize(
    "code",
    [
        Retcode.REQUOTE,
        Retcode.PRICE_CHANGED,
        Retcode.PRICE_OFF,
        Retcode.TIMEOUT,
        Retcode.CONNECTION,
        Retcode.TOO_MANY_REQUESTS,
    ],
)
def test_transient_failures_are_retryable(code: Retcode) -> None:
    """Price movement, busy and connection failures may succeed later."""
    assert code.outcome is RetcodeClass.RETRYABLE


@pytest.mark.parametrize(
    "code",
    [Retcode.NO_MONEY, Retcode.INVALID_VOLUME, Retcode.MARKET_CLOSED, Retcode.TRADE_DISABLED],
)
def test_hopeless_failures_are_final(code: Retcode) -> None:
    """Repeating a request that failed for money, volume or market state will not help."""
    assert code.outcome is RetcodeClass.FINAL


def test_names() -> None:
    """Short and MQL5 names, and a tolerant name for codes MT5 may add later."""
    assert retcode_name(10009) == "DONE"
    assert Retcode.DONE.mt5_name == "TRADE_RETCODE_DONE"
    assert retcode_name(10999) == "UNKNOWN_10999"
    assert not is_success(10999)


def test_values_are_unique_and_in_mt5_range() -> None:
    """MT5 trade server codes live in 10004..10046."""
    values = [code.value for code in Retcode]
    assert len(values) == len(set(values))
    assert all(10004 <= value <= 10046 for value in values)
