"""The REST API of ``docs/rest-api.md`` (``/api/v1``), Bearer-token protected.

Handlers only translate: decode (Litestar + msgspec), call :class:`Brain` or
the store, shape the answer with ``fx_protocol.strategy_events`` structs.
"""

from __future__ import annotations

import functools
import time
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from loguru import logger

from brain_server import credentials
from brain_server.allowlist import address_allowed
from brain_server.brain import Brain, HaltOutcome
from brain_server.clock import maybe_datetime, to_datetime
from brain_server.rate_limit import retry_after
from brain_server.store import CommandRow, ExecutorRow, Store, StoreError
from fx_protocol.strategy_events import (
    CancelResult,
    CommandList,
    CommandView,
    ExecutorList,
    ExecutorView,
    HaltAccepted,
    HaltAllAccepted,
    HaltRequest,
    ResumeRequest,
    SubmitCommand,
    Submitted,
)
from fx_protocol.vocabulary import CommandStatus

BEARER = "Bearer "
T = TypeVar("T")


def brain_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Brain:
    return connection.app.state.brain  # type: ignore[no-any-return]


def presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    token = header[len(BEARER) :].strip() if header.startswith(BEARER) else ""
    return token or connection.query_params.get("token", "")


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else ""


def _token_identity(token: str, token_id: str, store: Store) -> tuple[str | None, list[str]]:
    """The name of an active token and its allow-list (runs on the read connection)."""
    name = store.verify_token(token)
    return name, [] if name is None else store.allowed_addresses("token", token_id)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The actor (``token:NAME``) of a Bearer token or ``?token=``; None when invalid."""
    token = presented_token(connection)
    if not token:
        return None
    brain = brain_of(connection)
    token_id = credentials.token_id_of(token) or ""
    # One trip to the read connection for both answers (database.py says why).
    name, cidrs = await brain.db.read(functools.partial(_token_identity, token, token_id))
    address = client_address(connection)
    if name is not None and not address_allowed(address, cidrs):
        # docs/security.md § Allow-lists: answered like a bad token.
        logger.warning("API token {} used from {}, outside its allow-list", token_id, address)
        name = None
    if name is None:
        brain.metrics.auth_failures += 1
        brain.auth_limiter.take(address, time.monotonic())
        return None
    return f"token:{name}"


def _too_many(wait: float, what: str) -> TooManyRequestsException:
    return TooManyRequestsException(what, headers={"Retry-After": retry_after(wait)})


async def require_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    brain = brain_of(connection)
    wait = brain.auth_limiter.blocked(client_address(connection), time.monotonic())
    if wait:
        raise _too_many(wait, "too many failed authentications from this address")
    actor = await authenticate(connection)
    if actor is None:
        raise NotAuthorizedException("missing or invalid API token (Authorization: Bearer ...)")
    wait = brain.rest_limiter.take(
        credentials.token_id_of(presented_token(connection)) or actor, time.monotonic()
    )
    if wait:
        raise _too_many(wait, "rate limit of this API token exceeded")
    connection.state.actor = actor


def strict_body(body: bytes, type_: type[T]) -> T:
    """Decode again without Litestar's lenient coercion: ``"0.1"`` is not a volume."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        text = str(exc)
        message, _, where = text.partition(" - at `")
        key = where.rstrip("`")[2:] if where else None
        extra = (
            [{"message": message, "key": key, "source": "body"}] if key else [{"message": message}]
        )
        raise ValidationException(detail=message, extra=extra) from None
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=f"malformed JSON: {exc}") from None


def command_view(row: CommandRow) -> CommandView:
    return CommandView(
        command_id=row.id,
        executor_id=row.executor_id,
        status=row.status,
        command=row.command,
        priority=row.priority,
        expiry=row.expiry_ms,
        expires_at=maybe_datetime(row.expires_ms),
        strategy_id=row.strategy_id,
        idempotency_key=row.idempotency_key,
        origin=row.origin,
        reason=row.reason,
        source=row.source,
        field=row.field,
        message=row.message,
        result=row.result,
        seq=row.seq,
        retry_count=row.retry_count,
        created_at=to_datetime(row.created_ms),
        sent_at=maybe_datetime(row.sent_ms),
        acknowledged_at=maybe_datetime(row.acknowledged_ms),
        executed_at=maybe_datetime(row.executed_ms),
        completed_at=maybe_datetime(row.completed_ms),
        updated_at=to_datetime(row.updated_ms),
    )


async def executor_view(brain: Brain, row: ExecutorRow, pending: int) -> ExecutorView:
    positions, account = await brain.db.call(brain.db.store.executor_snapshot, row.id)
    session = brain.sessions.get(row.id)
    status = session.last_status if session and session.last_status else row.status
    last_heartbeat = row.last_heartbeat_ms
    latency = row.latency_ms
    if session is not None:
        last_heartbeat = session.last_heartbeat_ms or last_heartbeat
        latency = (
            session.heartbeat.latency_ms if session.heartbeat.latency_ms is not None else latency
        )
    return ExecutorView(
        executor_id=row.id,
        name=row.name,
        online=session is not None,
        revoked=row.revoked_ms is not None,
        trading_state=status.trading_state if status else None,
        halt_reason=status.halt_reason if status else None,
        terminal_connected=status.terminal_connected if status else None,
        reconciled=status.reconciled if status else None,
        app_version=status.app_version if status else None,
        last_heartbeat=maybe_datetime(last_heartbeat),
        latency_ms=latency,
        connected_at=maybe_datetime(session.connected_ms if session else row.connected_ms),
        last_seen=maybe_datetime(
            session.heartbeat.last_seen_ms if session is not None else row.last_seen_ms
        ),
        halt_pending=row.halt_request == "halt" and row.halt_done_ms is None,
        pending_commands=pending,
        account=account.account if account else None,
        positions=positions.positions if positions else [],
        orders=positions.orders if positions else [],
        limits=status.limits if status else None,
        created_at=to_datetime(row.created_ms),
    )


