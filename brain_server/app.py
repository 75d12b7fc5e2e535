"""The application factory: ``create_app(settings) -> Litestar``.

Routers come from a list, so the web admin (``brain_server/admin/``, mounted
at ``/admin``) plugs in with ``create_app(settings, extra_routes=[...])``
without touching this module; its handlers reach the running :class:`Brain`
as ``request.app.state.brain``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler
from loguru import logger

from brain_server.api import api_router, store_error_status
from brain_server.brain import Brain
from brain_server.events_ws import events_socket
from brain_server.executor_ws import executor_socket
from brain_server.service import health, metrics
from brain_server.settings import Settings
from brain_server.store import Store, StoreError
from brain_server.webhooks import tradingview_webhook
from fx_protocol.errors import ProtocolError
from fx_protocol.strategy_events import ApiError

CORE_ROUTES: list[ControllerRouterHandler] = [
    api_router,
    health,
    metrics,
    tradingview_webhook,
    executor_socket,
    events_socket,
]

_MISSING = re.compile(r"missing required field `([^`]+)`")

_REASON_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_COMMAND",
    429: "RATE_LIMIT",
}


def _error(
    request: Request[Any, Any, Any], status: int, message: str, reason: str, field: str | None
) -> Response[ApiError]:
    # One line per refused request, with what was wrong; never a traceback for bad input.
    logger.info(
        "{} {} -> {} {}: {}{}",
        request.method,
        request.url.path,
        status,
        reason,
        message,
        f" ({field})" if field else "",
    )
    body = ApiError(error=message, reason=reason, field=field, status_code=status)
    return Response(body, status_code=status, media_type=MediaType.JSON)


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[ApiError]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    field = None
    if first.get("key") is not None:
        key = str(first["key"])
        if first.get("source") == "body" or key == "data" or key.startswith("data."):
            key = key.removeprefix("data").lstrip(".")
            missing = _MISSING.search(message)
            if missing:
                key = f"{key}.{missing.group(1)}" if key else missing.group(1)
            field = "$" + (f".{key}" if key else "")
        else:
            field = key
    if field and field not in message:
        message = f"{message} at {field}"
    return _error(request, 400, message, "INVALID_COMMAND", field)


def _on_protocol(request: Request[Any, Any, Any], exc: ProtocolError) -> Response[ApiError]:
    return _error(request, 422, exc.message, exc.reason.value, exc.field)


def _on_store(request: Request[Any, Any, Any], exc: StoreError) -> Response[ApiError]:
    field = "$.executorId" if exc.reason == "UNKNOWN_EXECUTOR" else None
    return _error(request, store_error_status(exc), exc.message, exc.reason, field)


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ApiError]:
    status = exc.status_code
    message = exc.detail or "error"
    if status == 413:
        message = "request body too large"
    response = _error(request, status, message, _REASON_BY_STATUS.get(status, "ERROR"), None)
    if exc.headers:  # e.g. Retry-After of a 429 (docs/security.md § Rate limits)
        response.headers.update(exc.headers)
    return response


def _on_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[ApiError]:
    logger.opt(exception=exc).error("{} {} failed", request.method, request.url.path)
    body = ApiError(error="internal error", reason="INTERNAL_ERROR", status_code=500)
    return Response(body, status_code=500, media_type=MediaType.JSON)


def create_app(
    settings: Settings,
    extra_routes: Sequence[ControllerRouterHandler] = (),
    store: Store | None = None,
    on_app_init: Sequence[Any] = (),
) -> Litestar:
    """The whole brain as an ASGI app; the store opens on start-up, closes on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        brain = Brain(settings, store)
        app.state.brain = brain
        await brain.start()
        try:
            yield
        finally:
            await brain.stop()

    return Litestar(
        route_handlers=[*CORE_ROUTES, *extra_routes],
        lifespan=[lifespan],
        state=State({}),
        request_max_body_size=settings.max_body_bytes,
        exception_handlers={
            ValidationException: _on_validation,
            ProtocolError: _on_protocol,
            StoreError: _on_store,
            HTTPException: _on_http,
            Exception: _on_internal,
        },
        openapi_config=OpenAPIConfig(
            title="fx-brain",
            version="1",
            description="Brain server: submit trade commands, follow executors (docs/rest-api.md).",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="fx-brain tokens add"
                    )
                }
            ),
        ),
        on_app_init=list(on_app_init),
        debug=False,
        logging_config=None,
    )


__all__ = ["CORE_ROUTES", "AppConfig", "create_app"]
