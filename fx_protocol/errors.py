"""The one exception of the protocol package.

    ProtocolError            bad bytes or a bad message reached a wire edge
        carries .reason      a ReasonCode the peer can act on (usually INVALID_COMMAND)
        carries .field       the offending field as a JSON path ("$.command.volume", "$.seq",
                             "$" for a wrong top-level shape); None only when the input
                             has no structure to point into (not JSON, bad UTF-8, too large)

Decoders raise nothing else: not msgspec's errors, not UnicodeDecodeError,
not ValueError. Callers answer the peer with ``reason``/``field`` and carry on.
"""

from __future__ import annotations

from fx_protocol.vocabulary import ReasonCode


class ProtocolError(Exception):
    """A message could not be decoded or failed validation at the edge."""

    def __init__(self, reason: ReasonCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"ProtocolError({self.reason.value}, {self.message!r}, field={self.field!r})"
