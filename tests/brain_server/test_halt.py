"""Remote halt and resume: pushed at once, repeated on reconnect until the executor is HALTED."""

from __future__ import annotations

import httpx

from fx_protocol.brain_wire import ExecutorStatus, Halt, Resume
from fx_protocol.vocabulary import TradingState
from tests.brain_server.conftest import Brain
from tests.brain_server.fake_executor import now


async def test_halt_online_executor(brain: Brain, http: httpx.AsyncClient) -> None:
    """POST halt sends HALT with flatten to the live session; the answer says it was delivered."""
    ex = brain.executor()
    await ex.connect()
    response = await http.post(
        f"/api/v1/executors/{brain.executor_id}/halt", json={"flatten": True, "reason": "drill"}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["delivered"] is True
    halt = await ex.recv()
    assert isinstance(halt, Halt)
    assert halt.flatten is True
    assert halt.reason == "drill"
    assert halt.halt_id == body["haltId"]
    await ex.close()


async def test_halt_repeated_until_confirmed(brain: Brain, http: httpx.AsyncClient) -> None:
    """A halt for an offline executor is sent on connect, and again until it reports HALTED."""
    response = await http.post(f"/api/v1/executors/{brain.executor_id}/halt", json={})
    assert response.json()["delivered"] is False
    view = (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()
    assert view["haltPending"] is True
    ex = brain.executor()
    await ex.connect()
    assert isinstance(await ex.recv(), Halt)
    await ex.close()
    ex = brain.executor()
    await ex.connect()
    assert isinstance(await ex.recv(), Halt)  # not confirmed yet: again
    await ex.send(
        ExecutorStatus(timestamp=now(), trading_state=TradingState.HALTED, terminal_connected=True)
    )
    await ex.barrier()
    await ex.close()
    view = (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()
    assert view["haltPending"] is False
    assert view["tradingState"] == "HALTED"
    ex = brain.executor(seq=ex.seq)
    await ex.connect()
    await ex.barrier()  # no HALT before the barrier's ACK: confirmed halts are not resent
    await ex.close()


async def test_halt_all_and_resume(brain: Brain, http: httpx.AsyncClient) -> None:
    """halt-all reaches every executor; resume sends RESUME once."""
    ex = brain.executor()
    await ex.connect()
    response = await http.post("/api/v1/halt-all", json={"flatten": False})
    assert response.status_code == 202
    halts = response.json()["halts"]
    assert {h["executorId"] for h in halts} == {e for e, _ in brain.executors}
    assert isinstance(await ex.recv(), Halt)
    response = await http.post(f"/api/v1/executors/{brain.executor_id}/resume", json={})
    assert response.status_code == 202
    assert isinstance(await ex.recv(), Resume)
    await ex.close()
    ex = brain.executor(seq=ex.seq)
    await ex.connect()
    await ex.barrier()  # a delivered RESUME is not repeated
    await ex.close()
    audit = brain.read_store()
    try:
        actions = [row["action"] for row in audit.audit_log()]
    finally:
        audit.close()
    assert "executor.halt" in actions
    assert "executor.resume" in actions
