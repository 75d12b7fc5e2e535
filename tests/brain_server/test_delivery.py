"""Submit → deliver → ack → result, over a real server and a real WebSocket client."""

from __future__ import annotations

import httpx

from tests.brain_server.conftest import Brain, order


async def submit(http: httpx.AsyncClient, executor_id: str, **body: object) -> str:
    payload = {"executorId": executor_id, "command": order(), **body}
    response = await http.post("/api/v1/commands", json=payload)
    assert response.status_code == 202, response.text
    return str(response.json()["commandId"])


async def status(http: httpx.AsyncClient, command_id: str) -> dict[str, object]:
    response = await http.get(f"/api/v1/commands/{command_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_submit_deliver_ack_result(brain: Brain, http: httpx.AsyncClient) -> None:
    """A command travels pending → sent → acknowledged → executed with its result stored."""
    command_id = await submit(http, brain.executor_id, priority="HIGH", strategyId="s1")
    assert (await status(http, command_id))["status"] == "pending"
    ex = brain.executor()
    welcome = await ex.connect()
    assert welcome.last_executor_seq == 0
    signal = await ex.signal()
    assert signal.command_id == command_id
    assert signal.seq == 1
    assert not signal.possible_duplicate
    assert signal.command.symbol == "EURUSD"
    assert (await status(http, command_id))["status"] == "sent"
    await ex.ack(command_id)
    assert (await status(http, command_id))["status"] == "acknowledged"
    await ex.result(command_id, ticket=4242)
    view = await status(http, command_id)
    assert view["status"] == "executed"
    assert view["result"]["ticket"] == 4242  # type: ignore[index]
    assert view["sentAt"]
    assert view["acknowledgedAt"]
    assert view["executedAt"]
    await ex.close()


async def test_priority_then_age_on_connect(brain: Brain, http: httpx.AsyncClient) -> None:
    """Queued commands go out by priority, then oldest first, with per-session seq 1, 2, 3..."""
    low = await submit(http, brain.executor_id, priority="LOW")
    normal1 = await submit(http, brain.executor_id)
    critical = await submit(http, brain.executor_id, priority="CRITICAL")
    normal2 = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    signals = [await ex.signal() for _ in range(4)]
    assert [s.command_id for s in signals] == [critical, normal1, normal2, low]
    assert [s.seq for s in signals] == [1, 2, 3, 4]
    await ex.close()


async def test_live_delivery_while_connected(brain: Brain, http: httpx.AsyncClient) -> None:
    """A command submitted while the executor is online is pushed at once."""
    ex = brain.executor()
    await ex.connect()
    command_id = await submit(http, brain.executor_id, expiry=60_000)
    signal = await ex.signal()
    assert signal.command_id == command_id
    assert signal.expires_at is not None
    assert signal.expiry is not None
    assert 0 < signal.expiry <= 60_000
    await ex.close()


async def test_reject_keeps_reason_source_field(brain: Brain, http: httpx.AsyncClient) -> None:
    """COMMAND_REJECT makes the command rejected with the executor's reason, source and field."""
    from fx_protocol.vocabulary import ReasonCode

    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    await ex.reject(command_id, ReasonCode.VOLUME_TOO_LARGE, field="$.command.volume")
    view = await status(http, command_id)
    assert view["status"] == "rejected"
    assert view["reason"] == "VOLUME_TOO_LARGE"
    assert view["source"] == "safety"
    assert view["field"] == "$.command.volume"
    await ex.close()


async def test_unknown_then_final_and_results_deduplicated(
    brain: Brain, http: httpx.AsyncClient
) -> None:
    """An unknown outcome is resolved by the final result; a second final result is ignored."""
    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    await ex.ack(command_id)
    await ex.result(command_id, status="unknown")
    assert (await status(http, command_id))["status"] == "unknown"
    await ex.result(command_id, ticket=77)
    await ex.result(command_id, status="rejected")  # a duplicate with another outcome
    view = await status(http, command_id)
    assert view["status"] == "executed"
    assert view["result"]["ticket"] == 77  # type: ignore[index]
    await ex.close()


async def test_executor_seq_replay_is_acked_not_applied(
    brain: Brain, http: httpx.AsyncClient
) -> None:
    """A reliable message at or below the stored seq changes nothing and is ACKed cumulatively."""
    from fx_protocol.brain_wire import CommandReject
    from fx_protocol.vocabulary import ReasonCode, RejectSource
    from tests.brain_server.fake_executor import now

    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    seq = await ex.ack(command_id)
    await ex.send(
        CommandReject(
            seq=seq,
            command_id=command_id,
            reason=ReasonCode.RATE_LIMIT,
            source=RejectSource.SAFETY,
            message="replayed with another body",
            timestamp=now(),
        )
    )
    await ex.wait_ack(seq)
    assert (await status(http, command_id))["status"] == "acknowledged"
    await ex.close()
    again = brain.executor(seq=seq)
    welcome = await again.connect()
    assert welcome.last_executor_seq == seq
    await again.close()


async def test_fills_and_snapshots_are_stored(brain: Brain, http: httpx.AsyncClient) -> None:
    """FILL is stored once per deal; POSITIONS, ACCOUNT, EXECUTOR_STATUS show on the executor."""
    from fx_protocol.brain_wire import (
        Account,
        AccountUpdate,
        ExecutorStatus,
        Fill,
        FillReport,
        Position,
        PositionsSnapshot,
    )
    from fx_protocol.vocabulary import TradingState
    from tests.brain_server.fake_executor import now

    ex = brain.executor()
    await ex.connect()
    report = FillReport(
        deal=9001,
        order=8001,
        position_id=7001,
        symbol="EURUSD",
        side="SELL",
        entry="OUT",
        volume=0.1,
        price=1.095,
        profit=-5.0,
        reason="SL",
        time=now(),
    )
    for _ in range(2):  # the same deal twice, as after an executor restart
        seq = ex.next_seq()
        await ex.send(Fill(timestamp=now(), seq=seq, fill=report))
        await ex.wait_ack(seq)
    position = Position(
        ticket=7001, symbol="EURUSD", type="BUY", volume=0.1, open_price=1.1, open_time=now()
    )
    await ex.send(PositionsSnapshot(timestamp=now(), positions=[position]))
    await ex.send(
        AccountUpdate(timestamp=now(), account=Account(currency="USD", balance=1000, equity=995))
    )
    await ex.send(
        ExecutorStatus(timestamp=now(), trading_state=TradingState.ACTIVE, terminal_connected=True)
    )
    # The next ACK proves the snapshots before it were handled (frames are processed in order).
    seq = ex.next_seq()
    await ex.send(Fill(timestamp=now(), seq=seq, fill=report))
    await ex.wait_ack(seq)
    view = (await http.get(f"/api/v1/executors/{brain.executor_id}")).json()
    assert view["online"] is True
    assert view["tradingState"] == "ACTIVE"
    assert view["terminalConnected"] is True
    assert view["account"]["equity"] == 995
    assert view["positions"][0]["ticket"] == 7001
    store = brain.read_store()
    try:
        assert [f.deal for f in store.list_fills(brain.executor_id)] == [9001]
    finally:
        store.close()
    await ex.close()
