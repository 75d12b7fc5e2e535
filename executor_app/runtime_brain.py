"""The brain side of the runtime: connection, acks, HALT / RESUME, TRADE_SIGNAL.

A TRADE_SIGNAL is checked for replays and duplicates, queued by priority and
taken by one worker (``_process``): authenticity, the safety engine, the journal
entry with its COMMAND_ACK or COMMAND_REJECT, then
:class:`executor_app.execution.Execution`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta
from functools import partial

import msgspec
from loguru import logger

from executor_app.core import authenticity, safety
from executor_app.core.events import BrainConnectionChanged
from executor_app.core.safety import SafetyContext
from executor_app.core.session import LinkState
from executor_app.journal import SENDING
from executor_app.runtime_state import RuntimeState
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


class BrainSide(RuntimeState):
    """What the runtime does with what the brain sends (a part of ``Runtime``)."""

    # ================================================================ brain side

    def _on_brain_connection(self, state: str) -> None:
        now = self._clock()
        link_state = LinkState(state)
        if link_state is LinkState.CONNECTED:
            self._apply_if_changed(self.trading.brain_connected())
            self._status_wanted.set()
        elif link_state is LinkState.DISCONNECTED:
            self.trading.brain_disconnected(now)
        latency = self.link.session.latency_ms if self.link else None
        logger.info("brain {}", state)
        self._emit(BrainConnectionChanged(time=now, state=link_state, latency_ms=latency))

    def _on_brain_ack(self, seq: int) -> None:
        if self._j().skip_seq_to(seq):
            # The brain stored seqs this journal never issued: it was deleted or replaced.
            # New messages must number above them or the brain would drop them as old.
            logger.error(
                "the brain has executor seq {} but this journal ends lower; "
                "was the journal replaced? numbering continues above it",
                seq,
            )
        # Not a commit per ACK (three per command): the resume point comes from WELCOME,
        # so the stored value is refreshed with the snapshots and at stop.
        self._acked_dirty = True

    def _on_brain_message(self, message: BrainToExecutor) -> None:
        if isinstance(message, TradeSignal):
            self._accept_signal(message)
        elif isinstance(message, Halt):
            flatten = message.flatten
            verdict = authenticity.check(message, self._auth, self._clock())
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
            self._apply(self.trading.brain_halt(flatten, message.reason))
        elif isinstance(message, Resume):
            verdict = authenticity.check(message, self._auth, self._clock())
            if not verdict.allowed:
                logger.warning(
                    "RESUME ignored, not authenticated ({}: {})", verdict.reason, verdict.message
                )
                return
            logger.warning("RESUME from the brain: {}", message.reason)
            self._apply(self.trading.brain_resume())

    def _accept_signal(self, signal: TradeSignal) -> None:
        received = time.perf_counter()
        row = self._j().command(signal.command_id)
        if (
            row is not None
            and not row.local
            and self._auth.active
            and authenticity.is_replay(signal, signal_decoder.decode(row.signal))
        ):
            # docs/security.md: a known id with other content is never executed or
            # answered as if it were the journaled command.
            logger.warning(
                "TRADE_SIGNAL {} refused REPLAYED: the id is journaled with other content",
                signal.command_id,
            )
            if self.link is not None:
                self.link.send_snapshot(
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
            if row is not None and row.answer_seq is not None and self.link is not None:
                entry = self._j().outbox_entry(row.answer_seq)
                if entry is not None:
                    self.link.resend(entry)
            return
        self._queued.add(signal.command_id)
        self._queue.put_nowait((-signal.priority.rank, next(self._order), received, signal))

    async def _worker(self) -> None:
        while True:
            _, _, received, signal = await self._queue.get()
            self._idle.clear()
            try:
                await self._process(signal, received)
            except Exception:
                logger.exception("command {} failed in the executor", signal.command_id)
            finally:
                self._queued.discard(signal.command_id)
                if self._queue.empty():
                    self._idle.set()

    def _safety_context(self, now: datetime, known: bool) -> SafetyContext:
        positions, orders = self.terminal.holdings()
        account = self.terminal.account
        return SafetyContext(
            now=now,
            trading_state=self.trading.state,
            reconciled=self.reconciled,
            terminal_available=self.terminal.available,
            known_command=known,
            positions=positions,
            orders=orders,
            quotes=self.terminal.quotes,
            equity=account.equity if account else None,
            day_start_equity=self.trading.latches.day_start_equity,
            recent_orders=self._rate.count(now),
        )

    async def _process(self, signal: TradeSignal, received: float) -> None:
        # Authenticity first (docs/security.md): a forged or stale signal reaches neither
        # the safety checks nor the terminal. Freshness is judged at receipt, not after
        # the queue.
        received_at = self._clock() - timedelta(seconds=time.perf_counter() - received)
        verdict = authenticity.check(signal, self._auth, received_at)
        if verdict.allowed and signal.command.action.adds_risk and not self.reconciled:
            # Right after start-up the brain may deliver queued commands before the
            # reconciliation (a few requests) is done: give it a moment, then fail closed.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await self._reconciled.wait()
        now = self._clock()
        journal = self._j()
        known = journal.command_known(signal.command_id)
        if verdict.allowed:
            verdict = safety.check(signal, self.limits, self._safety_context(now, known))
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
            self._send_reliable(entry)
            logger.info(
                "command {} {} {} rejected: {} {}",
                signal.command_id,
                command.action,
                command.symbol or "",
                reason,
                verdict.message,
            )
            self._x().command_event(
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
        self._send_reliable(entry)
        if command.action.adds_risk:
            self._rate.record(now)
        self._x().command_event(
            signal.command_id, command, CommandStatus.ACKNOWLEDGED.value, received
        )
        await self._x().execute(signal.command_id, command, received, safety.deadline(signal))
