"""WebSocket close codes of ``/ws/executor`` and ``/ws/events`` (``docs/brain.md``).

The close reason is always the :class:`~fx_protocol.vocabulary.ReasonCode`
value, so a client can act on it without parsing prose; an ``ERROR`` frame with
the same reason and a human message precedes the close where possible.
"""

from __future__ import annotations

from fx_protocol.vocabulary import ReasonCode

NORMAL = 1000
GOING_AWAY = 1001  # brain shutting down: reconnect with backoff
INVALID_DATA = 1007  # a frame failed to decode or validate
TOO_LARGE = 1009
INTERNAL = 1011
TRY_AGAIN_LATER = 1013  # events subscriber too slow
AUTH_FAILED = 4001  # wrong executor id / API key / token, or no HELLO in time: fix credentials
PROTOCOL_VERSION = 4002  # upgrade the executor
SESSION_REPLACED = 4003  # another connection of the same executor took over
HEARTBEAT_TIMEOUT = 4004  # silence: reconnect

_BY_REASON = {
    ReasonCode.AUTH_FAILED: AUTH_FAILED,
    ReasonCode.PROTOCOL_VERSION: PROTOCOL_VERSION,
    ReasonCode.SESSION_REPLACED: SESSION_REPLACED,
    ReasonCode.HEARTBEAT_TIMEOUT: HEARTBEAT_TIMEOUT,
    ReasonCode.MESSAGE_TOO_LARGE: TOO_LARGE,
    ReasonCode.INTERNAL_ERROR: INTERNAL,
}


def code_for(reason: ReasonCode) -> int:
    return _BY_REASON.get(reason, INVALID_DATA)
