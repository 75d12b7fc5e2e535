"""The brain side of the runtime: connection, acks, HALT / RESUME, TRADE_SIGNAL.

A TRADE_SIGNAL is checked for replays and duplicates, queued by priority and
taken by one worker (``_process``): authenticity, the safety engine, the journal
entry with its COMMAND_ACK or COMMAND_REJECT, then
:class:`executor_app.execution.Execution`.

``BrainSide`` owns the command queue, the rate window, the signing check
(``auth``) and the ``idle`` event (set while no command is being processed; the
terminal side's refresher waits for it). It reads and changes the shared
:class:`executor_app.runtime_state.RuntimeState` and applies trading-state
transitions through :class:`executor_app.runtime_state.TradingControl`.
``Runtime`` hands ``on_connection``, ``on_ack`` and ``on_message`` to the brain
link and runs ``worker`` as a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta
from functools import partial
from itertools import count

import msgspec
from loguru import logger

from executor_app.core import authenticity, safety
from executor_app.core.events import BrainConnectionChanged
from executor_app.core.safety import RateWindow, SafetyContext
from executor_app.core.session import LinkState
from executor_app.journal import SENDING
from executor_app.runtime_state import Emit, RuntimeState, TradingControl
from fx_protocol.brain_wire import (
    BrainToExecutor,
    CommandAck,
    CommandReject,
    Error,
    Halt,
    Resume,
    TradeSignal,
)
from fx_protocol.vocabulary import CommandStatus, ReasonCode

#: a journaled TRADE_SIGNAL back from its stored JSON (validated when it arrived)
signal_decoder = msgspec.json.Decoder(TradeSignal)


class BrainSide:
    """What the runtime does with what the brain sends."""

    def __init__(
        self,
        state: RuntimeState,
        control: TradingControl,
        *,
        emit: Emit,
        auth: authenticity.Authenticity,
    ) -> None:
        self._state = state
        self._control = control
        self._emit = emit
        #: docs/security.md § Signed commands; the secret is set by Runtime.start
        self.auth = auth
        self._queue: asyncio.PriorityQueue[tuple[int, int, float, TradeSignal]] = (
            asyncio.PriorityQueue()
        )
        self._order = count()
        self._queued: set[str] = set()
        self._rate = RateWindow()
        #: set while no command is being processed (refreshes wait for it)
        self.idle = asyncio.Event()
        self.idle.set()

    def on_connection(self, link_state_name: str) -> None:
        state = self._state
        now = state.clock()
        link_state = LinkState(link_state_name)
        if link_state is LinkState.CONNECTED:
            self._control.apply_if_changed(state.trading.brain_connected())
            state.status_wanted.set()
        elif link_state is LinkState.DISCONNECTED:
            state.trading.brain_disconnected(now)
        latency = state.link.session.latency_ms if state.link else None
        logger.info("brain {}", link_state_name)
        self._emit(BrainConnectionChanged(time=now, state=link_state, latency_ms=latency))

    def on_ack(self, seq: int) -> None:
        state = self._state
        if state.running_journal().skip_seq_to(seq):
            # The brain stored seqs this journal never issued: it was deleted or replaced.
            # New messages must number above them or the brain would drop them as old.
            logger.error(
                "the brain has executor seq {} but this journal ends lower; "
                "was the journal replaced? numbering continues above it",
                seq,
            )
        # Not a commit per ACK (three per command): the resume point comes from WELCOME,
        # so the stored value is refreshed with the snapshots and at stop.
        state.acked_dirty = True

    def on_message(self, message: BrainToExecutor) -> None:
        state = self._state
        if isinstance(message, TradeSignal):
            self._accept_signal(message)
        elif isinstance(message, Halt):
            flatten = message.flatten
            verdict = authenticity.check(message, self.auth, state.clock())
            if not verdict.allowed:
                # docs/security.md: halting is the safe direction, so an unauthenticated
                # HALT still halts; closing positions on its word it never does.
                logger.warning(
                    "HALT not authenticated ({}: {}): halting, never flattening",
                    verdict.reason,
                    verdict.message,
                )
                flatten = False
            logger.warning("HALT from the brain (flatten={}): {}", flatten, message.reason)
            self._control.apply(state.trading.brain_halt(flatten, message.reason))
        elif isinstance(message, Resume):
            verdict = authenticity.check(message, self.auth, state.clock())
            if not verdict.allowed:
                logger.warning(
                    "RESUME ignored, not authenticated ({}: {})", verdict.reason, verdict.message
                )
                return
            logger.warning("RESUME from the brain: {}", message.reason)
            self._control.apply(state.trading.brain_resume())

    def _accept_signal(self, signal: TradeSignal) -> None:
        state = self._state
        received = time.perf_counter()
        row = state.running_journal().command(signal.command_id)
        if (
            row is not None
            and not row.local
            and self.auth.active
            and authenticity.is_replay(signal, signal_decoder.decode(row.signal))
        ):
            # docs/security.md: a known id with other content is never executed or
            # answered as if it were the journaled command.
            logger.warning(
                "TRADE_SIGNAL {} refused REPLAYED: the id is journaled with other content",
                signal.command_id,
            )
            if state.link is not None:
                state.link.send_snapshot(
                    Error(
                        reason=ReasonCode.REPLAYED,
                        message=f"{signal.command_id} was received with other content",
                        field="commandId",
                    )
                )
            return
        if row is not None or signal.command_id in self._queued:
            # A resend of a command already answered: the same answer again, nothing else.
            logger.info("duplicate TRADE_SIGNAL {} ignored", signal.command_id)
            if row is not None and row.answer_seq is not None and state.link is not None:
                entry = state.running_journal().outbox_entry(row.answer_seq)
                if entry is not None:
                    state.link.resend(entry)
            return
        self._queued.add(signal.command_id)
        self._queue.put_nowait((-signal.priority.rank, next(self._order), received, signal))

    async def worker(self) -> None:
        while True:
            _, _, received, signal = await self._queue.get()
            self.idle.clear()
            try:
                await self._process(signal, received)
            except Exception:
                logger.exception("command {} failed in the executor", signal.command_id)
            finally:
                self._queued.discard(signal.command_id)
                if self._queue.empty():
                    self.idle.set()

    def _safety_context(self, now: datetime, known: bool) -> SafetyContext:
        state = self._state
        positions, orders = state.terminal.holdings()
        account = state.terminal.account
        return SafetyContext(
            now=now,
            trading_state=state.trading.state,
            reconciled=state.reconciled,
            terminal_available=state.terminal.available,
            known_command=known,
            positions=positions,
            orders=orders,
            quotes=state.terminal.quotes,
            equity=account.equity if account else None,
            day_start_equity=state.trading.latches.day_start_equity,
            recent_orders=self._rate.count(now),
        )

    async def _process(self, signal: TradeSignal, received: float) -> None:
        state = self._state
        # Authenticity first (docs/security.md): a forged or stale signal reaches neither
        # the safety checks nor the terminal. Freshness is judged at receipt, not after
        # the queue.
        received_at = state.clock() - timedelta(seconds=time.perf_counter() - received)
        verdict = authenticity.check(signal, self.auth, received_at)
        if verdict.allowed and signal.command.action.adds_risk and not state.reconciled:
            # Right after start-up the brain may deliver queued commands before the
            # reconciliation (a few requests) is done: give it a moment, then fail closed.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(state.timeout):
                    await state.reconciled_event.wait()
        now = state.clock()
        journal = state.running_journal()
        known = journal.command_known(signal.command_id)
        if verdict.allowed:
            verdict = safety.check(signal, state.limits, self._safety_context(now, known))
        command = signal.command
        record = partial(
            journal.record_command,
            command_id=signal.command_id,
            signal=msgspec.json.encode(signal),
            now=now,
            action=command.action.value,
            symbol=command.symbol,
            volume=command.volume,
            expires_at=safety.deadline(signal),
        )
        if not verdict.allowed:
            assert verdict.reason is not None
            assert verdict.source is not None
            reason, source = verdict.reason, verdict.source
            entry = record(
                status=CommandStatus.REJECTED.value,
                reason=reason.value,
                answer_kind="COMMAND_REJECT",
                answer=lambda seq: CommandReject(
                    seq=seq,
                    command_id=signal.command_id,
                    reason=reason,
                    source=source,
                    message=verdict.message,
                    field=verdict.field,
                    timestamp=now,
                ),
            )
            assert entry is not None
            state.send_reliable(entry)
            logger.info(
                "command {} {} {} rejected: {} {}",
                signal.command_id,
                command.action,
                command.symbol or "",
                reason,
                verdict.message,
            )
            state.running_execution().command_event(
                signal.command_id,
                command,
                "rejected",
                received,
                reason=reason,
                message=verdict.message,
            )
            return
        # Journaled with its COMMAND_ACK BEFORE it goes to the terminal (docs/executor.md).
        entry = record(
            status=SENDING,
            answer_kind="COMMAND_ACK",
            answer=lambda seq: CommandAck(seq=seq, command_id=signal.command_id, timestamp=now),
        )
        assert entry is not None
        state.send_reliable(entry)
        if command.action.adds_risk:
            self._rate.record(now)
        state.running_execution().command_event(
            signal.command_id, command, CommandStatus.ACKNOWLEDGED.value, received
        )
        await state.running_execution().execute(
            signal.command_id, command, received, safety.deadline(signal)
        )
