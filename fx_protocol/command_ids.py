"""Command identifiers that fit MetaTrader 5's 31-character order comment.

A command id is ``c`` + a 26-character ULID (time-ordered, 80 random bits):
27 characters, so the EA can stamp it into the order comment and every deal
inside MetaTrader traces back to its command (``docs/protocol.md`` § Ids).
Time and randomness are passed in, so callers and tests control both.
"""

from __future__ import annotations

import re

MT5_COMMENT_MAX = 31
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COMMAND_ID_PATTERN = r"^c[0-9A-HJKMNP-TV-Z]{26}$(?!\n)"
_COMMAND_ID_RE = re.compile(COMMAND_ID_PATTERN)


def new_command_id(epoch_ms: int, random80: bytes) -> str:
    """Build an id from a millisecond timestamp and 10 random bytes."""
    if len(random80) != 10:
        raise ValueError("random80 must be 10 bytes")
    if not 0 <= epoch_ms < 2**48:
        raise ValueError("epoch_ms out of range")
    value = (epoch_ms << 80) | int.from_bytes(random80, "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "c" + "".join(reversed(chars))


def is_command_id(value: str) -> bool:
    return bool(_COMMAND_ID_RE.match(value))


def command_id_time_ms(command_id: str) -> int:
    """The creation time encoded in an id (first 10 ULID characters)."""
    value = 0
    for char in command_id[1:11]:
        value = value * 32 + _CROCKFORD.index(char)
    return value
