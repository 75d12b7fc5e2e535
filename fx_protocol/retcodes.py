"""MetaTrader 5 trade server return codes and what the product does with each.

Values and names are MT5's own (``TRADE_RETCODE_*``, MQL5 reference, "Return
Codes of the Trade Server"). Every code is sorted into exactly one class:

- SUCCESS: the request was carried out (fully or partly).
- RETRYABLE: nothing happened and the same request may succeed later
  (requote, price moved, busy). The executor never retries on its own: the
  brain's strategy decides, because a retry is a new trading decision.
- FINAL: nothing happened and repeating the request will not help.

``mql5/Include/FxBridge/Retcodes.mqh`` mirrors this table; a test keeps the
two in step (``docs/protocol.md`` § Retcodes).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Retcode(IntEnum):
    REQUOTE = 10004
    REJECT = 10006
    CANCEL = 10007
    PLACED = 10008
    DONE = 10009
    DONE_PARTIAL = 10010
    ERROR = 10011
    TIMEOUT = 10012
    INVALID = 10013
    INVALID_VOLUME = 10014
    INVALID_PRICE = 10015
    INVALID_STOPS = 10016
    TRADE_DISABLED = 10017
    MARKET_CLOSED = 10018
    NO_MONEY = 10019
    PRICE_CHANGED = 10020
    PRICE_OFF = 10021
    INVALID_EXPIRATION = 10022
    ORDER_CHANGED = 10023
    TOO_MANY_REQUESTS = 10024
    NO_CHANGES = 10025
    SERVER_DISABLES_AT = 10026
    CLIENT_DISABLES_AT = 10027
    LOCKED = 10028
    FROZEN = 10029
    INVALID_FILL = 10030
    CONNECTION = 10031
    ONLY_REAL = 10032
    LIMIT_ORDERS = 10033
    LIMIT_VOLUME = 10034
    INVALID_ORDER = 10035
    POSITION_CLOSED = 10036
    INVALID_CLOSE_VOLUME = 10038
    CLOSE_ORDER_EXIST = 10039
    LIMIT_POSITIONS = 10040
    REJECT_CANCEL = 10041
    LONG_ONLY = 10042
    SHORT_ONLY = 10043
    CLOSE_ONLY = 10044
    FIFO_CLOSE = 10045
    HEDGE_PROHIBITED = 10046

    @property
    def mt5_name(self) -> str:
        """The MQL5 constant, e.g. ``TRADE_RETCODE_DONE``."""
        return f"TRADE_RETCODE_{self.name}"

    @property
    def outcome(self) -> RetcodeClass:
        return RETCODE_CLASS[self]


class RetcodeClass(StrEnum):
    SUCCESS = "SUCCESS"
    RETRYABLE = "RETRYABLE"
    FINAL = "FINAL"


_SUCCESS = {Retcode.PLACED, Retcode.DONE, Retcode.DONE_PARTIAL, Retcode.NO_CHANGES}
_RETRYABLE = {
    Retcode.REQUOTE,
    Retcode.PRICE_CHANGED,
    Retcode.PRICE_OFF,
    Retcode.TIMEOUT,
    Retcode.TOO_MANY_REQUESTS,
    Retcode.LOCKED,
    Retcode.FROZEN,
    Retcode.CONNECTION,
    Retcode.ORDER_CHANGED,
}

RETCODE_CLASS: dict[Retcode, RetcodeClass] = {
    code: RetcodeClass.SUCCESS
    if code in _SUCCESS
    else RetcodeClass.RETRYABLE
    if code in _RETRYABLE
    else RetcodeClass.FINAL
    for code in Retcode
}


def retcode_name(code: int) -> str:
    """The short name for any integer retcode, tolerant of codes MT5 adds later."""
    try:
        return Retcode(code).name
    except ValueError:
        return f"UNKNOWN_{code}"


def is_success(code: int) -> bool:
    try:
        return Retcode(code) in _SUCCESS
    except ValueError:
        return False
