"""Reconnects and restarts: unanswered commands are resent, flagged; nothing is lost."""

from __future__ import annotations

import httpx

from tests.brain_server.conftest import Brain
from tests.brain_server.test_delivery import status, submit


async def test_unanswered_resent_with_possible_duplicate(
    brain: Brain, http: httpx.AsyncClient
) -> None:
    """A command sent but not answered is resent on the next session, flagged, with a new seq."""
    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    first = await ex.signal()
    assert not first.possible_duplicate
    await ex.close()
    again = brain.executor()
    await again.connect()
    resent = await again.signal()
    assert resent.command_id == command_id
    assert resent.possible_duplicate
    assert resent.seq == 1
    view = await status(http, command_id)
    assert view["status"] == "sent"
    assert view["retryCount"] == 1
    await again.close()


async def test_no_resend_after_ack(brain: Brain, http: httpx.AsyncClient) -> None:
    """Once acknowledged, a command is never delivered again; later ones still are."""
    acked = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    seq = await ex.ack(acked)
    await ex.close()
    later = await submit(http, brain.executor_id)
    again = brain.executor(seq=seq)
    welcome = await again.connect()
    assert welcome.last_executor_seq == seq
    signal = await again.signal()
    assert signal.command_id == later
    assert not signal.possible_duplicate
    await again.result(acked, ticket=5)  # the result of the first arrives after reconnect
    assert (await status(http, acked))["status"] == "executed"
    await again.close()


async def test_brain_restart_keeps_every_state(brain: Brain) -> None:
    """Stop the brain and start it on the same database: statuses intact, delivery resumes."""
    from fx_protocol.vocabulary import ReasonCode

    async with brain.http() as http:
        ids = {name: await submit(http, brain.executor_id) for name in ("executed", "rejected")}
        ids["acknowledged"] = await submit(http, brain.executor_id)
        ids["unknown"] = await submit(http, brain.executor_id)
        ids["sent"] = await submit(http, brain.executor_id)
        ex = brain.executor()
        await ex.connect()
        for _ in range(5):
            await ex.signal()
        await ex.ack(ids["executed"])
        await ex.result(ids["executed"])
        await ex.reject(ids["rejected"], ReasonCode.MAX_POSITIONS)
        await ex.ack(ids["acknowledged"])
        await ex.ack(ids["unknown"])
        await ex.result(ids["unknown"], status="unknown")
        await ex.close()
        ids["cancelled"] = await submit(http, brain.executor_id)
        assert (await http.post(f"/api/v1/commands/{ids['cancelled']}/cancel")).status_code == 200
        ids["expired"] = await submit(http, brain.executor_id, expiry=1)
        ids["pending"] = await submit(http, brain.executor_id, priority="HIGH")
        before = {name: (await status(http, cid))["status"] for name, cid in ids.items()}
    brain.restart()
    async with brain.http() as http:
        after = {name: (await status(http, cid))["status"] for name, cid in ids.items()}
        for name in ("executed", "rejected", "acknowledged", "unknown", "sent", "cancelled"):
            assert after[name] == name == before[name]
        assert after["expired"] == "expired" or after["expired"] == "pending"
        ex = brain.executor(seq=ex.seq)
        welcome = await ex.connect()
        assert welcome.last_executor_seq == ex.seq
        first = await ex.signal()
        second = await ex.signal()
        assert (first.command_id, first.possible_duplicate) == (ids["sent"], True)
        assert (second.command_id, second.possible_duplicate) == (ids["pending"], False)
        await ex.result(ids["unknown"])
        assert (await status(http, ids["unknown"]))["status"] == "executed"
        assert (await status(http, ids["expired"]))["status"] == "expired"
        await ex.close()
