"""The two loops of an executor session besides reading: heartbeat and command delivery."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from loguru import logger

from brain_server import close_codes
from brain_server.clock import now_ms, to_datetime, utcnow
from brain_server.store import StatusChange
from fx_protocol.brain_wire import (
    Error,
    Heartbeat,
    TradeSignal,
)
from fx_protocol.vocabulary import ReasonCode

if TYPE_CHECKING:
    from brain_server.executor_session import ExecutorSession


async def heartbeat_loop(session: ExecutorSession) -> None:
    clock = session.heartbeat
    next_ping = now_ms() + clock.interval_ms
    while True:
        now = now_ms()
        if clock.timed_out(now):
            logger.warning(
                "executor {}: no frame for {} ms; closing",
                session.executor_id,
                now - clock.last_seen_ms,
            )
            with contextlib.suppress(Exception):
                await session.send(
                    Error(reason=ReasonCode.HEARTBEAT_TIMEOUT, message="heartbeat timeout")
                )
            session.finish(
                close_codes.code_for(ReasonCode.HEARTBEAT_TIMEOUT),
                ReasonCode.HEARTBEAT_TIMEOUT.value,
            )
            return
        if now >= next_ping:
            await session.send(Heartbeat(id=clock.ping(now), sent_at=utcnow()))
            next_ping = now + clock.interval_ms
        deadline = min(next_ping, clock.last_seen_ms + clock.timeout_ms + 1)
        await asyncio.sleep(max(0.005, (deadline - now_ms()) / 1000))


async def delivery_loop(session: ExecutorSession, wake: asyncio.Event) -> None:
    await session.push_control()
    fresh = True
    wake.set()
    batch = session.brain.settings.delivery_batch
    store = session.brain.db.store
    while True:
        await wake.wait()
        wake.clear()
        while True:
            claim = await session.brain.db.call(
                store.claim_delivery,
                session.executor_id,
                session.session_id,
                fresh=fresh,
                first_seq=session.state.brain_seq + 1,
                limit=batch,
                now_ms=now_ms(),
            )
            fresh = False
            for change in claim.expired:
                session.brain.command_changed(change)
            new = 0
            for out in claim.send:
                session.state.brain_seq = out.seq
                row = out.row
                now = utcnow()
                await session.send(
                    TradeSignal(
                        timestamp=now,
                        command_id=row.id,
                        seq=out.seq,
                        command=row.command,
                        priority=row.priority,
                        expiry=(
                            max(0, row.expires_ms - now_ms())
                            if row.expires_ms is not None
                            else None
                        ),
                        expires_at=to_datetime(row.expires_ms) if row.expires_ms else None,
                        strategy_id=row.strategy_id,
                        possible_duplicate=out.possible_duplicate,
                    )
                )
                if not out.possible_duplicate:
                    new += 1
                    session.brain.command_changed(StatusChange(row, None))
            if new + len(claim.expired) < batch:
                break
