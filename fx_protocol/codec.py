"""Decode/encode machinery shared by both wire modules.

Decoding is bounded (size checked before parsing), typed (msgspec validates
while parsing) and closed (every failure becomes one ``ProtocolError`` that
names the offending field).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from fx_protocol.errors import ProtocolError
from fx_protocol.vocabulary import ReasonCode

T = TypeVar("T")

INT64_MAX = 2**63 - 1
#: Every integer on the wire fits a signed 64-bit column (SQLite, MQL5 ``long``):
#: an unbounded ``int`` would decode 10**30 and fail later, far from the edge.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=INT64_MAX)]
#: Every datetime on the wire carries its offset: a naive one cannot be compared
#: with the aware clocks of brain and executor (expiry checks would raise).
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

_PATH_RE = re.compile(r" - at `(\$[^`]*)`$")
_MISSING_RE = re.compile(r"^Object missing required field `([^`]+)`")

_encoder = msgspec.json.Encoder()


def encode(message: msgspec.Struct) -> bytes:
    """Encode any protocol struct to compact JSON bytes."""
    return _encoder.encode(message)


class BoundedDecoder(Generic[T]):
    """A JSON decoder for one message type with a size limit and a validation hook."""

    def __init__(
        self,
        type_: Any,
        max_bytes: int,
        validate: Callable[[T], None] | None = None,
    ) -> None:
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(type_)
        self._max_bytes = max_bytes
        self._validate = validate

    def __call__(self, data: bytes | str) -> T:
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError as exc:  # lone surrogates
                raise ProtocolError(ReasonCode.INVALID_COMMAND, "text is not valid UTF-8") from exc
        if len(data) > self._max_bytes:
            raise ProtocolError(
                ReasonCode.MESSAGE_TOO_LARGE,
                f"message of {len(data)} bytes exceeds the limit of {self._max_bytes}",
            )
        try:
            message = self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            summary, field = _locate(str(exc))
            raise ProtocolError(ReasonCode.INVALID_COMMAND, summary, field=field) from None
        except msgspec.DecodeError as exc:
            raise ProtocolError(ReasonCode.INVALID_COMMAND, f"malformed JSON: {exc}") from None
        except UnicodeDecodeError:
            # msgspec raises this (not DecodeError) for bad UTF-8 inside a tag value.
            raise ProtocolError(ReasonCode.INVALID_COMMAND, "text is not valid UTF-8") from None
        if self._validate is not None:
            self._validate(message)
        return message


def _locate(text: str) -> tuple[str, str]:
    """Split a msgspec validation message into a summary and the offending field's path.

    msgspec names the *parent* of a missing field (or nothing at the top
    level); the peer needs the field itself, so it is appended. A message
    that is wrong as a whole (an array instead of an object) is ``$``.
    """
    match = _PATH_RE.search(text)
    path = match.group(1) if match else "$"
    summary = _PATH_RE.sub("", text)
    missing = _MISSING_RE.match(summary)
    if missing:
        path = f"{path}.{missing.group(1)}"
    return summary, path
