"""The example strategy of docs/strategy-client.md runs, unchanged, against a real brain."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from fx_protocol.brain_wire import ExecutorStatus, MarketData, MarketUpdate, TradeSignal
from fx_protocol.vocabulary import Action, TradingState
from tests.brain_server.conftest import Brain
from tests.brain_server.fake_executor import now

DOC = Path(__file__).resolve().parents[2] / "docs" / "strategy-client.md"


def example_namespace() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    (code,) = re.findall(r"## Example strategy.*?```python\n(.*?)```", text, re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace


async def test_example_strategy_round_trip(brain: Brain) -> None:
    """The documented strategy opens on a tight tick and closes after the fill."""
    run_strategy = example_namespace()["run_strategy"]
    strategy = asyncio.create_task(run_strategy(brain.base_url, brain.token, brain.executor_id))
    await asyncio.sleep(0.3)  # the strategy subscribes to events
    ex = brain.executor()
    await ex.connect()
    await ex.send(
        ExecutorStatus(timestamp=now(), trading_state=TradingState.ACTIVE, terminal_connected=True)
    )
    await ex.send(
        MarketUpdate(
            timestamp=now(), data=MarketData(symbol="EURUSD", bid=1.1, ask=1.1001, spread=10)
        )
    )
    opened = await ex.signal(within=10)
    assert isinstance(opened, TradeSignal)
    assert opened.command.action is Action.OPEN_POSITION
    await ex.ack(opened.command_id)
    await ex.result(opened.command_id, ticket=5150)
    closing = await ex.signal(within=10)
    assert closing.command.action is Action.CLOSE_POSITION
    assert closing.command.ticket == 5150
    await ex.ack(closing.command_id)
    await ex.result(closing.command_id, ticket=5150)
    assert await asyncio.wait_for(strategy, 10) == "executed"
    await ex.close()
