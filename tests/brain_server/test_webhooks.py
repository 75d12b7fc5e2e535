"""TradingView-style webhooks: the documented alert formats become commands."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.brain_server.conftest import Brain


@pytest.fixture
def hook_path(brain: Brain) -> str:
    store = brain.read_store()
    try:
        _, secret = store.add_webhook("tv", brain.executor_id, int(time.time() * 1000))
    finally:
        store.close()
    return f"/api/v1/webhooks/tradingview/{secret}"


async def test_full_alert_becomes_a_command(
    brain: Brain, http: httpx.AsyncClient, hook_path: str
) -> None:
    """An alert with every field is stored as that command for the webhook's executor."""
    alert = {
        "action": "OPEN_POSITION",
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": 0.1,
        "stopLoss": 1.09,
        "takeProfit": 1.11,
        "priority": "HIGH",
        "expiry": 5000,
        "strategyId": "tv-ema",
        "idempotencyKey": "tv-1",
    }
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:  # no token: the secret is it
        response = await anon.post(
            hook_path, content=json.dumps(alert), headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 202, response.text
        again = await anon.post(hook_path, content=json.dumps(alert))
    command_id = response.json()["commandId"]
    assert again.json()["commandId"] == command_id
    view = (await http.get(f"/api/v1/commands/{command_id}")).json()
    assert view["executorId"] == brain.executor_id
    assert view["command"]["stopLoss"] == 1.09
    assert view["priority"] == "HIGH"
    assert view["strategyId"] == "tv-ema"
    assert view["origin"] == "webhook:tv"


async def test_tradingview_placeholders(
    brain: Brain, http: httpx.AsyncClient, hook_path: str
) -> None:
    """Lowercase buy/sell, exchange-prefixed tickers and numbers as strings are accepted."""
    alert = '{"action": "sell", "symbol": "OANDA:XAUUSD", "volume": "0.25"}'
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:
        response = await anon.post(hook_path, content=alert)
        close = await anon.post(hook_path, content='{"action": "close", "symbol": "XAUUSD"}')
    assert response.status_code == 202, response.text
    view = (await http.get(f"/api/v1/commands/{response.json()['commandId']}")).json()
    assert view["command"] == {
        "action": "OPEN_POSITION",
        "symbol": "XAUUSD",
        "type": "SELL",
        "volume": 0.25,
    }
    closing = (await http.get(f"/api/v1/commands/{close.json()['commandId']}")).json()
    assert closing["command"] == {"action": "CLOSE_ALL", "symbol": "XAUUSD"}


async def test_bad_alerts_and_unknown_secret(brain: Brain, hook_path: str) -> None:
    """Unknown secret 404; not JSON 422; unknown action 422 naming the field; nothing stored."""
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:
        assert (
            await anon.post("/api/v1/webhooks/tradingview/nope", content="{}")
        ).status_code == 404
        not_json = await anon.post(hook_path, content="buy EURUSD now")
        assert not_json.status_code == 422
        bad = await anon.post(hook_path, content='{"action": "yolo", "symbol": "EURUSD"}')
        assert bad.status_code == 422
        assert bad.json()["field"] == "$.action"
        missing = await anon.post(hook_path, content='{"action": "buy"}')
        assert missing.status_code == 422
        assert missing.json()["field"] == "$.command.symbol"
    async with brain.http() as http:
        assert (await http.get("/api/v1/commands")).json() == {"commands": []}
