"""The events stream behind ``/ws/events``: publish once, fan out to every subscriber.

An event is encoded once, to the text of its frame, and queued to each
subscriber; a subscriber whose queue is full is too slow to follow and is
dropped (its socket closes with 1013 and a reason) rather than slowing the
order flow.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import msgspec
from loguru import logger

from brain_server.clock import maybe_datetime, to_datetime
from brain_server.store import StatusChange
from fx_protocol.strategy_events import CommandStatusEvent, StrategyEvent

_encoder = msgspec.json.Encoder()


@dataclass(eq=False)
class Subscription:
    executor_id: str | None
    queue: asyncio.Queue[str]  # frame text, encoded once for all subscribers
    dropped: asyncio.Event = field(default_factory=asyncio.Event)


class EventBus:
    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()

    def subscribe(self, executor_id: str | None = None) -> Subscription:
        sub = Subscription(executor_id, asyncio.Queue(maxsize=self._queue_size))
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: StrategyEvent, executor_id: str | None = None) -> None:
        if not self._subscribers:
            return
        data = _encoder.encode(event).decode()
        for sub in list(self._subscribers):
            if sub.executor_id is not None and executor_id != sub.executor_id:
                continue
            try:
                sub.queue.put_nowait(data)
            except asyncio.QueueFull:
                logger.warning("events subscriber dropped: {} events queued", self._queue_size)
                self._subscribers.discard(sub)
                sub.dropped.set()

    def command_changed(self, change: StatusChange) -> None:
        row = change.row
        self.publish(
            CommandStatusEvent(
                command_id=row.id,
                executor_id=row.executor_id,
                status=row.status,
                previous=change.previous,
                strategy_id=row.strategy_id,
                reason=row.reason,
                source=row.source,
                field=row.field,
                message=row.message,
                result=row.result,
                timestamp=maybe_datetime(row.updated_ms) or to_datetime(row.created_ms),
            ),
            row.executor_id,
        )
