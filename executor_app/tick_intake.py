"""The latest tick of each symbol, kept as the EA sent it until someone reads it.

The EA may publish 20,000 ticks a second; the executor uses a few dozen of them
(the latest quote per symbol, forwarded at ``brain.tick_forward_hz``, and the quotes
a safety check reads). So the terminal bridge's thread does only what every event
needs: it reads the tick's ``instance`` and ``seq`` (:func:`tick_head`, for the
continuity check in :mod:`executor_app.core.event_stream`) and hands the raw frame
over, latest per topic (:meth:`TickIntake.offer`). A tick is decoded and validated
in full when it is taken (:meth:`TickIntake.take`): a malformed one is refused
there with its reason and never becomes a quote. A tick a later one replaced is
never looked at, as it was never used before either (``docs/executor.md`` § Terminal link).
"""

from __future__ import annotations

import threading

import msgspec
from loguru import logger

from fx_protocol.errors import ProtocolError
from fx_protocol.terminal_wire import MAX_EVENT_BYTES, TickEvent, decode_event

#: the topic prefix of tick events on the EA's PUB socket (``docs/protocol.md``)
TICK_PREFIX = b"tick."


class TickHead(msgspec.Struct, frozen=True, tag_field="type", tag="TICK"):
    """What the bridge reads of every tick: where it stands in the event stream."""

    instance: str
    seq: int


_decode_head = msgspec.json.Decoder(TickHead).decode
_decode_tick = msgspec.json.Decoder(TickEvent).decode


def tick_head(body: bytes) -> TickHead | None:
    """``instance`` and ``seq`` of a tick frame; None when it does not read as a tick.

    The caller then decodes the frame as any other event (which names what is wrong).
    """
    if len(body) > MAX_EVENT_BYTES:
        return None
    try:
        return _decode_head(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def decode_tick(body: bytes) -> TickEvent | None:
    """The tick in full, validated; None (and a warning with the reason) if it is malformed."""
    try:
        return _decode_tick(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        pass  # the edge decoder names the fault in the words every other event uses
    try:
        event = decode_event(body)
    except ProtocolError as exc:
        where = f" at {exc.field}" if exc.field else ""
        logger.warning("unreadable tick from the terminal: {}{}", exc.message, where)
        return None
    logger.warning("a {} event on a tick topic is not a tick", type(event).__name__)
    return None


class TickIntake:
    """Raw tick frames, latest per topic: offered by the bridge thread, taken by the runtime."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[bytes, bytes] = {}

    def offer(self, frames: dict[bytes, bytes]) -> None:
        """Keep these frames (topic → body) in place of older ones; any thread."""
        with self._lock:
            self._frames.update(frames)

    def take(self) -> list[TickEvent]:
        """The ticks offered since the last call, decoded; malformed ones left out."""
        with self._lock:
            frames, self._frames = self._frames, {}
        ticks = []
        for body in frames.values():
            tick = decode_tick(body)
            if tick is not None:
                ticks.append(tick)
        return ticks

    @property
    def pending(self) -> bool:
        return bool(self._frames)
