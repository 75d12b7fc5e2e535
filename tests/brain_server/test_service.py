"""Health, metrics and the OpenAPI document."""

from __future__ import annotations

import httpx

from brain_server.api import api_router
from tests.brain_server.conftest import Brain
from tests.brain_server.test_delivery import submit


async def test_health_without_auth(brain: Brain) -> None:
    """/api/v1/health answers without a token: live and ready."""
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:
        body = (await anon.get("/api/v1/health")).json()
    assert body["live"] is True
    assert body["ready"] is True
    assert body["database"] == "ok"


async def test_metrics_exposition(brain: Brain, http: httpx.AsyncClient) -> None:
    """/metrics has commands by status, the latency histogram, executors online, queue depth."""
    await submit(http, brain.executor_id)
    command_id = await submit(http, brain.executor_id)
    ex = brain.executor()
    await ex.connect()
    await ex.signal()
    await ex.signal()
    await ex.ack(command_id)
    await ex.result(command_id)
    text = (await http.get("/metrics")).text
    assert 'fx_brain_commands{status="executed"} 1' in text
    assert 'fx_brain_commands{status="sent"} 1' in text
    assert "fx_brain_command_latency_seconds_count 1" in text
    assert 'fx_brain_command_latency_seconds_bucket{le="+Inf"} 1' in text
    assert "fx_brain_executors_online 1" in text
    assert "fx_brain_queue_depth 0" in text
    for line in text.splitlines():
        assert line.startswith("#") or len(line.split(" ")) == 2, line
    await ex.close()


async def test_openapi_describes_every_route(brain: Brain) -> None:
    """/schema/openapi.json lists every REST route of the contract, with the bearer scheme."""
    async with httpx.AsyncClient(base_url=brain.base_url) as anon:
        doc = (await anon.get("/schema/openapi.json")).json()
    paths = set(doc["paths"])
    for handler in api_router.routes:
        assert handler.path.replace(":str", "") in paths, handler.path
    for path in ("/api/v1/health", "/metrics", "/api/v1/webhooks/tradingview/{secret}"):
        assert path in paths
    assert "bearer" in doc["components"]["securitySchemes"]
    submit_op = doc["paths"]["/api/v1/commands"]["post"]
    assert "requestBody" in submit_op
