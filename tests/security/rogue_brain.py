"""A brain impostor for the refusal tests: a WebSocket server that speaks the brain
protocol to a real executor and sends whatever TRADE_SIGNAL a test crafts.

It stands for a compromised proxy or a stolen connection: it can get the
executor's session going (WELCOME) and write any frame, but it only knows the
signing secret when the test gives it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import (
    Ack,
    CommandAck,
    CommandReject,
    Error,
    ExecutionResult,
    ExecutorToBrain,
    Hello,
    TradeSignal,
    Welcome,
    decode_from_executor,
    encode,
)
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import Action, OrderType


def open_buy(volume: float = 0.01) -> TradeCommand:
    return TradeCommand(
        action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.BUY, volume=volume
    )


def signal(command_id: str, seq: int, volume: float = 0.01, **fields: Any) -> TradeSignal:
    return TradeSignal(
        timestamp=fields.pop("timestamp", datetime.now(UTC)),
        command_id=command_id,
        seq=seq,
        command=open_buy(volume),
        **fields,
    )


class RogueBrain:
    """Accepts one executor at a time; records every frame it sends."""

    def __init__(self) -> None:
        self.received: list[ExecutorToBrain] = []
        self.hello: Hello | None = None
        self._connection: ServerConnection | None = None
        self._server: Server | None = None
        self._changed = asyncio.Event()
        self.port = 0

    async def start(self) -> None:
        self._server = await serve(self._serve, "127.0.0.1", 0, compression=None)
        self.port = int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/executor"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _serve(self, connection: ServerConnection) -> None:
        first = decode_from_executor(await connection.recv(decode=False))
        assert isinstance(first, Hello)
        self.hello = first
        await connection.send(
            encode(
                Welcome(
                    session_id="s-rogue",
                    protocol_version=BRAIN_PROTOCOL_VERSION,
                    server_time=datetime.now(UTC),
                    heartbeat_interval_ms=10_000,
                    heartbeat_timeout_ms=60_000,
                    last_executor_seq=0,
                )
            ).decode()
        )
        self._connection = connection
        self._note()
        with contextlib.suppress(Exception):
            async for frame in connection:
                message = decode_from_executor(frame)
                self.received.append(message)
                if isinstance(message, CommandAck | CommandReject | ExecutionResult):
                    await connection.send(encode(Ack(seq=message.seq)).decode())
                self._note()

    def _note(self) -> None:
        self._changed.set()

    async def send(self, message: Any) -> None:
        await self.wait(lambda: self._connection is not None)
        assert self._connection is not None
        await self._connection.send(encode(message).decode())

    async def wait(self, predicate: Any, seconds: float = 20.0) -> None:
        async with asyncio.timeout(seconds):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def answers(self, command_id: str) -> list[ExecutorToBrain]:
        """COMMAND_ACK / COMMAND_REJECT / EXECUTION_RESULT frames for one command."""
        return [m for m in self.received if getattr(m, "command_id", None) == command_id]

    async def answer(self, command_id: str, kind: type, seconds: float = 20.0) -> Any:
        await self.wait(lambda: any(isinstance(m, kind) for m in self.answers(command_id)), seconds)
        return next(m for m in self.answers(command_id) if isinstance(m, kind))

    def errors(self) -> list[Error]:
        return [m for m in self.received if isinstance(m, Error)]
