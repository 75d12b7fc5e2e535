"""Signatures on brain → executor commands (``docs/security.md`` § Signed commands).

Every ``TRADE_SIGNAL``, ``HALT`` and ``RESUME`` carries ``signature``: base64
of HMAC-SHA256, keyed with the executor's signing secret (issued by
``fx-brain executors add``), over the canonical bytes::

    DOMAIN + executorId + b"\\n" + JSON(message without signature)

with one domain per message type (``b"fx-trade-signal/v1\\n"``,
``b"fx-halt/v1\\n"``, ``b"fx-resume/v1\\n"``), so a signature made for one kind
of message can never be presented as another.

``JSON`` is :func:`fx_protocol.codec.encode` of the message struct with
``signature`` unset: fields in declaration order, camelCase
names, defaults omitted, datetimes in RFC 3339. The executor re-encodes the
struct it decoded, so whitespace, key order or unknown fields an attacker
adds on the wire change nothing; any change of a field the executor acts on
(command, timestamp, expiry, commandId, seq, possibleDuplicate, ...) breaks
the signature. The executor id is inside, so a signal for one executor
cannot be replayed to another even if two shared a secret.

The brain signs each delivery afresh (a resend has a new ``timestamp`` and
``seq``); :func:`content_key` is what stays the same across resends of one
command, which is how the executor tells a resend from a replayed id with
different content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from fx_protocol.brain_wire import Halt, Resume, TradeSignal
from fx_protocol.codec import encode

__all__ = [
    "DOMAIN",
    "DOMAINS",
    "SignedMessage",
    "canonical_bytes",
    "content_key",
    "new_signing_secret",
    "sign",
    "signature_of",
    "verify",
]

DOMAIN = b"fx-trade-signal/v1\n"
#: the signed brain → executor messages and their domain separators
DOMAINS: dict[type, bytes] = {
    TradeSignal: DOMAIN,
    Halt: b"fx-halt/v1\n",
    Resume: b"fx-resume/v1\n",
}
SignedMessage = TypeVar("SignedMessage", bound=TradeSignal | Halt | Resume)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_signing_secret() -> str:
    """256 random bits, URL-safe text (what the brain issues and the executor stores)."""
    return "fxs_" + secrets.token_urlsafe(32)


def canonical_bytes(signal: TradeSignal | Halt | Resume, executor_id: str) -> bytes:
    """The bytes the HMAC covers (module docstring)."""
    unsigned = msgspec.structs.replace(signal, signature=None)
    return DOMAINS[type(signal)] + executor_id.encode("utf-8") + b"\n" + encode(unsigned)


def signature_of(signal: TradeSignal | Halt | Resume, executor_id: str, secret: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), canonical_bytes(signal, executor_id), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(signal: SignedMessage, executor_id: str, secret: str) -> SignedMessage:
    """The same message with its ``signature`` set."""
    return msgspec.structs.replace(signal, signature=signature_of(signal, executor_id, secret))


def verify(signal: TradeSignal | Halt | Resume, executor_id: str, secret: str) -> bool:
    """True when ``signal.signature`` is the right HMAC (constant-time comparison)."""
    if not signal.signature or not secret:
        return False
    try:
        presented = base64.b64decode(signal.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(
        secret.encode("utf-8"), canonical_bytes(signal, executor_id), hashlib.sha256
    ).digest()
    return hmac.compare_digest(presented, expected)


def content_key(signal: TradeSignal) -> bytes:
    """What identifies a command's content across deliveries: everything but the
    per-delivery fields (timestamp, seq, relative expiry, duplicate flag, signature)."""
    stripped = msgspec.structs.replace(
        signal,
        timestamp=_EPOCH,
        seq=0,
        expiry=None,
        possible_duplicate=False,
        signature=None,
    )
    return encode(stripped)
