"""Commands at the terminal: send, record the outcome with its report, resolve unknowns.

Every function here starts from a command that is already journaled (status
``sending``) and ends with its outcome journaled together with the
EXECUTION_RESULT for the brain, in one transaction (``docs/executor.md``
§ Command flow, § Reconciliation):

- reply → ``executed`` / ``rejected`` (broker retcode);
- never sent → ``rejected`` / TERMINAL_UNAVAILABLE;
- sent, no reply → ``unknown``, then QUERY_COMMAND until the terminal answers.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import msgspec
from loguru import logger

from executor_app.core import reconciliation
from executor_app.core.events import CommandUpdated, ExecutorEvent
from executor_app.core.reconciliation import Resolution
from executor_app.core.wire_views import LOCAL_PREFIX, to_trade
from executor_app.journal import SENDING, Journal, OutboxEntry
from executor_app.terminal_bridge import (
    TerminalBridge,
    TerminalError,
    TerminalTimeout,
    TerminalUnavailable,
)
from executor_app.terminal_mirror import TerminalMirror
from fx_protocol.brain_wire import ExecutionResult, ExecutionResultBody
from fx_protocol.command_ids import new_command_id
from fx_protocol.commands import TradeCommand
from fx_protocol.retcodes import is_success
from fx_protocol.terminal_wire import (
    CommandStatusReply,
    ErrorReply,
    QueryCommand,
    TerminalReply,
    TradeOutcome,
    TradeReply,
)
from fx_protocol.vocabulary import Action, CommandStatus, ReasonCode

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


class Execution:
    """Carries journaled commands to the terminal and their outcomes back."""

    def __init__(
        self,
        *,
        journal: Journal,
        bridge: TerminalBridge,
        mirror: TerminalMirror,
        executor_id: str,
        timeout: float,
        clock: Callable[[], datetime],
        send_reliable: Callable[[OutboxEntry], None],
        emit: Callable[[ExecutorEvent], None],
        spawn: Spawn,
        on_traded: Callable[[], None],
    ) -> None:
        self._journal = journal
        self._bridge = bridge
        self._mirror = mirror
        self._executor_id = executor_id
        self._timeout = timeout
        self._clock = clock
        self._send_reliable = send_reliable
        self._emit = emit
        self._spawn = spawn
        self._on_traded = on_traded
        self._resolving: set[str] = set()

    # ---------------------------------------------------------------- sending

    async def execute(
        self,
        command_id: str,
        command: TradeCommand,
        received: float,
        expires_at: datetime | None,
        local: bool = False,
    ) -> None:
        """Send a journaled command and journal + report what happened."""
        try:
            reply = await self._bridge.request(
                lambda rid: to_trade(rid, command_id, command), self._timeout
            )
        except TerminalUnavailable as exc:
            body = ExecutionResultBody(
                success=False,
                status="rejected",
                reason=ReasonCode.TERMINAL_UNAVAILABLE,
                message=str(exc),
            )
            self.finish(command_id, command, CommandStatus.REJECTED, body, received, local)
            return
        except TerminalTimeout as exc:
            logger.warning("command {} outcome unknown: {}", command_id, exc)
            body = reconciliation.unknown_body("no reply from the terminal; reconciling")
            self.finish(command_id, command, CommandStatus.UNKNOWN, body, received, local)
            self._spawn(self.resolve_unknown(command_id, command, expires_at, local), "resolve")
            return
        self._record_reply(command_id, command, reply, received, local)

    def _record_reply(
        self,
        command_id: str,
        command: TradeCommand,
        reply: TerminalReply,
        received: float | None,
        local: bool,
    ) -> None:
        if isinstance(reply, TradeReply):
            self._record_outcome(
                command_id, command, reply.outcome, reply.duplicate, received, local
            )
            return
        message = reply.message if isinstance(reply, ErrorReply) else type(reply).__name__
        code = reply.code if isinstance(reply, ErrorReply) else "UNEXPECTED_REPLY"
        body = ExecutionResultBody(
            success=False,
            status="rejected",
            reason=ReasonCode.BROKER_REJECTED,
            retcode_name=code,
            message=message,
        )
        self.finish(command_id, command, CommandStatus.REJECTED, body, received, local)

    def _record_outcome(
        self,
        command_id: str,
        command: TradeCommand,
        outcome: TradeOutcome,
        duplicate: bool,
        received: float | None,
        local: bool,
    ) -> None:
        elapsed = (time.perf_counter() - received) * 1000.0 if received is not None else None
        is_buy = command.type.is_buy if command.type is not None else None
        body = reconciliation.result_body(outcome, duplicate, elapsed, command.price, is_buy)
        status = CommandStatus.EXECUTED if body.success else CommandStatus.REJECTED
        if body.success:
            self._note_exposure(command, outcome)
        self.finish(command_id, command, status, body, received, local)
        self._on_traded()

    def _note_exposure(self, command: TradeCommand, outcome: TradeOutcome) -> None:
        """What a successful command changed in the exposure before a refresh shows it."""
        if command.action is Action.OPEN_POSITION and outcome.position:
            self._mirror.note_opened(outcome.position, command.symbol or "", outcome.volume)
        elif command.action is Action.CLOSE_POSITION and command.ticket:
            self._mirror.note_closed(command.ticket, outcome.volume)
        elif command.action is Action.CLOSE_ALL:
            for item in outcome.closed:
                if is_success(item.retcode):
                    self._mirror.note_closed(item.ticket, item.volume)

    def finish(
        self,
        command_id: str,
        command: TradeCommand,
        status: CommandStatus,
        body: ExecutionResultBody,
        received: float | None,
        local: bool,
    ) -> None:
        """Journal the outcome with its EXECUTION_RESULT (none for local commands) and send it."""
        now = self._clock()

        def report(seq: int) -> ExecutionResult:
            return ExecutionResult(
                timestamp=now,
                seq=seq,
                command_id=command_id,
                executor_id=self._executor_id,
                result=body,
            )

        entry = self._journal.record_outcome(
            command_id,
            status=status.value,
            now=now,
            result=msgspec.to_builtins(body),
            reason=body.reason.value if body.reason else None,
            report=None if local else report,
        )
        if entry is not None:
            self._send_reliable(entry)
        logger.info(
            "command {} {} {}: {} ticket={} price={} retcode={} {}",
            command_id,
            command.action,
            command.symbol or "",
            status,
            body.ticket,
            body.price,
            body.retcode_name,
            body.message or "",
        )
        self.command_event(
            command_id,
            command,
            status.value,
            received,
            reason=body.reason,
            message=body.message or "",
            ticket=body.ticket,
            price=body.price,
            local=local,
        )

    def command_event(
        self,
        command_id: str,
        command: TradeCommand,
        status: str,
        received: float | None,
        **extra: Any,
    ) -> None:
        latency = (time.perf_counter() - received) * 1000.0 if received is not None else None
        self._emit(
            CommandUpdated(
                time=self._clock(),
                command_id=command_id,
                action=command.action.value,
                symbol=command.symbol,
                volume=command.volume,
                status=status,
                latency_ms=latency,
                **extra,
            )
        )

    # ---------------------------------------------------------------- unknown outcomes

    async def _query(self, command_id: str) -> CommandStatusReply | None:
        try:
            reply = await self._bridge.request(
                lambda rid: QueryCommand(request_id=rid, command_id=command_id), self._timeout
            )
        except TerminalError:
            return None
        return reply if isinstance(reply, CommandStatusReply) else None

    async def resolve_once(
        self, command_id: str, command: TradeCommand, expires_at: datetime | None, local: bool
    ) -> bool:
        """One QUERY_COMMAND round; True once the command's outcome is known."""
        decision = reconciliation.resolve(await self._query(command_id), self._clock(), expires_at)
        if decision.resolution is Resolution.RECORD:
            assert decision.outcome is not None
            logger.info("command {} resolved by QUERY_COMMAND", command_id)
            self._record_outcome(command_id, command, decision.outcome, True, None, local)
            return True
        if decision.resolution is Resolution.EXPIRE:
            body = reconciliation.expired_body()
            self.finish(command_id, command, CommandStatus.REJECTED, body, None, local)
            return True
        if decision.resolution is Resolution.RESEND:
            logger.info("command {} never reached the terminal; sending it again", command_id)
            await self.execute(command_id, command, time.perf_counter(), expires_at, local)
            row = self._journal.command(command_id)
            return row is not None and row.status not in (SENDING, CommandStatus.UNKNOWN.value)
        return False

    async def resolve_unknown(
        self, command_id: str, command: TradeCommand, expires_at: datetime | None, local: bool
    ) -> None:
        """Ask until the terminal answers (one resolver per command)."""
        if command_id in self._resolving:
            return
        self._resolving.add(command_id)
        try:
            delay = 0.2
            while not await self.resolve_once(command_id, command, expires_at, local):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        finally:
            self._resolving.discard(command_id)

    # ---------------------------------------------------------------- the executor's own commands

    async def risk_off(self, flatten: bool) -> None:
        """Cancel pending orders; with flatten, close every position too (one CLOSE_ALL)."""
        if flatten:
            await self.local_command(TradeCommand(action=Action.CLOSE_ALL))
            return
        for order in await self._mirror.fetch_orders(self._bridge, self._timeout):
            await self.local_command(TradeCommand(action=Action.CANCEL_ORDER, ticket=order.ticket))

    async def local_command(self, command: TradeCommand) -> None:
        now = self._clock()
        command_id = LOCAL_PREFIX + new_command_id(int(now.timestamp() * 1000), os.urandom(10))[1:]
        self._journal.record_command(
            command_id=command_id,
            signal=msgspec.json.encode(command),
            status=SENDING,
            now=now,
            action=command.action.value,
            symbol=command.symbol,
            volume=command.volume,
            expires_at=None,
            local=True,
        )
        await self.execute(command_id, command, time.perf_counter(), None, local=True)
