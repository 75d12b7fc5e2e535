"""``BrainClient``: the brain's REST API and events stream for Python strategies.

Everything is async (httpx for REST, websockets for ``/ws/events``); bodies
are the structs of :mod:`fx_protocol.strategy_events`, so a strategy gets typed
values, never raw dicts. See ``docs/strategy-client.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec
import websockets

from fx_protocol.commands import TradeCommand
from fx_protocol.errors import ProtocolError
from fx_protocol.strategy_events import (
    ApiError,
    CancelResult,
    CommandList,
    CommandStatusEvent,
    CommandView,
    ExecutorList,
    ExecutorView,
    HaltAccepted,
    HaltAllAccepted,
    StrategyEvent,
    StreamReady,
    Submitted,
    decode_event,
)
from fx_protocol.vocabulary import CommandStatus, Priority

T = TypeVar("T")

#: statuses after which nothing changes any more (``unknown`` is not one: it gets resolved)
FINAL_STATUSES = frozenset(
    {CommandStatus.EXECUTED, CommandStatus.REJECTED, CommandStatus.EXPIRED, CommandStatus.CANCELLED}
)


class BrainError(Exception):
    """The brain refused a request: ``status_code``, ``reason`` code, offending ``field``."""

    def __init__(self, status_code: int, reason: str, message: str, field: str | None) -> None:
        super().__init__(f"{status_code} {reason}: {message}" + (f" ({field})" if field else ""))
        self.status_code = status_code
        self.reason = reason
        self.message = message
        self.field = field


class BrainClient:
    """``async with BrainClient("http://127.0.0.1:8080", token) as brain: ...``"""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        poll_interval: float = 0.25,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._poll_interval = poll_interval
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    async def __aenter__(self) -> BrainClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ REST

    async def _request(
        self, method: str, path: str, type_: type[T], *, json: Any = None, params: Any = None
    ) -> T:
        response = await self._http.request(method, path, json=json, params=params)
        if response.status_code >= 400 and not (
            response.status_code == 409 and type_ is CancelResult
        ):
            raise _error(response)
        return msgspec.json.decode(response.content, type=type_)

    async def submit(
        self,
        executor_id: str,
        command: TradeCommand | Mapping[str, Any],
        *,
        priority: Priority | str = Priority.NORMAL,
        expiry_ms: int | None = None,
        strategy_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Submitted:
        """Queue a command; it is stored when this returns. Reuse ``idempotency_key`` on retries."""
        body: dict[str, Any] = {
            "executorId": executor_id,
            "command": msgspec.to_builtins(command)
            if isinstance(command, TradeCommand)
            else dict(command),
            "priority": str(Priority(priority)),
        }
        if expiry_ms is not None:
            body["expiry"] = expiry_ms
        if strategy_id is not None:
            body["strategyId"] = strategy_id
        if idempotency_key is not None:
            body["idempotencyKey"] = idempotency_key
        return await self._request("POST", "/api/v1/commands", Submitted, json=body)

    async def get(self, command_id: str) -> CommandView:
        return await self._request("GET", f"/api/v1/commands/{command_id}", CommandView)

    async def commands(
        self,
        executor_id: str | None = None,
        status: CommandStatus | str | None = None,
        limit: int = 100,
    ) -> list[CommandView]:
        params: dict[str, Any] = {"limit": limit}
        if executor_id is not None:
            params["executorId"] = executor_id
        if status is not None:
            params["status"] = str(CommandStatus(status))
        listing = await self._request("GET", "/api/v1/commands", CommandList, params=params)
        return listing.commands

    async def cancel(self, command_id: str) -> CancelResult:
        """Cancel if not yet sent; ``cancelled`` False (with the status) when too late."""
        return await self._request("POST", f"/api/v1/commands/{command_id}/cancel", CancelResult)

    async def executors(self) -> list[ExecutorView]:
        return (await self._request("GET", "/api/v1/executors", ExecutorList)).executors

    async def executor(self, executor_id: str) -> ExecutorView:
        return await self._request("GET", f"/api/v1/executors/{executor_id}", ExecutorView)

    async def halt(
        self, executor_id: str, *, flatten: bool = False, reason: str = ""
    ) -> HaltAccepted:
        """Remote emergency stop; the brain repeats it until the executor reports HALTED."""
        return await self._request(
            "POST",
            f"/api/v1/executors/{executor_id}/halt",
            HaltAccepted,
            json={"flatten": flatten, "reason": reason},
        )

    async def halt_all(self, *, flatten: bool = False, reason: str = "") -> HaltAllAccepted:
        return await self._request(
            "POST", "/api/v1/halt-all", HaltAllAccepted, json={"flatten": flatten, "reason": reason}
        )

    async def resume(self, executor_id: str, *, reason: str = "") -> HaltAccepted:
        return await self._request(
            "POST", f"/api/v1/executors/{executor_id}/resume", HaltAccepted, json={"reason": reason}
        )

    # ------------------------------------------------------------ events

    def _events_url(self, executor_id: str | None) -> str:
        url = "ws" + self.base_url[len("http") :] + "/ws/events"
        return url + (f"?executorId={executor_id}" if executor_id else "")

    @contextlib.asynccontextmanager
    async def _stream(self, executor_id: str | None) -> AsyncIterator[Any]:
        async with websockets.connect(
            self._events_url(executor_id),
            additional_headers={"Authorization": f"Bearer {self._token}"},
            max_size=2**20,
        ) as ws:
            ready = decode_event(await asyncio.wait_for(ws.recv(), 10))
            if not isinstance(ready, StreamReady):
                raise OSError("events stream did not open with READY")
            yield ws

    async def events(
        self, executor_id: str | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[StrategyEvent]:
        """Every event from now on (commands, fills, executor status, ticks) until closed.

        ``ready`` is set once the subscription is live: anything that happens
        after that is delivered.
        """
        async with self._stream(executor_id) as ws:
            if ready is not None:
                ready.set()
            async for frame in ws:
                yield decode_event(frame)

    async def wait_for_result(
        self,
        command_id: str,
        timeout: float = 30.0,  # noqa: ASYNC109 - the documented client signature
    ) -> CommandView:
        """Wait until the command is final (executed, rejected, expired, cancelled).

        Follows the events stream and falls back to polling if the stream cannot
        be opened or breaks. Raises ``TimeoutError`` after ``timeout`` seconds:
        a timeout is not a rejection; ask again later with :meth:`get`.
        """
        deadline = time.monotonic() + timeout
        view = await self.get(command_id)
        if view.status in FINAL_STATUSES:
            return view
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                return await self._wait_streaming(command_id, view.executor_id)
        except TimeoutError:
            raise TimeoutError(f"command {command_id} not final after {timeout} s") from None
        except (OSError, websockets.WebSocketException, ProtocolError):
            pass  # stream unavailable: poll for the rest of the time
        while time.monotonic() < deadline:
            view = await self.get(command_id)
            if view.status in FINAL_STATUSES:
                return view
            await asyncio.sleep(min(self._poll_interval, max(0.0, deadline - time.monotonic())))
        raise TimeoutError(f"command {command_id} not final after {timeout} s")

    async def _wait_streaming(self, command_id: str, executor_id: str) -> CommandView:
        async with self._stream(executor_id) as ws:
            # Subscribed: a change from now on will arrive; one before it shows in this GET.
            view = await self.get(command_id)
            if view.status in FINAL_STATUSES:
                return view
            async for frame in ws:
                event = decode_event(frame)
                if (
                    isinstance(event, CommandStatusEvent)
                    and event.command_id == command_id
                    and event.status in FINAL_STATUSES
                ):
                    return await self.get(command_id)
        raise OSError("events stream closed")


def _error(response: httpx.Response) -> BrainError:
    try:
        body = msgspec.json.decode(response.content, type=ApiError)
        return BrainError(response.status_code, body.reason, body.error, body.field)
    except msgspec.MsgspecError:
        return BrainError(response.status_code, "HTTP_ERROR", response.text[:200], None)
