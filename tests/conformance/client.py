"""A plain synchronous test client for the terminal protocol: one DEALER, one SUB."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import msgspec
import zmq

from fx_protocol.terminal_wire import decode_event, decode_reply

_ids = itertools.count(1)


class TerminalClient:
    """Requests over a DEALER (one frame each) and events from a SUB (topic, JSON)."""

    def __init__(
        self, command_endpoint: str, events_endpoint: str, topics: tuple[bytes, ...] = (b"",)
    ) -> None:
        self.ctx = zmq.Context()
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.connect(command_endpoint)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, 0)
        for topic in topics:
            self.sub.subscribe(topic)
        self.sub.connect(events_endpoint)

    def close(self) -> None:
        self.dealer.close(0)
        self.sub.close(0)
        self.ctx.term()

    def __enter__(self) -> TerminalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def request_id() -> str:
        return f"t{next(_ids)}"

    def send(self, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else msgspec.json.encode(body)
        self.dealer.send(data)

    def receive(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """The next reply as a dict, or None if none arrives within ``timeout`` seconds."""
        if not self.dealer.poll(int(timeout * 1000)):
            return None
        raw = self.dealer.recv()
        if b'"SIM_CONTROL_REPLY"' not in raw:
            decode_reply(raw)  # every protocol reply must decode strictly
        reply: dict[str, Any] = msgspec.json.decode(raw)
        return reply

    def request(self, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Send one request (requestId filled in) and return its reply."""
        body.setdefault("requestId", self.request_id())
        self.send(body)
        reply = self.receive(timeout)
        assert reply is not None, f"no reply to {body['type']} within {timeout}s"
        assert reply["requestId"] == body["requestId"]
        return reply

    def trade(self, command_id: str, action: str, **fields: Any) -> dict[str, Any]:
        body = {"type": "TRADE", "commandId": command_id, "action": action, **fields}
        return self.request(body)

    def control(self, **fields: Any) -> dict[str, Any]:
        return self.request({"type": "SIM_CONTROL", **fields})

    def wait_event(
        self, predicate: Callable[[bytes, dict[str, Any]], bool], timeout: float = 5.0
    ) -> tuple[bytes, dict[str, Any]]:
        """The first event (topic, body) matching ``predicate``; every event must decode."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sub.poll(int(left * 1000)):
                raise AssertionError(f"no matching event within {timeout}s")
            topic, raw = self.sub.recv_multipart()
            decode_event(raw)
            body: dict[str, Any] = msgspec.json.decode(raw)
            if predicate(topic, body):
                return topic, body

    def wait_subscribed(self, timeout: float = 5.0) -> None:
        """Wait for any event, so the SUB is known to be connected (the slow-joiner gap)."""
        self.wait_event(lambda _t, _b: True, timeout)

    def drain(self) -> None:
        while self.sub.poll(0):
            self.sub.recv_multipart()
