"""Unauthenticated operational routes: ``/api/v1/health`` and ``/metrics``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response, get

from brain_server.api import brain_of
from brain_server.clock import now_ms


class Health(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    status: str
    live: bool
    ready: bool
    database: str
    executors_online: int
    uptime_seconds: float
    version: str


@get("/api/v1/health", summary="Liveness and readiness")
async def health(request: Request[Any, Any, Any]) -> Response[Health]:
    """200 when ready (database answering, sessions accepted), 503 otherwise."""
    from brain_server import __version__

    brain = brain_of(request)
    try:
        db_ok = await brain.db.call(brain.db.store.ping)
    except Exception:
        db_ok = False
    ready = brain.ready and db_ok
    body = Health(
        status="ok" if ready else "unavailable",
        live=True,
        ready=ready,
        database="ok" if db_ok else "error",
        executors_online=len(brain.sessions),
        uptime_seconds=round((now_ms() - brain.started_ms) / 1000, 3),
        version=__version__,
    )
    return Response(body, status_code=200 if ready else 503)


@get("/metrics", media_type=MediaType.TEXT, summary="Prometheus metrics", include_in_schema=True)
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    brain = brain_of(request)
    overview = await brain.db.call(brain.db.store.overview)
    text = brain.metrics.render(
        commands_by_status=overview.commands_by_status,
        executors_online=len(brain.sessions),
        executors_total=overview.executors_total,
        queue_depth=overview.queue_depth,
        subscribers=brain.bus.subscriber_count,
        latencies={
            eid: s.heartbeat.latency_ms
            for eid, s in brain.sessions.items()
            if s.heartbeat.latency_ms is not None
        },
    )
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")
