"""Schemathesis against the brain's OpenAPI document, authenticated: never a 5xx.

Bounded for CI (``FX_FUZZ_EXAMPLES``, default 15 examples per operation);
``FX_FUZZ_EXAMPLES=2000 uv run pytest tests/security/test_fuzz_rest.py`` runs long.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from loguru import logger

from brain_server.clock import now_ms
from brain_server.store import Store
from tests.brain_server.server import ServerThread
from tests.brain_server.server import test_settings as brain_settings

EXAMPLES = int(os.environ.get("FX_FUZZ_EXAMPLES", "15"))


class Running:
    def __init__(self, server: ServerThread, token: str, errors: list[str]) -> None:
        self.server, self.token, self.errors = server, token, errors


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    db = tmp_path_factory.mktemp("fuzz") / "brain.sqlite3"
    store = Store(db)
    try:
        store.add_executor("fuzz-executor", now_ms())
        token = store.add_token("fuzz", now_ms())
    finally:
        store.close()
    errors: list[str] = []
    sink = logger.add(errors.append, level="ERROR", format="{message}")
    server = ServerThread(brain_settings(db, rest_rate_per_second=0))
    server.start()
    try:
        yield Running(server, token, errors)
    finally:
        server.stop()
        logger.remove(sink)


@pytest.fixture(scope="module")
def api_schema(running: Running) -> Any:
    return schemathesis.openapi.from_url(running.server.base_url + "/schema/openapi.json")


def operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_no_server_error(running: Running, api_schema: Any) -> None:
    """Any request the schema allows (and many it does not) gets an answer below 500."""
    headers = {"Authorization": f"Bearer {running.token}"}
    calls = 0
    for operation in operations(api_schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=EXAMPLES <= 50,
            database=None,
        )
        def one(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers, timeout=10)
            where = (case.method, case.formatted_path, response.text[:300])
            assert response.status_code < 500, where

        one()
    assert calls >= 10
    assert running.errors == [], running.errors


def test_schema_is_served(api_schema: Any) -> None:
    """The fuzzer sees the REST routes of docs/rest-api.md (a vacuous run cannot pass)."""
    paths = {operation.path for operation in operations(api_schema)}
    assert {"/api/v1/commands", "/api/v1/executors"} <= paths
