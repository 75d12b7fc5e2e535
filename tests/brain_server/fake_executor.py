"""A test executor: a real ``websockets`` client speaking ``fx_protocol.brain_wire``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import websockets

from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Ack,
    BrainToExecutor,
    CommandAck,
    CommandReject,
    ExecutionResult,
    ExecutionResultBody,
    Heartbeat,
    HeartbeatAck,
    Hello,
    TradeSignal,
    Welcome,
    decode_from_brain,
    encode,
)
from fx_protocol.vocabulary import ReasonCode, RejectSource


def now() -> datetime:
    return datetime.now(UTC)


class FakeExecutor:
    def __init__(self, url: str, executor_id: str, api_key: str, seq: int = 0) -> None:
        self.url = url
        self.executor_id = executor_id
        self.api_key = api_key
        self.seq = seq
        self.ws: Any = None
        self.welcome: Welcome | None = None
        self.answer_heartbeats = True
        self.acks: list[int] = []
        self.heartbeats_answered = 0

    async def connect(self, protocol_version: int = BRAIN_PROTOCOL_VERSION) -> Welcome:
        self.ws = await websockets.connect(self.url, max_size=2**20)
        await self.ws.send(
            encode(
                Hello(
                    executor_id=self.executor_id,
                    api_key=self.api_key,
                    protocol_version=protocol_version,
                    app_version="test",
                    timestamp=now(),
                )
            )
        )
        message = await self.recv()
        assert isinstance(message, Welcome), message
        self.welcome = message
        return message

    async def recv(self, within: float = 5.0) -> BrainToExecutor:
        """The next frame that is not a heartbeat (those are answered here)."""
        while True:
            data = await asyncio.wait_for(self.ws.recv(), within)
            message = decode_from_brain(data)
            if isinstance(message, Heartbeat):
                if self.answer_heartbeats:
                    await self.ws.send(encode(HeartbeatAck(id=message.id, sent_at=message.sent_at)))
                    self.heartbeats_answered += 1
                continue
            if isinstance(message, Ack):
                self.acks.append(message.seq)
                continue
            return message

    async def signal(self, within: float = 5.0) -> TradeSignal:
        message = await self.recv(within)
        assert isinstance(message, TradeSignal), message
        return message

    async def wait_ack(self, seq: int, within: float = 5.0) -> None:
        """Read frames until the brain has ACKed ``seq`` (other frames must not arrive)."""
        async with asyncio.timeout(within):
            while not self.acks or self.acks[-1] < seq:
                data = await self.ws.recv()
                message = decode_from_brain(data)
                if isinstance(message, Ack):
                    self.acks.append(message.seq)
                elif isinstance(message, Heartbeat):
                    await self.ws.send(encode(HeartbeatAck(id=message.id, sent_at=message.sent_at)))
                else:
                    raise AssertionError(f"unexpected {message!r}")

    async def answer_heartbeats_until(self, count: int, within: float = 5.0) -> None:
        """Answer brain heartbeats until ``count`` were answered; other frames are unexpected."""
        async with asyncio.timeout(within):
            while self.heartbeats_answered < count:
                message = decode_from_brain(await self.ws.recv())
                if not isinstance(message, Heartbeat):
                    raise AssertionError(f"unexpected {message!r}")
                await self.ws.send(encode(HeartbeatAck(id=message.id, sent_at=message.sent_at)))
                self.heartbeats_answered += 1

    async def barrier(self) -> None:
        """Return once the brain has handled every frame sent so far (a reliable no-op round trip).

        Frames are handled in order, so the ACK of a fresh FILL proves everything
        before it was processed. The FILL is for a deal no test uses (deal 1).
        """
        from fx_protocol.brain_wire import Fill, FillReport

        seq = self.next_seq()
        fill = FillReport(
            deal=1,
            order=1,
            position_id=1,
            symbol="BARRIER",
            side="BUY",
            entry="IN",
            volume=0.0,
            price=0.0,
            reason="CLIENT",
            time=now(),
        )
        await self.send(Fill(timestamp=now(), seq=seq, fill=fill))
        await self.wait_ack(seq)

    async def send(self, message: Any) -> None:
        await self.ws.send(encode(message))

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def ack(self, command_id: str, wait: bool = True) -> int:
        seq = self.next_seq()
        await self.send(CommandAck(seq=seq, command_id=command_id, timestamp=now()))
        if wait:
            await self.wait_ack(seq)
        return seq

    async def reject(self, command_id: str, reason: ReasonCode, field: str | None = None) -> int:
        seq = self.next_seq()
        await self.send(
            CommandReject(
                seq=seq,
                command_id=command_id,
                reason=reason,
                source=RejectSource.SAFETY,
                message="refused by a local limit",
                field=field,
                timestamp=now(),
            )
        )
        await self.wait_ack(seq)
        return seq

    async def result(
        self, command_id: str, status: str = "executed", ticket: int = 1001, wait: bool = True
    ) -> int:
        seq = self.next_seq()
        body = ExecutionResultBody(
            success=status == "executed",
            status=status,  # type: ignore[arg-type]
            ticket=ticket if status == "executed" else None,
            price=1.1001 if status == "executed" else None,
            volume=0.1 if status == "executed" else None,
            slippage=0.0001 if status == "executed" else None,
            retcode=10009 if status == "executed" else 10006,
        )
        await self.send(
            ExecutionResult(
                timestamp=now(),
                seq=seq,
                command_id=command_id,
                executor_id=self.executor_id,
                result=body,
            )
        )
        if wait:
            await self.wait_ack(seq)
        return seq

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def closed(self, within: float = 5.0) -> tuple[int | None, str]:
        """Wait for the brain to close; returns (code, reason). Frames before it are skipped."""
        async with asyncio.timeout(within):
            try:
                while True:
                    await self.ws.recv()
            except websockets.ConnectionClosed as exc:
                rcvd = exc.rcvd
                return (rcvd.code, rcvd.reason) if rcvd else (None, "")
