"""The brain link's retry policy and its behaviour against a brain that refuses it."""

from __future__ import annotations

import websockets
from websockets.frames import Close

from executor_app.brain_link import Retry, SessionRefused, classify
from fx_protocol.vocabulary import ReasonCode


def test_classify_errors() -> None:
    """Network trouble retries soon, refusals slowly, a bad URL never."""
    assert classify(OSError("refused")) is Retry.SOON
    assert classify(TimeoutError()) is Retry.SOON
    assert classify(SessionRefused(ReasonCode.AUTH_FAILED, "bad key")) is Retry.SLOW
    assert classify(SessionRefused(ReasonCode.SESSION_REPLACED, "x")) is Retry.SOON
    assert classify(websockets.InvalidURI("http://x", "not ws")) is Retry.NEVER
    replaced = websockets.ConnectionClosedError(Close(4003, "SESSION_REPLACED"), None)
    assert classify(replaced) is Retry.SLOW
    dropped = websockets.ConnectionClosedError(Close(1011, "INTERNAL_ERROR"), None)
    assert classify(dropped) is Retry.SOON
