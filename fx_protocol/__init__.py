"""The wire protocols of the product, as code: the single source of truth.

Two boundaries, one module each (see ``docs/protocol.md``):

- :mod:`fx_protocol.brain_wire`: brain ↔ executor over WebSocket, camelCase JSON.
- :mod:`fx_protocol.terminal_wire`: executor ↔ MT5 Expert Advisor over ZeroMQ.

Shared vocabulary (actions, order types, statuses, reason codes) lives in
:mod:`fx_protocol.vocabulary`, the trade command itself in
:mod:`fx_protocol.commands`, MT5 return codes in :mod:`fx_protocol.retcodes`.
Decoding is the only way in: every ``decode_*`` function either returns a
frozen, validated struct or raises :class:`fx_protocol.errors.ProtocolError`.
"""

BRAIN_PROTOCOL_VERSION = 1
TERMINAL_PROTOCOL_VERSION = 1
