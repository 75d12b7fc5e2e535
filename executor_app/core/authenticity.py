"""Is this TRADE_SIGNAL, HALT or RESUME really from the brain, and fresh? (``docs/security.md``)

Runs before the safety engine, so a forged, altered or stale command never
reaches the safety checks or the terminal. Pure: the secret, the clock
reading and the journaled copy of the command (if any) are passed in.

- ``BAD_SIGNATURE``: no signature, or not the HMAC of the executor's secret
  (also every signal when signatures are required but no secret is set up:
  fail closed).
- ``STALE_COMMAND``: the signal's ``timestamp`` is further than
  ``max_age`` from the executor's clock (either way: a replay from the past,
  or a clock that cannot be trusted).
- ``REPLAYED``: the command id is already journaled with different content.
  The same content again is an ordinary resend and goes the usual dedup way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from executor_app.core.safety import Verdict
from fx_protocol import signing
from fx_protocol.brain_wire import Halt, Resume, TradeSignal
from fx_protocol.vocabulary import ReasonCode, RejectSource

ALLOWED = Verdict(allowed=True)


class Authenticity(msgspec.Struct, frozen=True, kw_only=True):
    """What the executor checks signals with."""

    executor_id: str
    #: the signing secret; "" = none configured
    secret: str = ""
    #: refuse unsigned signals even without a secret (fail closed)
    required: bool = True
    max_age: timedelta = timedelta(seconds=60)

    @property
    def active(self) -> bool:
        return bool(self.secret) or self.required


def _deny(reason: ReasonCode, message: str, field: str | None = None) -> Verdict:
    return Verdict(
        allowed=False, reason=reason, source=RejectSource.SAFETY, message=message, field=field
    )


def check(
    signal: TradeSignal | Halt | Resume, auth: Authenticity, received_at: datetime
) -> Verdict:
    """Signature, then freshness; allowed or denied with a reason code."""
    if not auth.active:
        return ALLOWED
    if not auth.secret:
        return _deny(
            ReasonCode.BAD_SIGNATURE,
            "signed commands are required but this executor has no signing secret",
            "signature",
        )
    if not signing.verify(signal, auth.executor_id, auth.secret):
        message = "missing signature" if not signal.signature else "signature does not match"
        return _deny(ReasonCode.BAD_SIGNATURE, message, "signature")
    skew = abs(received_at - signal.timestamp)
    if skew > auth.max_age:
        return _deny(
            ReasonCode.STALE_COMMAND,
            f"timestamp is {skew.total_seconds():.1f} s from the executor's clock "
            f"(window {auth.max_age.total_seconds():.0f} s)",
            "timestamp",
        )
    return ALLOWED


def is_replay(signal: TradeSignal, journaled: TradeSignal) -> bool:
    """A known command id arriving with content other than the journaled command's."""
    return signing.content_key(signal) != signing.content_key(journaled)
