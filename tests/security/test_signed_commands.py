"""Signed commands: a real executor and simulator refuse what an impostor brain sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from fx_protocol import signing
from fx_protocol.brain_wire import (
    CommandAck,
    CommandReject,
    ExecutionResult,
    ExecutorStatus,
    Halt,
    Resume,
)
from fx_protocol.vocabulary import TradingState
from tests.security.conftest import RogueSetup, rogue_stack
from tests.security.rogue_brain import signal


async def deals_of(setup: RogueSetup, command_id: str) -> list[dict[str, object]]:
    deals = await asyncio.to_thread(setup.stack.deals)
    return [d for d in deals if d.get("comment") == command_id]


async def refused(setup: RogueSetup, command_id: str, reason: str) -> None:
    reject = await setup.rogue.answer(command_id, CommandReject)
    assert reject.reason.value == reason, reject
    assert not [m for m in setup.rogue.answers(command_id) if isinstance(m, CommandAck)]
    assert await deals_of(setup, command_id) == []


async def test_unsigned_forged_and_tampered_signals_never_reach_the_terminal(
    rogue_setup: RogueSetup,
) -> None:
    """BAD_SIGNATURE for unsigned, wrong-secret and altered signals; a genuine one trades."""
    rogue, stack = rogue_setup.rogue, rogue_setup.stack
    executor = stack.executor_id
    await rogue.send(signal("sec-unsigned-1", 1))
    await rogue.send(signing.sign(signal("sec-forged-1", 2), executor, "fxs_not-the-secret"))
    genuine = signing.sign(signal("sec-tampered-1", 3, volume=0.01), executor, stack.signing_secret)
    await rogue.send(msgspec.structs.replace(genuine, command=signal("x", 0, volume=0.5).command))
    for command_id in ("sec-unsigned-1", "sec-forged-1", "sec-tampered-1"):
        await refused(rogue_setup, command_id, "BAD_SIGNATURE")
    # The control: the same path with the real secret reaches the terminal.
    await rogue.send(signing.sign(signal("sec-genuine-1", 4), executor, stack.signing_secret))
    result = await rogue.answer("sec-genuine-1", ExecutionResult)
    assert result.result.status == "executed", result
    assert len(await deals_of(rogue_setup, "sec-genuine-1")) == 1


async def test_stale_signals_are_refused(rogue_setup: RogueSetup) -> None:
    """STALE_COMMAND for a genuine signature on a timestamp outside the window, either way."""
    rogue, stack = rogue_setup.rogue, rogue_setup.stack
    now = datetime.now(UTC)
    for seq, (command_id, when) in enumerate(
        (("sec-old-1", now - timedelta(minutes=10)), ("sec-future-1", now + timedelta(minutes=10))),
        start=1,
    ):
        stale = signal(command_id, seq, timestamp=when)
        await rogue.send(signing.sign(stale, stack.executor_id, stack.signing_secret))
    await refused(rogue_setup, "sec-old-1", "STALE_COMMAND")
    await refused(rogue_setup, "sec-future-1", "STALE_COMMAND")


async def test_replayed_id_is_refused_and_a_resend_is_deduplicated(
    rogue_setup: RogueSetup,
) -> None:
    """A known id with other content gets ERROR REPLAYED; the same content is a resend."""
    rogue, stack = rogue_setup.rogue, rogue_setup.stack
    executor, secret = stack.executor_id, stack.signing_secret
    await rogue.send(signing.sign(signal("sec-replay-1", 1), executor, secret))
    first = await rogue.answer("sec-replay-1", ExecutionResult)
    assert first.result.status == "executed"
    ack = await rogue.answer("sec-replay-1", CommandAck)
    # An ordinary resend (new timestamp and seq, possibleDuplicate): the answer again.
    resend = signal("sec-replay-1", 2, possible_duplicate=True)
    await rogue.send(signing.sign(resend, executor, secret))
    await rogue.wait(
        lambda: sum(isinstance(m, CommandAck) for m in rogue.answers("sec-replay-1")) >= 2
    )
    assert {m.seq for m in rogue.answers("sec-replay-1") if isinstance(m, CommandAck)} == {ack.seq}
    # The same id with other content, even signed: refused, never executed.
    other = signal("sec-replay-1", 3, volume=0.02, possible_duplicate=True)
    await rogue.send(signing.sign(other, executor, secret))
    await rogue.wait(lambda: any(e.reason.value == "REPLAYED" for e in rogue.errors()))
    assert len(await deals_of(rogue_setup, "sec-replay-1")) == 1
    assert not [m for m in rogue.answers("sec-replay-1") if isinstance(m, CommandReject)]


async def test_executor_without_signing_secret_refuses_everything(tmp_path: Path) -> None:
    """Fail closed: with require_signed_commands (default) and no secret, even a correctly
    signed signal is refused BAD_SIGNATURE."""
    async with rogue_stack(tmp_path / "stack", give_secret=False) as setup:
        stack = setup.stack
        stack.programs["executor"].wait_for("no command signing secret", 5)
        good = signal("sec-nosecret-1", 1)
        await setup.rogue.send(signing.sign(good, stack.executor_id, stack.signing_secret))
        await refused(setup, "sec-nosecret-1", "BAD_SIGNATURE")


async def test_forged_halt_never_flattens_and_forged_resume_is_ignored(
    rogue_setup: RogueSetup,
) -> None:
    """An unsigned HALT halts without closing anything; an unsigned RESUME lifts nothing."""
    rogue, stack = rogue_setup.rogue, rogue_setup.stack
    executor, secret = stack.executor_id, stack.signing_secret
    await rogue.send(signing.sign(signal("sec-ctl-open-1", 1), executor, secret))
    opened = await rogue.answer("sec-ctl-open-1", ExecutionResult)
    assert opened.result.status == "executed", opened

    def halted() -> bool:
        states = [m for m in rogue.received if isinstance(m, ExecutorStatus)]
        return bool(states) and states[-1].trading_state is TradingState.HALTED

    now = datetime.now(UTC)
    await rogue.send(Halt(halt_id="h-forged", flatten=True, reason="forged", timestamp=now))
    await rogue.wait(halted)
    # A genuine flatten closes at once (tests/e2e); give a forged one the same chance.
    await asyncio.sleep(1.0)
    assert [d["entry"] for d in await asyncio.to_thread(stack.deals)] == ["IN"]

    await rogue.send(Resume(reason="forged", timestamp=datetime.now(UTC)))
    await rogue.send(signing.sign(signal("sec-ctl-open-2", 2), executor, secret))
    await refused(rogue_setup, "sec-ctl-open-2", "TRADING_HALTED")

    genuine = Resume(reason="operator", timestamp=datetime.now(UTC))
    await rogue.send(signing.sign(genuine, executor, secret))
    await rogue.send(signing.sign(signal("sec-ctl-open-3", 3), executor, secret))
    result = await rogue.answer("sec-ctl-open-3", ExecutionResult)
    assert result.result.status == "executed", result


def test_a_signature_is_bound_to_its_message_kind() -> None:
    """The same secret and fields signed as HALT do not verify as RESUME, nor after a change."""
    now = datetime.now(UTC)
    halt = signing.sign(Halt(halt_id="h1", reason="r", timestamp=now), "ex1", "fxs_s")
    assert signing.verify(halt, "ex1", "fxs_s")
    assert not signing.verify(halt, "ex2", "fxs_s")
    assert not signing.verify(msgspec.structs.replace(halt, flatten=True), "ex1", "fxs_s")
    resume = Resume(reason="r", timestamp=now, signature=halt.signature)
    assert not signing.verify(resume, "ex1", "fxs_s")