def halt_accepted(outcome: HaltOutcome) -> HaltAccepted:
    return HaltAccepted(
        executor_id=outcome.executor_id, halt_id=outcome.halt_id, delivered=outcome.delivered
    )


# ---------------------------------------------------------------- commands


@post("/commands", status_code=202, summary="Submit a trade command")
async def submit_command(
    data: JSONBody[SubmitCommand], request: Request[Any, Any, Any]
) -> Submitted:
    """Stores the command (committed before answering) and queues it for its executor.

    The same ``idempotencyKey`` again returns the first command (``duplicate: true``).
    """
    data = strict_body(await request.body(), SubmitCommand)
    row, created = await brain_of(request).submit(
        executor_id=data.executor_id,
        command=data.command,
        priority=data.priority,
        expiry_ms=data.expiry,
        strategy_id=data.strategy_id,
        idempotency_key=data.idempotency_key,
        origin=request.state.actor,
    )
    return Submitted(command_id=row.id, status=row.status, duplicate=not created)


@get("/commands/{command_id:str}", summary="One command with its status and result")
async def get_command(command_id: FromPath[str], request: Request[Any, Any, Any]) -> CommandView:
    brain = brain_of(request)
    row = await brain.db.call(brain.db.store.get_command, command_id)
    if row is None:
        raise NotFoundException(f"no command {command_id!r}")
    return command_view(row)


@get("/commands", summary="Commands, newest first")
async def list_commands(
    request: Request[Any, Any, Any],
    executor_id: Annotated[str | None, QueryParameter(name="executorId")] = None,
    status: Annotated[CommandStatus | None, QueryParameter()] = None,
    strategy_id: Annotated[str | None, QueryParameter(name="strategyId")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100_000)] = 100,
) -> CommandList:
    brain = brain_of(request)
    limit = min(limit, brain.settings.list_limit_max)
    rows = await brain.db.call(
        brain.db.store.list_commands, executor_id, status, limit, strategy_id
    )
    return CommandList(commands=[command_view(r) for r in rows])


@post("/commands/{command_id:str}/cancel", status_code=200, summary="Cancel a command not yet sent")
async def cancel_command(
    command_id: FromPath[str], request: Request[Any, Any, Any]
) -> Response[CancelResult]:
    """200 when cancelled; 409 with the current status when it was already sent or finished."""
    row, cancelled = await brain_of(request).cancel(command_id, request.state.actor)
    body = CancelResult(command_id=row.id, status=row.status, cancelled=cancelled)
    return Response(body, status_code=200 if cancelled else 409)


# ---------------------------------------------------------------- executors


@get("/executors", summary="Executors with their live state")
async def list_executors(request: Request[Any, Any, Any]) -> ExecutorList:
    brain = brain_of(request)
    rows = await brain.db.call(brain.db.store.list_executors)
    pending = await brain.db.call(brain.db.store.pending_counts)
    return ExecutorList(
        executors=[await executor_view(brain, r, pending.get(r.id, 0)) for r in rows]
    )


@get("/executors/{executor_id:str}", summary="One executor")
async def get_executor(executor_id: FromPath[str], request: Request[Any, Any, Any]) -> ExecutorView:
    brain = brain_of(request)
    row = await brain.db.call(brain.db.store.get_executor, executor_id)
    if row is None:
        raise NotFoundException(f"no executor {executor_id!r}")
    pending = await brain.db.call(brain.db.store.pending_counts)
    return await executor_view(brain, row, pending.get(executor_id, 0))


@post("/executors/{executor_id:str}/halt", status_code=202, summary="Remote emergency stop")
async def halt_executor(
    executor_id: FromPath[str],
    request: Request[Any, Any, Any],
    data: JSONBody[HaltRequest | None] = None,
) -> HaltAccepted:
    """Sends HALT now if online, and again on every reconnect until the executor reports HALTED."""
    data = data or HaltRequest()
    outcome = await brain_of(request).halt(
        executor_id, data.flatten, data.reason, request.state.actor
    )
    return halt_accepted(outcome)


@post("/executors/{executor_id:str}/resume", status_code=202, summary="Lift a remote halt")
async def resume_executor(
    executor_id: FromPath[str],
    request: Request[Any, Any, Any],
    data: JSONBody[ResumeRequest | None] = None,
) -> HaltAccepted:
    """Sends RESUME (now, or on the next connection); it never lifts a local halt."""
    data = data or ResumeRequest()
    outcome = await brain_of(request).resume(executor_id, data.reason, request.state.actor)
    return halt_accepted(outcome)


@post("/halt-all", status_code=202, summary="Remote emergency stop of every executor")
async def halt_all(
    request: Request[Any, Any, Any], data: JSONBody[HaltRequest | None] = None
) -> HaltAllAccepted:
    data = data or HaltRequest()
    outcomes = await brain_of(request).halt_all(data.flatten, data.reason, request.state.actor)
    return HaltAllAccepted(halts=[halt_accepted(o) for o in outcomes])


api_router = Router(
    path="/api/v1",
    guards=[require_token],
    route_handlers=[
        submit_command,
        get_command,
        list_commands,
        cancel_command,
        list_executors,
        get_executor,
        halt_executor,
        resume_executor,
        halt_all,
    ],
    security=[{"bearer": []}],
    tags=["api"],
)


def store_error_status(exc: StoreError) -> int:
    return {"UNKNOWN_EXECUTOR": 404, "UNKNOWN_COMMAND": 404, "DUPLICATE": 409}.get(exc.reason, 400)
